-- invites: single-use invitations into a tenant with a role of the rbac
-- catalog. Needs the rbac module (roles, role_grants, effective
-- permissions). Rendered by pgtenant::module: each template parameter is a
-- quoted identifier, literal or type from the manifest.
--
-- A token is `pgi_<lookup id><secret>_<checksum>` (pgtenant::token). The
-- table holds the lookup id and SHA-256 of the token, never the token; the
-- functions take the same two values, so a token never reaches a log.
--
-- The service role reads its tenant's invites under row-level security
-- and writes them only through the functions below (there is no write
-- policy). The functions are SECURITY DEFINER with a fixed search_path:
-- accepting crosses tenants (the user has no tenant yet), and the others
-- scope every row to the tenant of the setting in force, as the policy does.
--
-- Errors carry SQLSTATE class PT: PT001 invalid or expired invite (the one
-- answer for unknown, used, revoked, expired or someone else's), PT002 no
-- such pending invite in this tenant, PT003 already a member, PT004 a
-- pending invite exists, PT005 the role exceeds the inviter's permissions,
-- PT006 no tenant or user in the settings, PT007 a bad argument.

CREATE SCHEMA IF NOT EXISTS {{schema}};

CREATE TABLE {{schema}}.invites (
  invite_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  {{tenant_column}} {{tenant_type}} NOT NULL REFERENCES {{root_table}} ({{root_key}}) ON DELETE CASCADE,
  email text NOT NULL,
  role_id bigint NOT NULL REFERENCES {{schema}}.roles (role_id) ON DELETE CASCADE,
  invited_by {{user_type}} NOT NULL,
  lookup_id text NOT NULL,
  token_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  accepted_by {{user_type}},
  revoked_at timestamptz,
  CONSTRAINT invites_lookup_id_key UNIQUE (lookup_id),
  CONSTRAINT invites_lookup_id_check CHECK (lookup_id ~ '^[A-Za-z0-9]{12}$'),
  CONSTRAINT invites_token_hash_check CHECK (length(token_hash) = 32),
  CONSTRAINT invites_email_check CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  CONSTRAINT invites_used_check CHECK ((used_at IS NULL) = (accepted_by IS NULL))
);

-- One open invite per address and tenant (expired ones are closed by the
-- next invite).
CREATE UNIQUE INDEX invites_open_email_key ON {{schema}}.invites ({{tenant_column}}, lower(email))
  WHERE used_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invites_role_id_idx ON {{schema}}.invites (role_id);

ALTER TABLE {{schema}}.invites ENABLE ROW LEVEL SECURITY;

CREATE POLICY invites_read ON {{schema}}.invites
  FOR SELECT
  USING ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}));

-- The tenant and user of the settings, or PT006.
CREATE FUNCTION {{schema}}.invites_context(OUT tenant {{tenant_cast}}, OUT actor {{user_cast}})
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  tenant := NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}};
  actor := NULLIF(current_setting({{user_setting}}, true), '')::{{user_cast}};
  IF tenant IS NULL OR actor IS NULL THEN
    RAISE EXCEPTION 'invites need a tenant and a user in the settings'
      USING ERRCODE = 'PT006',
            HINT = 'Call it inside a tenant transaction that names the acting user.';
  END IF;
END
$$;

-- Invite `p_email` into the current tenant with role `p_role` (the
-- tenant's own role of that name, else the global one), valid for `p_ttl`.
-- `p_user` is the invitee's user id when the application knows it (then a
-- current member is refused even if they joined without an invite). The
-- inviter must be an active member holding every permission the role gives.
CREATE FUNCTION {{schema}}.invite_create(
  p_email text, p_role text, p_lookup_id text, p_token_hash bytea,
  p_ttl interval DEFAULT interval '7 days', p_user text DEFAULT NULL)
