-- audit, for a database with a superadmin role (applied by bootstrap, like
-- 90_grants.sql, never in a migration): that role reads every chain
-- and appends system events (its BYPASSRLS skips the policies; the grants
-- stop it at SELECT and INSERT, and the append-only triggers hold for it as
-- for everyone). pgtenant::SuperadminDb writes one event, with its reason,
-- at the start of every superadmin transaction.
GRANT USAGE ON SCHEMA {{schema}} TO {{superadmin_role}};
GRANT SELECT, INSERT ON {{schema}}.audit_log TO {{superadmin_role}};
