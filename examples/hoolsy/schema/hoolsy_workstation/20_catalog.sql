-- Global catalogs shared by every tenant (no tenant_id, so not tenant-scoped).

-- Media type taxonomy: video, episode, audio, lesson, ... (seeded by setup).
CREATE TABLE ws_media_kinds (
  code text PRIMARY KEY,
  label text NOT NULL,
  parent_code text REFERENCES ws_media_kinds (code),
  sort_order integer NOT NULL DEFAULT 0,
  created_at timestamp DEFAULT now(),
  CONSTRAINT ws_media_kinds_code_format CHECK (code ~ '^[a-z][a-z0-9_]*$')
);

-- Permission catalog: codes are domain.resource.action (seeded by setup).
-- Roles match them with wildcards (content.*, admin.roles.*).
CREATE TABLE ws_permissions (
  code text PRIMARY KEY,
  domain text GENERATED ALWAYS AS (split_part(code, '.', 1)) STORED,
  resource text GENERATED ALWAYS AS (split_part(code, '.', 2)) STORED,
  action text GENERATED ALWAYS AS (split_part(code, '.', 3)) STORED,
  description text NOT NULL,
  created_at timestamp DEFAULT now(),
  CONSTRAINT ws_permissions_code_format
    CHECK (code ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$')
);

CREATE INDEX ws_permissions_domain_resource_idx ON ws_permissions (domain, resource);
