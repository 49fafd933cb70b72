-- invites: the service role's privileges on the module's objects. Applied by
-- `pgtenant bootstrap` (and after `migrate`) for the role the manifest names,
-- never written into migrations: a role name belongs to an environment, not
-- to the schema. Only {{schema}} and {{service_role}} may appear here.

GRANT USAGE ON SCHEMA {{schema}} TO {{service_role}};
GRANT SELECT ON {{schema}}.invites TO {{service_role}};
-- The module's API: SECURITY DEFINER functions, revoked from PUBLIC.
GRANT EXECUTE ON FUNCTION
  {{schema}}.invite_create(text, text, text, bytea, interval, text),
  {{schema}}.invite_accept(text, bytea, text, text),
  {{schema}}.invite_resend(bigint, text, bytea, interval),
  {{schema}}.invite_revoke(bigint),
  {{schema}}.invites_pending()
  TO {{service_role}};
