-- Global roles: owner, admin, member (tenant_id NULL = shared by all tenants).
-- Deny rules override allow rules. Idempotent: re-running resets the lists
-- of the global roles to these.
INSERT INTO ws_roles (tenant_id, name, scope, allow, deny) VALUES
  (NULL, 'owner', 'global', '["*"]', '[]'),
  (NULL, 'admin', 'global',
   '["content.*", "media.*", "publish.*", "analytics.*", "admin.members.*", "admin.roles.*", "admin.audit.view", "admin.tenant.view"]',
   '["admin.tenant.delete", "admin.tenant.transfer"]'),
  (NULL, 'member', 'global',
   '["content.*.view", "content.nodes.create", "content.nodes.update", "content.comments.*", "media.*.view", "media.assets.upload", "media.assets.download"]',
   '["content.projects.delete", "media.assets.delete"]')
ON CONFLICT (tenant_id, name) DO UPDATE
  SET scope = EXCLUDED.scope, allow = EXCLUDED.allow, deny = EXCLUDED.deny;
