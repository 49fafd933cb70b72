-- Workspaces: the tenants. The id is URL-friendly, 10-20 alphanumeric
-- characters (the seed validates it in the app with zod and generates it
-- in TypeScript): a workspace created without an id gets a 12-character
-- one from short_id(), and the CHECK makes the database refuse anything
-- else. The column stays varchar(20), the type every workspace_id has.
CREATE TABLE workspaces (
  id varchar(20) PRIMARY KEY DEFAULT short_id(12),
  name varchar(255) NOT NULL,
  description text,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT workspaces_id_format CHECK (id ~ '^[A-Za-z0-9]{10,20}$')
);

CREATE INDEX workspaces_created_by_idx ON workspaces (created_by);

COMMENT ON TABLE workspaces IS 'Tenants. Package tables reference workspaces.id through workspace_id.';

-- Membership of a user in a workspace with a role.
CREATE TABLE workspace_members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id varchar(20) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role varchar(50) NOT NULL DEFAULT 'member',
  joined_at timestamp NOT NULL DEFAULT now(),
  -- One membership per user and workspace (leads with workspace_id: it is
  -- also the tenant index).
  CONSTRAINT workspace_members_workspace_id_user_id_unique UNIQUE (workspace_id, user_id),
  CONSTRAINT workspace_members_role_check CHECK (role IN ('owner', 'admin', 'member'))
);

CREATE INDEX workspace_members_user_id_idx ON workspace_members (user_id);

-- pgtenant generates the workspace isolation policies. These two extra,
-- read-only policies serve the workspace switcher: a signed-in user
-- (app.user_id) lists their own memberships in every workspace, and the
-- names of those workspaces. They grant no write and show no other user's
-- memberships.
CREATE POLICY workspace_members_own_rows ON workspace_members
  FOR SELECT
  USING (user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid));

CREATE POLICY workspaces_member_read ON workspaces
  FOR SELECT
  USING (id IN (
    SELECT m.workspace_id FROM workspace_members m
    WHERE m.user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid)
  ));
