-- Refresh tokens are the sessions module's (pgtenant.sessions and
-- pgtenant.refresh_tokens, see pgtenant.toml): opaque tokens stored as
-- SHA-256, rotated in families with reuse detection.

-- Invitations: expire, and are single-use (used_at is set on acceptance).
-- The token travels only in the invite link; the table keeps its SHA-256.
CREATE TABLE invites (
  invite_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  token_hash bytea NOT NULL,
  platform_id smallint NOT NULL REFERENCES platforms (platform_id),
  invited_by uuid REFERENCES users (user_id) ON DELETE SET NULL,
  expires_at timestamp NOT NULL,
  used_at timestamp,
  used_by uuid REFERENCES users (user_id) ON DELETE SET NULL,
  created_at timestamp DEFAULT now(),
  CONSTRAINT invites_token_hash_key UNIQUE (token_hash),
  CONSTRAINT invites_token_hash_length CHECK (octet_length(token_hash) = 32),
  CONSTRAINT invites_email_format CHECK (position('@' IN email) > 1)
);

CREATE INDEX invites_email_lower_idx ON invites (lower(email));
-- Open invites, for "resend" and expiry sweeps.
CREATE INDEX invites_open_expires_at_idx ON invites (expires_at) WHERE used_at IS NULL;

COMMENT ON TABLE invites IS 'Single-use, expiring invitations to a platform.';
