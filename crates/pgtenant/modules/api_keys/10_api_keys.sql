-- api_keys: a tenant's API keys, scoped to permissions of the rbac catalog
-- and never more than their creator holds. Needs the rbac module.
-- Rendered by pgtenant::module: each template parameter is a quoted
-- identifier, literal or type from the manifest.
--
-- A key is `<prefix>_<lookup id><secret>_<checksum>` (pgtenant::token): the
-- prefix lets secret scanners find leaked keys, the checksum lets a client
-- reject a typo without a round trip. The table holds the lookup id and
-- SHA-256 of the key, never the key.
--
-- The service role reads its tenant's keys under row-level security and
-- writes them only through the functions (SECURITY DEFINER, fixed
-- search_path): verification crosses tenants (the key names its tenant),
-- the others scope every row to the tenant of the settings.
--
-- Errors: PT002 no such active key in this tenant, PT005 a scope the
-- creator does not hold, PT006 no tenant or user in the settings, PT007 a
-- bad argument. An unknown, revoked or expired key verifies to no row.

CREATE SCHEMA IF NOT EXISTS {{schema}};

CREATE TABLE {{schema}}.api_keys (
  key_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  {{tenant_column}} {{tenant_type}} NOT NULL REFERENCES {{root_table}} ({{root_key}}) ON DELETE CASCADE,
  name text NOT NULL,
  created_by {{user_type}} NOT NULL,
  scopes text[] NOT NULL,
  lookup_id text NOT NULL,
  token_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  -- Set when the key is rotated: the key that replaces it.
  replaced_by bigint REFERENCES {{schema}}.api_keys (key_id) ON DELETE SET NULL,
  CONSTRAINT api_keys_lookup_id_key UNIQUE (lookup_id),
  CONSTRAINT api_keys_lookup_id_check CHECK (lookup_id ~ '^[A-Za-z0-9]{12}$'),
  CONSTRAINT api_keys_token_hash_check CHECK (length(token_hash) = 32),
  CONSTRAINT api_keys_name_check CHECK (name <> '' AND length(name) <= 200)
);

CREATE INDEX api_keys_tenant_idx ON {{schema}}.api_keys ({{tenant_column}});
CREATE INDEX api_keys_replaced_by_idx ON {{schema}}.api_keys (replaced_by);

ALTER TABLE {{schema}}.api_keys ENABLE ROW LEVEL SECURITY;

CREATE POLICY api_keys_read ON {{schema}}.api_keys
  FOR SELECT
  USING ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}));

-- The tenant and user of the settings, or PT006.
CREATE FUNCTION {{schema}}.api_keys_context(OUT tenant {{tenant_cast}}, OUT actor {{user_cast}})
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  tenant := NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}};
  actor := NULLIF(current_setting({{user_setting}}, true), '')::{{user_cast}};
  IF tenant IS NULL OR actor IS NULL THEN
    RAISE EXCEPTION 'API keys need a tenant and a user in the settings'
      USING ERRCODE = 'PT006',
            HINT = 'Call it inside a tenant transaction that names the acting user.';
  END IF;
END
$$;

