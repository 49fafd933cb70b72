-- Demo data: two users, one workspace, their memberships and a session.
-- Runs only with SEED_DEMO_OK=true. The password hashes are deliberately
-- invalid, so the demo users cannot sign in until a password is set.
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

INSERT INTO sessions (id, user_id, workspace_id, expires_at) VALUES
  ('demo-session-owner', '00000000-0000-4000-8000-0000000c0001', 'DemoWorkspace01',
   now() + interval '30 days')
ON CONFLICT (id) DO NOTHING;
