-- Demo invite (the seed's seed-demo-data.ts). Runs only with SEED_DEMO_OK=true.
-- Overrides, as in the seed:
--   DEMO_INVITE_EMAIL        invitee (default demo@hoolsy.test)
--   DEMO_INVITE_TOKEN        the token to put in the invite link; only its
--                            SHA-256 is stored. Unset: `seed demo` generates
--                            one and prints it once (nothing keeps it).
--   DEMO_INVITE_PLATFORM_ID  target platform (1 = workstation)
-- Expires 7 days after seeding. Re-running does not duplicate it.
INSERT INTO invites (email, token_hash, platform_id, expires_at)
VALUES (
  lower('${DEMO_INVITE_EMAIL:-demo@hoolsy.test}'),
  sha256(convert_to('${DEMO_INVITE_TOKEN:=generate}', 'UTF8')),
  '${DEMO_INVITE_PLATFORM_ID:-1}'::smallint,
  now() + interval '7 days'
)
ON CONFLICT (token_hash) DO NOTHING;
