-- Sessions of a user inside one workspace. The composite foreign key onto
-- workspace_members means a session exists only for a member, and only in
-- that member's workspace.
--
-- Sessions are tenant-scoped: the app reads the workspace id from the URL,
-- enters that workspace, then looks the session up, so a session id only
-- resolves in the workspace it was issued for.
CREATE TABLE sessions (
  id varchar(255) PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  workspace_id varchar(20) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  expires_at timestamp NOT NULL,
  created_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT sessions_member_fkey FOREIGN KEY (workspace_id, user_id)
    REFERENCES workspace_members (workspace_id, user_id) ON DELETE CASCADE,
  CONSTRAINT sessions_expiry_after_creation CHECK (expires_at > created_at)
);

CREATE INDEX sessions_workspace_id_user_id_idx ON sessions (workspace_id, user_id);
-- Expired-session sweeps.
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
