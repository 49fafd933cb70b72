-- Foundational data, safe to run on every deploy: re-running changes nothing.
INSERT INTO users (id, email, name)
VALUES ('00000000-0000-4000-8000-000000000001', 'system@quickstart.invalid', 'System')
ON CONFLICT (id) DO NOTHING;
