-- rbac: who may read and write what (the privileges are in
-- 90_grants.sql). The service role reads the catalog, manages its tenant's roles and grants under row-level
-- security, and reads only its own effective permissions; it never writes
-- the catalog, the effective table or the version.
--
-- Row-level security is enabled but not forced on these tables: the
-- maintenance triggers run as the owner and must see every tenant (a
-- global role's change reaches all of them). The service role is never
-- the owner, so the policies always apply to it.

ALTER TABLE {{schema}}.roles ENABLE ROW LEVEL SECURITY;

-- A tenant reads the global roles and its own; it writes only its own.
CREATE POLICY roles_read ON {{schema}}.roles
  FOR SELECT
  USING ({{tenant_column}} IS NULL
         OR {{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}));

CREATE POLICY roles_tenant_write ON {{schema}}.roles
  FOR ALL
  USING ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}))
  WITH CHECK ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}));

ALTER TABLE {{schema}}.role_grants ENABLE ROW LEVEL SECURITY;

CREATE POLICY role_grants_tenant ON {{schema}}.role_grants
  FOR ALL
  USING ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}))
  WITH CHECK ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}));

ALTER TABLE {{schema}}.effective_permissions ENABLE ROW LEVEL SECURITY;

CREATE POLICY effective_permissions_own ON {{schema}}.effective_permissions
  FOR SELECT
  USING ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}})
         AND user_id = (SELECT NULLIF(current_setting({{user_setting}}, true), '')::{{user_cast}}));

-- The maintenance functions are for the triggers only.
REVOKE EXECUTE ON FUNCTION
  {{schema}}.rbac_bump(boolean),
  {{schema}}.rbac_refresh({{user_cast}}, {{tenant_cast}}),
  {{schema}}.rbac_refresh_all(),
  {{schema}}.rbac_roles_check(),
  {{schema}}.rbac_roles_changed(),
  {{schema}}.rbac_role_grants_check(),
  {{schema}}.rbac_role_grants_changed(),
  {{schema}}.rbac_permissions_changed(),
  {{schema}}.rbac_membership_changed()
  FROM PUBLIC;
