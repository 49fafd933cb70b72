// The CRM example (examples/core) through the module `pgtenant codegen
// --lang ts` writes for it, as the example's service role. The Rust test
// crates/pgtenant-cli/tests/it/codegen_ts.rs brings the database up with
// its demo data plus a second workspace, writes the module beside this
// file as core_crm.generated.ts, compiles both with `tsc --strict` and runs
// this with SERVICE_URL set. Any failed expectation throws: exit 1.

import pg from "pg";
import postgres from "postgres";
import {
  beginSql,
  quoteLiteral,
  TenantContextError,
  withTenant,
  withTenantPostgres,
  workspaceMembersSchema,
  workspacesInsertSchema,
  workspacesSchema,
  type WorkspaceMembers,
  type Workspaces,
  type WorkspacesInsert,
} from "./core_crm.generated.js";

const DEMO = "DemoWorkspace01";
const OTHER = "OtherWorkspace02";
const OWNER = "00000000-0000-4000-8000-0000000c0001";
const MEMBER = "00000000-0000-4000-8000-0000000c0002";
const OTHER_OWNER = "00000000-0000-4000-8000-0000000c0003";

function expect(ok: boolean, what: string, seen?: unknown): void {
  if (!ok) {
    throw new Error(`${what}${seen === undefined ? "" : `: ${JSON.stringify(seen)}`}`);
  }
}

async function rejects(p: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error(`${what}: did not throw`);
}

const url = process.env.SERVICE_URL;
if (!url) throw new Error("SERVICE_URL is not set");
const pool = new pg.Pool({ connectionString: url, max: 2 });

try {
  // A member of the demo workspace sees its workspace's rows only; the
  // rows have the generated shape and pass the select schemas.
  const members = await withTenant(pool, { tenantId: DEMO, userId: MEMBER }, async (client) => {
    const r = await client.query<WorkspaceMembers>("SELECT * FROM workspace_members ORDER BY role");
    return r.rows;
  });
  expect(members.length === 2, "the demo workspace has two members", members);
  expect(members.every((m) => m.workspace_id === DEMO), "only demo memberships", members);
  for (const m of members) workspaceMembersSchema.parse(m);
  expect(members[0].joined_at instanceof Date, "joined_at is a Date", members[0]);

  const workspaces: Workspaces[] = await withTenant(pool, { tenantId: DEMO, userId: MEMBER }, async (c) =>
    (await c.query<Workspaces>("SELECT * FROM workspaces")).rows,
  );
  expect(workspaces.length === 1 && workspaces[0].id === DEMO, "the member sees its workspace", workspaces);
  workspacesSchema.parse(workspaces[0]);

  // Isolation: the other workspace's rows are invisible from the demo
  // workspace, and the demo rows from the other workspace.
  const fromDemo = await withTenant(pool, { tenantId: DEMO }, async (c) =>
    (await c.query<{ workspace_id: string }>("SELECT workspace_id FROM workspace_members")).rows,
  );
  expect(fromDemo.length === 2 && fromDemo.every((r) => r.workspace_id === DEMO), "no other rows in demo", fromDemo);
  const fromOther = await withTenant(pool, { tenantId: OTHER, userId: OTHER_OWNER }, async (c) => ({
    members: (await c.query<{ workspace_id: string }>("SELECT workspace_id FROM workspace_members")).rows,
    workspaces: (await c.query<{ id: string }>("SELECT id FROM workspaces")).rows,
  }));
  expect(
    fromOther.members.length === 1 && fromOther.members[0].workspace_id === OTHER,
    "the other workspace sees its own member only",
    fromOther,
  );
  expect(fromOther.workspaces.length === 1 && fromOther.workspaces[0].id === OTHER, "and its own workspace", fromOther);
  const stray = await withTenant(pool, { tenantId: OTHER }, async (c) =>
    (await c.query("UPDATE workspace_members SET role = 'admin' WHERE workspace_id = $1", [DEMO])).rowCount,
  );
  expect(stray === 0, "the other workspace cannot touch demo rows", stray);

  // Without a context the service role sees nothing, and a connection
  // comes back from withTenant without the settings.
  const bare = await pool.query<{ n: number; tenant: string | null }>(
    "SELECT (SELECT count(*) FROM workspace_members)::int AS n, current_setting('app.workspace_id', true) AS tenant",
  );
  expect(bare.rows[0].n === 0, "no context, no rows", bare.rows);
  expect(!bare.rows[0].tenant, "no setting outside withTenant", bare.rows);

  // zod: the workspace id is 10-20 alphanumerics, as the CHECK says.
  const insert: WorkspacesInsert = { id: "abcdefghi", name: "Nine", created_by: OWNER };
  const nine = workspacesInsertSchema.safeParse(insert);
  expect(!nine.success, "a 9-character workspace id is refused", nine);
  expect(
    !workspacesInsertSchema.safeParse({ ...insert, id: "abcdefghi!" }).success,
    "a non-alphanumeric id is refused",
  );
  expect(
    !workspacesInsertSchema.safeParse({ ...insert, id: "a".repeat(21) }).success,
    "a 21-character id is refused",
  );
  const ten = workspacesInsertSchema.safeParse({ ...insert, id: "abcdefghij" });
  expect(ten.success, "a 10-character alphanumeric id is accepted", ten);
  expect(workspacesInsertSchema.safeParse({ ...insert, id: DEMO }).success, "the demo id is accepted");
  expect(!workspacesSchema.safeParse({ ...workspaces[0], created_at: "yesterday" }).success, "dates are Dates");

  // The database agrees with the schema: it refuses the 9-character id.
  const refused = await rejects(
    withTenant(pool, { tenantId: "abcdefghi" }, (c) =>
      c.query("INSERT INTO workspaces (id, name, created_by) VALUES ($1, $2, $3)", ["abcdefghi", "Nine", OWNER]),
    ),
    "inserting a 9-character workspace id",
  );
  expect(String(refused).includes("workspaces_id_format"), "the CHECK refuses it", String(refused));

  // An error thrown inside fn rolls back what fn did, and is thrown on.
  const boom = await rejects(
    withTenant(pool, { tenantId: DEMO, userId: MEMBER }, async (c) => {
      await c.query("UPDATE workspaces SET name = 'Renamed' WHERE id = $1", [DEMO]);
      await c.query("DELETE FROM workspace_members WHERE user_id = $1", [MEMBER]);
      throw new Error("boom");
    }),
    "a throwing fn",
  );
  expect(boom instanceof Error && boom.message === "boom", "the error comes out", String(boom));
  const after = await withTenant(pool, { tenantId: DEMO }, async (c) => ({
    name: (await c.query<{ name: string }>("SELECT name FROM workspaces")).rows[0].name,
    members: (await c.query("SELECT 1 FROM workspace_members")).rowCount,
  }));
  expect(after.name === "Demo Workspace" && after.members === 2, "rolled back", after);

  // Returning commits.
  await withTenant(pool, { tenantId: DEMO }, (c) =>
    c.query("UPDATE workspaces SET description = 'committed' WHERE id = $1", [DEMO]),
  );
  const committed = await withTenant(pool, { tenantId: DEMO }, async (c) =>
    (await c.query<{ description: string }>("SELECT description FROM workspaces")).rows[0].description,
  );
  expect(committed === "committed", "committed", committed);

  // Ids are checked against the key types before anything is sent, and
  // quoted as literals.
  const long = await rejects(withTenant(pool, { tenantId: "x".repeat(21) }, async () => 1), "a 21-character tenant id");
  expect(long instanceof TenantContextError, "a TenantContextError", String(long));
  expect(
    String(long).includes('invalid tenant id "xxxxxxxxxxxxxxxxxxxxx": expected varchar(20) (21 characters, at most 20 allowed)'),
    "the library's message",
    String(long),
  );
  const badUser = await rejects(withTenant(pool, { tenantId: DEMO, userId: "me" }, async () => 1), "a bad user id");
  expect(String(badUser).includes("expected uuid (not a UUID)"), "user ids are uuids", String(badUser));
  expect(
    beginSql({ tenantId: "it's", userId: "00000000-0000-4000-8000-0000000C0002" }) ===
      "SET LOCAL app.workspace_id = 'it''s'; SET LOCAL app.user_id = '00000000-0000-4000-8000-0000000c0002'; BEGIN",
    "one message, settings first, canonical uuid",
    beginSql({ tenantId: "it's", userId: "00000000-0000-4000-8000-0000000C0002" }),
  );
  expect(quoteLiteral("a\\b'c") === "E'a\\\\b''c'", "backslashes make an E'' literal", quoteLiteral("a\\b'c"));
  const quoted = await withTenant(pool, { tenantId: "it's\\x" }, async (c) =>
    (await c.query<{ t: string }>("SELECT current_setting('app.workspace_id') AS t")).rows[0].t,
  );
  expect(quoted === "it's\\x", "the id arrives as given", quoted);

  expect(pool.idleCount === pool.totalCount, "every connection was released", [pool.idleCount, pool.totalCount]);
} finally {
  await pool.end();
}

