-- api_keys: the service role's privileges on the module's objects. Applied by
-- `pgtenant bootstrap` (and after `migrate`) for the role the manifest names,
-- never written into migrations: a role name belongs to an environment, not
-- to the schema. Only {{schema}} and {{service_role}} may appear here.

GRANT USAGE ON SCHEMA {{schema}} TO {{service_role}};
GRANT SELECT ON {{schema}}.api_keys TO {{service_role}};
-- The module's API: SECURITY DEFINER functions, revoked from PUBLIC.
GRANT EXECUTE ON FUNCTION
  {{schema}}.api_key_create(text, text[], text, bytea, timestamptz),
  {{schema}}.api_key_verify(text, bytea),
  {{schema}}.api_key_revoke(bigint),
  {{schema}}.api_key_rotate(bigint, text, bytea, interval),
  {{schema}}.api_keys_list()
  TO {{service_role}};
