-- "Demo Workspace": the seed creates it as part of the foundational data,
-- so it stays in setup (a fixed id lets demo seeds and tests refer to it).
INSERT INTO tenants (tenant_id, name, slug) VALUES
  ('00000000-0000-4000-8000-00000000d001', 'Demo Workspace', 'demo-workspace')
ON CONFLICT (tenant_id) DO NOTHING;
