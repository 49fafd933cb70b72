//! Whole-schema changes mixing object kinds, as real migrations do.

use super::Case;
use pgtenant_schema::HazardKind::*;

const SAAS_V1: &str = "
CREATE TABLE tenants (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL UNIQUE);
CREATE TABLE memberships (tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE, role text NOT NULL DEFAULT 'member',
    PRIMARY KEY (tenant_id, user_id));
CREATE TABLE projects (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE, name text NOT NULL,
    settings jsonb NOT NULL DEFAULT '{}'::jsonb);
CREATE INDEX projects_tenant ON projects (tenant_id);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON projects USING (tenant_id = current_setting('app.tenant_id', true)::uuid)
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true)::uuid);
";

const SAAS_V2: &str = "
CREATE TYPE project_status AS ENUM ('active', 'archived');
CREATE TABLE tenants (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    plan text NOT NULL DEFAULT 'free');
CREATE TABLE users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL UNIQUE);
CREATE TABLE memberships (tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE, role text NOT NULL DEFAULT 'member',
    PRIMARY KEY (tenant_id, user_id));
CREATE TABLE projects (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE, name text NOT NULL,
    settings jsonb NOT NULL DEFAULT '{}'::jsonb, status project_status NOT NULL DEFAULT 'active');
CREATE INDEX projects_tenant ON projects (tenant_id, name);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON projects USING (tenant_id = current_setting('app.tenant_id', true)::uuid)
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true)::uuid);
CREATE TABLE tasks (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants ON DELETE CASCADE,
    project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE, title text NOT NULL,
    done boolean NOT NULL DEFAULT false);
CREATE INDEX tasks_tenant_project ON tasks (tenant_id, project_id);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tasks USING (tenant_id = current_setting('app.tenant_id', true)::uuid)
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true)::uuid);
CREATE VIEW open_tasks AS SELECT t.id, t.title, p.name AS project FROM tasks t JOIN projects p ON p.id = t.project_id WHERE NOT t.done;
";

const CASES: &[Case] = &[
    Case {
        name: "saas schema from empty",
        old: "",
        new: SAAS_V1,
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "saas schema version 1 to version 2",
        old: SAAS_V1,
        new: SAAS_V2,
        hazards: &[AuthzChange, IndexBuild],
        ..Case::DEFAULT
    },
    Case {
        name: "saas schema from empty to version 2",
        old: "",
        new: SAAS_V2,
        hazards: &[AuthzChange],
        ..Case::DEFAULT
    },
    Case {
        name: "identical schemas give an empty plan",
        old: SAAS_V2,
        new: SAAS_V2,
        ..Case::DEFAULT
    },
    Case {
        name: "everything in a non-public schema",
        old: "CREATE SCHEMA app;",
        new: "CREATE SCHEMA app;
              CREATE TYPE app.kind AS ENUM ('a', 'b');
              CREATE SEQUENCE app.counter;
              CREATE TABLE app.items (id int PRIMARY KEY DEFAULT nextval('app.counter'), kind app.kind NOT NULL);
              CREATE INDEX items_kind ON app.items (kind);
              CREATE VIEW app.a_items AS SELECT id FROM app.items WHERE kind = 'a';
              CREATE FUNCTION app.item_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM app.items';",
        ..Case::DEFAULT
    },
    Case {
        name: "reserved words as names",
        old: "",
        new: r#"CREATE TABLE "user" ("order" int, "select" text, "group" text PRIMARY KEY);
               CREATE INDEX "user_order" ON "user" ("order");
               CREATE VIEW "table" AS SELECT "order" FROM "user";"#,
        ..Case::DEFAULT
    },
    Case {
        name: "comments everywhere",
        old: "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON t (v);
              CREATE VIEW tv AS SELECT v FROM t; CREATE SEQUENCE s;
              CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        new: "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON t (v);
              CREATE VIEW tv AS SELECT v FROM t; CREATE SEQUENCE s;
              CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
              COMMENT ON TABLE t IS 'T'; COMMENT ON COLUMN t.v IS 'V'; COMMENT ON INDEX t_v IS 'idx';
              COMMENT ON VIEW tv IS 'view'; COMMENT ON SEQUENCE s IS 'seq'; COMMENT ON FUNCTION f() IS 'fn';
              COMMENT ON CONSTRAINT t_pkey ON t IS 'pk';",
        ..Case::DEFAULT
    },
    Case {
        name: "table with everything dropped",
        old: "CREATE TYPE k AS ENUM ('x'); CREATE SEQUENCE s;
              CREATE TABLE t (id int PRIMARY KEY DEFAULT nextval('s'), k k, parent int REFERENCES t);
              CREATE INDEX t_k ON t (k); CREATE VIEW v AS SELECT id FROM t;
              CREATE FUNCTION tg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
              CREATE TRIGGER t_tg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION tg();
              ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON t USING (k = 'x');",
        new: "",
        hazards: &[DeletesData],
        ..Case::DEFAULT
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misc() {
    super::run(CASES).await;
}
