-- Global catalogs shared by every tenant (no tenant_id, so not tenant-scoped).
-- The permission catalog is the rbac module's (rbac/permissions.txt).

-- Media type taxonomy: video, episode, audio, lesson, ... (seeded by setup).
CREATE TABLE ws_media_kinds (
  code text PRIMARY KEY,
  label text NOT NULL,
  parent_code text REFERENCES ws_media_kinds (code),
  sort_order integer NOT NULL DEFAULT 0,
  created_at timestamp DEFAULT now(),
  CONSTRAINT ws_media_kinds_code_format CHECK (code ~ '^[a-z][a-z0-9_]*$')
);
