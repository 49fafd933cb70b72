-- audit: the service role's privileges on the module's objects. Applied by
-- `pgtenant bootstrap` (and after `migrate`) for the role the manifest names,
-- never written into migrations: a role name belongs to an environment, not
-- to the schema. Only {{schema}} and {{service_role}} may appear here.

-- Append and read only: no UPDATE, DELETE or TRUNCATE privilege, and
-- nothing on the chain heads.
GRANT USAGE ON SCHEMA {{schema}} TO {{service_role}};
GRANT SELECT, INSERT ON {{schema}}.audit_log TO {{service_role}};
