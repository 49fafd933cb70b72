-- rbac: the permission catalog, roles, role grants, and the effective
-- permissions the triggers maintain. A template: every placeholder (a name
-- in double braces) becomes a quoted identifier, literal or type from the
-- manifest; see pgtenant::module.

CREATE SCHEMA IF NOT EXISTS {{schema}};

-- A permission: 2 to 4 lower-case segments joined by dots
-- (`domain.resource.action`).
CREATE FUNCTION {{schema}}.rbac_valid_permission(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT name ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,3}$' $$;

-- A pattern: a permission (exact), `a.*` / `a.b.*` / `a.b.c.*` (every
-- permission strictly below the prefix), or `*` (every permission).
CREATE FUNCTION {{schema}}.rbac_valid_pattern(pattern text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pattern ~ '^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,2}\.\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,3})$' $$;

CREATE FUNCTION {{schema}}.rbac_valid_patterns(patterns text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT array_position(patterns, NULL) IS NULL
     AND coalesce(bool_and({{schema}}.rbac_valid_pattern(p)), true)
    FROM unnest(patterns) p
$$;

-- Whether `pattern` covers `permission`. The one SQL owner of the rule;
-- pgtenant::rbac::name is the Rust one, and a property test keeps them equal.
CREATE FUNCTION {{schema}}.rbac_pattern_matches(pattern text, permission text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pattern = '*'
      OR pattern = permission
      OR (right(pattern, 2) = '.*' AND starts_with(permission, left(pattern, -1)))
$$;

-- The catalog: every permission the application checks.
CREATE TABLE {{schema}}.permissions (
  name text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  CONSTRAINT permissions_name_check CHECK ({{schema}}.rbac_valid_permission(name))
);

-- Roles: {{tenant_column}} NULL is a global role (every tenant may grant
-- it); otherwise the tenant's own role. Deny patterns override allow ones.
CREATE TABLE {{schema}}.roles (
  role_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  {{tenant_column}} {{tenant_type}} REFERENCES {{root_table}} ({{root_key}}) ON DELETE CASCADE,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  allow text[] NOT NULL DEFAULT '{}',
  deny text[] NOT NULL DEFAULT '{}',
  CONSTRAINT roles_name_check CHECK (name <> ''),
  -- One name per tenant, and one name among the global roles.
  CONSTRAINT roles_tenant_name_key UNIQUE NULLS NOT DISTINCT ({{tenant_column}}, name),
  CONSTRAINT roles_allow_check CHECK ({{schema}}.rbac_valid_patterns(allow)),
  CONSTRAINT roles_deny_check CHECK ({{schema}}.rbac_valid_patterns(deny))
);

-- A user holds a role in a tenant. A global role is granted per tenant by a
-- row with that tenant; a tenant's own role only in that tenant (checked by
-- the constraint trigger role_grants_role_in_tenant). The grantee must be a
-- member: removing the membership removes the grants.
CREATE TABLE {{schema}}.role_grants (
  {{tenant_column}} {{tenant_type}} NOT NULL,
  user_id {{user_type}} NOT NULL,
  role_id bigint NOT NULL REFERENCES {{schema}}.roles (role_id) ON DELETE CASCADE,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ({{tenant_column}}, user_id, role_id),
  CONSTRAINT role_grants_membership_fkey FOREIGN KEY ({{tenant_column}}, user_id)
    REFERENCES {{membership_table}} ({{membership_tenant}}, {{membership_user}}) ON DELETE CASCADE
);

CREATE INDEX role_grants_role_id_idx ON {{schema}}.role_grants (role_id);

-- What each active member may do in each tenant, deny already applied.
-- Written only by the triggers (as the owner); has_permission reads it.
CREATE TABLE {{schema}}.effective_permissions (
  {{tenant_column}} {{tenant_type}} NOT NULL,
  user_id {{user_type}} NOT NULL,
  permission text NOT NULL,
  PRIMARY KEY ({{tenant_column}}, user_id, permission)
);

-- One row, bumped by every change to roles, grants, the catalog or a
-- membership: an in-process cache keyed by `version` is never used after
-- a revoke. `catalog_version` moves only when the catalog changes.
CREATE TABLE {{schema}}.rbac_version (
  singleton boolean PRIMARY KEY DEFAULT true,
  version bigint NOT NULL,
  catalog_version bigint NOT NULL,
  CONSTRAINT rbac_version_singleton CHECK (singleton)
);
