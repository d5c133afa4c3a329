#!/usr/bin/env bash
# Issue 15's "body out of deliveries" lever, measured in PostgreSQL alone before building it (docs/benchmark-history.md).
# In a migrated database (argument; e.g. one made by `createdb` and the workers' `migrate`), it compares:
#   a  today's schema: the body and headers inline in `deliveries`, written by the insert and copied by the outcome update
#   b  `deliveries` without them, and an insert-only table of bodies and headers written in the same statement
# Each round: 2 clients inserting 6 deliveries per transaction at 333 tx/s (the ingress's commits at 2,000/s) and one
# taking up to 7 outbox rows at 50 tx/s, reading each delivery's body FOR UPDATE and recording its outcome (the worker);
# then PostgreSQL's CPU (every live server process, plus the postmaster's reaped children: autovacuum, pgbench's backends)
# and WAL per delivery. Run as root (it runs psql and pgbench as postgres). Rounds alternate a/b to spread the drift.
#   deploy/bench/experiments/body-table.sh webhooks_exp [seconds per round=45] [pairs=3]
set -euo pipefail
db=${1:?database}; seconds=${2:-45}; pairs=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); chmod 755 "$work"; trap 'rm -rf "$work"' EXIT
psql_() { su postgres -c "psql -X -q -At -v ON_ERROR_STOP=1 -d $db $*"; }

cp "$here/body-table.sql" "$work/setup.sql"
python3 - "$here/../comment_created.json" "$work/const.sql" <<'PY'
import json, sys
body = open(sys.argv[1]).read().replace("'", "''")
headers = json.dumps({"Content-Type": ["application/json"], "User-Agent": ["Atlassian Webhook HTTP Client"],
    "X-Atlassian-Webhook-Identifier": ["1234567890123456789"], "X-Atlassian-Webhook-Flow": ["Primary"],
    "X-Hub-Signature": ["sha256=" + "0123456789abcdef" * 4],
    "Traceparent": ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]}).replace("'", "''")
open(sys.argv[2], "w").write(f"TRUNCATE exp_const; INSERT INTO exp_const VALUES ('{headers}'::jsonb, convert_to('{body}', 'UTF8'));\n")
PY
chmod 644 "$work"/*.sql
psql_ -f "$work/setup.sql" >/dev/null
psql_ -f "$work/const.sql" >/dev/null
for v in a b; do
  echo "SELECT exp_ingest_$v(6);" > "$work/ingest_$v.sql"
  echo "SELECT exp_work_$v(7);" > "$work/work_$v.sql"
done
chmod 644 "$work"/*.sql

server_ticks() {
  local postmaster total=0 p s
  postmaster=$(head -1 /var/run/postgresql/15-main.pid)
  for p in $(pgrep -u postgres); do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }; set -- $s
    total=$((total + ${12} + ${13}))
    if [ "$p" = "$postmaster" ]; then total=$((total + ${14} + ${15})); fi
  done
  echo "$total"
}

round() {
  local v=$1 table=deliveries before after n0 n1 w0 w1 n
  [ "$v" = b ] && table=deliveries_b
  n0=$(psql_ -c "\"select count(*) from $table where status = 'processed'\"")
  w0=$(psql_ -c "'select wal_bytes from pg_stat_wal'")
  before=$(server_ticks)
  su postgres -c "pgbench -n -d $db -c 2 -j 1 -R 333 -T $seconds -f $work/ingest_$v.sql" >/dev/null 2>&1 &
  su postgres -c "pgbench -n -d $db -c 1 -j 1 -R 50 -T $seconds -f $work/work_$v.sql" >/dev/null 2>&1 &
  wait
  psql_ -c "'select exp_work_$v(1000000)'" >/dev/null
  after=$(server_ticks)
  n1=$(psql_ -c "\"select count(*) from $table where status = 'processed'\"")
  w1=$(psql_ -c "'select wal_bytes from pg_stat_wal'")
  n=$((n1 - n0))
  echo "$v: $n deliveries; PostgreSQL $(( (after - before) * 1000000 / $(getconf CLK_TCK) / n )) µs CPU and $(( (w1 - w0) / n )) B of WAL per delivery"
}

for i in $(seq "$pairs"); do if [ $((i % 2)) = 1 ]; then round a; round b; else round b; round a; fi; done
psql_ -c "\"select relname || ' ' || pg_size_pretty(pg_total_relation_size(oid)) from pg_class where relname in ('deliveries', 'deliveries_b', 'delivery_bodies_b')\""