// The same through postgres.js.
const sql = postgres(url, { max: 1, onnotice: () => undefined });
try {
  const rows = await withTenantPostgres(sql, { tenantId: DEMO, userId: MEMBER }, async (tx) =>
    tx<{ workspace_id: string }[]>`SELECT workspace_id FROM workspace_members`,
  );
  expect(rows.length === 2 && rows.every((r) => r.workspace_id === DEMO), "postgres.js: demo rows only", rows);
  const other = await withTenantPostgres(sql, { tenantId: OTHER }, async (tx) =>
    tx<{ id: string }[]>`SELECT id FROM workspaces`,
  );
  expect(other.length === 1 && other[0].id === OTHER, "postgres.js: the other workspace only", other);
  const boom = await rejects(
    withTenantPostgres(sql, { tenantId: DEMO }, async (tx) => {
      await tx`UPDATE workspaces SET name = 'Renamed' WHERE id = ${DEMO}`;
      throw new Error("boom");
    }),
    "postgres.js: a throwing fn",
  );
  expect(boom instanceof Error && boom.message === "boom", "postgres.js: the error comes out", String(boom));
  const name = await withTenantPostgres(sql, { tenantId: DEMO }, async (tx) =>
    (await tx<{ name: string }[]>`SELECT name FROM workspaces`)[0].name,
  );
  expect(name === "Demo Workspace", "postgres.js: rolled back", name);
  const bare = await sql<{ n: number }[]>`SELECT (SELECT count(*) FROM workspace_members)::int AS n`;
  expect(bare[0].n === 0, "postgres.js: no context, no rows", bare);
} finally {
  await sql.end();
}
console.log("core_crm: ok");