RETURNS TABLE (invite_id bigint, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  ctx record;
  v_role record;
  missing text;
BEGIN
  SELECT * INTO ctx FROM {{schema}}.invites_context();
  IF p_ttl IS NULL OR p_ttl <= interval '0' OR p_ttl > interval '90 days' THEN
    RAISE EXCEPTION 'an invite lasts more than 0 and at most 90 days'
      USING ERRCODE = 'PT007';
  END IF;
  IF p_email IS NULL OR p_email !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN
    RAISE EXCEPTION 'invite email % is not an address', quote_literal(coalesce(p_email, ''))
      USING ERRCODE = 'PT007';
  END IF;
  IF NOT {{schema}}.rbac_member_active(ctx.actor, ctx.tenant) THEN
    RAISE EXCEPTION 'only an active member of the tenant can invite'
      USING ERRCODE = 'PT005';
  END IF;
  SELECT r.role_id, r.name, r.allow, r.deny INTO v_role
    FROM {{schema}}.roles r
   WHERE r.name = p_role AND (r.{{tenant_column}} = ctx.tenant OR r.{{tenant_column}} IS NULL)
   ORDER BY r.{{tenant_column}} IS NULL
   LIMIT 1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no role % in this tenant', quote_literal(coalesce(p_role, ''))
      USING ERRCODE = 'PT007',
            HINT = 'Invite with a global role or one of this tenant''s own roles.';
  END IF;
  -- Nobody hands out more than they hold.
  SELECT string_agg(p.name, ', ' ORDER BY p.name) INTO missing
    FROM {{schema}}.permissions p
   WHERE EXISTS (SELECT 1 FROM unnest(v_role.allow) a WHERE {{schema}}.rbac_pattern_matches(a, p.name))
     AND NOT EXISTS (SELECT 1 FROM unnest(v_role.deny) d WHERE {{schema}}.rbac_pattern_matches(d, p.name))
     AND NOT EXISTS (SELECT 1 FROM {{schema}}.effective_permissions e
                      WHERE e.{{tenant_column}} = ctx.tenant AND e.user_id = ctx.actor
                        AND e.permission = p.name);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'role % gives permissions the inviter does not hold: %', v_role.name, missing
      USING ERRCODE = 'PT005',
            HINT = 'Invite with a role at most as strong as your own.';
  END IF;
  IF (p_user IS NOT NULL AND {{schema}}.rbac_member_active(p_user::{{user_cast}}, ctx.tenant))
     OR EXISTS (SELECT 1 FROM {{schema}}.invites i
                 WHERE i.{{tenant_column}} = ctx.tenant AND lower(i.email) = lower(p_email)
                   AND i.accepted_by IS NOT NULL
                   AND {{schema}}.rbac_member_active(i.accepted_by, ctx.tenant)) THEN
    RAISE EXCEPTION '% is already a member of this tenant', p_email
      USING ERRCODE = 'PT003',
            HINT = 'Change the member''s roles instead of inviting them again.';
  END IF;
  -- An expired open invite no longer blocks a new one.
  UPDATE {{schema}}.invites i SET revoked_at = now()
   WHERE i.{{tenant_column}} = ctx.tenant AND lower(i.email) = lower(p_email)
     AND i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at <= now();
  BEGIN
    RETURN QUERY
    INSERT INTO {{schema}}.invites AS i
           ({{tenant_column}}, email, role_id, invited_by, lookup_id, token_hash, expires_at)
    VALUES (ctx.tenant, p_email, v_role.role_id, ctx.actor, p_lookup_id, p_token_hash, now() + p_ttl)
    RETURNING i.invite_id, i.expires_at;
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION '% already has a pending invite to this tenant', p_email
      USING ERRCODE = 'PT004',
            HINT = 'Resend the pending invite, or revoke it first.';
  END;
END
$$;

-- Accept: one conditional UPDATE decides the single winner (a second
-- caller waits for the row, then finds it used), and the membership and
-- the role grant are written in the same transaction. The email must be
-- the accepting user's (checked by the application against its users).
-- Any failure is PT001, whether the invite is unknown, used, revoked,
-- expired, for another address or another hash.
CREATE FUNCTION {{schema}}.invite_accept(
  p_lookup_id text, p_token_hash bytea, p_user text, p_email text)
RETURNS TABLE (invite_id bigint, tenant {{tenant_cast}}, role_name text)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  inv record;
  prior text := current_setting({{tenant_setting}}, true);
BEGIN
  UPDATE {{schema}}.invites i
     SET used_at = now(), accepted_by = p_user::{{user_cast}}
   WHERE i.lookup_id = p_lookup_id
     AND i.token_hash = p_token_hash
     AND lower(i.email) = lower(p_email)
     AND i.used_at IS NULL AND i.revoked_at IS NULL
     AND i.expires_at > now()
     AND p_user IS NOT NULL
  RETURNING i.invite_id, i.{{tenant_column}} AS tenant, i.role_id INTO inv;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'invalid or expired invite'
      USING ERRCODE = 'PT001';
  END IF;
  -- The membership table may be under a forced tenant policy: write it
  -- in the invite's tenant, then put the caller's setting back.
  PERFORM set_config({{tenant_setting}}, inv.tenant::text, true);
  INSERT INTO {{membership_table}} ({{membership_user}}, {{membership_tenant}})
  VALUES (p_user::{{user_cast}}, inv.tenant)
  ON CONFLICT DO NOTHING;
  INSERT INTO {{schema}}.role_grants ({{tenant_column}}, user_id, role_id)
  VALUES (inv.tenant, p_user::{{user_cast}}, inv.role_id)
  ON CONFLICT DO NOTHING;
  PERFORM set_config({{tenant_setting}}, coalesce(prior, ''), true);
  RETURN QUERY
  SELECT inv.invite_id, inv.tenant, r.name FROM {{schema}}.roles r WHERE r.role_id = inv.role_id;
END
$$;

-- A new token for a pending invite of the current tenant (expired or
-- not): the old token dies, the expiry restarts at `p_ttl`.
CREATE FUNCTION {{schema}}.invite_resend(
  p_invite_id bigint, p_lookup_id text, p_token_hash bytea,
  p_ttl interval DEFAULT interval '7 days')
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  ctx record;
  v_expires timestamptz;
BEGIN
  SELECT * INTO ctx FROM {{schema}}.invites_context();
  IF p_ttl IS NULL OR p_ttl <= interval '0' OR p_ttl > interval '90 days' THEN
    RAISE EXCEPTION 'an invite lasts more than 0 and at most 90 days'
      USING ERRCODE = 'PT007';
  END IF;
  UPDATE {{schema}}.invites i
     SET lookup_id = p_lookup_id, token_hash = p_token_hash, expires_at = now() + p_ttl
   WHERE i.invite_id = p_invite_id AND i.{{tenant_column}} = ctx.tenant
     AND i.used_at IS NULL AND i.revoked_at IS NULL
  RETURNING i.expires_at INTO v_expires;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no pending invite % in this tenant', p_invite_id
      USING ERRCODE = 'PT002';
  END IF;
  RETURN v_expires;
END
$$;

-- Revoke a pending invite of the current tenant.
CREATE FUNCTION {{schema}}.invite_revoke(p_invite_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  ctx record;
BEGIN
  SELECT * INTO ctx FROM {{schema}}.invites_context();
  UPDATE {{schema}}.invites i SET revoked_at = now()
   WHERE i.invite_id = p_invite_id AND i.{{tenant_column}} = ctx.tenant
     AND i.used_at IS NULL AND i.revoked_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no pending invite % in this tenant', p_invite_id
      USING ERRCODE = 'PT002';
  END IF;
END
$$;

-- The current tenant's pending, unexpired invites (under the read
-- policy: the caller's rights, not the owner's).
CREATE FUNCTION {{schema}}.invites_pending()
RETURNS TABLE (invite_id bigint, email text, role_name text, invited_by {{user_cast}},
               created_at timestamptz, expires_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT i.invite_id, i.email, r.name, i.invited_by, i.created_at, i.expires_at
    FROM {{schema}}.invites i
    JOIN {{schema}}.roles r ON r.role_id = i.role_id
   WHERE i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
   ORDER BY i.created_at, i.invite_id
$$;

REVOKE EXECUTE ON FUNCTION
  {{schema}}.invites_context(),
  {{schema}}.invite_create(text, text, text, bytea, interval, text),
  {{schema}}.invite_accept(text, bytea, text, text),
  {{schema}}.invite_resend(bigint, text, bytea, interval),
  {{schema}}.invite_revoke(bigint),
  {{schema}}.invites_pending()
  FROM PUBLIC;
