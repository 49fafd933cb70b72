-- Permission catalog (domain.resource.action). Each resource lists the
-- actions it supports; the catalog is their product. Idempotent: new codes
-- are added, descriptions of existing ones refreshed.
INSERT INTO ws_permissions (code, description)
SELECT r.domain || '.' || r.resource || '.' || a.action,
       initcap(a.action) || ' ' || replace(r.resource, '_', ' ') || ' (' || r.domain || ')'
FROM (VALUES
  ('content',  'projects',     ARRAY['view', 'create', 'update', 'delete', 'archive', 'restore', 'export']),
  ('content',  'groups',       ARRAY['view', 'create', 'update', 'delete', 'reorder', 'move']),
  ('content',  'nodes',        ARRAY['view', 'create', 'update', 'delete', 'reorder', 'move', 'publish', 'unpublish']),
  ('content',  'metadata',     ARRAY['view', 'update']),
  ('content',  'comments',     ARRAY['view', 'create', 'update', 'delete', 'resolve']),
  ('content',  'tags',         ARRAY['view', 'create', 'update', 'delete', 'assign']),
  ('content',  'versions',     ARRAY['view', 'create', 'restore', 'delete']),
  ('media',    'assets',       ARRAY['view', 'upload', 'update', 'delete', 'download', 'replace']),
  ('media',    'variants',     ARRAY['view', 'create', 'delete', 'download']),
  ('media',    'transcodes',   ARRAY['view', 'start', 'cancel', 'retry']),
  ('media',    'subtitles',    ARRAY['view', 'create', 'update', 'delete']),
  ('media',    'thumbnails',   ARRAY['view', 'create', 'update', 'delete']),
  ('media',    'storage',      ARRAY['view', 'configure']),
  ('admin',    'members',      ARRAY['view', 'invite', 'update', 'remove', 'suspend']),
  ('admin',    'roles',        ARRAY['view', 'create', 'update', 'delete', 'assign', 'revoke']),
  ('admin',    'tenant',       ARRAY['view', 'update', 'delete', 'transfer']),
  ('admin',    'billing',      ARRAY['view', 'update']),
  ('admin',    'audit',        ARRAY['view', 'export']),
  ('admin',    'api_keys',     ARRAY['view', 'create', 'revoke']),
  ('admin',    'integrations', ARRAY['view', 'create', 'update', 'delete']),
  ('admin',    'webhooks',     ARRAY['view', 'create', 'update', 'delete', 'test']),
  ('publish',  'channels',     ARRAY['view', 'create', 'update', 'delete']),
  ('publish',  'releases',     ARRAY['view', 'schedule', 'publish', 'unpublish', 'cancel']),
  ('publish',  'rights',       ARRAY['view', 'update']),
  ('analytics','reports',      ARRAY['view', 'export', 'create', 'delete']),
  ('analytics','dashboards',   ARRAY['view', 'create', 'update', 'delete'])
) AS r(domain, resource, actions)
CROSS JOIN LATERAL unnest(r.actions) AS a(action)
ON CONFLICT (code) DO UPDATE SET description = EXCLUDED.description;
