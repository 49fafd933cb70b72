-- User accounts with credentials. A user exists once, across all tenants;
-- workstation memberships refer to users.user_id (no cross-database FK).
CREATE TABLE users (
  user_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  password_hash text NOT NULL,
  first_name text,
  last_name text,
  display_name text,
  is_active boolean NOT NULL DEFAULT true,
  last_login_at timestamp,
  created_at timestamp DEFAULT now(),
  updated_at timestamp DEFAULT now(),
  CONSTRAINT users_email_format CHECK (position('@' IN email) > 1)
);

-- Emails are unique regardless of case.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TRIGGER users_set_updated_at
  BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON COLUMN users.password_hash IS 'Password hash (argon2id/bcrypt), never the password.';

-- Which platforms a user may sign in to.
CREATE TABLE user_platform_access (
  user_id uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  platform_id smallint NOT NULL REFERENCES platforms (platform_id),
  granted_at timestamp DEFAULT now(),
  PRIMARY KEY (user_id, platform_id)
);

CREATE INDEX user_platform_access_platform_id_idx ON user_platform_access (platform_id);
