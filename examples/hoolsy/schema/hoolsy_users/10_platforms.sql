-- Platform registry: workstation, marketplace, nexus (seeded by setup).
-- Ids are fixed small integers so configuration can name them
-- (DEMO_INVITE_PLATFORM_ID=1 is the workstation).
CREATE TABLE platforms (
  platform_id smallint PRIMARY KEY,
  code text NOT NULL,
  name text NOT NULL,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamp DEFAULT now(),
  CONSTRAINT platforms_code_key UNIQUE (code),
  CONSTRAINT platforms_code_format CHECK (code ~ '^[a-z][a-z0-9_]*$')
);

COMMENT ON TABLE platforms IS 'Platforms a user can be given access to.';
