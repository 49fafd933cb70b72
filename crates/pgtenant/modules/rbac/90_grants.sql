-- rbac: the service role's privileges on the module's objects. Applied by
-- `pgtenant bootstrap` (and after `migrate`) for the role the manifest names,
-- never written into migrations: a role name belongs to an environment, not
-- to the schema. Only {{schema}} and {{service_role}} may appear here.

GRANT USAGE ON SCHEMA {{schema}} TO {{service_role}};
GRANT SELECT ON {{schema}}.permissions, {{schema}}.rbac_version, {{schema}}.effective_permissions
  TO {{service_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON {{schema}}.roles, {{schema}}.role_grants TO {{service_role}};
