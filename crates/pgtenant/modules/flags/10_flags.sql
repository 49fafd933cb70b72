-- flags: feature flags by plan with per-tenant overrides. Evaluation order:
-- an unexpired override, then the flag's minimum plan, then its default.
-- Rendered by pgtenant::module: each template parameter is a quoted identifier,
-- literal or type from the manifest.
--
-- Every table is read-only for the service role (SELECT policies only): a
-- tenant can read its plan and overrides but never grant itself a flag or
-- a plan. Writes go through the admin (`pgtenant flags set`) or the
-- superadmin path (a billing webhook).

CREATE SCHEMA IF NOT EXISTS {{schema}};

-- Ordered plans: a higher rank includes every lower one.
CREATE TABLE {{schema}}.plans (
  name text PRIMARY KEY,
  rank integer NOT NULL UNIQUE,
  CONSTRAINT plans_name_check CHECK (name ~ '^[a-z][a-z0-9_]*$')
);

CREATE TABLE {{schema}}.flags (
  key text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  default_enabled boolean NOT NULL DEFAULT false,
  min_plan text REFERENCES {{schema}}.plans (name) ON UPDATE CASCADE,
  CONSTRAINT flags_key_check CHECK (key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$')
);

CREATE TABLE {{schema}}.tenant_plans (
  {{tenant_column}} {{tenant_type}} PRIMARY KEY REFERENCES {{root_table}} ({{root_key}}) ON DELETE CASCADE,
  plan text NOT NULL REFERENCES {{schema}}.plans (name) ON UPDATE CASCADE
);

CREATE TABLE {{schema}}.flag_overrides (
  {{tenant_column}} {{tenant_type}} NOT NULL REFERENCES {{root_table}} ({{root_key}}) ON DELETE CASCADE,
  flag_key text NOT NULL REFERENCES {{schema}}.flags (key) ON DELETE CASCADE ON UPDATE CASCADE,
  enabled boolean NOT NULL,
  expires_at timestamptz,
  PRIMARY KEY ({{tenant_column}}, flag_key)
);

CREATE INDEX flag_overrides_flag_key_idx ON {{schema}}.flag_overrides (flag_key);

-- Bumped by every change to the four tables: an in-process snapshot keyed
-- by it is refreshed after any change.
CREATE TABLE {{schema}}.flags_version (
  singleton boolean PRIMARY KEY DEFAULT true,
  version bigint NOT NULL,
  CONSTRAINT flags_version_singleton CHECK (singleton)
);

INSERT INTO {{schema}}.flags_version (version) VALUES (1);

CREATE FUNCTION {{schema}}.flags_bump_version() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- An upsert: the counter's row may not exist yet where migrations (which
  -- carry no data) created the table and setup has not run.
  INSERT INTO {{schema}}.flags_version AS v (version) VALUES (1)
  ON CONFLICT (singleton) DO UPDATE SET version = v.version + 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER plans_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {{schema}}.plans
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.flags_bump_version();
CREATE TRIGGER flags_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {{schema}}.flags
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.flags_bump_version();
CREATE TRIGGER tenant_plans_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {{schema}}.tenant_plans
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.flags_bump_version();
CREATE TRIGGER flag_overrides_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {{schema}}.flag_overrides
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.flags_bump_version();

ALTER TABLE {{schema}}.plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{schema}}.flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{schema}}.flags_version ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{schema}}.tenant_plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{schema}}.tenant_plans FORCE ROW LEVEL SECURITY;
ALTER TABLE {{schema}}.flag_overrides ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{schema}}.flag_overrides FORCE ROW LEVEL SECURITY;

CREATE POLICY plans_read ON {{schema}}.plans FOR SELECT USING (true);
CREATE POLICY flags_read ON {{schema}}.flags FOR SELECT USING (true);
CREATE POLICY flags_version_read ON {{schema}}.flags_version FOR SELECT USING (true);

CREATE POLICY tenant_plans_read ON {{schema}}.tenant_plans
  FOR SELECT
  USING ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}));

CREATE POLICY flag_overrides_read ON {{schema}}.flag_overrides
  FOR SELECT
  USING ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}));

-- Every flag's value for the current tenant (the setting); no tenant set:
-- overrides and plans match nothing, so defaults (and plan minimums fail).
CREATE FUNCTION {{schema}}.flag_values() RETURNS TABLE (key text, enabled boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT f.key,
         coalesce(
           o.enabled,
           CASE WHEN f.min_plan IS NOT NULL THEN coalesce(tp_rank.rank >= mp.rank, false) END,
           f.default_enabled)
    FROM {{schema}}.flags f
    LEFT JOIN {{schema}}.plans mp ON mp.name = f.min_plan
    LEFT JOIN {{schema}}.flag_overrides o
           ON o.flag_key = f.key
          AND o.{{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}})
          AND (o.expires_at IS NULL OR o.expires_at > now())
    LEFT JOIN LATERAL (
      SELECT p.rank
        FROM {{schema}}.tenant_plans tp
        JOIN {{schema}}.plans p ON p.name = tp.plan
       WHERE tp.{{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}})
    ) tp_rank ON true
$$;

-- One flag for the current tenant; an unknown key is an error, never a
-- silent false.
CREATE FUNCTION {{schema}}.flag_enabled(flag text) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  result boolean;
BEGIN
  SELECT v.enabled INTO result FROM {{schema}}.flag_values() v WHERE v.key = flag;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown feature flag %', quote_literal(flag)
      USING ERRCODE = 'undefined_object',
            HINT = 'Define it in the flags table first; pgtenant flags list shows the defined ones.';
  END IF;
  RETURN result;
END
$$;
