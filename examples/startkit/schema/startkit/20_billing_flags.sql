-- Stripe subscription state (written by webhooks through the superadmin
-- role) and feature flags.

-- One subscription per organization. Stripe ids are looked up by webhooks
-- (superadmin) through plain indexes; no unique key without organization_id
-- on a tenant table, so one tenant cannot probe another's values.
CREATE TABLE subscriptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  stripe_customer_id text,
  stripe_subscription_id text,
  status subscription_status NOT NULL DEFAULT 'incomplete',
  plan plan NOT NULL DEFAULT 'free',
  seat_count integer NOT NULL DEFAULT 1,
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT subscriptions_organization_id_unique UNIQUE (organization_id),
  CONSTRAINT subscriptions_seat_count_positive CHECK (seat_count > 0),
  CONSTRAINT subscriptions_period_order CHECK (current_period_end IS NULL OR current_period_start IS NULL
                                               OR current_period_end > current_period_start)
);

CREATE INDEX subscriptions_stripe_customer_id_idx ON subscriptions (stripe_customer_id);
CREATE INDEX subscriptions_stripe_subscription_id_idx ON subscriptions (stripe_subscription_id);

CREATE TRIGGER subscriptions_set_updated_at BEFORE UPDATE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Global definitions of the available feature flags (no organization_id).
CREATE TABLE feature_flag_definitions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key text NOT NULL,
  name text NOT NULL,
  description text,
  default_enabled boolean NOT NULL DEFAULT false,
  minimum_plan text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT feature_flag_definitions_key_unique UNIQUE (key),
  CONSTRAINT feature_flag_definitions_key_format CHECK (key ~ '^[a-z][a-z0-9_]*$'),
  CONSTRAINT feature_flag_definitions_minimum_plan_check
    CHECK (minimum_plan IN ('free', 'starter', 'pro', 'enterprise'))
);

CREATE TRIGGER feature_flag_definitions_set_updated_at BEFORE UPDATE ON feature_flag_definitions
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Per-organization overrides.
CREATE TABLE organization_feature_flags (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  flag_key text NOT NULL REFERENCES feature_flag_definitions (key) ON DELETE CASCADE ON UPDATE CASCADE,
  enabled boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organization_feature_flags_org_flag_unique UNIQUE (organization_id, flag_key)
);

CREATE TRIGGER organization_feature_flags_set_updated_at BEFORE UPDATE ON organization_feature_flags
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
