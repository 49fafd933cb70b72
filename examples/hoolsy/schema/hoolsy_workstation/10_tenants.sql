-- Tenants (workspaces, teams, organizations) and who belongs to them.
-- tenants is the tenancy root: its primary key is the tenant id every
-- tenant table carries in tenant_id.
CREATE TABLE tenants (
  tenant_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL,
  created_at timestamp DEFAULT now(),
  updated_at timestamp DEFAULT now(),
  CONSTRAINT tenants_slug_key UNIQUE (slug),
  CONSTRAINT tenants_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
);

CREATE TRIGGER tenants_set_updated_at
  BEFORE UPDATE ON tenants
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Membership of a user (from the users database) in a tenant.
CREATE TABLE ws_memberships (
  membership_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'active',
  joined_at timestamp DEFAULT now(),
  created_at timestamp DEFAULT now(),
  updated_at timestamp DEFAULT now(),
  CONSTRAINT ws_memberships_tenant_id_user_id_key UNIQUE (tenant_id, user_id),
  CONSTRAINT ws_memberships_status_check CHECK (status IN ('active', 'invited', 'suspended'))
);

-- "Which tenants am I in?" for the tenant switcher (see the policy below).
CREATE INDEX ws_memberships_user_id_idx ON ws_memberships (user_id);

CREATE TRIGGER ws_memberships_set_updated_at
  BEFORE UPDATE ON ws_memberships
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON COLUMN ws_memberships.user_id IS 'users.user_id in the hoolsy_users database (no cross-database foreign key).';

-- pgtenant generates the tenant isolation policy for ws_memberships. This
-- extra, read-only policy lets a signed-in user list their own memberships
-- in every tenant (the tenant switcher), keyed by app.user_id; it grants no
-- write and shows no other user's rows.
CREATE POLICY ws_memberships_own_rows ON ws_memberships
  FOR SELECT
  USING (user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid));

-- Member profile data, one row per membership.
CREATE TABLE ws_members (
  member_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL,
  display_name text NOT NULL,
  job_title text,
  avatar_url text,
  bio text,
  created_at timestamp DEFAULT now(),
  updated_at timestamp DEFAULT now(),
  CONSTRAINT ws_members_tenant_id_user_id_key UNIQUE (tenant_id, user_id),
  CONSTRAINT ws_members_membership_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES ws_memberships (tenant_id, user_id) ON DELETE CASCADE
);

CREATE TRIGGER ws_members_set_updated_at
  BEFORE UPDATE ON ws_members
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- With the policy above, the tenant switcher can also show the names of the
-- user's tenants: a read-only policy on the root table for tenants the
-- current user (app.user_id) is a member of. pgtenant's generated policy on
-- tenants still governs everything else.
CREATE POLICY tenants_member_read ON tenants
  FOR SELECT
  USING (tenant_id IN (
    SELECT m.tenant_id FROM ws_memberships m
    WHERE m.user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid)
  ));