-- Who may revoke or rotate a key: its creator, or a user who holds every
-- one of its scopes in the tenant (who could have created it). PT005
-- otherwise, naming the scopes the actor lacks.
CREATE FUNCTION {{schema}}.api_keys_check_manager(
  p_key_id bigint, p_created_by {{user_cast}}, p_scopes text[],
  p_tenant {{tenant_cast}}, p_actor {{user_cast}}, p_verb text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  lacking text;
BEGIN
  IF p_created_by = p_actor THEN
    RETURN;
  END IF;
  SELECT string_agg(s, ', ' ORDER BY s) INTO lacking
    FROM unnest(p_scopes) s
   WHERE NOT EXISTS (SELECT 1 FROM {{schema}}.effective_permissions e
                      WHERE e.{{tenant_column}} = p_tenant AND e.user_id = p_actor
                        AND e.permission = s);
  IF lacking IS NOT NULL THEN
    RAISE EXCEPTION 'only its creator or a user holding all its scopes may % API key %; you lack: %',
      p_verb, p_key_id, lacking
      USING ERRCODE = 'PT005';
  END IF;
END
$$;

-- A new key in the current tenant, by the current user, holding `p_scopes`
-- (catalog permissions the user holds here), until `p_expires_at` or for
-- ever.
CREATE FUNCTION {{schema}}.api_key_create(
  p_name text, p_scopes text[], p_lookup_id text, p_token_hash bytea,
  p_expires_at timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ctx record;
  bad text;
  v_key bigint;
BEGIN
  SELECT * INTO ctx FROM {{schema}}.api_keys_context();
  IF p_scopes IS NULL OR cardinality(p_scopes) = 0 OR array_position(p_scopes, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'an API key needs at least one scope'
      USING ERRCODE = 'PT007';
  END IF;
  IF p_expires_at IS NOT NULL AND p_expires_at <= now() THEN
    RAISE EXCEPTION 'an API key''s expiry must be in the future'
      USING ERRCODE = 'PT007';
  END IF;
  SELECT string_agg(quote_literal(s), ', ' ORDER BY s) INTO bad
    FROM unnest(p_scopes) s
   WHERE NOT EXISTS (SELECT 1 FROM {{schema}}.permissions p WHERE p.name = s);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'API key scopes not in the permission catalog: %', bad
      USING ERRCODE = 'PT007';
  END IF;
  SELECT string_agg(s, ', ' ORDER BY s) INTO bad
    FROM unnest(p_scopes) s
   WHERE NOT EXISTS (SELECT 1 FROM {{schema}}.effective_permissions e
                      WHERE e.{{tenant_column}} = ctx.tenant AND e.user_id = ctx.actor
                        AND e.permission = s);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'an API key cannot hold what its creator does not: %', bad
      USING ERRCODE = 'PT005',
            HINT = 'Ask for the scopes only permissions you hold in this tenant.';
  END IF;
  INSERT INTO {{schema}}.api_keys AS k
         ({{tenant_column}}, name, created_by, scopes, lookup_id, token_hash, expires_at)
  VALUES (ctx.tenant, p_name, ctx.actor,
          ARRAY(SELECT DISTINCT s FROM unnest(p_scopes) s ORDER BY s),
          p_lookup_id, p_token_hash, p_expires_at)
  RETURNING k.key_id INTO v_key;
  RETURN v_key;
END
$$;

-- Verify a key: one indexed statement. A row only for a live key (the
-- hash matches, not revoked, not expired); its scopes are cut to what the
-- creator still holds. last_used_at moves at most once a minute, so a
-- verification does not write on every request.
CREATE FUNCTION {{schema}}.api_key_verify(p_lookup_id text, p_token_hash bytea)
RETURNS TABLE (key_id bigint, tenant text, created_by text, scopes text[],
               expires_at timestamptz, token_hash bytea)
LANGUAGE sql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  WITH k AS (
    SELECT k.key_id, k.{{tenant_column}} AS tenant, k.created_by, k.scopes, k.expires_at,
           k.token_hash, k.last_used_at
      FROM {{schema}}.api_keys k
     WHERE k.lookup_id = p_lookup_id AND k.token_hash = p_token_hash
       AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())),
  touched AS (
    UPDATE {{schema}}.api_keys a SET last_used_at = now()
      FROM k
     WHERE a.key_id = k.key_id
       AND (a.last_used_at IS NULL OR a.last_used_at < now() - interval '1 minute')
    RETURNING a.key_id)
  SELECT k.key_id, k.tenant::text, k.created_by::text,
         ARRAY(SELECT s FROM unnest(k.scopes) s
                WHERE EXISTS (SELECT 1 FROM {{schema}}.effective_permissions e
                               WHERE e.{{tenant_column}} = k.tenant AND e.user_id = k.created_by
                                 AND e.permission = s)
                ORDER BY s),
         k.expires_at, k.token_hash
    FROM k
$$;

-- Revoke a live key of the current tenant.
CREATE FUNCTION {{schema}}.api_key_revoke(p_key_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ctx record;
  k record;
BEGIN
  SELECT * INTO ctx FROM {{schema}}.api_keys_context();
  SELECT * INTO k FROM {{schema}}.api_keys x
   WHERE x.key_id = p_key_id AND x.{{tenant_column}} = ctx.tenant AND x.revoked_at IS NULL
     FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no active API key % in this tenant', p_key_id
      USING ERRCODE = 'PT002';
  END IF;
  PERFORM {{schema}}.api_keys_check_manager(k.key_id, k.created_by, k.scopes, ctx.tenant, ctx.actor, 'revoke');
  UPDATE {{schema}}.api_keys x SET revoked_at = now() WHERE x.key_id = k.key_id;
END
$$;

-- Rotate a live, unreplaced key of the current tenant: a new key with the
-- same name, scopes, creator and expiry; the old one keeps working for
-- `p_overlap` (never past its own expiry). Rotation never extends an
-- expiry. Of concurrent rotations of one key, one wins.
CREATE FUNCTION {{schema}}.api_key_rotate(
  p_key_id bigint, p_lookup_id text, p_token_hash bytea,
  p_overlap interval DEFAULT interval '24 hours')
RETURNS TABLE (key_id bigint, expires_at timestamptz, old_expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  ctx record;
  old record;
  v_key bigint;
  v_old_expires timestamptz;
BEGIN
  SELECT * INTO ctx FROM {{schema}}.api_keys_context();
  IF p_overlap IS NULL OR p_overlap < interval '0' OR p_overlap > interval '30 days' THEN
    RAISE EXCEPTION 'a rotation overlap is 0 to 30 days'
      USING ERRCODE = 'PT007';
  END IF;
  SELECT * INTO old FROM {{schema}}.api_keys k
   WHERE k.key_id = p_key_id AND k.{{tenant_column}} = ctx.tenant
     AND k.revoked_at IS NULL AND k.replaced_by IS NULL
     AND (k.expires_at IS NULL OR k.expires_at > now())
     FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no active API key % in this tenant', p_key_id
      USING ERRCODE = 'PT002';
  END IF;
  PERFORM {{schema}}.api_keys_check_manager(old.key_id, old.created_by, old.scopes, ctx.tenant, ctx.actor, 'rotate');
  INSERT INTO {{schema}}.api_keys AS k
         ({{tenant_column}}, name, created_by, scopes, lookup_id, token_hash, expires_at)
  VALUES (old.{{tenant_column}}, old.name, old.created_by, old.scopes, p_lookup_id, p_token_hash,
          old.expires_at)
  RETURNING k.key_id INTO v_key;
  v_old_expires := CASE WHEN old.expires_at IS NULL THEN now() + p_overlap
                        ELSE least(old.expires_at, now() + p_overlap) END;
  UPDATE {{schema}}.api_keys k SET replaced_by = v_key, expires_at = v_old_expires
   WHERE k.key_id = old.key_id;
  RETURN QUERY SELECT v_key, old.expires_at, v_old_expires;
END
$$;

-- The current tenant's keys, newest first (under the read policy).
CREATE FUNCTION {{schema}}.api_keys_list()
RETURNS TABLE (key_id bigint, name text, created_by text, scopes text[], created_at timestamptz,
               expires_at timestamptz, last_used_at timestamptz, revoked_at timestamptz,
               replaced_by bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT k.key_id, k.name, k.created_by::text, k.scopes, k.created_at, k.expires_at,
         k.last_used_at, k.revoked_at, k.replaced_by
    FROM {{schema}}.api_keys k
   ORDER BY k.created_at DESC, k.key_id DESC
$$;

REVOKE EXECUTE ON FUNCTION
  {{schema}}.api_keys_context(),
  {{schema}}.api_keys_check_manager(bigint, {{user_cast}}, text[], {{tenant_cast}}, {{user_cast}}, text),
  {{schema}}.api_key_create(text, text[], text, bytea, timestamptz),
  {{schema}}.api_key_verify(text, bytea),
  {{schema}}.api_key_revoke(bigint),
  {{schema}}.api_key_rotate(bigint, text, bytea, interval),
  {{schema}}.api_keys_list()
  FROM PUBLIC;
