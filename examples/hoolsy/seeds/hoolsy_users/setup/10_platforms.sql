-- Platform codes (foundational). Idempotent: re-running updates names only.
INSERT INTO platforms (platform_id, code, name) VALUES
  (1, 'workstation', 'Hoolsy Workstation'),
  (2, 'marketplace', 'Hoolsy Marketplace'),
  (3, 'nexus', 'Hoolsy Nexus')
ON CONFLICT (platform_id) DO UPDATE
  SET code = EXCLUDED.code, name = EXCLUDED.name;
