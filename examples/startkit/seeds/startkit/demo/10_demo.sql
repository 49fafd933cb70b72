-- Development data (the seed's `db:seed`), runs only with SEED_DEMO_OK=true.
-- clerk ids are placeholders; fixed ids make re-runs no-ops.

INSERT INTO users (id, clerk_id, email, name, is_superadmin) VALUES
  ('a0000000-0000-4000-8000-000000000001', 'demo_clerk_alice', 'alice@example.com', 'Alice Example', false),
  ('a0000000-0000-4000-8000-000000000002', 'demo_clerk_bob',   'bob@example.com',   'Bob Example',   false),
  ('a0000000-0000-4000-8000-000000000003', 'demo_clerk_admin', '${DEMO_ADMIN_EMAIL:-admin@example.com}', 'Admin Example', true)
ON CONFLICT (id) DO NOTHING;

INSERT INTO organizations (id, clerk_org_id, name, slug, settings) VALUES
  ('b0000000-0000-4000-8000-000000000001', 'demo_clerk_org_acme', 'Acme Corp',        'acme-corp',    '{"timezone": "UTC"}'),
  ('b0000000-0000-4000-8000-000000000002', 'demo_clerk_org_tech', 'Tech Startup Inc', 'tech-startup', '{}')
ON CONFLICT (id) DO NOTHING;

INSERT INTO organization_members (organization_id, user_id, role) VALUES
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'owner'),
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'member'),
  ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000002', 'owner'),
  ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'viewer')
ON CONFLICT (organization_id, user_id) DO NOTHING;

INSERT INTO subscriptions (organization_id, stripe_customer_id, stripe_subscription_id, status, plan, seat_count,
                           current_period_start, current_period_end) VALUES
  ('b0000000-0000-4000-8000-000000000001', 'cus_demo_acme', 'sub_demo_acme', 'active', 'pro', 10,
   date_trunc('month', now()), date_trunc('month', now()) + interval '1 month'),
  ('b0000000-0000-4000-8000-000000000002', 'cus_demo_tech', NULL, 'trialing', 'starter', 3,
   date_trunc('day', now()), date_trunc('day', now()) + interval '14 days')
ON CONFLICT (organization_id) DO NOTHING;

INSERT INTO organization_feature_flags (organization_id, flag_key, enabled) VALUES
  ('b0000000-0000-4000-8000-000000000001', 'ai_assistant', true),
  ('b0000000-0000-4000-8000-000000000002', 'beta_features', true)
ON CONFLICT (organization_id, flag_key) DO NOTHING;

INSERT INTO projects (id, organization_id, name, description, created_by) VALUES
  ('c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'Website relaunch', 'Marketing site v2.', 'a0000000-0000-4000-8000-000000000001'),
  ('c0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001', 'Mobile app',       NULL,                 'a0000000-0000-4000-8000-000000000002'),
  ('c0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000002', 'MVP',              'First release.',     'a0000000-0000-4000-8000-000000000002')
ON CONFLICT (id) DO NOTHING;

INSERT INTO audit_logs (id, organization_id, user_id, action, resource_type, resource_id, metadata) VALUES
  ('d0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001',
   'project.created', 'project', 'c0000000-0000-4000-8000-000000000001', '{"name": "Website relaunch"}'),
  ('d0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000002',
   'subscription.created', 'subscription', 'sub_demo_tech', '{"plan": "starter"}')
ON CONFLICT (id) DO NOTHING;
