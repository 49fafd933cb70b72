//! Primary keys, unique, check, exclusion and foreign-key constraints.

use super::Case;
use pgtenant_schema::HazardKind::*;

const CASES: &[Case] = &[
    Case {
        name: "add a primary key",
        old: "CREATE TABLE t (id int NOT NULL);",
        new: "CREATE TABLE t (id int PRIMARY KEY);",
        hazards: &[IndexBuild, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "drop a primary key",
        old: "CREATE TABLE t (id int PRIMARY KEY);",
        new: "CREATE TABLE t (id int NOT NULL);",
        ..Case::DEFAULT
    },
    Case {
        name: "primary key becomes composite",
        old: "CREATE TABLE t (tenant_id int NOT NULL, id int PRIMARY KEY);",
        new: "CREATE TABLE t (tenant_id int NOT NULL, id int NOT NULL, PRIMARY KEY (tenant_id, id));",
        hazards: &[IndexBuild, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "primary key change with a foreign key pointing at it",
        old: "CREATE TABLE a (id int NOT NULL, code text NOT NULL UNIQUE, PRIMARY KEY (id));
              CREATE TABLE b (a_id int REFERENCES a (id));",
        new: "CREATE TABLE a (id int NOT NULL, code text NOT NULL UNIQUE, CONSTRAINT a_pkey PRIMARY KEY (id) INCLUDE (code));
              CREATE TABLE b (a_id int REFERENCES a (id));",
        hazards: &[IndexBuild, AccessExclusiveLock],
        contains: &["DROP CONSTRAINT b_a_id_fkey"],
        ..Case::DEFAULT
    },
    Case {
        name: "add a unique constraint",
        old: "CREATE TABLE t (email text);",
        new: "CREATE TABLE t (email text UNIQUE);",
        hazards: &[IndexBuild, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "unique nulls not distinct",
        old: "CREATE TABLE t (a int, b int, UNIQUE (a, b));",
        new: "CREATE TABLE t (a int, b int, UNIQUE NULLS NOT DISTINCT (a, b));",
        hazards: &[IndexBuild, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "add a check",
        old: "CREATE TABLE t (n int);",
        new: "CREATE TABLE t (n int CONSTRAINT n_positive CHECK (n > 0));",
        hazards: &[AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "add a check NOT VALID",
        old: "CREATE TABLE t (n int);",
        new: "CREATE TABLE t (n int); ALTER TABLE t ADD CONSTRAINT n_positive CHECK (n > 0) NOT VALID;",
        contains: &["NOT VALID"],
        ..Case::DEFAULT
    },
    Case {
        name: "validate a NOT VALID check",
        old: "CREATE TABLE t (n int); ALTER TABLE t ADD CONSTRAINT n_positive CHECK (n > 0) NOT VALID;",
        new: "CREATE TABLE t (n int CONSTRAINT n_positive CHECK (n > 0));",
        contains: &["VALIDATE CONSTRAINT n_positive"],
        ..Case::DEFAULT
    },
    Case {
        name: "check expression changes",
        old: "CREATE TABLE t (n int CONSTRAINT n_range CHECK (n > 0));",
        new: "CREATE TABLE t (n int CONSTRAINT n_range CHECK (n > 0 AND n < 100));",
        hazards: &[AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "multi-column check",
        old: "CREATE TABLE t (starts date, ends date);",
        new: "CREATE TABLE t (starts date, ends date, CONSTRAINT period CHECK (ends > starts));",
        hazards: &[AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "drop a check",
        old: "CREATE TABLE t (n int CHECK (n > 0));",
        new: "CREATE TABLE t (n int);",
        ..Case::DEFAULT
    },
    Case {
        name: "add a foreign key",
        old: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int);",
        new: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a);",
        ..Case::DEFAULT
    },
    Case {
        name: "foreign key action changes",
        old: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a);",
        new: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a ON DELETE CASCADE ON UPDATE SET NULL);",
        ..Case::DEFAULT
    },
    Case {
        name: "deferrable foreign key",
        old: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a);",
        new: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a DEFERRABLE INITIALLY DEFERRED);",
        ..Case::DEFAULT
    },
    Case {
        name: "foreign key NOT VALID then validated",
        old: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int);
              ALTER TABLE b ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES a NOT VALID;",
        new: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int);
              ALTER TABLE b ADD CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES a;",
        contains: &["VALIDATE CONSTRAINT b_a_fk"],
        ..Case::DEFAULT
    },
    Case {
        name: "composite foreign key including the tenant",
        old: "CREATE TABLE p (tenant_id int, id int, PRIMARY KEY (tenant_id, id));
              CREATE TABLE c (tenant_id int, p_id int);",
        new: "CREATE TABLE p (tenant_id int, id int, PRIMARY KEY (tenant_id, id));
              CREATE TABLE c (tenant_id int, p_id int, FOREIGN KEY (tenant_id, p_id) REFERENCES p (tenant_id, id) MATCH FULL);",
        ..Case::DEFAULT
    },
    Case {
        name: "self-referencing foreign key",
        old: "CREATE TABLE node (id int PRIMARY KEY);",
        new: "CREATE TABLE node (id int PRIMARY KEY, parent_id int REFERENCES node);",
        ..Case::DEFAULT
    },
    Case {
        name: "drop a foreign key",
        old: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a);",
        new: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int);",
        ..Case::DEFAULT
    },
    Case {
        name: "foreign key to a unique constraint that changes",
        old: "CREATE TABLE a (code text UNIQUE); CREATE TABLE b (code text REFERENCES a (code));",
        new: "CREATE TABLE a (code text, CONSTRAINT a_code_key UNIQUE NULLS NOT DISTINCT (code));
              CREATE TABLE b (code text REFERENCES a (code));",
        hazards: &[IndexBuild, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "exclusion constraint",
        old: "CREATE TABLE booking (room int, during tsrange);",
        new: "CREATE TABLE booking (room int, during tsrange, EXCLUDE USING gist (during WITH &&));",
        hazards: &[IndexBuild, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "constraint renamed",
        old: "CREATE TABLE t (n int CONSTRAINT old_check CHECK (n > 0));",
        new: "CREATE TABLE t (n int CONSTRAINT new_check CHECK (n > 0));",
        contains: &["RENAME CONSTRAINT old_check TO new_check"],
        ..Case::DEFAULT
    },
    Case {
        name: "constraint comment",
        old: "CREATE TABLE t (n int CONSTRAINT pos CHECK (n > 0));",
        new: "CREATE TABLE t (n int CONSTRAINT pos CHECK (n > 0)); COMMENT ON CONSTRAINT pos ON t IS 'must be positive';",
        ..Case::DEFAULT
    },
    Case {
        name: "quoted constraint names",
        old: r#"CREATE TABLE "Order" ("Id" int);"#,
        new: r#"CREATE TABLE "Order" ("Id" int CONSTRAINT "Order_pkey" PRIMARY KEY, "Total" int CONSTRAINT "Total>0" CHECK ("Total" > 0));"#,
        hazards: &[IndexBuild, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "constraints on a partitioned table are not repeated on partitions",
        old: "CREATE TABLE e (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        new: "CREATE TABLE e (id int NOT NULL, at date NOT NULL, CHECK (id > 0), PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        hazards: &[IndexBuild, AccessExclusiveLock],
        ..Case::DEFAULT
    },
    Case {
        name: "foreign key across integer ids becoming text",
        old: "CREATE TABLE a (id int PRIMARY KEY);
              CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a ON DELETE CASCADE);
              INSERT INTO a VALUES (1), (2), (10);
              INSERT INTO b VALUES (1, 1), (2, 2), (3, 10), (4, 2);",
        new: "CREATE TABLE a (id text PRIMARY KEY);
              CREATE TABLE b (id int PRIMARY KEY, a_id text NOT NULL REFERENCES a ON DELETE CASCADE);
              INSERT INTO a VALUES ('1'), ('2'), ('10');
              INSERT INTO b VALUES (1, '1'), (2, '2'), (3, '10'), (4, '2');",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &[
            "ALTER TABLE public.b DROP CONSTRAINT b_a_id_fkey",
            "ALTER TABLE public.a ALTER COLUMN id TYPE text USING id::text",
            "ALTER TABLE public.b ALTER COLUMN a_id TYPE text USING a_id::text",
            "ALTER TABLE public.b ADD CONSTRAINT b_a_id_fkey FOREIGN KEY (a_id) REFERENCES public.a(id) ON DELETE CASCADE",
        ],
        rows: &[
            ("SELECT string_agg(id || '>' || a_id, ',' ORDER BY id) FROM b", "1>1,2>2,3>10,4>2"),
            ("SELECT convalidated::text FROM pg_constraint WHERE conname = 'b_a_id_fkey'", "true"),
            ("DELETE FROM a WHERE id = '2' RETURNING id", "2"),
            ("SELECT string_agg(id::text, ',' ORDER BY id) FROM b", "1,3"),
        ],
        rows_back: &[
            ("SELECT string_agg(id || '>' || a_id, ',' ORDER BY id) FROM b", "1>1,2>2,3>10,4>2"),
            ("SELECT pg_typeof(a_id)::text FROM b", "integer"),
        ],
        ..Case::DEFAULT
    },
    Case {
        name: "foreign key across integer ids becoming bigint keeps the values",
        old: "CREATE TABLE a (id int PRIMARY KEY);
              CREATE TABLE b (a_id int REFERENCES a, n int);
              INSERT INTO a VALUES (1), (2);
              INSERT INTO b VALUES (1, 1), (2, 2), (2, 3);",
        new: "CREATE TABLE a (id bigint PRIMARY KEY);
              CREATE TABLE b (a_id bigint REFERENCES a, n int);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["DROP CONSTRAINT b_a_id_fkey", "ADD CONSTRAINT b_a_id_fkey"],
        rows: &[
            ("SELECT string_agg(a_id || ':' || n, ',' ORDER BY n) FROM b", "1:1,2:2,2:3"),
            ("INSERT INTO a VALUES (5000000000) RETURNING id::text", "5000000000"),
            ("INSERT INTO b VALUES (5000000000, 4) RETURNING a_id::text", "5000000000"),
        ],
        ..Case::DEFAULT
    },
    Case {
        name: "composite foreign key with one column retyped on both sides",
        old: "CREATE TABLE a (tenant_id int, id int, PRIMARY KEY (tenant_id, id));
              CREATE TABLE b (tenant_id int, a_id int, FOREIGN KEY (tenant_id, a_id) REFERENCES a);
              INSERT INTO a VALUES (1, 1); INSERT INTO b VALUES (1, 1);",
        new: "CREATE TABLE a (tenant_id int, id text, PRIMARY KEY (tenant_id, id));
              CREATE TABLE b (tenant_id int, a_id text, FOREIGN KEY (tenant_id, a_id) REFERENCES a);",
        hazards: &[RewritesTable, AccessExclusiveLock],
        rows: &[("SELECT tenant_id || '/' || a_id FROM b", "1/1")],
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constraints() {
    super::run(CASES).await;
}
