-- rbac: the triggers that keep effective_permissions and rbac_version in
-- step with the catalog, roles, grants and memberships. They run as the
-- owner (SECURITY DEFINER, fixed search_path): the service role cannot
-- write the effective table or the version itself.

CREATE FUNCTION {{schema}}.rbac_bump(p_catalog boolean) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO {{schema}}.rbac_version AS v (singleton, version, catalog_version)
  VALUES (true, 1, CASE WHEN p_catalog THEN 1 ELSE 0 END)
  ON CONFLICT (singleton) DO UPDATE
     SET version = v.version + 1,
         catalog_version = v.catalog_version + CASE WHEN p_catalog THEN 1 ELSE 0 END
$$;

-- Recompute one (user, tenant) pair.
CREATE FUNCTION {{schema}}.rbac_refresh(p_user {{user_cast}}, p_tenant {{tenant_cast}}) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  DELETE FROM {{schema}}.effective_permissions
   WHERE {{tenant_column}} = p_tenant AND user_id = p_user;
  INSERT INTO {{schema}}.effective_permissions ({{tenant_column}}, user_id, permission)
  SELECT p_tenant, p_user, c FROM {{schema}}.rbac_compute(p_user, p_tenant) c;
$$;

-- Recompute every pair that holds a grant.
CREATE FUNCTION {{schema}}.rbac_refresh_all() RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  DELETE FROM {{schema}}.effective_permissions;
  INSERT INTO {{schema}}.effective_permissions ({{tenant_column}}, user_id, permission)
  SELECT g.{{tenant_column}}, g.user_id, c
    FROM (SELECT DISTINCT {{tenant_column}}, user_id FROM {{schema}}.role_grants) g
   CROSS JOIN LATERAL {{schema}}.rbac_compute(g.user_id, g.{{tenant_column}}) c;
$$;

-- Roles: patterns must be valid and match the catalog; a role keeps its
-- tenant. Clear errors before the CHECK constraints would fire.
CREATE FUNCTION {{schema}}.rbac_roles_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pat text;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.{{tenant_column}} IS DISTINCT FROM OLD.{{tenant_column}} THEN
    RAISE EXCEPTION 'role % cannot move to another tenant', OLD.name
      USING ERRCODE = 'integrity_constraint_violation',
            HINT = 'Create the role in the other tenant instead.';
  END IF;
  FOREACH pat IN ARRAY NEW.allow || NEW.deny LOOP
    IF pat IS NULL OR NOT {{schema}}.rbac_valid_pattern(pat) THEN
      RAISE EXCEPTION 'role %: % is not a permission pattern', NEW.name, coalesce(quote_literal(pat), 'NULL')
        USING ERRCODE = 'check_violation',
              HINT = 'Use a permission (content.nodes.view), a prefix with .* (content.*) or *; '
                     'segments are lower-case letters, digits and _.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM {{schema}}.permissions p
                    WHERE {{schema}}.rbac_pattern_matches(pat, p.name)) THEN
      RAISE EXCEPTION 'role %: pattern % matches no permission in the catalog', NEW.name, quote_literal(pat)
        USING ERRCODE = 'foreign_key_violation',
              HINT = 'Add the permission to the catalog first, or fix the pattern.';
    END IF;
  END LOOP;
  RETURN NEW;
END
$$;

CREATE TRIGGER roles_check
  BEFORE INSERT OR UPDATE ON {{schema}}.roles
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.rbac_roles_check();

CREATE FUNCTION {{schema}}.rbac_roles_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  g record;
BEGIN
  FOR g IN SELECT DISTINCT rg.user_id, rg.{{tenant_column}} AS tenant
             FROM {{schema}}.role_grants rg WHERE rg.role_id = NEW.role_id LOOP
    PERFORM {{schema}}.rbac_refresh(g.user_id, g.tenant);
  END LOOP;
  PERFORM {{schema}}.rbac_bump(false);
  RETURN NULL;
END
$$;

CREATE TRIGGER roles_changed
  AFTER UPDATE OF allow, deny ON {{schema}}.roles
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.rbac_roles_changed();

-- A tenant's role is granted only in that tenant.
CREATE FUNCTION {{schema}}.rbac_role_grants_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM {{schema}}.roles r
                  WHERE r.role_id = NEW.role_id
                    AND (r.{{tenant_column}} IS NULL OR r.{{tenant_column}} = NEW.{{tenant_column}})) THEN
    RAISE EXCEPTION 'role % belongs to another tenant and cannot be granted in tenant %',
                    NEW.role_id, NEW.{{tenant_column}}
      USING ERRCODE = 'foreign_key_violation',
            HINT = 'Grant a global role or one of this tenant''s own roles.';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER role_grants_role_in_tenant
  AFTER INSERT OR UPDATE ON {{schema}}.role_grants
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.rbac_role_grants_check();

CREATE FUNCTION {{schema}}.rbac_role_grants_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM {{schema}}.rbac_refresh(OLD.user_id, OLD.{{tenant_column}});
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM {{schema}}.rbac_refresh(NEW.user_id, NEW.{{tenant_column}});
  END IF;
  PERFORM {{schema}}.rbac_bump(false);
  RETURN NULL;
END
$$;

CREATE TRIGGER role_grants_changed
  AFTER INSERT OR UPDATE OR DELETE ON {{schema}}.role_grants
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.rbac_role_grants_changed();

CREATE FUNCTION {{schema}}.rbac_permissions_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM {{schema}}.rbac_refresh_all();
  PERFORM {{schema}}.rbac_bump(true);
  RETURN NULL;
END
$$;

CREATE TRIGGER permissions_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {{schema}}.permissions
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.rbac_permissions_changed();

-- A membership that starts, ends or changes status.
CREATE FUNCTION {{schema}}.rbac_membership_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM {{schema}}.rbac_refresh(OLD.{{membership_user}}, OLD.{{membership_tenant}});
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM {{schema}}.rbac_refresh(NEW.{{membership_user}}, NEW.{{membership_tenant}});
  END IF;
  PERFORM {{schema}}.rbac_bump(false);
  RETURN NULL;
END
$$;

CREATE TRIGGER pgtenant_rbac_membership_changed
  AFTER INSERT OR UPDATE OR DELETE ON {{membership_table}}
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.rbac_membership_changed();
