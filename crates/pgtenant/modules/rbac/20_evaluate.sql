-- rbac: evaluating permissions. has_permission is what policies and
-- clients call; the rest serves the triggers, the Rust evaluator and
-- `access explain`.

-- Whether the user is an active member of the tenant.
CREATE FUNCTION {{schema}}.rbac_member_active(p_user {{user_cast}}, p_tenant {{tenant_cast}}) RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT EXISTS (SELECT 1 FROM {{membership_table}} m
                  WHERE m.{{membership_user}} = p_user
                    AND m.{{membership_tenant}} = p_tenant
                    AND {{membership_active}})
$$;

-- The roles the user holds in the tenant (global ones granted there and
-- the tenant's own), none unless the user is an active member.
CREATE FUNCTION {{schema}}.rbac_held_roles(p_user {{user_cast}}, p_tenant {{tenant_cast}})
RETURNS TABLE (role_id bigint, name text, global boolean, allow text[], deny text[])
LANGUAGE sql STABLE
AS $$
  SELECT r.role_id, r.name, r.{{tenant_column}} IS NULL, r.allow, r.deny
    FROM {{schema}}.role_grants g
    JOIN {{schema}}.roles r
      ON r.role_id = g.role_id
     AND (r.{{tenant_column}} IS NULL OR r.{{tenant_column}} = g.{{tenant_column}})
   WHERE g.{{tenant_column}} = p_tenant AND g.user_id = p_user
     AND {{schema}}.rbac_member_active(p_user, p_tenant)
$$;

-- The same for callers holding ids as text (the Rust cache).
CREATE FUNCTION {{schema}}.rbac_user_roles(p_user text, p_tenant text)
RETURNS TABLE (role_id bigint, name text, global boolean, allow text[], deny text[])
LANGUAGE sql STABLE
AS $$
  SELECT * FROM {{schema}}.rbac_held_roles(p_user::{{user_cast}}, p_tenant::{{tenant_cast}})
$$;

-- The user's effective permissions in the tenant: catalog entries some held
-- role allows and no held role denies.
CREATE FUNCTION {{schema}}.rbac_compute(p_user {{user_cast}}, p_tenant {{tenant_cast}})
RETURNS SETOF text
LANGUAGE sql STABLE
AS $$
  WITH held AS MATERIALIZED (
    SELECT * FROM {{schema}}.rbac_held_roles(p_user, p_tenant)
  )
  SELECT p.name
    FROM {{schema}}.permissions p
   WHERE EXISTS (SELECT 1 FROM held h, unnest(h.allow) a
                  WHERE {{schema}}.rbac_pattern_matches(a, p.name))
     AND NOT EXISTS (SELECT 1 FROM held h, unnest(h.deny) d
                      WHERE {{schema}}.rbac_pattern_matches(d, p.name))
$$;

-- Every allow and deny pattern of the user's roles that covers the
-- permission, deny first.
CREATE FUNCTION {{schema}}.rbac_explain(p_user text, p_tenant text, p_permission text)
RETURNS TABLE (effect text, role_id bigint, role_name text, global boolean, pattern text)
LANGUAGE sql STABLE
AS $$
  SELECT x.effect, h.role_id, h.name, h.global, x.pattern
    FROM {{schema}}.rbac_held_roles(p_user::{{user_cast}}, p_tenant::{{tenant_cast}}) h
   CROSS JOIN LATERAL (
         SELECT 'deny', d FROM unnest(h.deny) d
         UNION ALL
         SELECT 'allow', a FROM unnest(h.allow) a) x (effect, pattern)
   WHERE {{schema}}.rbac_pattern_matches(x.pattern, p_permission)
   ORDER BY x.effect DESC, h.name, x.pattern
$$;

-- The decision with its reason: 'unknown_permission' (not in the catalog),
-- 'not_a_member' (no active membership), 'denied', 'allowed' or
-- 'not_allowed' (no held role allows it).
CREATE FUNCTION {{schema}}.rbac_decide(p_user text, p_tenant text, p_permission text)
RETURNS text
LANGUAGE sql STABLE
AS $$
  SELECT CASE
           WHEN NOT EXISTS (SELECT 1 FROM {{schema}}.permissions WHERE name = p_permission)
             THEN 'unknown_permission'
           WHEN NOT {{schema}}.rbac_member_active(p_user::{{user_cast}}, p_tenant::{{tenant_cast}})
             THEN 'not_a_member'
           ELSE (SELECT CASE WHEN bool_or(e.effect = 'deny') THEN 'denied'
                             WHEN bool_or(e.effect = 'allow') THEN 'allowed'
                             ELSE 'not_allowed' END
                   FROM {{schema}}.rbac_explain(p_user, p_tenant, p_permission) e)
         END
$$;

-- The current versions (0, 0 before the first change).
CREATE FUNCTION {{schema}}.rbac_state(OUT version bigint, OUT catalog_version bigint)
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(max(v.version), 0), coalesce(max(v.catalog_version), 0)
    FROM {{schema}}.rbac_version v
$$;

-- Whether the current user (setting {{user_setting}}) holds `permission`
-- in the current tenant (setting {{tenant_setting}}). For policies:
--   USING (... AND (SELECT {{schema}}.has_permission('content.read')))
-- Reads the effective table under its own policy, so it answers only for
-- the settings in force.
CREATE FUNCTION {{schema}}.has_permission(permission text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT EXISTS (
    SELECT 1 FROM {{schema}}.effective_permissions e
     WHERE e.{{tenant_column}} = NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}
       AND e.user_id = NULLIF(current_setting({{user_setting}}, true), '')::{{user_cast}}
       AND e.permission = has_permission.permission)
$$;
