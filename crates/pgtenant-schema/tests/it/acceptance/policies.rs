//! Row level security flags, policies and grants.

use super::Case;
use pgtenant_schema::HazardKind::*;

const T: &str = "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);";

const CASES: &[Case] = &[
    Case {
        name: "enable row level security",
        old: T,
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "force row level security",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;",
        hazards: &[AuthzChange],
        contains: &["ALTER TABLE public.docs FORCE ROW LEVEL SECURITY"],
        ..Case::DEFAULT
    },
    Case {
        name: "no force row level security",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;",
        hazards: &[AuthzChange],
        contains: &["NO FORCE ROW LEVEL SECURITY"],
        ..Case::DEFAULT
    },
    Case {
        name: "forced without enabled",
        old: T,
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs FORCE ROW LEVEL SECURITY;",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "tenant isolation policy created",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;
              CREATE POLICY tenant_isolation ON docs
                USING (tenant_id = current_setting('app.tenant_id', true)::uuid)
                WITH CHECK (tenant_id = current_setting('app.tenant_id', true)::uuid);",
        hazards: &[AuthzChange],
        contains: &["CREATE POLICY tenant_isolation ON public.docs AS PERMISSIVE FOR ALL TO PUBLIC"],
        ..Case::DEFAULT
    },
    Case {
        name: "new tenant table with RLS and policy",
        old: "",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;
              CREATE POLICY tenant_isolation ON docs USING (tenant_id = current_setting('app.tenant_id', true)::uuid);",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "policy dropped",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY p ON docs USING (owner = current_user);",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "policy expression changes",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY p ON docs USING (owner = current_user);",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY p ON docs USING (owner = current_user OR owner IS NULL);",
        hazards: &[AuthzChange],
        contains: &["ALTER POLICY p ON public.docs USING"],
        ..Case::DEFAULT
    },
    Case {
        name: "policy gains a WITH CHECK",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY p ON docs USING (owner = current_user);",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY p ON docs USING (owner = current_user) WITH CHECK (owner = current_user);",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "policy command changes",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              CREATE POLICY p ON docs FOR SELECT USING (true);",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              CREATE POLICY p ON docs FOR UPDATE USING (true);",
        hazards: &[AuthzChange],
        contains: &["DROP POLICY p ON public.docs"],
        ..Case::DEFAULT
    },
    Case {
        name: "restrictive policy",
        old: T,
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              CREATE POLICY only_mine ON docs AS RESTRICTIVE FOR DELETE USING (owner = current_user);",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "insert policy with only WITH CHECK",
        old: T,
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              CREATE POLICY ins ON docs FOR INSERT WITH CHECK (owner = current_user);",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "policy roles change",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              CREATE POLICY p ON docs USING (true);",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              CREATE POLICY p ON docs TO {role} USING (true);",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "policy on a quoted table",
        old: r#"CREATE TABLE "TeamMember" ("teamId" text);"#,
        new: r#"CREATE TABLE "TeamMember" ("teamId" text);
              ALTER TABLE "TeamMember" ENABLE ROW LEVEL SECURITY;
              CREATE POLICY "Team isolation" ON "TeamMember" USING ("teamId" = current_setting('app.team', true));"#,
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "policy comment",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              CREATE POLICY p ON docs USING (true);",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              CREATE POLICY p ON docs USING (true); COMMENT ON POLICY p ON docs IS 'open';",
        ..Case::DEFAULT
    },
    Case {
        name: "policy with a subquery on another table",
        old: "CREATE TABLE members (user_name text, tenant_id uuid);
              CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);",
        new: "CREATE TABLE members (user_name text, tenant_id uuid);
              CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY member ON docs USING (tenant_id IN (SELECT m.tenant_id FROM members m WHERE m.user_name = current_user));",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "table grants to a role",
        old: T,
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO {role};",
        hazards: &[AuthzChange],
        contains: &["GRANT SELECT ON TABLE public.docs TO "],
        ..Case::DEFAULT
    },
    Case {
        name: "table grant revoked",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              GRANT SELECT, DELETE ON docs TO {role};",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              GRANT SELECT ON docs TO {role};",
        hazards: &[AuthzChange],
        contains: &["REVOKE DELETE ON TABLE public.docs FROM "],
        ..Case::DEFAULT
    },
    Case {
        name: "grant to public",
        old: T,
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text); GRANT SELECT ON docs TO PUBLIC;",
        hazards: &[AuthzChange],
        contains: &["TO PUBLIC"],
        ..Case::DEFAULT
    },
    Case {
        name: "grant with grant option",
        old: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text); GRANT SELECT ON docs TO {role};",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text); GRANT SELECT ON docs TO {role} WITH GRANT OPTION;",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "column grants",
        old: T,
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              GRANT SELECT (id, owner), UPDATE (owner) ON docs TO {role};",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "sequence grant",
        old: "CREATE SEQUENCE s;",
        new: "CREATE SEQUENCE s; GRANT USAGE, SELECT ON SEQUENCE s TO {role};",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "grants on a new table",
        old: "",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL, owner text);
              GRANT SELECT ON docs TO {role};",
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "column retyped that a policy on another table reads",
        old: "CREATE TABLE members (user_name text, tenant_id int);
              CREATE TABLE docs (id int PRIMARY KEY, tenant_id int NOT NULL);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY member ON docs USING (tenant_id IN (SELECT m.tenant_id FROM members m WHERE m.user_name = current_user));
              INSERT INTO members VALUES ('a', 1), ('b', 2);",
        new: "CREATE TABLE members (user_name text, tenant_id bigint);
              CREATE TABLE docs (id int PRIMARY KEY, tenant_id int NOT NULL);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY member ON docs USING (tenant_id IN (SELECT m.tenant_id FROM members m WHERE m.user_name = current_user));",
        hazards: &[RewritesTable, AccessExclusiveLock],
        contains: &["DROP POLICY member ON public.docs", "CREATE POLICY member ON public.docs"],
        rows: &[("SELECT string_agg(user_name || tenant_id, ',' ORDER BY tenant_id) FROM members", "a1,b2")],
        ..Case::DEFAULT
    },
    Case {
        name: "table dropped that a policy on another table reads",
        old: "CREATE TABLE members (user_name text, tenant_id int);
              CREATE TABLE docs (id int PRIMARY KEY, tenant_id int NOT NULL);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY member ON docs USING (tenant_id IN (SELECT m.tenant_id FROM members m WHERE m.user_name = current_user));",
        new: "CREATE TABLE docs (id int PRIMARY KEY, tenant_id int NOT NULL);
              ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
              CREATE POLICY member ON docs USING (tenant_id = current_setting('app.tenant_id')::int);",
        hazards: &[DeletesData, AuthzChange],
        contains: &["DROP POLICY member ON public.docs"],
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies() {
    super::run(CASES).await;
}
