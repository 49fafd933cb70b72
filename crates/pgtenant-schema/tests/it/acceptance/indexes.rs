//! Indexes: plain, unique, partial, expression, methods, INCLUDE.

use super::Case;
use pgtenant_schema::HazardKind::*;

const CASES: &[Case] = &[
    Case {
        name: "add an index",
        old: "CREATE TABLE t (id int, email text);",
        new: "CREATE TABLE t (id int, email text); CREATE INDEX t_email_idx ON t (email);",
        hazards: &[IndexBuild],
        contains: &["CREATE INDEX t_email_idx ON public.t USING btree (email)"],
        ..Case::DEFAULT
    },
    Case {
        name: "drop an index",
        old: "CREATE TABLE t (id int, email text); CREATE INDEX t_email_idx ON t (email);",
        new: "CREATE TABLE t (id int, email text);",
        ..Case::DEFAULT
    },
    Case {
        name: "unique index",
        old: "CREATE TABLE t (email text);",
        new: "CREATE TABLE t (email text); CREATE UNIQUE INDEX t_email_key ON t (email);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "partial index",
        old: "CREATE TABLE t (email text, deleted_at timestamptz);",
        new: "CREATE TABLE t (email text, deleted_at timestamptz);
              CREATE UNIQUE INDEX t_live_email ON t (email) WHERE deleted_at IS NULL;",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "expression index",
        old: "CREATE TABLE t (email text);",
        new: "CREATE TABLE t (email text); CREATE UNIQUE INDEX t_lower_email ON t (lower(email));",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "index with INCLUDE",
        old: "CREATE TABLE t (a int, b text);",
        new: "CREATE TABLE t (a int, b text); CREATE INDEX t_a_incl ON t (a) INCLUDE (b);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "index method changes",
        old: "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a);",
        new: "CREATE TABLE t (a int); CREATE INDEX t_a ON t USING hash (a);",
        hazards: &[IndexBuild],
        contains: &["DROP INDEX public.t_a"],
        ..Case::DEFAULT
    },
    Case {
        name: "gin index on jsonb",
        old: "CREATE TABLE t (doc jsonb);",
        new: "CREATE TABLE t (doc jsonb); CREATE INDEX t_doc ON t USING gin (doc jsonb_path_ops);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "descending nulls last",
        old: "CREATE TABLE t (at timestamptz); CREATE INDEX t_at ON t (at);",
        new: "CREATE TABLE t (at timestamptz); CREATE INDEX t_at ON t (at DESC NULLS LAST);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "multi-column index leading with the tenant",
        old: "CREATE TABLE t (tenant_id uuid, created_at timestamptz); CREATE INDEX t_created ON t (created_at);",
        new: "CREATE TABLE t (tenant_id uuid, created_at timestamptz); CREATE INDEX t_created ON t (tenant_id, created_at);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "index renamed",
        old: "CREATE TABLE t (a int); CREATE INDEX old_name ON t (a);",
        new: "CREATE TABLE t (a int); CREATE INDEX new_name ON t (a);",
        contains: &["ALTER INDEX public.old_name RENAME TO new_name"],
        ..Case::DEFAULT
    },
    Case {
        name: "index comment",
        old: "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a);",
        new: "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a); COMMENT ON INDEX t_a IS 'lookup';",
        ..Case::DEFAULT
    },
    Case {
        name: "index on quoted names",
        old: r#"CREATE TABLE "User" ("Email" text);"#,
        new: r#"CREATE TABLE "User" ("Email" text); CREATE INDEX "User_Email_idx" ON "User" ("Email");"#,
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "index on a partitioned table with partitions",
        old: "CREATE TABLE e (id int, at date) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE TABLE e2 PARTITION OF e FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
        new: "CREATE TABLE e (id int, at date) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE TABLE e2 PARTITION OF e FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
              CREATE INDEX e_id ON e (id);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "index only on one partition",
        old: "CREATE TABLE e (id int, at date) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
        new: "CREATE TABLE e (id int, at date) PARTITION BY RANGE (at);
              CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE INDEX e1_id ON e1 (id);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "trigram index with an extension",
        old: "CREATE TABLE t (name text);",
        new: "CREATE EXTENSION pg_trgm; CREATE TABLE t (name text);
              CREATE INDEX t_name_trgm ON t USING gin (name gin_trgm_ops);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "brin index with storage parameter",
        old: "CREATE TABLE t (at timestamptz);",
        new: "CREATE TABLE t (at timestamptz); CREATE INDEX t_at_brin ON t USING brin (at) WITH (pages_per_range = 32);",
        hazards: &[IndexBuild],
        ..Case::DEFAULT
    },
    // A foreign key may reference a unique index (not only a constraint):
    // the index is built before the key and dropped after it.
    Case {
        name: "foreign key to a unique index, both created",
        old: "",
        new: "CREATE TABLE p (org int NOT NULL, id int NOT NULL);
              CREATE UNIQUE INDEX p_org_id ON p (org, id);
              CREATE TABLE c (org int NOT NULL, p_id int NOT NULL,
                  CONSTRAINT c_p_fk FOREIGN KEY (org, p_id) REFERENCES p (org, id));",
        contains: &["CREATE UNIQUE INDEX p_org_id", "ADD CONSTRAINT c_p_fk"],
        ..Case::DEFAULT
    },
    Case {
        name: "foreign key to a unique index, both dropped",
        old: "CREATE TABLE p (org int NOT NULL, id int NOT NULL);
              CREATE UNIQUE INDEX p_org_id ON p (org, id);
              CREATE TABLE c (org int NOT NULL, p_id int NOT NULL,
                  CONSTRAINT c_p_fk FOREIGN KEY (org, p_id) REFERENCES p (org, id));",
        new: "CREATE TABLE p (org int NOT NULL, id int NOT NULL);
              CREATE TABLE c (org int NOT NULL, p_id int NOT NULL);",
        contains: &["DROP CONSTRAINT c_p_fk", "DROP INDEX public.p_org_id"],
        ..Case::DEFAULT
    },
    Case {
        name: "unique index under a foreign key changes",
        old: "CREATE TABLE p (org int NOT NULL, id int NOT NULL);
              CREATE UNIQUE INDEX p_org_id ON p (org, id);
              CREATE TABLE c (org int NOT NULL, p_id int NOT NULL,
                  CONSTRAINT c_p_fk FOREIGN KEY (org, p_id) REFERENCES p (org, id));",
        new: "CREATE TABLE p (org int NOT NULL, id int NOT NULL);
              CREATE UNIQUE INDEX p_org_id ON p (id, org);
              CREATE TABLE c (org int NOT NULL, p_id int NOT NULL,
                  CONSTRAINT c_p_fk FOREIGN KEY (org, p_id) REFERENCES p (org, id));",
        hazards: &[IndexBuild],
        contains: &["DROP CONSTRAINT c_p_fk", "DROP INDEX public.p_org_id"],
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexes() {
    super::run(CASES).await;
}
