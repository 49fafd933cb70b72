//! Enums, domains, composite types, sequences, extensions, schemas.

use super::{Case, Reverse};
use pgtenant_schema::HazardKind::*;

const CASES: &[Case] = &[
    Case {
        name: "create an enum and a column using it",
        old: "",
        new: "CREATE TYPE status AS ENUM ('active', 'archived');
              CREATE TABLE t (id int, s status NOT NULL DEFAULT 'active');",
        ..Case::DEFAULT
    },
    Case {
        name: "enum value appended",
        old: "CREATE TYPE status AS ENUM ('a', 'b');",
        new: "CREATE TYPE status AS ENUM ('a', 'b', 'c');",
        contains: &["ALTER TYPE public.status ADD VALUE 'c' AFTER 'b'"],
        hazards: &[],
        reverse: Reverse::Check,
        ..Case::DEFAULT
    },
    Case {
        name: "enum value added between existing values",
        old: "CREATE TYPE status AS ENUM ('draft', 'published');
              CREATE TABLE t (s status);",
        new: "CREATE TYPE status AS ENUM ('draft', 'review', 'published');
              CREATE TABLE t (s status);",
        contains: &["ADD VALUE 'review' AFTER 'draft'"],
        ..Case::DEFAULT
    },
    Case {
        name: "enum value added first",
        old: "CREATE TYPE level AS ENUM ('mid', 'high');",
        new: "CREATE TYPE level AS ENUM ('low', 'mid', 'high');",
        contains: &["ADD VALUE 'low' BEFORE 'mid'"],
        ..Case::DEFAULT
    },
    Case {
        name: "several enum values added",
        old: "CREATE TYPE c AS ENUM ('b', 'd');",
        new: "CREATE TYPE c AS ENUM ('a', 'b', 'c', 'd', 'e');",
        ..Case::DEFAULT
    },
    Case {
        name: "enum value added and used as a default",
        old: "CREATE TYPE status AS ENUM ('active'); CREATE TABLE t (s status DEFAULT 'active');",
        new: "CREATE TYPE status AS ENUM ('active', 'pending'); CREATE TABLE t (s status DEFAULT 'pending');",
        ..Case::DEFAULT
    },
    Case {
        name: "enum value removed rebuilds the type",
        old: "CREATE TYPE status AS ENUM ('a', 'b', 'c');
              CREATE TABLE t (s status NOT NULL DEFAULT 'a', hist status[]);",
        new: "CREATE TYPE status AS ENUM ('a', 'c');
              CREATE TABLE t (s status NOT NULL DEFAULT 'a', hist status[]);",
        hazards: &[DeletesData, RewritesTable, AccessExclusiveLock],
        contains: &["RENAME TO status__pgtenant_old", "USING s::text::public.status"],
        ..Case::DEFAULT
    },
    Case {
        name: "enum values reordered",
        old: "CREATE TYPE p AS ENUM ('low', 'high'); CREATE TABLE t (p p);",
        new: "CREATE TYPE p AS ENUM ('high', 'low'); CREATE TABLE t (p p);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "enum removed, column becomes text",
        old: "CREATE TYPE status AS ENUM ('a', 'b'); CREATE TABLE t (s status);",
        new: "CREATE TABLE t (s text);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "enum in another schema with quoted labels",
        old: "CREATE SCHEMA billing;",
        new: r#"CREATE SCHEMA billing; CREATE TYPE billing."Plan" AS ENUM ('free', 'pro''s', 'a\b');"#,
        ..Case::DEFAULT
    },
    Case {
        name: "enum comment",
        old: "CREATE TYPE s AS ENUM ('x');",
        new: "CREATE TYPE s AS ENUM ('x'); COMMENT ON TYPE s IS 'states';",
        ..Case::DEFAULT
    },
    Case {
        name: "create a domain",
        old: "",
        new: "CREATE DOMAIN email AS text COLLATE \"C\" DEFAULT '' NOT NULL CONSTRAINT email_at CHECK (VALUE LIKE '%@%');",
        ..Case::DEFAULT
    },
    Case {
        name: "domain gains a check",
        old: "CREATE DOMAIN posint AS int;",
        new: "CREATE DOMAIN posint AS int CONSTRAINT posint_check CHECK (VALUE > 0);",
        hazards: &[AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "domain default and not null change",
        old: "CREATE DOMAIN d AS int DEFAULT 1;",
        new: "CREATE DOMAIN d AS int DEFAULT 2 NOT NULL;",
        ..Case::DEFAULT
    },
    Case {
        name: "domain used by a column loses a check",
        old: "CREATE DOMAIN code AS text CONSTRAINT code_len CHECK (length(VALUE) = 3); CREATE TABLE t (c code);",
        new: "CREATE DOMAIN code AS text; CREATE TABLE t (c code);",
        ..Case::DEFAULT
    },
    Case {
        name: "domain comment",
        old: "CREATE DOMAIN d AS int;",
        new: "CREATE DOMAIN d AS int; COMMENT ON DOMAIN d IS 'counts';",
        ..Case::DEFAULT
    },
    Case {
        name: "create a composite type",
        old: "",
        new: "CREATE TYPE money_amount AS (amount numeric, currency char(3));",
        ..Case::DEFAULT
    },
    Case {
        name: "composite type gains an attribute",
        old: "CREATE TYPE pair AS (a int);",
        new: "CREATE TYPE pair AS (a int, b text);",
        ..Case::DEFAULT
    },
    Case {
        name: "composite type used by a table",
        old: "",
        new: "CREATE TYPE addr AS (street text, city text); CREATE TABLE t (home addr);",
        ..Case::DEFAULT
    },
    Case {
        name: "create a sequence",
        old: "",
        new: "CREATE SEQUENCE invoice_no START 1000 INCREMENT 1 CACHE 10;",
        ..Case::DEFAULT
    },
    Case {
        name: "sequence options change",
        old: "CREATE SEQUENCE s;",
        new: "CREATE SEQUENCE s AS integer INCREMENT 5 MAXVALUE 100000 CYCLE;",
        ..Case::DEFAULT
    },
    Case {
        name: "drop a sequence",
        old: "CREATE SEQUENCE s;",
        new: "",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "sequence used by a column default",
        old: "CREATE TABLE t (id bigint);",
        new: "CREATE SEQUENCE t_seq; CREATE TABLE t (id bigint DEFAULT nextval('t_seq'));",
        ..Case::DEFAULT
    },
    Case {
        name: "sequence owned by a column",
        old: "CREATE SEQUENCE s; CREATE TABLE t (id bigint DEFAULT nextval('s'));",
        new: "CREATE SEQUENCE s; CREATE TABLE t (id bigint DEFAULT nextval('s')); ALTER SEQUENCE s OWNED BY t.id;",
        ..Case::DEFAULT
    },
    Case {
        name: "serial column in a new table",
        old: "",
        new: "CREATE TABLE t (id serial PRIMARY KEY, big bigserial);",
        ..Case::DEFAULT
    },
    Case {
        name: "sequence comment",
        old: "CREATE SEQUENCE s;",
        new: "CREATE SEQUENCE s; COMMENT ON SEQUENCE s IS 'numbers';",
        ..Case::DEFAULT
    },
    Case {
        name: "create an extension",
        old: "",
        new: "CREATE EXTENSION citext; CREATE TABLE u (email citext UNIQUE);",
        ..Case::DEFAULT
    },
    Case {
        name: "extension in its own schema",
        old: "",
        new: "CREATE SCHEMA ext; CREATE EXTENSION hstore WITH SCHEMA ext;",
        ..Case::DEFAULT
    },
    Case {
        name: "create a schema",
        old: "",
        new: "CREATE SCHEMA audit;",
        ..Case::DEFAULT
    },
    Case {
        name: "schema comment",
        old: "CREATE SCHEMA audit;",
        new: "CREATE SCHEMA audit; COMMENT ON SCHEMA audit IS 'audit trail';",
        ..Case::DEFAULT
    },
    Case {
        name: "schema usage granted",
        old: "CREATE SCHEMA app;",
        new: "CREATE SCHEMA app; GRANT USAGE ON SCHEMA app TO {role};",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "enum value removed under a view",
        old: "CREATE TYPE st AS ENUM ('a', 'b', 'c'); CREATE TABLE t (id int, s st);
              CREATE VIEW only_a AS SELECT id FROM t WHERE s = 'a';",
        new: "CREATE TYPE st AS ENUM ('a', 'c'); CREATE TABLE t (id int, s st);
              CREATE VIEW only_a AS SELECT id FROM t WHERE s = 'a';",
        hazards: &[DeletesData, RewritesTable, AccessExclusiveLock],
        contains: &["DROP VIEW public.only_a"],
        ..Case::DEFAULT
    },
    Case {
        name: "column moves from one enum type to another through text",
        old: "CREATE TYPE mood AS ENUM ('ok', 'meh');
              CREATE TYPE feeling AS ENUM ('great', 'ok', 'meh');
              CREATE TABLE t (id int PRIMARY KEY, m mood NOT NULL DEFAULT 'ok', tags mood[]);
              INSERT INTO t VALUES (1, 'ok', '{ok}'), (2, 'meh', '{meh,ok}');",
        new: "CREATE TYPE feeling AS ENUM ('great', 'ok', 'meh');
              CREATE TABLE t (id int PRIMARY KEY, m feeling NOT NULL DEFAULT 'ok', tags feeling[]);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &[
            "ALTER TABLE public.t ALTER COLUMN m TYPE public.feeling USING m::text::public.feeling",
            "ALTER TABLE public.t ALTER COLUMN tags TYPE public.feeling[] USING tags::text[]::public.feeling[]",
            "DROP TYPE public.mood",
        ],
        rows: &[
            ("SELECT string_agg(id || m::text || tags::text, ',' ORDER BY id) FROM t", "1ok{ok},2meh{meh,ok}"),
            ("SELECT pg_typeof(m)::text FROM t", "feeling"),
            ("INSERT INTO t (id) VALUES (3) RETURNING m::text", "ok"),
        ],
        rows_back: &[("SELECT pg_typeof(m)::text FROM t LIMIT 1", "NULL")],
        ..Case::DEFAULT
    },
    Case {
        name: "enum renamed: same labels in the same order",
        old: "CREATE TYPE mood AS ENUM ('ok', 'meh');
              CREATE TABLE t (id int PRIMARY KEY, m mood NOT NULL DEFAULT 'ok' CHECK (m <> 'meh' OR id > 1), tags mood[]);
              CREATE INDEX t_ok ON t (id) WHERE m = 'ok';
              CREATE VIEW oks AS SELECT id, m FROM t WHERE m = 'ok'::mood;
              INSERT INTO t VALUES (1, 'ok', '{ok}'), (2, 'meh', '{meh}');",
        new: "CREATE TYPE feeling AS ENUM ('ok', 'meh');
              CREATE TABLE t (id int PRIMARY KEY, m feeling NOT NULL DEFAULT 'ok' CHECK (m <> 'meh' OR id > 1), tags feeling[]);
              CREATE INDEX t_ok ON t (id) WHERE m = 'ok';
              CREATE VIEW oks AS SELECT id, m FROM t WHERE m = 'ok'::feeling;
              INSERT INTO t VALUES (1, 'ok', '{ok}'), (2, 'meh', '{meh}');",
        hazards: &[],
        contains: &["ALTER TYPE public.mood RENAME TO feeling"],
        rows: &[
            ("SELECT string_agg(id || m::text || tags::text, ',' ORDER BY id) FROM t", "1ok{ok},2meh{meh}"),
            ("SELECT count(*)::text FROM pg_type WHERE typname IN ('mood', 'feeling')", "1"),
        ],
        rows_back: &[
            ("SELECT string_agg(id || m::text, ',' ORDER BY id) FROM t", "1ok,2meh"),
            ("SELECT pg_typeof(m)::text FROM t LIMIT 1", "mood"),
        ],
        ..Case::DEFAULT
    },
    Case {
        name: "enum renamed with a rule, a policy and a domain over it",
        old: "CREATE TYPE mood AS ENUM ('ok', 'meh');
              CREATE DOMAIN good_mood AS mood CHECK (VALUE <> 'meh');
              CREATE TABLE t (id int, m mood, g good_mood);
              CREATE TABLE log (m mood);
              CREATE RULE t_log AS ON INSERT TO t WHERE NEW.m = 'meh'::mood DO ALSO INSERT INTO log VALUES (NEW.m);
              ALTER TABLE t ENABLE ROW LEVEL SECURITY;
              CREATE POLICY p ON t USING (m = 'ok'::mood);",
        new: "CREATE TYPE feeling AS ENUM ('ok', 'meh');
              CREATE DOMAIN good_mood AS feeling CHECK (VALUE <> 'meh');
              CREATE TABLE t (id int, m feeling, g good_mood);
              CREATE TABLE log (m feeling);
              CREATE RULE t_log AS ON INSERT TO t WHERE NEW.m = 'meh'::feeling DO ALSO INSERT INTO log VALUES (NEW.m);
              ALTER TABLE t ENABLE ROW LEVEL SECURITY;
              CREATE POLICY p ON t USING (m = 'ok'::feeling);",
        contains: &["ALTER TYPE public.mood RENAME TO feeling"],
        ..Case::DEFAULT
    },
    Case {
        name: "enum renamed but a function signature uses it: recreated through text",
        old: "CREATE TYPE mood AS ENUM ('ok', 'meh');
              CREATE TABLE t (m mood);
              CREATE FUNCTION is_ok(x mood) RETURNS boolean LANGUAGE sql AS 'SELECT x = ''ok''';
              INSERT INTO t VALUES ('meh');",
        new: "CREATE TYPE feeling AS ENUM ('ok', 'meh');
              CREATE TABLE t (m feeling);
              CREATE FUNCTION is_ok(x feeling) RETURNS boolean LANGUAGE sql AS 'SELECT x = ''ok''';",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["USING m::text::public.feeling"],
        rows: &[("SELECT m::text FROM t", "meh")],
        rows_back: &[("SELECT count(*)::text FROM t", "0")],
        ..Case::DEFAULT
    },
    Case {
        name: "two enums with the same labels swapped for two others: no guessing",
        old: "CREATE TYPE a1 AS ENUM ('x', 'y'); CREATE TYPE a2 AS ENUM ('x', 'y');
              CREATE TABLE t (p a1, q a2);
              INSERT INTO t VALUES ('x', 'y');",
        new: "CREATE TYPE b1 AS ENUM ('x', 'y'); CREATE TYPE b2 AS ENUM ('x', 'y');
              CREATE TABLE t (p b1, q b2);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["USING p::text::public.b1", "USING q::text::public.b2"],
        rows: &[("SELECT p::text || q::text FROM t", "xy")],
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn types() {
    super::run(CASES).await;
}
