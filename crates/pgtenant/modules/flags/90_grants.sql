-- flags: the service role's privileges on the module's objects. Applied by
-- `pgtenant bootstrap` (and after `migrate`) for the role the manifest names,
-- never written into migrations: a role name belongs to an environment, not
-- to the schema. Only {{schema}} and {{service_role}} may appear here.

-- The service role only reads: definitions, plans and overrides are
-- written by the admin (`pgtenant flags set`) or the superadmin path, never
-- by a tenant's request.
GRANT USAGE ON SCHEMA {{schema}} TO {{service_role}};
GRANT SELECT ON {{schema}}.plans, {{schema}}.flags, {{schema}}.flags_version,
  {{schema}}.tenant_plans, {{schema}}.flag_overrides TO {{service_role}};
