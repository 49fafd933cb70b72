//! Columns: add, drop, type, default, nullability, identity, generated,
//! collation, comments, renames.

use super::{Case, Reverse};
use pgtenant_schema::HazardKind::*;

const CASES: &[Case] = &[
    Case {
        name: "add a nullable column",
        old: "CREATE TABLE t (id int);",
        new: "CREATE TABLE t (id int, note text);",
        contains: &["ALTER TABLE public.t ADD COLUMN note text"],
        ..Case::DEFAULT
    },
    Case {
        name: "add a NOT NULL column with a constant default",
        old: "CREATE TABLE t (id int);",
        new: "CREATE TABLE t (id int, n int NOT NULL DEFAULT 0);",
        ..Case::DEFAULT
    },
    Case {
        name: "add a column defaulting to now()",
        old: "CREATE TABLE t (id int);",
        new: "CREATE TABLE t (id int, created_at timestamptz NOT NULL DEFAULT now());",
        contains: &["DEFAULT now()"],
        ..Case::DEFAULT
    },
    Case {
        name: "add a column defaulting to gen_random_uuid()",
        old: "CREATE TABLE t (id int);",
        new: "CREATE TABLE t (id int, uid uuid NOT NULL DEFAULT gen_random_uuid());",
        hazards: &[RewritesTable],
        ..Case::DEFAULT
    },
    Case {
        name: "add a column defaulting to CURRENT_TIMESTAMP",
        old: "CREATE TABLE t (id int);",
        new: "CREATE TABLE t (id int, at timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);",
        ..Case::DEFAULT
    },
    Case {
        name: "add a jsonb column defaulting to '{}'",
        old: "CREATE TABLE t (id int);",
        new: "CREATE TABLE t (id int, meta jsonb NOT NULL DEFAULT '{}'::jsonb);",
        ..Case::DEFAULT
    },
    Case {
        name: "add a NOT NULL column without default",
        old: "CREATE TABLE t (id int);",
        new: "CREATE TABLE t (id int, n int NOT NULL);",
        hazards: &[AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "drop a column",
        old: "CREATE TABLE users (id int, email text);",
        new: "CREATE TABLE users (id int);",
        hazards: &[DeletesData],
        contains: &["-- hazard: DELETES_DATA: dropping column public.users.email"],
        ..Case::DEFAULT
    },
    Case {
        name: "int to bigint",
        old: "CREATE TABLE t (id int PRIMARY KEY, n int);",
        new: "CREATE TABLE t (id int PRIMARY KEY, n bigint);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["ALTER TABLE public.t ALTER COLUMN n TYPE bigint USING n::bigint"],
        ..Case::DEFAULT
    },
    Case {
        name: "primary key column int to bigint with a referencing foreign key",
        old: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a);",
        new: "CREATE TABLE a (id bigint PRIMARY KEY); CREATE TABLE b (a_id bigint REFERENCES a);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "varchar widened",
        old: "CREATE TABLE t (name varchar(20));",
        new: "CREATE TABLE t (name varchar(50));",
        reverse: Reverse::Check,
        ..Case::DEFAULT
    },
    Case {
        name: "varchar narrowed",
        old: "CREATE TABLE t (name varchar(50));",
        new: "CREATE TABLE t (name varchar(20));",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "varchar to text",
        old: "CREATE TABLE t (name varchar(20));",
        new: "CREATE TABLE t (name text);",
        ..Case::DEFAULT
    },
    Case {
        name: "text to integer uses USING",
        old: "CREATE TABLE t (n text);",
        new: "CREATE TABLE t (n integer);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["USING n::integer"],
        ..Case::DEFAULT
    },
    Case {
        name: "type change with a default that must be re-set",
        old: "CREATE TABLE t (n int DEFAULT 0);",
        new: "CREATE TABLE t (n text DEFAULT '0');",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "timestamp to timestamptz",
        old: "CREATE TABLE t (at timestamp NOT NULL DEFAULT now());",
        new: "CREATE TABLE t (at timestamptz NOT NULL DEFAULT now());",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "numeric precision changes",
        old: "CREATE TABLE t (amount numeric(10,2));",
        new: "CREATE TABLE t (amount numeric(14,4));",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "array column type",
        old: "CREATE TABLE t (tags text[]);",
        new: "CREATE TABLE t (tags varchar(40)[]);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "set NOT NULL",
        old: "CREATE TABLE t (email text);",
        new: "CREATE TABLE t (email text NOT NULL);",
        hazards: &[AccessExclusiveLock],
        contains: &["SET NOT NULL"],
        ..Case::DEFAULT
    },
    Case {
        name: "drop NOT NULL",
        old: "CREATE TABLE t (email text NOT NULL);",
        new: "CREATE TABLE t (email text);",
        contains: &["DROP NOT NULL"],
        ..Case::DEFAULT
    },
    Case {
        name: "set a default",
        old: "CREATE TABLE t (status text);",
        new: "CREATE TABLE t (status text DEFAULT 'active');",
        contains: &["SET DEFAULT 'active'::text"],
        ..Case::DEFAULT
    },
    Case {
        name: "change a default",
        old: "CREATE TABLE t (n int DEFAULT 1, flag boolean DEFAULT false);",
        new: "CREATE TABLE t (n int DEFAULT 2, flag boolean DEFAULT true);",
        ..Case::DEFAULT
    },
    Case {
        name: "default now() becomes CURRENT_TIMESTAMP and statement_timestamp()",
        old: "CREATE TABLE t (a timestamptz DEFAULT now(), b timestamptz DEFAULT now());",
        new: "CREATE TABLE t (a timestamptz DEFAULT CURRENT_TIMESTAMP, b timestamptz DEFAULT statement_timestamp());",
        ..Case::DEFAULT
    },
    Case {
        name: "default and NOT NULL added together",
        old: "CREATE TABLE t (id int, state text);",
        new: "CREATE TABLE t (id int, state text NOT NULL DEFAULT 'new');",
        hazards: &[AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "identity added to an existing column",
        old: "CREATE TABLE t (id int NOT NULL);",
        new: "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY);",
        contains: &["ADD GENERATED ALWAYS AS IDENTITY"],
        ..Case::DEFAULT
    },
    Case {
        name: "identity ALWAYS to BY DEFAULT",
        old: "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY);",
        new: "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY);",
        contains: &["SET GENERATED BY DEFAULT"],
        ..Case::DEFAULT
    },
    Case {
        name: "identity options change",
        old: "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY);",
        new: "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000 INCREMENT BY 5));",
        ..Case::DEFAULT
    },
    Case {
        name: "serial to identity",
        old: "CREATE TABLE t (id serial PRIMARY KEY, v text);",
        new: "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);",
        hazards: &[DeletesData],
        contains: &["DROP DEFAULT", "ADD GENERATED BY DEFAULT AS IDENTITY"],
        ..Case::DEFAULT
    },
    Case {
        name: "identity to serial",
        old: "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);",
        new: "CREATE TABLE t (id serial PRIMARY KEY, v text);",
        contains: &["DROP IDENTITY", "CREATE SEQUENCE public.t_id_seq"],
        ..Case::DEFAULT
    },
    Case {
        name: "identity int to bigint",
        old: "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        new: "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "add a generated column",
        old: "CREATE TABLE t (w int, h int);",
        new: "CREATE TABLE t (w int, h int, area int GENERATED ALWAYS AS (w * h) STORED);",
        hazards: &[RewritesTable],
        ..Case::DEFAULT
    },
    Case {
        name: "generated column expression changes",
        old: "CREATE TABLE t (w int, h int, area int GENERATED ALWAYS AS (w * h) STORED);",
        new: "CREATE TABLE t (w int, h int, area int GENERATED ALWAYS AS (w * h * 2) STORED);",
        hazards: &[DeletesData, RewritesTable],
        ..Case::DEFAULT
    },
    Case {
        name: "generated column becomes a plain column",
        old: "CREATE TABLE t (w int, h int, area int GENERATED ALWAYS AS (w * h) STORED);",
        new: "CREATE TABLE t (w int, h int, area int);",
        contains: &["DROP EXPRESSION"],
        ..Case::DEFAULT
    },
    Case {
        name: "full text search generated column",
        old: "CREATE TABLE docs (id int, body text);",
        new: "CREATE TABLE docs (id int, body text,
                fts tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, coalesce(body, ''))) STORED);
              CREATE INDEX docs_fts_idx ON docs USING gin (fts);",
        hazards: &[RewritesTable, IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "collation change",
        old: "CREATE TABLE t (name text);",
        new: r#"CREATE TABLE t (name text COLLATE "C");"#,
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "column comments",
        old: "CREATE TABLE t (a int, b int); COMMENT ON COLUMN t.b IS 'b';",
        new: "CREATE TABLE t (a int, b int); COMMENT ON COLUMN t.a IS 'a';",
        ..Case::DEFAULT
    },
    Case {
        name: "column type change under a dependent view",
        old: "CREATE TABLE t (id int PRIMARY KEY, amount int);
              CREATE VIEW v AS SELECT id, amount FROM t;",
        new: "CREATE TABLE t (id int PRIMARY KEY, amount bigint);
              CREATE VIEW v AS SELECT id, amount FROM t;",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["DROP VIEW public.v", "CREATE VIEW public.v"],
        ..Case::DEFAULT
    },
    Case {
        name: "column type change under a chain of views",
        old: "CREATE TABLE t (id int PRIMARY KEY, amount int);
              CREATE VIEW v1 AS SELECT id, amount FROM t;
              CREATE VIEW v2 AS SELECT id, amount * 2 AS double FROM v1;",
        new: "CREATE TABLE t (id int PRIMARY KEY, amount numeric);
              CREATE VIEW v1 AS SELECT id, amount FROM t;
              CREATE VIEW v2 AS SELECT id, amount * 2 AS double FROM v1;",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "column type change under an index and a check",
        old: "CREATE TABLE t (code varchar(10) CHECK (code <> ''));
              CREATE INDEX t_code_idx ON t (code);",
        new: "CREATE TABLE t (code varchar(5) CHECK (code <> ''));
              CREATE INDEX t_code_idx ON t (code);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "type change of a column used by a policy",
        old: "CREATE TABLE t (id int, tenant_id text);
              ALTER TABLE t ENABLE ROW LEVEL SECURITY;
              CREATE POLICY iso ON t USING (tenant_id = current_setting('app.tenant_id', true));",
        new: "CREATE TABLE t (id int, tenant_id uuid);
              ALTER TABLE t ENABLE ROW LEVEL SECURITY;
              CREATE POLICY iso ON t USING (tenant_id = current_setting('app.tenant_id', true)::uuid);",
        hazards: &[RewritesTable, AccessExclusiveLock, AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "type change under an unchanged policy",
        old: "CREATE TABLE t (id int, n int);
              ALTER TABLE t ENABLE ROW LEVEL SECURITY;
              CREATE POLICY pos ON t USING (n > 0);",
        new: "CREATE TABLE t (id int, n bigint);
              ALTER TABLE t ENABLE ROW LEVEL SECURITY;
              CREATE POLICY pos ON t USING (n > 0);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["DROP POLICY pos ON public.t"],
        ..Case::DEFAULT
    },
    Case {
        name: "dropping a column used by an index and a policy",
        old: "CREATE TABLE docs (id int, tenant_id int, owner text);
              CREATE INDEX docs_owner_idx ON docs (owner);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY own ON docs USING (owner = current_user);",
        new: "CREATE TABLE docs (id int, tenant_id int);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY own ON docs USING (tenant_id = current_setting('app.tenant_id', true)::int);",
        hazards: &[DeletesData, AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "column rename with a hint",
        old: "CREATE TABLE users (id int PRIMARY KEY, mail text NOT NULL);
              CREATE UNIQUE INDEX users_mail_idx ON users (mail);",
        new: "CREATE TABLE users (id int PRIMARY KEY,
                email text NOT NULL -- pgtenant:renamed-from mail
              );
              CREATE UNIQUE INDEX users_mail_idx ON users (email);",
        contains: &["ALTER TABLE public.users RENAME COLUMN mail TO email"],
        ..Case::DEFAULT
    },
    Case {
        name: "quoted column rename with a hint",
        old: r#"CREATE TABLE "TeamMember" ("id" text PRIMARY KEY, "team" text);"#,
        new: r#"CREATE TABLE "TeamMember" ("id" text PRIMARY KEY,
                "teamId" text -- pgtenant:renamed-from team
              );"#,
        contains: &[r#"RENAME COLUMN team TO "teamId""#],
        ..Case::DEFAULT
    },
    Case {
        name: "column rename without a hint drops data",
        old: "CREATE TABLE t (id int, mail text);",
        new: "CREATE TABLE t (id int, email text);",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "column with a domain type added",
        old: "CREATE DOMAIN posint AS int CHECK (VALUE > 0); CREATE TABLE t (id int);",
        new: "CREATE DOMAIN posint AS int CHECK (VALUE > 0); CREATE TABLE t (id int, qty posint);",
        ..Case::DEFAULT
    },
    Case {
        name: "several columns changed at once",
        old: "CREATE TABLE t (a int, b text, c boolean DEFAULT false, d date);",
        new: "CREATE TABLE t (a bigint NOT NULL, b text DEFAULT 'x', c boolean, d date);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns() {
    super::run(CASES).await;
}
