-- Sample data (the seed's `db:seed`), runs only with SEED_DEMO_OK=true.
-- Fixed ids make re-runs no-ops. keycloak_id values are placeholders:
-- link real Keycloak users on first login.

-- The system administrator (manages all tenants through the superadmin role).
INSERT INTO users (id, keycloak_id, email, first_name, last_name, user_type) VALUES
  ('10000000-0000-4000-8000-000000000001', 'demo-kc-system-admin', '${DEMO_ADMIN_EMAIL:-admin@system.local}', 'System', 'Administrator', 'system_admin')
ON CONFLICT (id) DO NOTHING;

INSERT INTO users (id, keycloak_id, email, first_name, last_name, user_type, metadata) VALUES
  ('10000000-0000-4000-8000-000000000011', 'demo-kc-acme-admin',    'admin@acme-corp.test',    'Sarah',  'Johnson',  'tenant_admin', '{"title": "IT Director"}'),
  ('10000000-0000-4000-8000-000000000012', 'demo-kc-acme-manager',  'manager@acme-corp.test',  'Mike',   'Chen',     'regular_user', '{"title": "Facilities Manager"}'),
  ('10000000-0000-4000-8000-000000000013', 'demo-kc-acme-operator', 'operator@acme-corp.test', 'Lisa',   'Rodriguez','regular_user', '{"title": "Operator"}'),
  ('10000000-0000-4000-8000-000000000021', 'demo-kc-ts-admin',      'admin@techstart.test',    'David',  'Kim',      'tenant_admin', '{}'),
  ('10000000-0000-4000-8000-000000000022', 'demo-kc-ts-user',       'user@techstart.test',     'Emma',   'Wilson',   'regular_user', '{}'),
  ('10000000-0000-4000-8000-000000000031', 'demo-kc-beta-admin',    'admin@beta-solutions.test','James', 'Brown',    'tenant_admin', '{}'),
  -- Cross-tenant user: works for several tenants with different roles.
  ('10000000-0000-4000-8000-000000000041', 'demo-kc-consultant',    'consultant@external.com', 'Alex',   'Thompson', 'regular_user', '{"company": "External Consulting"}')
ON CONFLICT (id) DO NOTHING;

INSERT INTO tenants (id, name, slug, type, status, keycloak_group_id, settings) VALUES
  ('20000000-0000-4000-8000-000000000001', 'Acme Corporation', 'acme-corp',      'enterprise', 'active',  'demo-kc-group-acme',      '{"maxSites": 50}'),
  ('20000000-0000-4000-8000-000000000002', 'TechStart Inc',    'techstart',      'standard',   'active',  'demo-kc-group-techstart', '{"maxSites": 10}'),
  ('20000000-0000-4000-8000-000000000003', 'Beta Solutions',   'beta-solutions', 'starter',    'active',  'demo-kc-group-beta',      '{"maxSites": 3}'),
  ('20000000-0000-4000-8000-000000000004', 'Demo Company',     'demo-company',   'trial',      'pending', NULL,                     '{}')
ON CONFLICT (id) DO NOTHING;

INSERT INTO user_tenant_associations (user_id, tenant_id, role, status, joined_at) VALUES
  ('10000000-0000-4000-8000-000000000011', '20000000-0000-4000-8000-000000000001', 'owner',  'active', now()),
  ('10000000-0000-4000-8000-000000000012', '20000000-0000-4000-8000-000000000001', 'admin',  'active', now()),
  ('10000000-0000-4000-8000-000000000013', '20000000-0000-4000-8000-000000000001', 'member', 'active', now()),
  ('10000000-0000-4000-8000-000000000021', '20000000-0000-4000-8000-000000000002', 'owner',  'active', now()),
  ('10000000-0000-4000-8000-000000000022', '20000000-0000-4000-8000-000000000002', 'member', 'active', now()),
  ('10000000-0000-4000-8000-000000000031', '20000000-0000-4000-8000-000000000003', 'owner',  'active', now()),
  ('10000000-0000-4000-8000-000000000041', '20000000-0000-4000-8000-000000000001', 'viewer', 'active', now()),
  ('10000000-0000-4000-8000-000000000041', '20000000-0000-4000-8000-000000000002', 'admin',  'active', now()),
  ('10000000-0000-4000-8000-000000000041', '20000000-0000-4000-8000-000000000003', 'member', 'invited', NULL)
ON CONFLICT (tenant_id, user_id) DO NOTHING;
