-- sessions: login sessions carried by opaque refresh tokens in families.
-- Rendered by pgtenant::module: each template parameter is a quoted
-- identifier, literal or type from the manifest.
--
-- A session is a family of refresh tokens (`pgr_…`, pgtenant::token),
-- stored as lookup id and SHA-256, never the token. Each refresh retires
-- the family's live tokens and issues one of the next generation. A
-- retired token presented again is theft (OAuth 2.0 Security BCP): the
-- whole session is revoked. One exception, for honest races (two tabs, a
-- client that lost the answer): a token of the previous generation
-- presented within the session's grace window gets a new token of the
-- current generation, and nothing is revoked.
--
-- Expiry is the database's: absolute (expires_at) and idle (last_used_at
-- + idle_timeout). The service role reads its user's sessions under
-- row-level security, never the tokens, and writes only through the
-- functions (SECURITY DEFINER, fixed search_path: a refresh happens before
-- any tenant or user is known).
--
-- Errors: PT002 no such active session here, PT005 a session in a tenant
-- the user is not an active member of, PT006 no tenant or user in the
-- settings, PT007 a bad argument. A refresh never raises for a bad
-- token: it returns status 'invalid' or 'reused' (the revocation must
-- commit).

CREATE SCHEMA IF NOT EXISTS {{schema}};

CREATE TABLE {{schema}}.sessions (
  session_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id {{user_type}} NOT NULL{{user_reference}},
  -- The tenant the session was opened in, if any (in a database with
  -- tenancy off, a plain value the application chose).
  {{tenant_column}} {{tenant_type}}{{tenant_reference}},
  user_agent text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  idle_timeout interval NOT NULL,
  grace interval NOT NULL,
  generation integer NOT NULL DEFAULT 1,
  revoked_at timestamptz,
  revoked_reason text,
  CONSTRAINT sessions_revoked_check CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL)),
  CONSTRAINT sessions_revoked_reason_check CHECK (revoked_reason IN ('revoked', 'reused'))
);

CREATE INDEX sessions_user_id_idx ON {{schema}}.sessions (user_id);
CREATE INDEX sessions_tenant_idx ON {{schema}}.sessions ({{tenant_column}});

CREATE TABLE {{schema}}.refresh_tokens (
  lookup_id text PRIMARY KEY,
  session_id bigint NOT NULL REFERENCES {{schema}}.sessions (session_id) ON DELETE CASCADE,
  generation integer NOT NULL,
  token_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz,
  CONSTRAINT refresh_tokens_lookup_id_check CHECK (lookup_id ~ '^[A-Za-z0-9]{12}$'),
  CONSTRAINT refresh_tokens_token_hash_check CHECK (length(token_hash) = 32)
);

CREATE INDEX refresh_tokens_session_id_idx ON {{schema}}.refresh_tokens (session_id);

ALTER TABLE {{schema}}.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{schema}}.refresh_tokens ENABLE ROW LEVEL SECURITY;

-- A user reads their own sessions; nobody but the owner reads tokens.
CREATE POLICY sessions_own ON {{schema}}.sessions
  FOR SELECT
  USING (user_id = (SELECT NULLIF(current_setting({{user_setting}}, true), '')::{{user_cast}}));

CREATE FUNCTION {{schema}}.sessions_check_durations(p_absolute interval, p_idle interval, p_grace interval)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF p_absolute IS NULL OR p_absolute <= interval '0'
     OR p_idle IS NULL OR p_idle <= interval '0'
     OR p_grace IS NULL OR p_grace < interval '0' OR p_grace > interval '5 minutes' THEN
    RAISE EXCEPTION 'session lifetimes must be positive and the grace window 0 to 5 minutes'
      USING ERRCODE = 'PT007';
  END IF;
END
$$;

