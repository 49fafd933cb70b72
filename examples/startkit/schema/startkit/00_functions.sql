-- Enums and shared functions.
CREATE TYPE member_role AS ENUM ('owner', 'admin', 'member', 'viewer');

-- Stripe's subscription statuses.
CREATE TYPE subscription_status AS ENUM (
  'trialing', 'active', 'past_due', 'canceled', 'unpaid',
  'incomplete', 'incomplete_expired', 'paused'
);

CREATE TYPE plan AS ENUM ('free', 'starter', 'pro', 'enterprise');

-- Keep updated_at current on every UPDATE (the seed's timestamps pattern).
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
