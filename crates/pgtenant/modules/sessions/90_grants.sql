-- sessions: the service role's privileges on the module's objects. Applied by
-- `pgtenant bootstrap` (and after `migrate`) for the role the manifest names,
-- never written into migrations: a role name belongs to an environment, not
-- to the schema. Only {{schema}} and {{service_role}} may appear here.

GRANT USAGE ON SCHEMA {{schema}} TO {{service_role}};
GRANT SELECT ON {{schema}}.sessions TO {{service_role}};
-- The module's API: SECURITY DEFINER functions, revoked from PUBLIC.
GRANT EXECUTE ON FUNCTION
  {{schema}}.session_create(text, text, text, bytea, text, interval, interval, interval),
  {{schema}}.session_refresh(text, bytea, text, bytea),
  {{schema}}.session_revoke(bigint),
  {{schema}}.session_revoke_user(text),
  {{schema}}.session_revoke_tenant(),
  {{schema}}.sessions_list(),
  {{schema}}.sessions_prune(interval)
  TO {{service_role}};
