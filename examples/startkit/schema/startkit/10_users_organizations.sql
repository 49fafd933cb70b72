-- Users (synced from Clerk, global) and organizations (the tenants).

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  clerk_id text NOT NULL,
  email text NOT NULL,
  name text,
  avatar_url text,
  -- Informational (shown in the admin UI). It grants nothing in the
  -- database: superadmin access is the superadmin role, not a flag.
  is_superadmin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_clerk_id_unique UNIQUE (clerk_id)
);

CREATE INDEX users_email_idx ON users (lower(email));

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Tenant container: all data is scoped to an organization.
CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  clerk_org_id text NOT NULL,
  name text NOT NULL,
  slug text NOT NULL,
  settings jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organizations_clerk_org_id_unique UNIQUE (clerk_org_id),
  CONSTRAINT organizations_slug_unique UNIQUE (slug),
  CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
);

CREATE TRIGGER organizations_set_updated_at BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Users in organizations, with a role.
CREATE TABLE organization_members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role member_role NOT NULL DEFAULT 'member',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organization_members_org_user_unique UNIQUE (organization_id, user_id)
);

CREATE INDEX organization_members_user_id_idx ON organization_members (user_id);

CREATE TRIGGER organization_members_set_updated_at BEFORE UPDATE ON organization_members
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- pgtenant generates the organization isolation policy. This extra
-- read-only policy lets a user list their own memberships in every
-- organization (the organization switcher), keyed by app.current_user_id.
CREATE POLICY organization_members_own_rows ON organization_members
  FOR SELECT
  USING (user_id = (SELECT NULLIF(current_setting('app.current_user_id', true), '')::uuid));

-- With the policy above, the switcher can also show the names of the user's
-- organizations: a read-only policy on the root table for organizations the
-- current user (app.current_user_id) is a member of.
CREATE POLICY organizations_member_read ON organizations
  FOR SELECT
  USING (id IN (
    SELECT m.organization_id FROM organization_members m
    WHERE m.user_id = (SELECT NULLIF(current_setting('app.current_user_id', true), '')::uuid)
  ));