-- Whether `p_user` is an active member of `p_tenant` (always, without a
-- membership table). The membership table may be under a forced tenant
-- policy: read it in that tenant, then put the caller's setting back.
CREATE FUNCTION {{schema}}.sessions_is_member(p_user text, p_tenant text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  prior text := current_setting({{tenant_setting}}, true);
  v_member boolean := true;
BEGIN
-- {{#if membership}}
  PERFORM set_config({{tenant_setting}}, p_tenant, true);
  SELECT EXISTS (
    SELECT 1 FROM {{membership_table}} m
     WHERE m.{{membership_user}} = p_user::{{user_cast}}
       AND m.{{membership_tenant}} = p_tenant::{{tenant_cast}}
       AND {{membership_active}}) INTO v_member;
  PERFORM set_config({{tenant_setting}}, coalesce(prior, ''), true);
-- {{end}}
  RETURN v_member;
END
$$;

-- Open a session for `p_user` (optionally in `p_tenant`, of which the user
-- must be an active member) with its first refresh token.
CREATE FUNCTION {{schema}}.session_create(
  p_user text, p_tenant text, p_lookup_id text, p_token_hash bytea, p_user_agent text,
  p_absolute interval DEFAULT interval '30 days',
  p_idle interval DEFAULT interval '7 days',
  p_grace interval DEFAULT interval '10 seconds')
RETURNS TABLE (session_id bigint, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  s record;
BEGIN
  PERFORM {{schema}}.sessions_check_durations(p_absolute, p_idle, p_grace);
  IF NULLIF(p_tenant, '') IS NOT NULL AND NOT {{schema}}.sessions_is_member(p_user, p_tenant) THEN
    RAISE EXCEPTION 'a session opens only in a tenant the user is an active member of'
      USING ERRCODE = 'PT005';
  END IF;
  INSERT INTO {{schema}}.sessions AS x
         (user_id, {{tenant_column}}, user_agent, expires_at, idle_timeout, grace)
  VALUES (p_user::{{user_cast}}, NULLIF(p_tenant, '')::{{tenant_cast}}, left(coalesce(p_user_agent, ''), 512),
          now() + p_absolute, p_idle, p_grace)
  RETURNING x.session_id, x.expires_at INTO s;
  INSERT INTO {{schema}}.refresh_tokens (lookup_id, session_id, generation, token_hash)
  VALUES (p_lookup_id, s.session_id, 1, p_token_hash);
  RETURN QUERY SELECT s.session_id, s.expires_at;
END
$$;

-- Present a refresh token and the next one. Status 'rotated' (the new
-- token is the session's), 'invalid' (unknown, wrong hash, revoked,
-- expired or idle; nothing changes) or 'reused' (a retired token: the
-- session is now revoked). Refreshes of one session run one at a time.
CREATE FUNCTION {{schema}}.session_refresh(
  p_lookup_id text, p_token_hash bytea, p_new_lookup_id text, p_new_token_hash bytea)
RETURNS TABLE (status text, session_id bigint, user_id text, tenant text, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_session bigint;
  s record;
  t record;
  v_generation integer;
BEGIN
  SELECT rt.session_id INTO v_session
    FROM {{schema}}.refresh_tokens rt
   WHERE rt.lookup_id = p_lookup_id AND rt.token_hash = p_token_hash;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'invalid'::text, NULL::bigint, NULL::text, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  -- Serialize refreshes of the family; read the token only after the lock.
  SELECT * INTO s FROM {{schema}}.sessions x WHERE x.session_id = v_session FOR UPDATE;
  IF s.revoked_at IS NOT NULL OR s.expires_at <= now() OR s.last_used_at + s.idle_timeout <= now() THEN
    RETURN QUERY SELECT 'invalid'::text, NULL::bigint, NULL::text, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  SELECT * INTO t FROM {{schema}}.refresh_tokens rt WHERE rt.lookup_id = p_lookup_id;
  IF t.rotated_at IS NULL THEN
    -- A live token: retire the generation, start the next.
    UPDATE {{schema}}.refresh_tokens rt SET rotated_at = clock_timestamp()
     WHERE rt.session_id = s.session_id AND rt.rotated_at IS NULL;
    v_generation := s.generation + 1;
  ELSIF t.generation = s.generation - 1 AND s.grace > interval '0'
        AND clock_timestamp() - t.rotated_at <= s.grace THEN
    -- The previous generation within the grace window: one more token of
    -- the current generation, the current ones stay live.
    v_generation := s.generation;
  ELSE
    UPDATE {{schema}}.sessions x SET revoked_at = now(), revoked_reason = 'reused'
     WHERE x.session_id = s.session_id;
    RETURN QUERY SELECT 'reused'::text, s.session_id, s.user_id::text, s.{{tenant_column}}::text, s.expires_at;
    RETURN;
  END IF;
  INSERT INTO {{schema}}.refresh_tokens (lookup_id, session_id, generation, token_hash)
  VALUES (p_new_lookup_id, s.session_id, v_generation, p_new_token_hash);
  UPDATE {{schema}}.sessions x SET generation = v_generation, last_used_at = now()
   WHERE x.session_id = s.session_id;
  RETURN QUERY SELECT 'rotated'::text, s.session_id, s.user_id::text, s.{{tenant_column}}::text, s.expires_at;
END
$$;

-- The settings' user, and tenant (NULL when unset).
CREATE FUNCTION {{schema}}.sessions_context(OUT tenant {{tenant_cast}}, OUT actor {{user_cast}})
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}},
         NULLIF(current_setting({{user_setting}}, true), '')::{{user_cast}}
$$;

-- Revoke one session: the user's own, or one opened in the current tenant.
CREATE FUNCTION {{schema}}.session_revoke(p_session_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ctx record;
BEGIN
  SELECT * INTO ctx FROM {{schema}}.sessions_context();
  UPDATE {{schema}}.sessions x SET revoked_at = now(), revoked_reason = 'revoked'
   WHERE x.session_id = p_session_id AND x.revoked_at IS NULL
     AND (x.user_id = ctx.actor OR x.{{tenant_column}} = ctx.tenant);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no active session % here', p_session_id
      USING ERRCODE = 'PT002';
  END IF;
END
$$;

-- Revoke a user's sessions: all of them for the user themself, else the
-- ones opened in the current tenant. Returns how many.
CREATE FUNCTION {{schema}}.session_revoke_user(p_user text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ctx record;
  n bigint;
BEGIN
  SELECT * INTO ctx FROM {{schema}}.sessions_context();
  IF ctx.actor IS NULL AND ctx.tenant IS NULL THEN
    RAISE EXCEPTION 'revoking sessions needs a user or a tenant in the settings'
      USING ERRCODE = 'PT006';
  END IF;
  UPDATE {{schema}}.sessions x SET revoked_at = now(), revoked_reason = 'revoked'
   WHERE x.user_id = p_user::{{user_cast}} AND x.revoked_at IS NULL
     AND (x.user_id = ctx.actor OR x.{{tenant_column}} = ctx.tenant);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

-- Revoke every session opened in the current tenant. Returns how many.
CREATE FUNCTION {{schema}}.session_revoke_tenant()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ctx record;
  n bigint;
BEGIN
  SELECT * INTO ctx FROM {{schema}}.sessions_context();
  IF ctx.tenant IS NULL THEN
    RAISE EXCEPTION 'revoking a tenant''s sessions needs the tenant in the settings'
      USING ERRCODE = 'PT006';
  END IF;
  UPDATE {{schema}}.sessions x SET revoked_at = now(), revoked_reason = 'revoked'
   WHERE x.{{tenant_column}} = ctx.tenant AND x.revoked_at IS NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

-- The current user's live sessions, newest use first (under the policy).
CREATE FUNCTION {{schema}}.sessions_list()
RETURNS TABLE (session_id bigint, tenant text, user_agent text, created_at timestamptz,
               last_used_at timestamptz, expires_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT x.session_id, x.{{tenant_column}}::text, x.user_agent, x.created_at, x.last_used_at,
         least(x.expires_at, x.last_used_at + x.idle_timeout)
    FROM {{schema}}.sessions x
   WHERE x.revoked_at IS NULL AND x.expires_at > now() AND x.last_used_at + x.idle_timeout > now()
   ORDER BY x.last_used_at DESC, x.session_id DESC
$$;

-- Delete sessions that ended (revoked or expired) more than `p_after` ago,
-- with their tokens. Returns how many.
CREATE FUNCTION {{schema}}.sessions_prune(p_after interval DEFAULT interval '30 days')
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  WITH gone AS (
    DELETE FROM {{schema}}.sessions x
     WHERE least(coalesce(x.revoked_at, 'infinity'), x.expires_at, x.last_used_at + x.idle_timeout)
           < now() - p_after
    RETURNING 1)
  SELECT count(*) FROM gone
$$;

REVOKE EXECUTE ON FUNCTION
  {{schema}}.sessions_check_durations(interval, interval, interval),
  {{schema}}.sessions_is_member(text, text),
  {{schema}}.session_create(text, text, text, bytea, text, interval, interval, interval),
  {{schema}}.session_refresh(text, bytea, text, bytea),
  {{schema}}.sessions_context(),
  {{schema}}.session_revoke(bigint),
  {{schema}}.session_revoke_user(text),
  {{schema}}.session_revoke_tenant(),
  {{schema}}.sessions_list(),
  {{schema}}.sessions_prune(interval)
  FROM PUBLIC;
