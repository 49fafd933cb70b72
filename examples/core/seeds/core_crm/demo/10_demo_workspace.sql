-- Demo data: two users, one workspace and their memberships. Runs only
-- with SEED_DEMO_OK=true. The password hashes are deliberately invalid, so
-- the demo users cannot sign in until a password is set, and there is no
-- demo session: a session (pgtenant.session_create) starts at a login.
INSERT INTO users (id, email, password_hash, name) VALUES
  ('00000000-0000-4000-8000-0000000c0001', '${DEMO_OWNER_EMAIL:-owner@core.test}', '!disabled', 'Demo Owner'),
  ('00000000-0000-4000-8000-0000000c0002', 'member@core.test', '!disabled', 'Demo Member')
ON CONFLICT (id) DO NOTHING;

INSERT INTO workspaces (id, name, description, created_by) VALUES
  ('DemoWorkspace01', 'Demo Workspace', 'Sample workspace for local development.',
   '00000000-0000-4000-8000-0000000c0001')
ON CONFLICT (id) DO NOTHING;

INSERT INTO workspace_members (workspace_id, user_id, role) VALUES
  ('DemoWorkspace01', '00000000-0000-4000-8000-0000000c0001', 'owner'),
  ('DemoWorkspace01', '00000000-0000-4000-8000-0000000c0002', 'member')
ON CONFLICT (workspace_id, user_id) DO NOTHING;
