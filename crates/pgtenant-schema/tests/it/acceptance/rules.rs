//! Rewrite rules: created, dropped, replaced, and dropped around changes to
//! what they use.

use super::Case;
use pgtenant_schema::HazardKind::*;

const LOGGED: &str = "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE TABLE log (id int, v text);
INSERT INTO t VALUES (1, 'a'), (2, 'b');
INSERT INTO log VALUES (1, 'a');
";

const CASES: &[Case] = &[
    Case {
        name: "table gains a DO ALSO rule",
        old: LOGGED,
        new: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE TABLE log (id int, v text);
CREATE RULE t_log AS ON INSERT TO t DO ALSO INSERT INTO log VALUES (NEW.id, NEW.v);
",
        contains: &["CREATE RULE t_log AS\n    ON INSERT TO public.t DO  INSERT INTO public.log"],
        rows: &[
            ("INSERT INTO t VALUES (3, 'c') RETURNING id::text", "3"),
            ("SELECT string_agg(id::text, ',' ORDER BY id) FROM log", "1,3"),
        ],
        ..Case::DEFAULT
    },
    Case {
        name: "table loses a DO INSTEAD rule",
        old: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE RULE t_no_delete AS ON DELETE TO t DO INSTEAD NOTHING;
INSERT INTO t VALUES (1, 'a');
",
        new: "CREATE TABLE t (id int PRIMARY KEY, v text);",
        contains: &["DROP RULE t_no_delete ON public.t"],
        rows: &[
            ("DELETE FROM t RETURNING id::text", "1"),
        ],
        ..Case::DEFAULT
    },
    Case {
        name: "rule definition changes in place",
        old: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE RULE t_guard AS ON DELETE TO t DO INSTEAD NOTHING;
",
        new: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE RULE t_guard AS ON DELETE TO t WHERE OLD.id < 100 DO INSTEAD NOTHING;
",
        contains: &["CREATE OR REPLACE RULE t_guard AS"],
        ..Case::DEFAULT
    },
    Case {
        name: "rule event changes in place",
        old: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE RULE t_guard AS ON DELETE TO t DO INSTEAD NOTHING;
",
        new: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE RULE t_guard AS ON UPDATE TO t DO INSTEAD NOTHING;
",
        contains: &["CREATE OR REPLACE RULE t_guard AS"],
        ..Case::DEFAULT
    },
    Case {
        name: "rule disabled and commented",
        old: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE RULE t_guard AS ON DELETE TO t DO INSTEAD NOTHING;
",
        new: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE RULE t_guard AS ON DELETE TO t DO INSTEAD NOTHING;
ALTER TABLE t DISABLE RULE t_guard;
COMMENT ON RULE t_guard ON t IS 'keeps rows';
",
        contains: &["ALTER TABLE public.t DISABLE RULE t_guard"],
        ..Case::DEFAULT
    },
    Case {
        name: "column a rule uses is retyped",
        old: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE TABLE log (id int, v text);
CREATE RULE t_log AS ON INSERT TO t DO ALSO INSERT INTO log VALUES (NEW.id, NEW.v);
INSERT INTO t VALUES (1, 'a'), (2, 'b');
",
        new: "
CREATE TABLE t (id bigint PRIMARY KEY, v text);
CREATE TABLE log (id bigint, v text);
CREATE RULE t_log AS ON INSERT TO t DO ALSO INSERT INTO log VALUES (NEW.id, NEW.v);
",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["DROP RULE t_log ON public.t", "CREATE RULE t_log AS"],
        rows: &[
            ("SELECT string_agg(id::text, ',' ORDER BY id) FROM log", "1,2"),
            ("INSERT INTO t VALUES (5000000000, 'c') RETURNING id::text", "5000000000"),
            ("SELECT max(id)::text FROM log", "5000000000"),
        ],
        rows_back: &[("SELECT count(*)::text FROM log", "0")],
        ..Case::DEFAULT
    },
    Case {
        name: "column of the rule's other table is retyped",
        old: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE TABLE log (id int, v varchar(10));
CREATE RULE t_log AS ON INSERT TO t DO ALSO INSERT INTO log VALUES (NEW.id, NEW.v);
",
        new: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE TABLE log (id int, v varchar(5));
CREATE RULE t_log AS ON INSERT TO t DO ALSO INSERT INTO log VALUES (NEW.id, NEW.v);
",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["DROP RULE t_log ON public.t"],
        ..Case::DEFAULT
    },
    Case {
        name: "table dropped that a rule on another table references",
        old: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE TABLE log (id int, v text);
CREATE RULE t_log AS ON INSERT TO t DO ALSO INSERT INTO log VALUES (NEW.id, NEW.v);
INSERT INTO t VALUES (1, 'a');
",
        new: "CREATE TABLE t (id int PRIMARY KEY, v text);",
        hazards: &[DeletesData],
        contains: &["DROP RULE t_log ON public.t", "DROP TABLE public.log"],
        rows: &[("SELECT count(*)::text FROM t", "1")],
        ..Case::DEFAULT
    },
    Case {
        name: "both tables of a rule dropped",
        old: "
CREATE TABLE a_src (id int);
CREATE TABLE z_log (id int);
CREATE TABLE b_log (id int);
CREATE RULE a_log AS ON INSERT TO z_log DO ALSO INSERT INTO b_log VALUES (NEW.id);
CREATE RULE b_back AS ON INSERT TO b_log DO ALSO INSERT INTO a_src VALUES (NEW.id);
",
        new: "CREATE TABLE a_src (id int);",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
    Case {
        name: "rule on a partitioned parent routes into a partition",
        old: "
CREATE TABLE ev (id int, k int) PARTITION BY LIST (k);
CREATE TABLE ev_1 PARTITION OF ev FOR VALUES IN (1);
CREATE TABLE ev_2 PARTITION OF ev FOR VALUES IN (2);
",
        new: "
CREATE TABLE ev (id int, k int) PARTITION BY LIST (k);
CREATE TABLE ev_1 PARTITION OF ev FOR VALUES IN (1);
CREATE TABLE ev_2 PARTITION OF ev FOR VALUES IN (2);
CREATE RULE ev_fold AS ON INSERT TO ev WHERE NEW.k > 2 DO INSTEAD INSERT INTO ev_2 VALUES (NEW.id, 2);
",
        rows: &[
            ("INSERT INTO ev VALUES (7, 9)", "NULL"),
            ("SELECT string_agg(id::text || ':' || k, ',') FROM ev_2", "7:2"),
        ],
        ..Case::DEFAULT
    },
    Case {
        name: "partition key column retyped under a rule on the parent",
        old: "
CREATE TABLE ev (id int, k int) PARTITION BY LIST (k);
CREATE TABLE ev_1 PARTITION OF ev FOR VALUES IN (1);
CREATE TABLE ev_2 PARTITION OF ev FOR VALUES IN (2);
CREATE RULE ev_fold AS ON INSERT TO ev WHERE NEW.k > 2 DO INSTEAD INSERT INTO ev_2 VALUES (NEW.id, 2);
",
        new: "
CREATE TABLE ev (id bigint, k int) PARTITION BY LIST (k);
CREATE TABLE ev_1 PARTITION OF ev FOR VALUES IN (1);
CREATE TABLE ev_2 PARTITION OF ev FOR VALUES IN (2);
CREATE RULE ev_fold AS ON INSERT TO ev WHERE NEW.k > 2 DO INSTEAD INSERT INTO ev_2 VALUES (NEW.id, 2);
",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["DROP RULE ev_fold ON public.ev"],
        ..Case::DEFAULT
    },
    Case {
        name: "rule on a view makes it writable",
        old: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE VIEW tv AS SELECT id, v FROM t;
",
        new: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE VIEW tv AS SELECT id, v FROM t;
CREATE RULE tv_del AS ON DELETE TO tv DO INSTEAD DELETE FROM t WHERE t.id = OLD.id;
",
        ..Case::DEFAULT
    },
    Case {
        name: "view with a rule recreated over a retyped column",
        old: "
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE VIEW tv AS SELECT id, v FROM t;
CREATE RULE tv_del AS ON DELETE TO tv DO INSTEAD DELETE FROM t WHERE t.id = OLD.id;
",
        new: "
CREATE TABLE t (id bigint PRIMARY KEY, v text);
CREATE VIEW tv AS SELECT id, v FROM t;
CREATE RULE tv_del AS ON DELETE TO tv DO INSTEAD DELETE FROM t WHERE t.id = OLD.id;
",
        hazards: &[RewritesTable, AccessExclusiveLock],
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules() {
    super::run(CASES).await;
}
