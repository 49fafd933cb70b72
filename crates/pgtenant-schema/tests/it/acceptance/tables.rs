//! Tables: create, drop, rename, partitions, persistence, options.

use super::{Case, Reverse};
use pgtenant_schema::HazardKind::*;

const CASES: &[Case] = &[
    Case {
        name: "create a table",
        old: "",
        new: "CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);",
        contains: &["CREATE TABLE public.t"],
        ..Case::DEFAULT
    },
    Case {
        name: "drop a table",
        old: "CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);",
        new: "",
        hazards: &[DeletesData],
        contains: &["DROP TABLE public.t"],
        ..Case::DEFAULT
    },
    Case {
        name: "create two tables with a foreign key",
        old: "",
        new: "CREATE TABLE a (id int PRIMARY KEY);
              CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a(id));",
        ..Case::DEFAULT
    },
    Case {
        name: "foreign key cycle between two tables",
        old: "",
        new: "CREATE TABLE a (id int PRIMARY KEY, b_id int);
              CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id));
              ALTER TABLE a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY (b_id) REFERENCES b(id);",
        ..Case::DEFAULT
    },
    Case {
        name: "foreign key cycle gains a third table",
        old: "CREATE TABLE a (id int PRIMARY KEY, b_id int);
              CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id));
              ALTER TABLE a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY (b_id) REFERENCES b(id);",
        new: "CREATE TABLE a (id int PRIMARY KEY, b_id int, c_id int);
              CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id));
              CREATE TABLE c (id int PRIMARY KEY, a_id int REFERENCES a(id));
              ALTER TABLE a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY (b_id) REFERENCES b(id);
              ALTER TABLE a ADD CONSTRAINT a_c_id_fkey FOREIGN KEY (c_id) REFERENCES c(id);",
        ..Case::DEFAULT
    },
    Case {
        name: "table rename with a hint",
        old: "CREATE TABLE users (id int PRIMARY KEY, email text);",
        new: "CREATE TABLE members ( -- pgtenant:renamed-from users
                id int PRIMARY KEY, email text);",
        contains: &["ALTER TABLE public.users RENAME TO members"],
        ..Case::DEFAULT
    },
    Case {
        name: "table rename with a hint keeps foreign keys pointing at it",
        old: "CREATE TABLE users (id int PRIMARY KEY);
              CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users(id));",
        new: "CREATE TABLE accounts ( -- pgtenant:renamed-from users
                id int PRIMARY KEY);
              CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES accounts(id));",
        contains: &["ALTER TABLE public.users RENAME TO accounts"],
        ..Case::DEFAULT
    },
    Case {
        name: "table rename without a hint is a drop and a create",
        old: "CREATE TABLE users (id int PRIMARY KEY);",
        new: "CREATE TABLE members (id int PRIMARY KEY);",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "prisma style quoted mixed-case tables",
        old: "",
        new: r#"CREATE TABLE "Team" ("id" TEXT NOT NULL, "name" TEXT NOT NULL,
                  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
                  CONSTRAINT "Team_pkey" PRIMARY KEY ("id"));
              CREATE TABLE "TeamMember" ("id" TEXT NOT NULL, "teamId" TEXT NOT NULL, "userId" TEXT NOT NULL,
                  "role" TEXT NOT NULL DEFAULT 'member',
                  CONSTRAINT "TeamMember_pkey" PRIMARY KEY ("id"));
              CREATE UNIQUE INDEX "TeamMember_teamId_userId_key" ON "TeamMember"("teamId", "userId");
              CREATE INDEX "TeamMember_teamId_idx" ON "TeamMember"("teamId");
              ALTER TABLE "TeamMember" ADD CONSTRAINT "TeamMember_teamId_fkey" FOREIGN KEY ("teamId")
                  REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;"#,
        contains: &[r#"ALTER TABLE public."TeamMember" ADD CONSTRAINT "TeamMember_teamId_fkey""#],
        ..Case::DEFAULT
    },
    Case {
        name: "prisma style column added to a quoted table",
        old: r#"CREATE TABLE "TeamMember" ("id" TEXT NOT NULL PRIMARY KEY);"#,
        new: r#"CREATE TABLE "TeamMember" ("id" TEXT NOT NULL PRIMARY KEY, "teamId" TEXT,
                  "updatedAt" TIMESTAMP(3));"#,
        contains: &[r#"ADD COLUMN "teamId" text"#],
        ..Case::DEFAULT
    },
    Case {
        name: "unlogged table becomes logged",
        old: "CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);",
        new: "CREATE TABLE cache (k text PRIMARY KEY, v text);",
        hazards: &[RewritesTable],
        contains: &["SET LOGGED"],
        ..Case::DEFAULT
    },
    Case {
        name: "create an unlogged table",
        old: "",
        new: "CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);",
        ..Case::DEFAULT
    },
    Case {
        name: "storage parameter set and reset",
        old: "CREATE TABLE t (id int) WITH (fillfactor = 70);",
        new: "CREATE TABLE t (id int) WITH (autovacuum_enabled = false);",
        ..Case::DEFAULT
    },
    Case {
        name: "table in a new schema",
        old: "",
        new: "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY);",
        ..Case::DEFAULT
    },
    Case {
        name: "table in a mixed-case schema",
        old: r#"CREATE SCHEMA "App";"#,
        new: r#"CREATE SCHEMA "App"; CREATE TABLE "App"."Item" ("Id" int PRIMARY KEY, "Label" text);"#,
        ..Case::DEFAULT
    },
    Case {
        name: "drop a schema with its table",
        old: "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY);",
        new: "",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "create a range partitioned table with partitions",
        old: "",
        new: "CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, body text) PARTITION BY RANGE (at);
              CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
        ..Case::DEFAULT
    },
    Case {
        name: "partitioned table gains a partition",
        old: "CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
              CREATE INDEX events_at_idx ON events (at);
              CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        new: "CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
              CREATE INDEX events_at_idx ON events (at);
              CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
        contains: &["CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM"],
        hazards: &[],
        reverse: Reverse::Check,
        ..Case::DEFAULT
    },
    Case {
        name: "list partitioned table with a default partition",
        old: "",
        new: "CREATE TABLE items (id int NOT NULL, region text NOT NULL) PARTITION BY LIST (region);
              CREATE TABLE items_eu PARTITION OF items FOR VALUES IN ('eu', 'uk');
              CREATE TABLE items_other PARTITION OF items DEFAULT;",
        ..Case::DEFAULT
    },
    Case {
        name: "hash partitions",
        old: "CREATE TABLE h (id int NOT NULL) PARTITION BY HASH (id);
              CREATE TABLE h0 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 0);",
        new: "CREATE TABLE h (id int NOT NULL) PARTITION BY HASH (id);
              CREATE TABLE h0 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
              CREATE TABLE h1 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 1);",
        ..Case::DEFAULT
    },
    Case {
        name: "drop a partition",
        old: "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
              CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
        new: "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
              CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "column added to a partitioned table reaches its partitions",
        old: "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
              CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        new: "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
              CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        ..Case::DEFAULT
    },
    Case {
        name: "ordinary table becomes partitioned",
        old: "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL);",
        new: "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "partition bound changes",
        old: "CREATE TABLE e (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        new: "CREATE TABLE e (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2026-01-01');",
        hazards: &[AccessExclusiveLock],
        contains: &["DETACH PARTITION", "ATTACH PARTITION"],
        ..Case::DEFAULT
    },
    Case {
        name: "table comment added, changed, removed",
        old: "CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int);
              COMMENT ON TABLE b IS 'old'; COMMENT ON TABLE c IS 'gone';",
        new: "CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int);
              COMMENT ON TABLE a IS 'it''s new'; COMMENT ON TABLE b IS 'changed';",
        ..Case::DEFAULT
    },
    Case {
        name: "table with identity, defaults and checks",
        old: "",
        new: "CREATE TABLE orders (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                total numeric(12,2) NOT NULL DEFAULT 0 CHECK (total >= 0),
                created_at timestamptz NOT NULL DEFAULT now(),
                meta jsonb NOT NULL DEFAULT '{}'::jsonb);",
        ..Case::DEFAULT
    },
    Case {
        name: "empty table gains columns",
        old: "CREATE TABLE t ();",
        new: "CREATE TABLE t (a int, b text);",
        ..Case::DEFAULT
    },
    Case {
        name: "several tables dropped and created at once",
        old: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);",
        new: "CREATE TABLE c (id int PRIMARY KEY); CREATE TABLE d (id int PRIMARY KEY, c_id int REFERENCES c);",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "dropping a referenced table drops the referencing foreign key first",
        old: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);",
        new: "CREATE TABLE b (id int PRIMARY KEY, a_id int);",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "table rename with a hint keeps its policy, index and RLS",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id int NOT NULL);
              CREATE INDEX docs_tenant ON docs (tenant_id);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;
              CREATE POLICY iso ON docs USING (tenant_id = current_setting('app.tenant_id', true)::int);",
        new: "CREATE TABLE documents ( -- pgtenant:renamed-from docs
                id int PRIMARY KEY, tenant_id int NOT NULL);
              CREATE INDEX docs_tenant ON documents (tenant_id);
              ALTER TABLE documents ENABLE ROW LEVEL SECURITY; ALTER TABLE documents FORCE ROW LEVEL SECURITY;
              CREATE POLICY iso ON documents USING (tenant_id = current_setting('app.tenant_id', true)::int);",
        contains: &["ALTER TABLE public.docs RENAME TO documents"],
        ..Case::DEFAULT
    },
    Case {
        name: "partitioned table gains a column and a partition together",
        old: "CREATE TABLE e (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        new: "CREATE TABLE e (id int NOT NULL, at date NOT NULL, v text DEFAULT 'x') PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE TABLE e2 PARTITION OF e FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables() {
    super::run(CASES).await;
}
