-- The version counter's one row (a migration carries the table, not its
-- data): idempotent, run by `pgtenant seed setup`.
INSERT INTO {{schema}}.flags_version (version) VALUES (1) ON CONFLICT (singleton) DO NOTHING;
