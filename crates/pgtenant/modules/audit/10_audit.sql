-- audit: an append-only, tenant-scoped log whose rows are hash-chained per
-- tenant, so an edit, a deletion or a reordering (by anyone, the admin
-- included) breaks the chain that `pgtenant audit verify` recomputes.
-- Rendered by pgtenant::module: each template parameter is a quoted identifier,
-- literal or type from the manifest.

CREATE SCHEMA IF NOT EXISTS {{schema}};

-- {{tenant_column}} NULL is a system event (written by the superadmin
-- path); the service role never sees those. No foreign key to the tenants
-- table: deleting a tenant never cascades into its log.
CREATE TABLE {{schema}}.audit_log (
  audit_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  {{tenant_column}} {{tenant_type}}
    DEFAULT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}},
  seq bigint NOT NULL,
  actor text DEFAULT NULLIF(current_setting({{user_setting}}, true), ''),
  action text NOT NULL,
  resource_type text,
  resource_id text,
  metadata jsonb NOT NULL DEFAULT '{}',
  ip inet,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  CONSTRAINT audit_log_action_check
    CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,3}$'),
  CONSTRAINT audit_log_tenant_seq_key UNIQUE NULLS NOT DISTINCT ({{tenant_column}}, seq)
);

CREATE INDEX audit_log_tenant_created_idx ON {{schema}}.audit_log ({{tenant_column}}, created_at);

COMMENT ON TABLE {{schema}}.audit_log IS
  'Append-only audit events, hash-chained per tenant. Verify with: pgtenant audit verify.';

-- The newest row of each chain ('' is the system chain): its seq, its hash
-- and the hash before it. Only the chain trigger writes it; the service
-- role cannot read or write it (RLS on, no policy).
CREATE TABLE {{schema}}.audit_heads (
  chain text PRIMARY KEY,
  seq bigint NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL
);

ALTER TABLE {{schema}}.audit_heads ENABLE ROW LEVEL SECURITY;

-- The bytes a row's hash covers: every field but the hashes, each as
-- `N` (NULL) or `S<octets>:<text>`, so no two rows encode alike. Rust's
-- pgtenant::audit::payload is the independent second implementation.
-- No SET clause, on purpose: a function with one is never inlined, and
-- inlining these nine calls per row is most of the trigger's speed (it only
-- uses pg_catalog operators; the trigger that calls it pins search_path).
CREATE FUNCTION {{schema}}.audit_field(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce('S' || octet_length(value)::text || ':' || value, 'N') $$;

-- One UPDATE of the head row links the new row: it takes the row lock that
-- orders concurrent inserts of one tenant, and its SET reads the head as it
-- was (the right-hand sides see the old row), so the new seq, the previous
-- hash and the new hash come back in one statement.
CREATE FUNCTION {{schema}}.audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  chain_key text := coalesce(NEW.{{tenant_column}}::text, '');
BEGIN
  NEW.created_at := date_trunc('microseconds', NEW.created_at);
  LOOP
    UPDATE {{schema}}.audit_heads h
       SET seq = h.seq + 1,
           prev_hash = h.hash,
           hash = sha256(h.hash || convert_to(
                {{schema}}.audit_field(NEW.{{tenant_column}}::text)
             || {{schema}}.audit_field((h.seq + 1)::text)
             || {{schema}}.audit_field(NEW.actor)
             || {{schema}}.audit_field(NEW.action)
             || {{schema}}.audit_field(NEW.resource_type)
             || {{schema}}.audit_field(NEW.resource_id)
             || {{schema}}.audit_field(NEW.metadata::text)
             || {{schema}}.audit_field(NEW.ip::text)
             || {{schema}}.audit_field(to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
             'UTF8'))
     WHERE h.chain = chain_key
    RETURNING h.seq, h.prev_hash, h.hash INTO NEW.seq, NEW.prev_hash, NEW.hash;
    EXIT WHEN FOUND;
    -- The chain's first row: create its head, then link as above.
    INSERT INTO {{schema}}.audit_heads (chain, seq, prev_hash, hash)
    VALUES (chain_key, 0, '\x0000000000000000000000000000000000000000000000000000000000000000',
            '\x0000000000000000000000000000000000000000000000000000000000000000')
    ON CONFLICT (chain) DO NOTHING;
  END LOOP;
  RETURN NEW;
END
$$;

REVOKE EXECUTE ON FUNCTION {{schema}}.audit_chain() FROM PUBLIC;

CREATE TRIGGER audit_log_chain
  BEFORE INSERT ON {{schema}}.audit_log
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.audit_chain();

-- Append-only for every role: an UPDATE, DELETE or TRUNCATE raises. (The
-- admin can disable the trigger; the chain then shows what it changed.)
CREATE FUNCTION {{schema}}.audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Record a new event instead of changing an old one.';
END
$$;

CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON {{schema}}.audit_log
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.audit_refuse_change();

CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON {{schema}}.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.audit_refuse_change();

-- The service role reads and appends its tenant's events, nothing else: no
-- UPDATE or DELETE policy, so RLS alone already refuses both.
ALTER TABLE {{schema}}.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE {{schema}}.audit_log FORCE ROW LEVEL SECURITY;

CREATE POLICY audit_log_read ON {{schema}}.audit_log
  FOR SELECT
  USING ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}));

CREATE POLICY audit_log_append ON {{schema}}.audit_log
  FOR INSERT
  WITH CHECK ({{tenant_column}} = (SELECT NULLIF(current_setting({{tenant_setting}}, true), '')::{{tenant_cast}}));

-- Record an event for the current tenant and user (the settings): the
-- call any client makes. Returns the new row's seq.
CREATE FUNCTION {{schema}}.audit(
  action text,
  resource_type text DEFAULT NULL,
  resource_id text DEFAULT NULL,
  metadata jsonb DEFAULT '{}',
  ip inet DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  new_seq bigint;
BEGIN
  -- plpgsql, not sql: its INSERT is planned once per session, not per call.
  INSERT INTO {{schema}}.audit_log (action, resource_type, resource_id, metadata, ip)
  VALUES (audit.action, audit.resource_type, audit.resource_id, coalesce(audit.metadata, '{}'), audit.ip)
  RETURNING seq INTO new_seq;
  RETURN new_seq;
END
$$;
