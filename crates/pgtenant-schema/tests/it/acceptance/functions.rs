//! Functions, procedures, triggers.

use super::Case;
use pgtenant_schema::HazardKind::*;

const TOUCH: &str = "CREATE TABLE t (id int, updated_at timestamptz);
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.updated_at := now(); RETURN NEW; END $$;";

const CASES: &[Case] = &[
    Case {
        name: "create a plpgsql function",
        old: "",
        new: "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN a + b; END $$;",
        ..Case::DEFAULT
    },
    Case {
        name: "function body changes",
        old: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        new: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 2';",
        contains: &["CREATE OR REPLACE FUNCTION public.f()"],
        ..Case::DEFAULT
    },
    Case {
        name: "function return type changes",
        old: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        new: "CREATE FUNCTION f() RETURNS bigint LANGUAGE sql AS 'SELECT 1::bigint';",
        contains: &["DROP FUNCTION public.f()"],
        ..Case::DEFAULT
    },
    Case {
        name: "function attributes change",
        old: "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x';",
        new: "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT x';",
        ..Case::DEFAULT
    },
    Case {
        name: "security definer with a search_path",
        old: "",
        new: "CREATE FUNCTION whoami() RETURNS text LANGUAGE sql SECURITY DEFINER
                SET search_path = pg_catalog, public AS 'SELECT current_user::text';",
        ..Case::DEFAULT
    },
    Case {
        name: "overloaded functions",
        old: "CREATE FUNCTION area(r int) RETURNS int LANGUAGE sql AS 'SELECT r * r * 3';",
        new: "CREATE FUNCTION area(r int) RETURNS int LANGUAGE sql AS 'SELECT r * r * 3';
              CREATE FUNCTION area(w int, h int) RETURNS int LANGUAGE sql AS 'SELECT w * h';",
        ..Case::DEFAULT
    },
    Case {
        name: "drop a function",
        old: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        new: "",
        ..Case::DEFAULT
    },
    Case {
        name: "create a procedure",
        old: "CREATE TABLE log (msg text);",
        new: "CREATE TABLE log (msg text);
              CREATE PROCEDURE note(m text) LANGUAGE sql AS $$ INSERT INTO log VALUES (m) $$;",
        ..Case::DEFAULT
    },
    Case {
        name: "sql function with a BEGIN ATOMIC body reading a table",
        old: "CREATE TABLE tenants (id int PRIMARY KEY, name text);",
        new: "CREATE TABLE tenants (id int PRIMARY KEY, name text);
              CREATE FUNCTION tenant_name(i int) RETURNS text LANGUAGE sql STABLE
              BEGIN ATOMIC SELECT name FROM tenants WHERE id = i; END;",
        ..Case::DEFAULT
    },
    Case {
        name: "sql function reading a table created in the same plan",
        old: "",
        new: "CREATE TABLE tenants (id int PRIMARY KEY, name text);
              CREATE FUNCTION tenant_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM public.tenants';",
        ..Case::DEFAULT
    },
    Case {
        name: "function used by a column default",
        old: "CREATE TABLE t (id int);",
        new: "CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'C' || floor(random() * 1000)::int $$;
              CREATE TABLE t (id int, code text DEFAULT next_code());",
        hazards: &[RewritesTable],
        ..Case::DEFAULT
    },
    Case {
        name: "function used by a check constraint",
        old: "",
        new: "CREATE FUNCTION is_slug(s text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT s ~ '^[a-z0-9-]+$' $$;
              CREATE TABLE t (slug text CHECK (is_slug(slug)));",
        ..Case::DEFAULT
    },
    Case {
        name: "function comment",
        old: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        new: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'; COMMENT ON FUNCTION f() IS 'one';",
        ..Case::DEFAULT
    },
    Case {
        name: "revoke execute from public",
        old: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        new: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'; REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "grant execute to a role",
        old: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'; REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;",
        new: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'; REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;
              GRANT EXECUTE ON FUNCTION f() TO {role};",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "new function with revoked execute",
        old: "",
        new: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'; REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "create a trigger",
        old: TOUCH,
        new: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
        ..Case::DEFAULT
    },
    Case {
        name: "trigger function and trigger created together",
        old: "CREATE TABLE t (id int, updated_at timestamptz);",
        new: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
        ..Case::DEFAULT
    },
    Case {
        name: "trigger WHEN condition changes",
        old: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
        new: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW
              WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION touch();",
        contains: &["DROP TRIGGER t_touch ON public.t"],
        ..Case::DEFAULT
    },
    Case {
        name: "trigger disabled",
        old: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
        new: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
              ALTER TABLE t DISABLE TRIGGER t_touch;",
        contains: &["DISABLE TRIGGER t_touch"],
        ..Case::DEFAULT
    },
    Case {
        name: "trigger comment",
        old: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
        new: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
              COMMENT ON TRIGGER t_touch ON t IS 'keeps updated_at';",
        ..Case::DEFAULT
    },
    Case {
        name: "trigger function replaced by another with the trigger moved",
        old: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
        new: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
              CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch_updated_at();",
        ..Case::DEFAULT
    },
    Case {
        name: "function signature change with a trigger on it",
        old: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
              CREATE TRIGGER t_audit BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION audit();",
        new: "CREATE TABLE t (id int, updated_at timestamptz);
              CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN NEW.updated_at := now() - TG_ARGV[0]::interval; RETURN NEW; END $$;
              CREATE TRIGGER t_audit BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION audit('1 hour');",
        ..Case::DEFAULT
    },
    Case {
        name: "function return type change with a trigger on it",
        old: "CREATE TABLE t (id int);
              CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
              CREATE TRIGGER t_f AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION f();",
        new: "CREATE TABLE t (id int);
              CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
              CREATE TRIGGER t_f AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION f();",
        ..Case::DEFAULT
    },
    Case {
        name: "function signature change used by a policy",
        old: "CREATE TABLE t (tenant_id int);
              CREATE FUNCTION current_tenant() RETURNS int LANGUAGE sql STABLE
                AS $$ SELECT current_setting('app.tenant_id', true)::int $$;
              ALTER TABLE t ENABLE ROW LEVEL SECURITY;
              CREATE POLICY iso ON t USING (tenant_id = current_tenant());",
        new: "CREATE TABLE t (tenant_id int);
              CREATE FUNCTION current_tenant(setting text) RETURNS int LANGUAGE sql STABLE
                AS $$ SELECT current_setting(setting, true)::int $$;
              ALTER TABLE t ENABLE ROW LEVEL SECURITY;
              CREATE POLICY iso ON t USING (tenant_id = current_tenant('app.tenant_id'));",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "constraint trigger",
        old: "CREATE TABLE t (id int);
              CREATE FUNCTION chk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;",
        new: "CREATE TABLE t (id int);
              CREATE FUNCTION chk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
              CREATE CONSTRAINT TRIGGER t_chk AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED
              FOR EACH ROW EXECUTE FUNCTION chk();",
        ..Case::DEFAULT
    },
    Case {
        name: "trigger on a partitioned table",
        old: "CREATE TABLE e (id int, at date) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE FUNCTION tg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;",
        new: "CREATE TABLE e (id int, at date) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE FUNCTION tg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
              CREATE TRIGGER e_tg BEFORE INSERT ON e FOR EACH ROW EXECUTE FUNCTION tg();",
        ..Case::DEFAULT
    },
    Case {
        name: "instead of trigger on a view",
        old: "CREATE TABLE t (id int); CREATE VIEW v AS SELECT id FROM t;
              CREATE FUNCTION v_ins() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN INSERT INTO t VALUES (NEW.id); RETURN NEW; END $$;",
        new: "CREATE TABLE t (id int); CREATE VIEW v AS SELECT id FROM t;
              CREATE FUNCTION v_ins() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN INSERT INTO t VALUES (NEW.id); RETURN NEW; END $$;
              CREATE TRIGGER v_ins INSTEAD OF INSERT ON v FOR EACH ROW EXECUTE FUNCTION v_ins();",
        ..Case::DEFAULT
    },
    Case {
        name: "function in another schema with quoted name",
        old: "CREATE SCHEMA util;",
        new: r#"CREATE SCHEMA util; CREATE FUNCTION util."NowUtc"() RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT now() AT TIME ZONE 'utc' $$;"#,
        ..Case::DEFAULT
    },
    Case {
        name: "function with default arguments and OUT parameters",
        old: "",
        new: "CREATE FUNCTION split(s text, sep text DEFAULT ',', OUT head text, OUT tail text)
              LANGUAGE sql AS $$ SELECT split_part(s, sep, 1), substr(s, length(split_part(s, sep, 1)) + 2) $$;",
        ..Case::DEFAULT
    },
    Case {
        name: "set-returning function",
        old: "CREATE TABLE t (id int);",
        new: "CREATE TABLE t (id int);
              CREATE FUNCTION ids() RETURNS SETOF int LANGUAGE sql STABLE AS 'SELECT id FROM public.t';",
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions() {
    super::run(CASES).await;
}
