//! Views and materialized views.

use super::Case;
use pgtenant_schema::HazardKind::*;

const BASE: &str = "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);";

const CASES: &[Case] = &[
    Case {
        name: "create a view",
        old: BASE,
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW big AS SELECT id, amount FROM t WHERE amount > 100;",
        ..Case::DEFAULT
    },
    Case {
        name: "drop a view",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW big AS SELECT id, amount FROM t WHERE amount > 100;",
        new: BASE,
        ..Case::DEFAULT
    },
    Case {
        name: "view definition changes",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW big AS SELECT id, amount FROM t WHERE amount > 100;",
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW big AS SELECT id, amount, note FROM t WHERE amount > 1000;",
        ..Case::DEFAULT
    },
    Case {
        name: "view over a view, base view changes",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v1 AS SELECT id, amount FROM t;
              CREATE VIEW v2 AS SELECT id FROM v1 WHERE amount > 0;",
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v1 AS SELECT id, amount, tenant_id FROM t;
              CREATE VIEW v2 AS SELECT id FROM v1 WHERE amount > 0;",
        contains: &["DROP VIEW public.v2"],
        ..Case::DEFAULT
    },
    Case {
        name: "three views in a dependency chain created at once",
        old: BASE,
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW a_top AS SELECT id FROM t;
              CREATE VIEW m_mid AS SELECT id FROM a_top;
              CREATE VIEW z_leaf AS SELECT count(*) AS n FROM m_mid;
              CREATE VIEW b_other AS SELECT n FROM z_leaf;",
        ..Case::DEFAULT
    },
    Case {
        name: "view joining two tables",
        old: "CREATE TABLE a (id int PRIMARY KEY, name text); CREATE TABLE b (a_id int, v int);",
        new: "CREATE TABLE a (id int PRIMARY KEY, name text); CREATE TABLE b (a_id int, v int);
              CREATE VIEW ab AS SELECT a.name, sum(b.v) AS total FROM a JOIN b ON b.a_id = a.id GROUP BY a.name;",
        ..Case::DEFAULT
    },
    Case {
        name: "security invoker view",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v AS SELECT id FROM t;",
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v WITH (security_invoker = true) AS SELECT id FROM t;",
        contains: &["security_invoker=true"],
        ..Case::DEFAULT
    },
    Case {
        name: "view with check option",
        old: BASE,
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW positive AS SELECT * FROM t WHERE amount > 0 WITH LOCAL CHECK OPTION;",
        ..Case::DEFAULT
    },
    Case {
        name: "view comment and grant",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v AS SELECT id FROM t;",
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v AS SELECT id FROM t; COMMENT ON VIEW v IS 'ids';
              GRANT SELECT ON v TO {role};",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "recreated view keeps its grant and comment",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v AS SELECT id FROM t; COMMENT ON VIEW v IS 'ids'; GRANT SELECT ON v TO {role};",
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v AS SELECT id, note FROM t; COMMENT ON VIEW v IS 'ids'; GRANT SELECT ON v TO {role};",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "table dropped with its view",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v AS SELECT id FROM t;",
        new: "",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "column dropped under a view that does not use it",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE VIEW v AS SELECT id, amount FROM t;",
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int);
              CREATE VIEW v AS SELECT id, amount FROM t;",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "create a materialized view with an index",
        old: BASE,
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE MATERIALIZED VIEW totals AS SELECT tenant_id, sum(amount) AS total FROM t GROUP BY tenant_id;
              CREATE UNIQUE INDEX totals_tenant ON totals (tenant_id);",
        ..Case::DEFAULT
    },
    Case {
        name: "materialized view definition changes",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE MATERIALIZED VIEW totals AS SELECT tenant_id, sum(amount) AS total FROM t GROUP BY tenant_id;
              CREATE UNIQUE INDEX totals_tenant ON totals (tenant_id);",
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE MATERIALIZED VIEW totals AS SELECT tenant_id, sum(amount) AS total, count(*) AS n FROM t GROUP BY tenant_id;
              CREATE UNIQUE INDEX totals_tenant ON totals (tenant_id);",
        ..Case::DEFAULT
    },
    Case {
        name: "materialized view gains an index",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE MATERIALIZED VIEW m AS SELECT id, amount FROM t;",
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE MATERIALIZED VIEW m AS SELECT id, amount FROM t; CREATE INDEX m_amount ON m (amount);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "view over a materialized view",
        old: BASE,
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE MATERIALIZED VIEW m AS SELECT id, amount FROM t;
              CREATE VIEW v AS SELECT id FROM m WHERE amount > 1;",
        ..Case::DEFAULT
    },
    Case {
        name: "view using a function",
        old: BASE,
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE FUNCTION cents(int) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT $1 / 100.0';
              CREATE VIEW v AS SELECT id, cents(amount) AS eur FROM t;",
        ..Case::DEFAULT
    },
    Case {
        name: "quoted view names",
        old: r#"CREATE TABLE "Item" ("Id" int, "Price" int);"#,
        new: r#"CREATE TABLE "Item" ("Id" int, "Price" int); CREATE VIEW "ExpensiveItem" AS SELECT "Id" FROM "Item" WHERE "Price" > 10;"#,
        ..Case::DEFAULT
    },
    Case {
        name: "view in another schema reading public",
        old: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);",
        new: "CREATE TABLE t (id int PRIMARY KEY, tenant_id int, amount int, note text);
              CREATE SCHEMA reporting; CREATE VIEW reporting.amounts AS SELECT id, amount FROM public.t;",
        ..Case::DEFAULT
    },
    Case {
        name: "column retyped under a view on another table's join and a materialized view",
        old: "CREATE TABLE a (id int PRIMARY KEY, label varchar(10));
              CREATE TABLE b (id int PRIMARY KEY, a_id int);
              CREATE VIEW ab AS SELECT b.id, a.label FROM b JOIN a ON a.id = b.a_id;
              CREATE MATERIALIZED VIEW labels AS SELECT label, count(*) AS n FROM a GROUP BY label;
              CREATE UNIQUE INDEX labels_label ON labels (label);
              INSERT INTO a VALUES (1, 'x'), (2, 'y'); INSERT INTO b VALUES (10, 1), (11, 2);",
        new: "CREATE TABLE a (id int PRIMARY KEY, label text);
              CREATE TABLE b (id int PRIMARY KEY, a_id int);
              CREATE VIEW ab AS SELECT b.id, a.label FROM b JOIN a ON a.id = b.a_id;
              CREATE MATERIALIZED VIEW labels AS SELECT label, count(*) AS n FROM a GROUP BY label;
              CREATE UNIQUE INDEX labels_label ON labels (label);",
        contains: &["DROP VIEW public.ab", "DROP MATERIALIZED VIEW public.labels"],
        rows: &[
            ("SELECT string_agg(id || label, ',' ORDER BY id) FROM ab", "10x,11y"),
            ("SELECT string_agg(label || n, ',' ORDER BY label) FROM labels", "x1,y1"),
        ],
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views() {
    super::run(CASES).await;
}
