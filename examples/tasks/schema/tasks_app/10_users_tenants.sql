-- Users (global, integrated with Keycloak), tenants, and memberships.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  keycloak_id text NOT NULL,
  email text NOT NULL,
  first_name text,
  last_name text,
  user_type user_type NOT NULL DEFAULT 'regular_user',
  metadata jsonb NOT NULL DEFAULT '{}',
  is_active boolean NOT NULL DEFAULT true,
  last_login_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_keycloak_id_unique UNIQUE (keycloak_id),
  CONSTRAINT users_email_unique UNIQUE (email)
);

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL,
  type tenant_type NOT NULL DEFAULT 'standard',
  status tenant_status NOT NULL DEFAULT 'pending',
  keycloak_group_id text,
  settings jsonb NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tenants_slug_unique UNIQUE (slug),
  CONSTRAINT tenants_keycloak_group_id_unique UNIQUE (keycloak_group_id),
  CONSTRAINT tenants_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
);

CREATE INDEX tenants_status_idx ON tenants (status);

CREATE TRIGGER tenants_set_updated_at BEFORE UPDATE ON tenants
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Membership of a user in a tenant, with a role. The seed's unique
-- (user_id, tenant_id), led by tenant_id so it is also the tenant index and
-- the target of the composite foreign keys below.
CREATE TABLE user_tenant_associations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  role tenant_role NOT NULL DEFAULT 'member',
  status association_status NOT NULL DEFAULT 'active',
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  joined_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT user_tenant_associations_tenant_id_user_id_unique UNIQUE (tenant_id, user_id)
);

CREATE INDEX user_tenant_associations_user_id_idx ON user_tenant_associations (user_id);

CREATE TRIGGER user_tenant_associations_set_updated_at BEFORE UPDATE ON user_tenant_associations
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- pgtenant generates the tenant isolation policy. This extra read-only
-- policy lets a user list their own memberships in every tenant (the
-- tenant switcher; a consultant works for several), keyed by app.user_id.
CREATE POLICY user_tenant_associations_own_rows ON user_tenant_associations
  FOR SELECT
  USING (user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid));

-- With the policy above, the switcher can also show the names of the user's
-- tenants: a read-only policy on the root table for tenants the current user
-- (app.user_id) is a member of.
CREATE POLICY tenants_member_read ON tenants
  FOR SELECT
  USING (id IN (
    SELECT a.tenant_id FROM user_tenant_associations a
    WHERE a.user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid)
  ));
