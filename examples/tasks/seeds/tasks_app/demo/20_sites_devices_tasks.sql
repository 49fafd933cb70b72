-- Sites, assignments, devices, tasks, an invitation and audit entries.

INSERT INTO sites (id, tenant_id, name, code, address, city, country, latitude, longitude, timezone) VALUES
  ('30000000-0000-4000-8000-000000000011', '20000000-0000-4000-8000-000000000001', 'Headquarters', 'HQ',  '1 Main Street',     'New York',      'US', 40.712800, -74.006000, 'America/New_York'),
  ('30000000-0000-4000-8000-000000000012', '20000000-0000-4000-8000-000000000001', 'Warehouse',    'WH1', '200 Harbor Road',   'Newark',        'US', 40.735700, -74.172400, 'America/New_York'),
  ('30000000-0000-4000-8000-000000000021', '20000000-0000-4000-8000-000000000002', 'Office',       'OFF', '55 Market Street',  'San Francisco', 'US', 37.774900, -122.419400, 'America/Los_Angeles'),
  ('30000000-0000-4000-8000-000000000031', '20000000-0000-4000-8000-000000000003', 'Lab',          'LAB', '9 Science Park',    'Oslo',          'NO', 59.913900, 10.752200, 'Europe/Oslo')
ON CONFLICT (id) DO NOTHING;

INSERT INTO user_site_assignments (user_id, site_id, tenant_id, assigned_by) VALUES
  ('10000000-0000-4000-8000-000000000012', '30000000-0000-4000-8000-000000000011', '20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000011'),
  ('10000000-0000-4000-8000-000000000013', '30000000-0000-4000-8000-000000000012', '20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000011'),
  ('10000000-0000-4000-8000-000000000022', '30000000-0000-4000-8000-000000000021', '20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000021'),
  ('10000000-0000-4000-8000-000000000041', '30000000-0000-4000-8000-000000000021', '20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000021')
ON CONFLICT (tenant_id, user_id, site_id) DO NOTHING;

INSERT INTO devices (id, tenant_id, site_id, name, type, serial_number, manufacturer, model, status, ip_address, last_seen_at, metadata) VALUES
  ('40000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000011', 'HVAC Controller 1',  'controller', 'ACME-HVAC-0001', 'Honeywell', 'T7350',  'online',      '10.0.1.10', now(), '{"zone": "floor-1"}'),
  ('40000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000011', 'Lobby Camera',       'camera',     'ACME-CAM-0001',  'Axis',      'P3245',  'online',      '10.0.1.20', now(), '{"resolution": "1080p"}'),
  ('40000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000012', 'Temperature Sensor', 'sensor',     'ACME-TMP-0001',  'Bosch',     'BME280', 'maintenance', NULL,        NULL,  '{"unit": "celsius"}'),
  ('40000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000012', 'Edge Gateway',       'gateway',    'ACME-GW-0001',   'Cisco',     'IR1101', 'online',      '10.0.2.1',  now(), '{}'),
  ('40000000-0000-4000-8000-000000000005', '20000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000021', 'Office Server',      'server',     'TS-SRV-0001',    'Dell',      'R650',   'online',      '192.168.1.5', now(), '{"os": "linux"}'),
  ('40000000-0000-4000-8000-000000000006', '20000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000021', 'Reception PC',       'workstation','TS-WS-0001',     'Lenovo',    'M90q',   'offline',     NULL,        NULL,  '{}'),
  ('40000000-0000-4000-8000-000000000007', '20000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000031', 'Lab Power Meter',    'meter',      'BETA-MTR-0001',  'Schneider', 'PM5560', 'error',       NULL,        NULL,  '{"lastError": "CT disconnected"}')
ON CONFLICT (id) DO NOTHING;

INSERT INTO tasks (id, tenant_id, user_id, site_id, device_id, title, description, priority, due_date, created_by) VALUES
  ('50000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000013', '30000000-0000-4000-8000-000000000012', '40000000-0000-4000-8000-000000000003',
   'Recalibrate temperature sensor', 'Readings drift by 2 degrees since the last firmware update.', 'high', now() + interval '2 days', '10000000-0000-4000-8000-000000000012'),
  ('50000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000012', '30000000-0000-4000-8000-000000000011', NULL,
   'Quarterly HVAC inspection', NULL, 'medium', now() + interval '14 days', '10000000-0000-4000-8000-000000000011'),
  ('50000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000041', '30000000-0000-4000-8000-000000000021', '40000000-0000-4000-8000-000000000005',
   'Review server backup policy', 'External review by the consultant.', 'low', now() + interval '30 days', '10000000-0000-4000-8000-000000000021'),
  ('50000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000031', '30000000-0000-4000-8000-000000000031', '40000000-0000-4000-8000-000000000007',
   'Reconnect power meter CT', NULL, 'urgent', now() + interval '1 day', '10000000-0000-4000-8000-000000000031')
ON CONFLICT (id) DO NOTHING;

-- The invite link's token is not stored; this hash is of a token nobody has.
INSERT INTO tenant_invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at) VALUES
  ('60000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000004', 'owner@demo-company.test', 'admin',
   sha256('demo invitation with no secret'::bytea), '10000000-0000-4000-8000-000000000001', now() + interval '7 days')
ON CONFLICT (id) DO NOTHING;

-- Audit events go through the audit module: pgtenant.audit() records one
-- for the tenant and user in the settings and links it into the tenant's
-- hash chain. The log is append-only, so an event is recorded only if the
-- same one is not there yet (running the seed again adds nothing).
SELECT set_config('app.tenant_id', '20000000-0000-4000-8000-000000000001', true),
       set_config('app.user_id', '10000000-0000-4000-8000-000000000011', true);
SELECT pgtenant.audit('site.create', 'site', '30000000-0000-4000-8000-000000000012', '{"name": "Warehouse"}')
WHERE NOT EXISTS (SELECT 1 FROM pgtenant.audit_log
                  WHERE tenant_id = '20000000-0000-4000-8000-000000000001' AND action = 'site.create'
                    AND resource_id = '30000000-0000-4000-8000-000000000012');

SELECT set_config('app.user_id', '10000000-0000-4000-8000-000000000012', true);
SELECT pgtenant.audit('task.create', 'task', '50000000-0000-4000-8000-000000000001', '{"priority": "high"}')
WHERE NOT EXISTS (SELECT 1 FROM pgtenant.audit_log
                  WHERE tenant_id = '20000000-0000-4000-8000-000000000001' AND action = 'task.create'
                    AND resource_id = '50000000-0000-4000-8000-000000000001');

SELECT set_config('app.tenant_id', '20000000-0000-4000-8000-000000000004', true),
       set_config('app.user_id', '10000000-0000-4000-8000-000000000001', true);
SELECT pgtenant.audit('tenant_invitation.invite', 'tenant_invitation', '60000000-0000-4000-8000-000000000001',
                      '{"email": "owner@demo-company.test"}')
WHERE NOT EXISTS (SELECT 1 FROM pgtenant.audit_log
                  WHERE tenant_id = '20000000-0000-4000-8000-000000000004' AND action = 'tenant_invitation.invite'
                    AND resource_id = '60000000-0000-4000-8000-000000000001');
