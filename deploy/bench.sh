#!/usr/bin/env bash
# The benchmark (issues 6 and 15). Brings the stack up the way run.sh does (Release build, migrate, deploy-topology) in its
# own database and vhost, creates an account, integrations and linked records through the admin API, measures, prints
# one table and writes the same table into docs/benchmarks.md (between the bench markers).
#
#   1. ingress throughput/latency: wrk, ~1 KB Jira comment_created bodies, distinct comment ids, rotating tokens
#   2. ceilings in the same run, under the same wrk load: a plain Kestrel endpoint (HTTP only), and the durable-write
#      ceiling, a Kestrel endpoint that group-commits the same rows by binary COPY into a scratch table and answers after
#      the commit; the raw COPY rate without HTTP (informational); then the ingress at half its maximum rate (open loop)
#   3. worker drain: BENCH_DRAIN_COUNT deliveries accepted with the workers stopped, then 1, then 2 replicas; then a bulk
#      replay of BENCH_REPLAY_COUNT of them (single-delivery messages, the path of replays and hand-backs), 1 replica
#   4. end to end at a steady BENCH_E2E_RATE req/s: received_at → processed_at from the deliveries; then sustained
#      open-loop steps, and the highest rate held for BENCH_SUSTAIN_SECONDS with every process's CPU per webhook; then,
#      at that rate with the workers stopped, the ingress and the durable-write endpoint alone (CPU per request of each)
#   5. peak RSS (VmHWM) of the ingress and the workers
#
# Settings (environment):
#   BENCH_DURATION=30 BENCH_WARMUP=10 BENCH_CONNECTIONS=64 BENCH_THREADS=2   wrk runs (phases 1 and 2)
#   BENCH_WARMUP_MAX=60         each wrk run's warm-up goes on in 5 s slices after BENCH_WARMUP until two slices in a row are
#                               not a tenth cheaper per request than the cheapest before (the runtime done recompiling hot code), up to this
#   BENCH_CEILING_WRITERS=2     COPY writers of the durable-write ceiling and of the raw COPY run (the ingress has 2)
#   BENCH_CEILING_SECONDS=10    raw COPY without HTTP (batch = connections / writers)
#   BENCH_PAIRS=4 BENCH_PAIR_SECONDS=10   paired rounds of the ratio: the ingress and the durable endpoint back to back (which
#                               goes first alternates), each round's ratio from the same minute of the shared machine
#   BENCH_HALF_SECONDS=15 BENCH_HALF_WARMUP=3                               the ingress at half its measured maximum, after
#                               the load tool's own warm-up at that rate (its start-up stalled it ~0.1 s: not the ingress)
#   BENCH_DRAIN_COUNT=50000 BENCH_DRAIN_TIMEOUT=120                         worker drain (per replica count)
#   BENCH_REPLAY_COUNT=20000    a bulk replay of that many drained deliveries (at most BENCH_DRAIN_COUNT by default): one
#                               ProcessDelivery each, one worker
#   BENCH_E2E_RATE=1000 BENCH_E2E_SECONDS=30 BENCH_E2E_WARMUP=20 BENCH_E2E_WORKERS=1 BENCH_E2E_TIMEOUT=60   end to end
#   WEBHOOKS_PG_OPTIONS (Npgsql options of every connection string; default from deploy/services/env.sh)
#   Workers__ConcurrentMessageLimit, Workers__PrefetchCount, Workers__BatchSize, Workers__BatchConcurrency, Outbox__DeliveriesPerMessage
#                               passed through to the workers and the ingress (defaults 250, 250, 200, 2; 100)
#   BENCH_TOKENS=8 BENCH_ISSUES=1000   integrations, linked records (Jira issues; a bulk edit spreads over many issues)
#   BENCH_INGRESS_PORT=5180 BENCH_PLAIN_PORT=5181 BENCH_DURABLE_PORT=5182 BENCH_WORKER_HEALTH_PORT=8181 (replica i uses +i-1)
#   BENCH_SUSTAIN_START=2000 BENCH_SUSTAIN_INCREMENT=1000 BENCH_SUSTAIN_STEP=15 BENCH_SUSTAIN_SECONDS=60 BENCH_SUSTAIN_MAX=15000
#   BENCH_SUSTAIN_LAG_MS=250    sustained end to end (phase 4): first step, step size, seconds per step, the held rate's run;
#                               a step is held when accept→applied p99 stays under BENCH_SUSTAIN_LAG_MS (the target's 250 ms)
#   BENCH_STEP_WARMUP=5         each of those steps (and the first end-to-end row) sends at its rate this long before its
#                               measured window, which starts with it on the load tool's side and on the deliveries' side
#   BENCH_SUSTAIN_ATTEMPTS=5    60 s runs at most: from two steps below the highest held one, up half a step while held
#   BENCH_ACCEPT_ROUNDS=2 BENCH_ACCEPT_SECONDS=15   then the accept side alone at the reported rate: the ingress (workers
#                               stopped) and the durable-write endpoint, back to back, CPU per request of each (0: skipped)
#   BENCH_TRACE=<dir>           also record CPU samples (perf record, 10 s) of the ingress under wrk, of one worker draining
#                               and of both during the sustained run, into <dir> (perturbs what it measures a little);
#                               read them with: perf report -i <dir>/<name>.perf.data --no-children --sort symbol -g none
#   BENCH_DOCS=1 (0: do not touch docs/benchmarks.md)   BENCH_SKIP_BUILD=1 (reuse .run/bin)
#   WEBHOOKS_ADMIN_KEY (default: generated)   WEBHOOKS_PG_DATABASE=webhooks_bench   WEBHOOKS_RABBITMQ_VHOST=webhooks-bench
# The bench database and vhost are dropped and recreated at the start of every run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export WEBHOOKS_PG_DATABASE="${WEBHOOKS_PG_DATABASE:-webhooks_bench}"
export WEBHOOKS_RABBITMQ_VHOST="${WEBHOOKS_RABBITMQ_VHOST:-webhooks-bench}"
# shellcheck source=SCRIPTDIR/services/env.sh
source "$root/deploy/services/env.sh"

duration="${BENCH_DURATION:-30}"
warmup="${BENCH_WARMUP:-10}"
warmup_max="${BENCH_WARMUP_MAX:-60}"
connections="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-2}"
ceiling_seconds="${BENCH_CEILING_SECONDS:-10}"
ceiling_writers="${BENCH_CEILING_WRITERS:-2}"
half_seconds="${BENCH_HALF_SECONDS:-15}"
half_warmup="${BENCH_HALF_WARMUP:-3}"
pairs="${BENCH_PAIRS:-4}"
pair_seconds="${BENCH_PAIR_SECONDS:-10}"
drain_count="${BENCH_DRAIN_COUNT:-50000}"
drain_timeout="${BENCH_DRAIN_TIMEOUT:-120}"
replay_count="${BENCH_REPLAY_COUNT:-$(( drain_count < 20000 ? drain_count : 20000 ))}"
e2e_timeout="${BENCH_E2E_TIMEOUT:-60}"
e2e_rate="${BENCH_E2E_RATE:-1000}"
e2e_seconds="${BENCH_E2E_SECONDS:-30}"
e2e_workers="${BENCH_E2E_WORKERS:-1}"
e2e_warmup="${BENCH_E2E_WARMUP:-20}"
sustain_start="${BENCH_SUSTAIN_START:-2000}"
sustain_increment="${BENCH_SUSTAIN_INCREMENT:-1000}"
sustain_step="${BENCH_SUSTAIN_STEP:-15}"
sustain_seconds="${BENCH_SUSTAIN_SECONDS:-60}"
sustain_max="${BENCH_SUSTAIN_MAX:-15000}"
sustain_lag_ms="${BENCH_SUSTAIN_LAG_MS:-250}"
sustain_attempts="${BENCH_SUSTAIN_ATTEMPTS:-5}"
step_warmup="${BENCH_STEP_WARMUP:-5}"
accept_rounds="${BENCH_ACCEPT_ROUNDS:-2}"
accept_seconds="${BENCH_ACCEPT_SECONDS:-15}"
token_count="${BENCH_TOKENS:-8}"
issues="${BENCH_ISSUES:-1000}"
ingress_port="${BENCH_INGRESS_PORT:-5180}"
plain_port="${BENCH_PLAIN_PORT:-5181}"
durable_port="${BENCH_DURABLE_PORT:-5182}"
health_port="${BENCH_WORKER_HEALTH_PORT:-8181}"
ingress_url="http://127.0.0.1:${ingress_port}"
plain_url="http://127.0.0.1:${plain_port}"
durable_url="http://127.0.0.1:${durable_port}"
admin_key="${WEBHOOKS_ADMIN_KEY:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

case "$WEBHOOKS_PG_DATABASE" in webhooks) die "refusing to benchmark in the shared database 'webhooks'";; esac
case "$WEBHOOKS_RABBITMQ_VHOST" in webhooks|/) die "refusing to benchmark in the shared vhost '$WEBHOOKS_RABBITMQ_VHOST'";; esac
[ "$pairs" -ge 1 ] 2>/dev/null || die "BENCH_PAIRS must be a whole number of at least 1 (the ratio's target is judged on the rounds)"
[ "$accept_rounds" -ge 0 ] 2>/dev/null || die "BENCH_ACCEPT_ROUNDS must be a whole number (0 skips the accept side alone)"
[ "$accept_seconds" -ge 1 ] 2>/dev/null || die "BENCH_ACCEPT_SECONDS must be a whole number of at least 1"

work="$root/.run/bench"
mkdir -p "$work" "$root/.run/logs"
bench_started=$(date +%s)
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
# What one system call costs here, measured while the machine is quiet: dd copying 1-byte blocks (a read and a write
# each). Most of the stack's CPU is network I/O, so the virtualization under the machine moves every figure below with
# it (2026-12-01: 1.3 µs here against the 0.1–0.3 µs of a bare-metal kernel); runs compare only with this beside them.
syscall_ns() { local t0 t1; t0=$(date +%s%N); dd if=/dev/zero of=/dev/null bs=1 count=200000 2>/dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 400000 )); }
syscall_before="$(syscall_ns)"
# And what waking another process costs: two processes pass one byte back and forth through pipes, 20,000 round trips
# (perl is in every Debian). The stack hands every request from thread to thread and process to process, so phases with
# small batches (the open-loop steps of phase 4) pay this per request: on 2026-12-01 this sandbox measured 70-90 µs
# (8.5 µs with both processes pinned to one core), and the ingress spent ~550 µs of CPU per webhook at 500/s against
# ~85 µs at its closed-loop maximum.
wakeup_us() {
  perl -MTime::HiRes=time -e 'pipe(my $r1, my $w1); pipe(my $r2, my $w2); my ($n, $b) = (20000, "");
    my $pid = fork(); if (!$pid) { for (1..$n) { sysread($r1, $b, 1); syswrite($w2, "x"); } exit 0; }
    my $t = time; for (1..$n) { syswrite($w1, "x"); sysread($r2, $b, 1); } my $d = time - $t;
    waitpid($pid, 0); printf "%.1f\n", $d / $n * 1e6;'
}
wakeup_before="$(wakeup_us)"

ingress_pid="" plain_pid="" durable_pid="" vacuum_watch_pid=""
worker_pids=()
cleanup() {
  trap - INT TERM EXIT
  # The durable endpoint drops its scratch table when it stops.
  for pid in $ingress_pid $plain_pid $durable_pid $vacuum_watch_pid "${worker_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $ingress_pid $plain_pid $durable_pid $vacuum_watch_pid "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi; }
superuser_sql() { as_postgres psql -p "$WEBHOOKS_PG_PORT" -d "$WEBHOOKS_PG_DATABASE" -qAtX -c "$1"; } # CHECKPOINT, progress views
sql() { PGPASSWORD="$WEBHOOKS_PG_PASSWORD" psql -h "$WEBHOOKS_PG_HOST" -p "$WEBHOOKS_PG_PORT" -U "$WEBHOOKS_PG_USER" -d "$WEBHOOKS_PG_DATABASE" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
# The value of key=value in a line of the load tools' output.
kv() { sed -nE "s/.*(^| )$2=([^ ]*).*/\2/p" <<<"$1"; }
calc() { awk "BEGIN { printf \"%s\", $1 }"; }
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# PostgreSQL's CPU, including backends that exited since the last sample (a pool closing idle connections, a test's
# database dropped): the postmaster's own and its reaped children's (cutime + cstime, /proc/<pid>/stat fields 16-17),
# plus its live children's. Summing live processes only lost whatever exited in between (a negative cost per delivery).
# Set once PostgreSQL runs (after start.sh below): pg_ticks runs in command substitutions, whose assignments would not
# outlive them.
pg_postmaster=""
pg_ticks() {
  local children own
  mapfile -t children < <(pgrep -P "$pg_postmaster" || true)
  own=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pg_postmaster/stat")
  echo $(( own + $(ticks "${children[@]}") ))
}
# The share of it in the backends and autovacuum workers of the bench database (process title "postgres: … <database> …"):
# what the bench itself cost PostgreSQL while other databases on the same server are busy. Sampled per process
# ("pid-starttime:ticks"), so that the difference between two samples counts what each process alive at the second
# spent since the first (all of it if it started in between); a backend that exits in between (a pool closing an idle
# connection) leaves out what it spent in the phase instead of taking away everything it ever spent.
pg_bench_ticks() {
  local pids p
  mapfile -t pids < <(pgrep -u postgres -f "postgres: .* $WEBHOOKS_PG_DATABASE( |$)" || true)
  for p in "${pids[@]}"; do awk '{ printf "%s-%s:%s ", $1, $22, $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true; done
}
pg_bench_ticks_between() { # b0 b1
  awk -v before="$1" -v after="$2" 'BEGIN {
    n = split(before, b, " "); for (i = 1; i <= n; i++) { split(b[i], kv, ":"); spent[kv[1]] = kv[2] }
    m = split(after, a, " "); for (i = 1; i <= m; i++) { split(a[i], kv, ":"); total += kv[2] - ((kv[1] in spent) ? spent[kv[1]] : 0) }
    print total + 0 }'
}
# "PostgreSQL <all> µs (bench database <share> µs)" per item: p0 p1 b0 b1 count
pg_cost() { echo "PostgreSQL $(per_item $(($2 - $1)) "$5") µs (bench database $(per_item "$(pg_bench_ticks_between "$3" "$4")" "$5") µs)"; }
rabbit_ticks() { local pids; mapfile -t pids < <(pgrep -o -f beam.smp || true); ticks "${pids[@]}"; }
wal() { sql "SELECT wal_bytes::bigint || ' ' || wal_sync FROM pg_stat_wal"; }
# CPU µs per item from clock-tick deltas (USER_HZ = 100). A negative delta is a measurement error (a process counted at
# the start that is gone at the end), never a cost: it prints "n/a".
per_item() { if [ "$1" -lt 0 ]; then echo "n/a"; else calc "int($1 * 10000 / ($2 > 0 ? $2 : 1))"; fi; }
# Machine-wide CPU from /proc/stat: "busy% iowait% stolen%" since the snapshot given (all cores; 100% = every core
# busy). Stolen (time the hypervisor gave this machine's cores to others) counts as busy; a run with much of it measured
# a slower machine, every CPU figure per item inflated with it.
stat_now() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5, $6, $9 }' /proc/stat; }
cpu_since() { # snapshot
  local b0 i0 w0 s0 b1 i1 w1 s1
  read -r b0 i0 w0 s0 <<<"$1"; read -r b1 i1 w1 s1 <<<"$(stat_now)"
  calc "sprintf(\"CPU %d%% busy, %d%% iowait, %d%% stolen\", 100 * ($b1 - $b0) / ($b1 - $b0 + $i1 - $i0 + $w1 - $w0), 100 * ($w1 - $w0) / ($b1 - $b0 + $i1 - $i0 + $w1 - $w0), 100 * ($s1 - $s0) / ($b1 - $b0 + $i1 - $i0 + $w1 - $w0))"
}
wait_quiet() { # seconds: until the machine is under 25 % busy over 2 s (what a phase left behind has settled)
  local s0 busy t0=$SECONDS
  while [ $((SECONDS - t0)) -lt "$1" ]; do
    s0=$(stat_now); sleep 2
    busy=$(cpu_since "$s0" | sed -E 's/CPU ([0-9]+)% busy.*/\1/')
    [ "$busy" -lt 25 ] && break
  done
  echo $((SECONDS - t0))
}
trace() { # pid name: 10 s of CPU samples (perf, with the runtime's perf map) in the background, when BENCH_TRACE names a folder
  [ -n "${BENCH_TRACE:-}" ] || return 0
  mkdir -p "$BENCH_TRACE"
  perf record -F 499 -g -p "$1" -o "$BENCH_TRACE/$2.perf.data" -- sleep 10 >/dev/null 2>&1 &
}
# With BENCH_TRACE the programs write a perf map of their JIT-compiled code (and map it once, not twice), so perf can name it.
perf_env=()
[ -z "${BENCH_TRACE:-}" ] || perf_env=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
hwm_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
wait_http() { # url seconds what
  for _ in $(seq 1 "$2"); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 1; done
  die "$3 did not become ready at $1; see .run/logs/"
}

# --- the stack ------------------------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  log "installing wrk (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y wrk >/dev/null; else sudo -n apt-get install -y wrk >/dev/null; fi
fi
bash "$root/deploy/services/install.sh"
# A fresh database and vhost every run: numbers do not depend on what an earlier run left behind.
if pg_isready -h "$WEBHOOKS_PG_HOST" -p "$WEBHOOKS_PG_PORT" -q; then
  as_postgres dropdb -p "$WEBHOOKS_PG_PORT" --if-exists --force "$WEBHOOKS_PG_DATABASE"
fi
if rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx "$WEBHOOKS_RABBITMQ_VHOST"; then
  rabbitmqctl -q delete_vhost "$WEBHOOKS_RABBITMQ_VHOST" >/dev/null
fi
bash "$root/deploy/services/start.sh" >/dev/null
pg_postmaster=$(head -1 "$(as_postgres psql -p "$WEBHOOKS_PG_PORT" -qAtX -c 'SHOW data_directory')/postmaster.pid")
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$root/.run/bin/bench/Webhooks.Bench.dll" ]; then
  bash "$root/deploy/build.sh"
  log "building the benchmark tools (Release)"
  dotnet publish "$root/deploy/bench/Webhooks.Bench/Webhooks.Bench.csproj" -c Release -o "$root/.run/bin/bench" --nologo -v quiet >/dev/null
fi
# As deploy/run.sh runs them: the key ring certificate from .run/, each program on its own role and broker user.
export DataProtection__CertificatePath="${DataProtection__CertificatePath:-$root/.run/keyring/certificate.pem}"
[ -f "$DataProtection__CertificatePath" ] || bash "$root/deploy/services/keyring-certificate.sh" "$DataProtection__CertificatePath" >/dev/null
ingress_env=(ConnectionStrings__Webhooks="$WEBHOOKS_INGRESS_CONNECTION" ConnectionStrings__Admin="$ConnectionStrings__Webhooks"
  RabbitMqTransport__User="$WEBHOOKS_RABBITMQ_INGRESS_USER" RabbitMqTransport__Pass="$WEBHOOKS_RABBITMQ_INGRESS_PASSWORD"
  DeadLetters__User="$WEBHOOKS_RABBITMQ_OPERATOR_USER" DeadLetters__Pass="$WEBHOOKS_RABBITMQ_OPERATOR_PASSWORD")
worker_env=(ConnectionStrings__Webhooks="$WEBHOOKS_WORKER_CONNECTION"
  RabbitMqTransport__User="$WEBHOOKS_RABBITMQ_WORKER_USER" RabbitMqTransport__Pass="$WEBHOOKS_RABBITMQ_WORKER_PASSWORD")
workers_dll="$root/.run/bin/workers/Webhooks.Workers.dll"
dotnet "$workers_dll" migrate >/dev/null
env "${worker_env[@]}" dotnet "$workers_dll" deploy-topology >/dev/null

# Each program runs from its own folder, as run.sh and the images do, so it reads its appsettings.json (the shipped log
# levels: ASP.NET Core and EF Core at Warning).
ingress_dir="$root/.run/bin/ingress"
workers_dir="$root/.run/bin/workers"

bench() { DOTNET_gcServer=0 dotnet "$root/.run/bin/bench/Webhooks.Bench.dll" "$@"; }

log "starting the ingress on $ingress_url, the plain endpoint on $plain_url and the durable endpoint on $durable_url"
# The per-integration rate limit (500/s per token by default) would cap 8 tokens at 4,000 req/s: off, to measure the path.
ASPNETCORE_URLS="$ingress_url" Ingress__AdminKey="$admin_key" Ingress__PublicBaseUrl="$ingress_url" Ingress__RateLimit__PermitsPerSecond=0 \
  env -C "$ingress_dir" "${ingress_env[@]}" "${perf_env[@]}" dotnet Webhooks.Ingress.dll >"$root/.run/logs/bench-ingress.log" 2>&1 &
ingress_pid=$!
# The two ceilings run under the ingress's own runtimeconfig (workstation GC, no thread-pool spinning), not the bench
# tool's (a Web project's server GC): the ratio compares the code on each side, not how the runtime is configured.
as_ingress_runtime=(dotnet exec --runtimeconfig "$ingress_dir/Webhooks.Ingress.runtimeconfig.json")
"${as_ingress_runtime[@]}" "$root/.run/bin/bench/Webhooks.Bench.dll" plain "$plain_url" >"$root/.run/logs/bench-plain.log" 2>&1 &
plain_pid=$!
# The durable endpoint makes its scratch table when it starts and drops it when it stops: stopped before the raw COPY run
# (phase 2), started again for the accept side alone (phase 4).
start_durable() { # log file name
  "${as_ingress_runtime[@]}" "$root/.run/bin/bench/Webhooks.Bench.dll" durable "$durable_url" "$ConnectionStrings__Webhooks" "$ceiling_writers" >"$root/.run/logs/$1" 2>&1 &
  durable_pid=$!
}
stop_durable() { kill -TERM "$durable_pid" 2>/dev/null || true; wait "$durable_pid" || true; durable_pid=""; }
start_durable bench-durable.log
wait_http "$ingress_url/health/ready" 60 "the ingress"
wait_http "$durable_url/ready" 60 "the durable endpoint"

start_workers() { # count
  for i in $(seq 1 "$1"); do
    Workers__Providers=jira Workers__HealthPort=$((health_port + i - 1)) \
      env -C "$workers_dir" "${worker_env[@]}" "${perf_env[@]}" dotnet Webhooks.Workers.dll >"$root/.run/logs/bench-worker-$i.log" 2>&1 &
    worker_pids+=($!)
  done
}
stop_workers() {
  for pid in "${worker_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  worker_pids=()
}

# --- data through the admin API -------------------------------------------------------------------------------------
log "creating an account, $token_count Jira integrations and $issues linked records"
api() { curl -fsS -X "$1" "$ingress_url/api/v1/admin$2" -H "Authorization: Bearer $admin_key" -H 'Content-Type: application/json' -d "$3"; }
field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
account=$(api POST /accounts '{"name":"Bench"}' | field id)
user=$(api POST "/accounts/$account/users" '{"name":"Jira bot","email":"jira-bot@bench.local"}' | field id)
product=$(api POST "/accounts/$account/products" '{"key":"BEN","name":"Bench product"}' | field id)
api PUT "/products/$product/members/$user" '{"role":"contributor"}' >/dev/null
tokens="$work/tokens.txt"
: >"$tokens"
integration=""
for i in $(seq 1 "$token_count"); do
  created=$(api POST /integrations "{\"productId\":\"$product\",\"provider\":\"jira\",\"version\":1,\"name\":\"Bench Jira $i\",\"runAsUserId\":\"$user\",\"settings\":{}}")
  field token <<<"$created" >>"$tokens"
  integration="${integration:-$(field id <<<"$created")}"
done
# Issue 10000+i is linked to record i: a delivery's comment lands on one of $issues records.
for i in $(seq 0 $((issues - 1))); do
  record=$(api POST "/products/$product/records" "{\"kind\":\"feature\",\"name\":\"Bench feature $i\"}" | field id)
  api POST "/records/$record/links" "{\"integrationId\":\"$integration\",\"externalId\":\"$((10000 + i))\",\"externalKey\":\"BEN-$i\"}" >/dev/null
done
template="$root/deploy/bench/comment_created.json"
# Comment ids: distinct per run of a load tool (steps of 1e8; wrk adds 1e7 per thread), below 1e14 so wrk's Lua
# doubles print them exactly. The database is fresh, so only ids within this run must differ.
id_base=$(( ($(date +%s) % 10000) * 1000000000 ))
next_base() { id_base=$((id_base + 100000000)); }

wrk_run() { # url seconds (call next_base first: this runs in a subshell)
  wrk -t"$threads" -c"$connections" -d"$2s" --timeout 10s -s "$root/deploy/bench/ingress.lua" "$1" -- "$tokens" "$template" "$id_base" "$issues" | grep '^WRK '
}
# A fresh .NET process runs its hot code first as precompiled (ReadyToRun), then instrumented, then recompiled (tiered
# compilation with PGO): on a slow machine the ingress took ~35 s of this load to settle (CPU per request 418 → 77 µs in
# 5 s slices) and the slim ceiling endpoint ~30 s (183 → 58 µs), so a fixed 10 s warm-up measured the ingress's warm-up
# tail against a settled ceiling. Each endpoint gets the same rule: at least BENCH_WARMUP seconds, then 5 s slices until
# two in a row cost no more than a tenth less CPU per request than the cheapest before them (one slow slice of a shared
# machine does not end it), at most BENCH_WARMUP_MAX seconds.
settle() { # min max command pid...: runs "command seconds" (it prints how many requests it made) in slices; sets warmed
  # (seconds of warm-up) and warm_costs (µs of the pids' CPU per request in each slice)
  local slice=$1 max=$2 run=$3 cost best="" flat=0 t0 n
  shift 3
  warmed=0 warm_costs=""
  while :; do
    t0=$(ticks "$@")
    next_base
    n=$($run "$slice")
    warmed=$((warmed + slice))
    cost=$(calc "int(($(ticks "$@") - $t0) * 10000 / (${n:-0} > 0 ? $n : 1))")
    warm_costs="${warm_costs:+$warm_costs, }$cost"
    if [ -z "$best" ] || [ $((cost * 10)) -lt $((best * 9)) ]; then flat=0; else flat=$((flat + 1)); fi
    [ -z "$best" ] || [ "$cost" -lt "$best" ] && best=$cost
    [ "$flat" -lt 2 ] && [ $((warmed + 5)) -le "$max" ] || break
    slice=5
  done
}
wrk_slice() { kv "$(wrk_run "$warm_url" "$1")" requests; } # seconds
rps() { calc "$(kv "$1" requests) / ($(kv "$1" duration_us) / 1e6)"; } # a wrk run's output: its requests per second
warm_up() { warm_url=$1; settle "$warmup" "$warmup_max" wrk_slice "$2"; } # url pid
# The outbox table holds exactly what the relay has not sent; a count on deliveries by status would scan (and prune) the
# whole table inside the measurement.
unpublished() { sql "SELECT count(*) FROM outbox"; }
wait_zero() { # seconds command [args]: until the command prints 0, once a second, at most that long; prints the seconds it took
  local t0=$SECONDS limit=$1
  shift
  while [ $((SECONDS - t0)) -lt "$limit" ] && [ "$("$@")" != 0 ]; do sleep 1; done
  echo $((SECONDS - t0))
}
wait_published() { wait_zero "$1" unpublished; } # seconds; prints how long the relay took

# --- 1. ingress, 2. ceilings -----------------------------------------------------------------------------------------
log "1. ingress: wrk ${threads} threads, ${connections} connections, ${warmup}-${warmup_max}s warm-up + ${duration}s"
warm_up "$ingress_url" "$ingress_pid"; ingress_warmed=$warmed
log "   warmed up for ${ingress_warmed}s (µs of CPU per request in each slice: $warm_costs)"
s0=$(stat_now); i0=$(ticks "$ingress_pid"); p0=$(pg_ticks); b0=$(pg_bench_ticks); r0=$(rabbit_ticks); read -r wb0 ws0 <<<"$(wal)"
trace "$ingress_pid" ingress-wrk
next_base; ingress=$(wrk_run "$ingress_url" "$duration")
ingress_cpu=$(cpu_since "$s0")
log "   $ingress ($ingress_cpu)"
ingress_hwm_1=$(hwm_mb "$ingress_pid")
relay_lag=$(wait_published 120)
i1=$(ticks "$ingress_pid"); p1=$(pg_ticks); b1=$(pg_bench_ticks); r1=$(rabbit_ticks); read -r wb1 ws1 <<<"$(wal)"
n=$(kv "$ingress" requests)
ingress_cost="ingress $(per_item $((i1 - i0)) "$n") µs, $(pg_cost "$p0" "$p1" "$b0" "$b1" "$n"), RabbitMQ $(per_item $((r1 - r0)) "$n") µs CPU; WAL $(calc "int(($wb1 - $wb0) / $n)") B, $(calc "int(10 * ($ws1 - $ws0) * 1000 / $n) / 10") WAL syncs per 1000"
log "   the outbox relay had published everything ${relay_lag}s after the run; per request: $ingress_cost"
# Phase 1's dirty pages are written back now, not while the ceiling is measured. (Not before the drains: a checkpoint
# there makes the drain's first update of every page a full-page image, 2.2 → 6.5 KB of WAL per delivery.)
superuser_sql "CHECKPOINT" >/dev/null

log "2. ceilings: plain Kestrel endpoint and durable endpoint (same wrk load), raw COPY into a scratch table"
warm_up "$plain_url" "$plain_pid"; plain_warmed=$warmed
log "   plain: warmed up for ${plain_warmed}s (µs of CPU per request in each slice: $warm_costs)"
s0=$(stat_now)
next_base; plain=$(wrk_run "$plain_url" "$duration")
plain_cpu=$(cpu_since "$s0")
log "   plain: $plain ($plain_cpu)"
warm_up "$durable_url" "$durable_pid"; durable_warmed=$warmed
log "   durable: warmed up for ${durable_warmed}s (µs of CPU per request in each slice: $warm_costs)"
s0=$(stat_now); d0=$(ticks "$durable_pid"); p0=$(pg_ticks); b0=$(pg_bench_ticks); read -r wb0 ws0 <<<"$(wal)"
next_base; durable=$(wrk_run "$durable_url" "$duration")
durable_cpu=$(cpu_since "$s0")
d1=$(ticks "$durable_pid"); p1=$(pg_ticks); b1=$(pg_bench_ticks); read -r wb1 ws1 <<<"$(wal)"
n=$(kv "$durable" requests)
durable_cost="endpoint $(per_item $((d1 - d0)) "$n") µs, $(pg_cost "$p0" "$p1" "$b0" "$b1" "$n") CPU; WAL $(calc "int(($wb1 - $wb0) / $n)") B, $(calc "int(10 * ($ws1 - $ws0) * 1000 / $n) / 10") WAL syncs per 1000"
log "   durable: $durable ($durable_cpu); per request: $durable_cost"
# The two runs above are minutes apart, and on a shared machine the CPU stolen by other machines differed by up to 14
# points between them (12-02: ratio 0.96 with the ceiling's run robbed, 0.59 with the ingress's), so the ratio is also
# measured in rounds where both endpoints run back to back, seconds apart; which one goes first alternates (an order
# effect cancels out), and the relay catches up before the durable endpoint's slice (it is the ingress's work).
# A slice runs in a command substitution (a subshell), where next_base would not outlive it: the caller takes the next id
# base (here and for accept_slice in phase 4), or every slice would send the same comment ids.
pair_slice() { # url: prints "req/s stolen%"
  local s0 run
  s0=$(stat_now); run=$(wrk_run "$1" "$pair_seconds")
  echo "$(rps "$run") $(cpu_since "$s0" | sed -E 's/.* ([0-9]+)% stolen/\1/')"
}
# Two slices back to back, the first named first in odd rounds and the second first in even ones (also phase 4).
in_turn() { if (($1 % 2)); then $2; $3; else $3; $2; fi; } # round first second
ingress_pair() { next_base; read -r pi ps <<<"$(pair_slice "$ingress_url")"; wait_published 120 >/dev/null; }
durable_pair() { next_base; read -r pd pds <<<"$(pair_slice "$durable_url")"; }
pair_ratios=() pair_log=""
for ((round = 1; round <= pairs; round++)); do
  in_turn "$round" ingress_pair durable_pair
  pair_ratios+=("$(calc "int(100 * $pi / $pd + 0.5) / 100")")
  pair_log="${pair_log:+$pair_log, }$(calc "int($pi)")/$(calc "int($pd)") ($ps/$pds % stolen)"
done
pair_median=$(printf '%s\n' "${pair_ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
pair_list=$(printf '%s, ' "${pair_ratios[@]}"); pair_list=${pair_list%, }
log "   paired rounds, ingress/durable req/s: $pair_log; ratios $pair_list, median $pair_median"
# Stopped before the raw COPY run: it drops its scratch table (the raw run makes its own) and prints its batch sizes.
stop_durable
durable_batches=$(grep '^DURABLE ' "$root/.run/logs/bench-durable.log" || true)
log "   $durable_batches"
ceiling_batch=$(( connections / ceiling_writers ))
s0=$(stat_now)
ceiling=$(bench ceiling "$ConnectionStrings__Webhooks" "$ceiling_seconds" "$ceiling_batch" "$ceiling_writers" | grep '^CEILING ')
ceiling_cpu=$(cpu_since "$s0")
log "   $ceiling ($ceiling_cpu)"

ingress_rps=$(rps "$ingress")
plain_rps=$(rps "$plain")
ceiling_rps=$(kv "$ceiling" rows_per_s)
durable_rps=$(rps "$durable")
half_rate=$(calc "int($ingress_rps / 2)")
log "   the ingress at half its maximum: ${half_rate} req/s for ${half_warmup}s (not counted) + ${half_seconds}s (open loop)"
next_base
half=$(bench load "$ingress_url" "$tokens" "$template" "$id_base" "$issues" --rate "$half_rate" --seconds "$half_seconds" --warmup "$half_warmup" | grep '^LOAD ' || true)
log "   $half"
wait_published 120 >/dev/null

# What a phase leaves unprocessed stays out of the next one: its queued messages are purged and its rows set aside.
set_aside() { # reason
  wait_published 60 >/dev/null
  rabbitmqctl -q -p "$WEBHOOKS_RABBITMQ_VHOST" purge_queue webhooks-jira >/dev/null
  sql "UPDATE deliveries SET status = 'ignored', last_error = 'bench: $1', processed_at = now() WHERE status IN ('accepted', 'queued')" >/dev/null
  sql "VACUUM ANALYZE deliveries, outbox" >/dev/null
}
set_aside "phases 1-2"

# --- 3. drain --------------------------------------------------------------------------------------------------------
# 1 while a delivery received since $1 waits for an outcome, else 0. Polled during the drain, so it must cost next to
# nothing: counting the finished ones (a parallel scan of the whole table, ~0.3 s of PostgreSQL's CPU per poll once it
# held 250,000 deliveries) took a third of a core from the drain and added ~90 µs to its PostgreSQL cost per delivery.
# The deliveries are applied roughly in arrival order, so walking the (received_at, id) index from the newest finds a
# waiting one at once, and only the last poll walks the whole drain.
drain_pending() {
  PGOPTIONS="${PGOPTIONS:-} -c enable_seqscan=off -c max_parallel_workers_per_gather=0" \
    sql "SELECT count(*) FROM (SELECT FROM deliveries WHERE received_at >= '$1' AND status IN ('accepted', 'queued') LIMIT 1) waiting"
}
declare -A drain_rate drain_time drain_hwm drain_applied drain_fill drain_cost drain_cpu
for replicas in 1 2; do
  log "3. drain: accepting $drain_count deliveries with the workers stopped"
  since=$(sql "SELECT clock_timestamp()")
  next_base
  fill=$(bench load "$ingress_url" "$tokens" "$template" "$id_base" "$issues" --count "$drain_count" --concurrency "$connections" | grep '^LOAD ' || true)
  drain_fill[$replicas]=$(kv "$fill" rate)
  log "   $fill"
  wait_published 120 >/dev/null
  log "   starting $replicas worker replica(s)"
  started_at=$(sql "SELECT clock_timestamp()")
  p0=$(pg_ticks); b0=$(pg_bench_ticks); r0=$(rabbit_ticks); read -r wb0 ws0 <<<"$(wal)"; s0=$(stat_now)
  start_workers "$replicas"
  [ "$replicas" = 1 ] && (sleep 3; trace "${worker_pids[0]}" worker-drain) &
  wait_zero "$drain_timeout" drain_pending "$since" >/dev/null
  hwm=0
  for pid in "${worker_pids[@]}"; do h=$(hwm_mb "$pid"); [ "$h" != "?" ] && [ "$h" -gt "$hwm" ] && hwm=$h; done
  drain_hwm[$replicas]=$hwm
  drain_cpu[$replicas]=$(cpu_since "$s0")
  w1=$(ticks "${worker_pids[@]}"); p1=$(pg_ticks); b1=$(pg_bench_ticks); r1=$(rabbit_ticks); read -r wb1 ws1 <<<"$(wal)"
  stop_workers
  result=$(sql "SELECT count(*) FILTER (WHERE status NOT IN ('accepted', 'queued')),
                       count(*) FILTER (WHERE status = 'processed' AND applied > 0),
                       round((count(*) FILTER (WHERE processed_at IS NOT NULL) / greatest(extract(epoch FROM max(processed_at) - min(processed_at)), 0.001))::numeric, 0),
                       round(extract(epoch FROM max(processed_at) - '$started_at'::timestamptz)::numeric, 1)
                FROM deliveries WHERE received_at >= '$since'")
  IFS='|' read -r finished applied rate took <<<"$result"
  drain_cost[$replicas]="worker $(per_item "$w1" "$finished") µs, $(pg_cost "$p0" "$p1" "$b0" "$b1" "$finished"), RabbitMQ $(per_item $((r1 - r0)) "$finished") µs CPU; WAL $(calc "int(($wb1 - $wb0) / ($finished > 0 ? $finished : 1))") B"
  drain_rate[$replicas]=$rate
  drain_applied[$replicas]="$applied/$drain_count"
  drain_time[$replicas]="${took} s after the workers started"
  [ "$finished" -ge "$drain_count" ] || drain_time[$replicas]="not within ${drain_timeout} s ($finished/$drain_count; all would take ≈ $(calc "int($drain_count / ($rate > 0 ? $rate : 1))") s at this rate)"
  [ "$finished" -ge "$drain_count" ] || set_aside "drain not finished"
  log "   $replicas replica(s): $finished finished, $applied applied, ${rate}/s, all done ${took}s after start, worker peak RSS ${hwm} MB; per delivery: ${drain_cost[$replicas]}"
done
# A bulk replay sends every delivery alone (ProcessDelivery): the single-message path, whose batches form from the
# messages in flight (Workers:ConcurrentMessageLimit), not from a batch message. Put back with the workers stopped, sent by
# the relay, then drained by one replica.
log "3. replay: $replay_count drained deliveries put back through the admin API, then one worker replica"
replay_id=$(api POST /deliveries/replay "{\"statuses\":[\"processed\"],\"provider\":\"jira\",\"max\":$replay_count}" | field replayId)
wait_published 120 >/dev/null
start_workers 1
replay_waiting() { sql "SELECT count(*) FROM deliveries WHERE replay_id = '$replay_id' AND status IN ('accepted', 'queued')"; }
wait_zero "$drain_timeout" replay_waiting >/dev/null
replay_hwm=$(hwm_mb "${worker_pids[0]}")
stop_workers
IFS='|' read -r replay_finished replay_rate <<<"$(sql "SELECT count(*) FILTER (WHERE status NOT IN ('accepted', 'queued')),
    round((count(*) FILTER (WHERE status NOT IN ('accepted', 'queued')) / greatest(extract(epoch FROM max(processed_at) - min(processed_at)), 0.001))::numeric, 0)
  FROM deliveries WHERE replay_id = '$replay_id'")"
[ "$replay_finished" -ge "$replay_count" ] || set_aside "replay not finished"
log "   $replay_finished/$replay_count finished, ${replay_rate}/s, worker peak RSS ${replay_hwm} MB"
ingress_hwm=$(hwm_mb "$ingress_pid")

# --- 4. end to end, then sustained end to end -------------------------------------------------------------------------
log "4. end to end: $e2e_workers worker replica(s), ${e2e_rate} req/s for ${e2e_seconds}s, then stepped up until the backlog grows"
# The drains just wrote ~100,000 deliveries: let vacuum and a checkpoint run now rather than inside the measurement, as
# they would between bursts in production.
sql "VACUUM ANALYZE deliveries, outbox, records, comments, audit_entries, applied_changes" >/dev/null
superuser_sql "CHECKPOINT" >/dev/null
log "   the machine settled in $(wait_quiet 90) s (RabbitMQ compacts the drained queue, PostgreSQL writes back)"
start_workers "$e2e_workers"
for i in $(seq 1 "$e2e_workers"); do wait_http "http://127.0.0.1:$((health_port + i - 1))/health/ready" 60 "worker $i"; done
# Deliveries received since a moment that have no outcome yet (the (received_at, id) index bounds the scan).
backlog() { sql "SELECT count(*) FROM deliveries WHERE received_at >= '$1' AND status IN ('accepted', 'queued')"; }
e2e_slice() { # seconds: the end-to-end rate for that long, then until the workers have caught up; prints the requests
  local since out
  since=$(sql "SELECT clock_timestamp()")
  out=$(bench load "$ingress_url" "$tokens" "$template" "$id_base" "$issues" --rate "$e2e_rate" --seconds "$1" | grep '^LOAD ' || true)
  wait_zero "$e2e_timeout" backlog "$since" >/dev/null
  kv "$out" requests
}
# Workers run for weeks: warm them (JIT, pools, caches) at the same rate first, by the rule of the wrk runs. A fresh worker
# here cost ~250 µs of CPU per delivery against ~100 µs warm, and a fixed 5 s warm-up left the first step measuring that
# tail (its worst seconds were its first). The first slice is 20 s: in 5 s slices a worker's JIT phase at 1,000/s can look
# settled (656, 678, 622 µs per delivery, then the steps ran on a worker still compiling; 220–232 µs once it is done).
settle "$e2e_warmup" "$warmup_max" e2e_slice "${worker_pids[@]}"; e2e_warmed=$warmed
log "   the workers warmed up for ${e2e_warmed}s at ${e2e_rate}/s (µs of their CPU per delivery in each slice: $warm_costs)"
# One open-loop step: rate seconds, after BENCH_STEP_WARMUP seconds at the same rate that are not counted: a load tool
# starting at 1,000/s on these two cores held the pipeline's accept→applied p99 at 240–280 ms for its second and third
# second even when it sent to the plain endpoint (a second tool started beside a steady run, docs/benchmark-history.md),
# which in a 15 s step is the step's p99. Sets step_load (the load tool's line), step_sent (every request, the warm-up's
# too), step_backlog (deliveries of the step without an outcome the moment its last request was answered), step_drain
# (seconds until they all had one), step_done, step_applied, step_p50/p99/max (received_at → processed_at, ms, of the
# deliveries received in the measured window) and step_held: no error, the rate really sent, every delivery done within
# BENCH_E2E_TIMEOUT, accept→applied p99 under BENCH_SUSTAIN_LAG_MS and a backlog at the end of at most that long's
# arrivals (a backlog that grew through the step would be several seconds of them).
# Which tables autovacuum is working on, once a second (epoch, then their names or -), into a file until killed: the
# worst second of a step is printed beside it (the tail of issue 15).
vacuum_watch() {
  while true; do
    echo "$(date +%s) $(superuser_sql "SELECT coalesce(string_agg(DISTINCT c.relname, ','), '-') FROM pg_stat_progress_vacuum p JOIN pg_class c ON c.oid = p.relid" 2>/dev/null)" >>"$1"
    sleep 1
  done
}
run_step() {
  local since
  since=$(sql "SELECT clock_timestamp()")
  next_base
  : >"$work/vacuum.txt"; vacuum_watch "$work/vacuum.txt" & vacuum_watch_pid=$!
  step_load=$(bench load "$ingress_url" "$tokens" "$template" "$id_base" "$issues" --rate "$1" --seconds "$2" --warmup "$step_warmup" | grep '^LOAD ' || true)
  # The measured window on the deliveries' side: received from when its first request was due (the same clock).
  local from="'$since'::timestamptz" measured_from; measured_from=$(kv "$step_load" measured_from)
  [ -n "$measured_from" ] && from="to_timestamp($measured_from)"
  local measured="received_at >= $from"
  # Every request of the step, its warm-up's too: what the CPU and WAL measured around it are divided by.
  local measured_requests; measured_requests=$(kv "$step_load" requests)
  step_sent=$(( ${measured_requests:-0} + $1 * step_warmup ))
  step_backlog=$(backlog "$since")
  step_drain=$(wait_zero "$e2e_timeout" backlog "$since")
  kill "$vacuum_watch_pid" 2>/dev/null || true; wait "$vacuum_watch_pid" 2>/dev/null || true; vacuum_watch_pid=""
  # Done and applied: every delivery of the step, its warm-up's too (the window's edge is a millisecond or two off, as
  # the tool places it by its own clocks: a 60 s run once counted 119,999 of its 120,000 in it); latencies: the window's.
  IFS='|' read -r step_done step_applied step_p50 step_p99 step_max <<<"$(sql "SELECT count(*), count(*) FILTER (WHERE status = 'processed' AND applied > 0),
         coalesce(round((1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY processed_at - received_at) FILTER (WHERE $measured)))::numeric, 1), 0),
         coalesce(round((1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY processed_at - received_at) FILTER (WHERE $measured)))::numeric, 1), 0),
         coalesce(round((1000 * extract(epoch FROM max(processed_at - received_at) FILTER (WHERE $measured)))::numeric, 1), 0)
    FROM deliveries WHERE received_at >= '$since' AND processed_at IS NOT NULL")"
  local errors=$(( $(kv "$step_load" non2xx) + $(kv "$step_load" failed) ))
  step_held=0
  awk "BEGIN { exit !($errors == 0 && $(kv "$step_load" rate) >= 0.97 * $1 && $step_backlog <= $1 * $sustain_lag_ms / 1000 && $step_p99 < $sustain_lag_ms && $step_done >= $step_sent) }" && step_held=1
  # Per second of arrival: how many seconds had an accept→applied p99 over the target, and the worst one.
  local over seconds worst_at worst_offset worst_p99 vacuuming
  IFS='|' read -r over seconds worst_at worst_offset worst_p99 <<<"$(sql "SELECT count(*) FILTER (WHERE p99 > $sustain_lag_ms), count(*),
         coalesce((array_agg(extract(epoch FROM s)::bigint ORDER BY p99 DESC))[1], 0),
         coalesce((array_agg(extract(epoch FROM s - date_trunc('second', $from))::int ORDER BY p99 DESC))[1], 0), coalesce(round(max(p99)), 0)
    FROM (SELECT date_trunc('second', received_at) AS s,
                 1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY processed_at - received_at)) AS p99
            FROM deliveries WHERE $measured AND processed_at IS NOT NULL GROUP BY 1) per_second")"
  vacuuming=$(awk -v t="$worst_at" '$1 >= t - 2 && $1 <= t + 2 && $2 != "-" { print $2 }' "$work/vacuum.txt" | tr ',' '\n' | sort -u | paste -sd, -)
  [ "$seconds" -gt 0 ] && step_seconds="seconds with p99 over ${sustain_lag_ms} ms: $over of $seconds; the worst +$worst_offset s, p99 ${worst_p99} ms, autovacuum then: ${vacuuming:-none}" || step_seconds="no delivery processed"
  # A paused virtual machine (the sandbox's snapshots: 12 s in the 12-02 21:19 run) stops the load tool's monotonic clock
  # but not the wall clock the deliveries are stamped with, so its seconds read as the pipeline's latency: say so.
  local gap; gap=$(kv "$step_load" clock_gap_s)
  awk "BEGIN { exit !(${gap:-0} >= 1) }" && step_seconds="$step_seconds; the machine stood still ~${gap} s (the wall clock ran that far ahead of the load tool's clock: the virtual machine paused, not the pipeline)"
  log "   $1/s × $2 s: $step_load; backlog at the end $step_backlog, all done ${step_drain} s later; accept→applied p50 $step_p50 ms, p99 $step_p99 ms; $step_seconds; $([ "$step_held" = 1 ] && echo held || echo "NOT held")"
}

run_step "$e2e_rate" "$e2e_seconds"
e2e=$step_load e2e_total=$step_sent e2e_applied=$step_applied e2e_p50=$step_p50 e2e_p99=$step_p99 e2e_max=$step_max

# Sustained: open-loop steps of BENCH_SUSTAIN_STEP seconds, BENCH_SUSTAIN_INCREMENT/s apart, until one is not held;
# one step halfway above the last held; then the highest held rate for BENCH_SUSTAIN_SECONDS with every process's CPU.
ladder="$e2e_rate $([ "$step_held" = 1 ] && echo ✓ || echo ✗)" best=0
if [ "$step_held" != 1 ]; then
  # Once more, as any step of the ladder (the row above keeps the first run): one slow second otherwise ended the climb
  # at half this rate.
  run_step "$e2e_rate" "$sustain_step"
  ladder="$ladder, $e2e_rate again $([ "$step_held" = 1 ] && echo ✓ || echo ✗)"
fi
rate=$sustain_start
if [ "$step_held" = 1 ]; then best=$e2e_rate; else rate=$(( e2e_rate / 2 )); fi
while [ "$rate" -ge 100 ] && [ "$rate" -le "$sustain_max" ]; do
  run_step "$rate" "$sustain_step"
  ladder="${ladder:+$ladder, }$rate $([ "$step_held" = 1 ] && echo ✓ || echo ✗)"
  if [ "$step_held" != 1 ]; then
    # Once more: one slow second of a shared machine should not end the ladder (the 60 s run below decides).
    run_step "$rate" "$sustain_step"
    ladder="$ladder, $rate again $([ "$step_held" = 1 ] && echo ✓ || echo ✗)"
  fi
  if [ "$step_held" = 1 ]; then
    best=$rate
    [ "$rate" -lt "$e2e_rate" ] && break
    rate=$(( rate + sustain_increment ))
  else
    [ "$best" -gt 0 ] && break
    [ "$rate" -lt "$e2e_rate" ] && rate=$(( rate / 2 )) || rate=$(( e2e_rate / 2 ))
  fi
done
if [ "$best" -ge "$e2e_rate" ] && [ "$best" -lt "$sustain_max" ]; then
  run_step $(( best + sustain_increment / 2 )) "$sustain_step"
  ladder="$ladder, $(( best + sustain_increment / 2 )) $([ "$step_held" = 1 ] && echo ✓ || echo ✗)"
  [ "$step_held" = 1 ] && best=$(( best + sustain_increment / 2 ))
fi
# The 60 s runs climb from two steps below the highest held 15 s step, half a step at a time, and stop at the first one
# not held (or, while none has been held, go down half a step): a rate the machine cannot hold for 60 s leaves a backlog
# and bloated tables behind, which the runs after it would pay for. The highest held one is reported.
sustained="" sustained_cost="" sustained_total="" sustained_rate=0 sustained_p99=9999 sustained_tried=0
rate=$(( best - 2 * sustain_increment ))
floor=$(( sustain_start < best ? sustain_start : best ))
[ "$rate" -lt "$floor" ] && rate=$floor
for attempt in $(seq 1 "$sustain_attempts"); do
  [ "$best" -gt 0 ] && [ "$rate" -ge 100 ] && [ "$rate" -le "$best" ] || break
  # What the run before left behind (autovacuum of deliveries and comments) settles first.
  [ "$attempt" -gt 1 ] && log "   the machine settled in $(wait_quiet 60) s"
  log "   sustained: ${rate}/s for ${sustain_seconds} s (attempt $attempt)"
  s0=$(stat_now); i0=$(ticks "$ingress_pid"); w0=$(ticks "${worker_pids[@]}"); p0=$(pg_ticks); b0=$(pg_bench_ticks); r0=$(rabbit_ticks); read -r wb0 _ <<<"$(wal)"
  (sleep 20; trace "$ingress_pid" ingress-sustained; trace "${worker_pids[0]}" worker-sustained) &
  run_step "$rate" "$sustain_seconds"
  run_cpu=$(cpu_since "$s0")
  i1=$(ticks "$ingress_pid"); w1=$(ticks "${worker_pids[@]}"); p1=$(pg_ticks); b1=$(pg_bench_ticks); r1=$(rabbit_ticks); read -r wb1 _ <<<"$(wal)"
  n=$step_sent
  run_total=$(per_item $(( (i1 - i0) + (w1 - w0) + (p1 - p0) + (r1 - r0) )) "$n")
  [ $((p1 - p0)) -lt 0 ] && run_total="n/a"
  run_cost="ingress $(per_item $((i1 - i0)) "$n") µs, worker $(per_item $((w1 - w0)) "$n") µs, $(pg_cost "$p0" "$p1" "$b0" "$b1" "$n"), RabbitMQ $(per_item $((r1 - r0)) "$n") µs CPU = **$run_total µs**; WAL $(calc "int(($wb1 - $wb0) / ($n > 0 ? $n : 1))") B; $run_cpu"
  run_line="$(kv "$step_load" rate)/s sent, accept p50 $(kv "$step_load" p50_ms) ms, p99 $(kv "$step_load" p99_ms) ms (client); accept→applied p50 $step_p50 ms, p99 **$step_p99 ms**, max $step_max ms; $step_seconds; backlog at the end $step_backlog, all done ${step_drain} s later; $step_done/$step_sent finished (the warm-up's included)"
  log "   per webhook: $run_cost"
  # The table shows the highest held run, or the last one tried while none was held.
  if [ "$step_held" = 1 ] || [ "$sustained_rate" = 0 ]; then
    sustained=$run_line sustained_cost=$run_cost sustained_total=$run_total sustained_p99=$step_p99 sustained_tried=$rate
  fi
  if [ "$step_held" = 1 ]; then
    sustained_rate=$rate
    rate=$(( rate + sustain_increment / 2 ))
  else
    [ "$sustained_rate" -gt 0 ] && break
    rate=$(( rate - sustain_increment / 2 ))
  fi
done
worker_hwm_e2e=$(hwm_mb "${worker_pids[0]}")
stop_workers

# The accept side alone at that rate, beside the slim durable-write endpoint at the same rate: below its closed-loop
# maximum a request also pays the machine's cost of a request (a receive, a send, wake-ups between threads and
# processes; 6-8 context switches per request for either at 1,500/s on 12-02), so the slim endpoint's figure is a
# reference for what accepting alone costs on this machine at this rate (measured alone, not under the workers' load,
# where a busier machine charges a little less per request). Open loop, workers stopped (the relay still publishes: it
# is the ingress's work), the two back to back in alternating order, after the machine settled from the 60 s runs.
accept_rate=$(( sustained_rate > 0 ? sustained_rate : sustained_tried ))
accept_rounds_log=""
accept_slice() { # url pid [published]: one open-loop slice at accept_rate, with "published" until the relay has sent it all
  # (the ingress's work); prints "own+PostgreSQL+RabbitMQ=total µs (req/s sent, errors)"
  local out n x0 x1 p0 p1 r0 r1 non2xx failed
  x0=$(ticks "$2"); p0=$(pg_ticks); r0=$(rabbit_ticks)
  out=$(bench load "$1" "$tokens" "$template" "$id_base" "$issues" --rate "$accept_rate" --seconds "$accept_seconds" | grep '^LOAD ' || true)
  [ "${3:-}" != published ] || wait_published 60 >/dev/null
  x1=$(ticks "$2"); p1=$(pg_ticks); r1=$(rabbit_ticks)
  n=$(kv "$out" requests); non2xx=$(kv "$out" non2xx); failed=$(kv "$out" failed)
  if [ "${n:-0}" -eq 0 ]; then echo "no requests (the load tool printed no result; see the log)"; return; fi
  echo "$(per_item $((x1 - x0)) "$n")+$(per_item $((p1 - p0)) "$n")+$(per_item $((r1 - r0)) "$n")=$(per_item $(( (x1 - x0) + (p1 - p0) + (r1 - r0) )) "$n") µs ($(kv "$out" rate)/s sent, $(( ${non2xx:-0} + ${failed:-0} )) errors)"
}
if [ "$accept_rate" -gt 0 ] && [ "$accept_rounds" -gt 0 ]; then
  log "   the accept side alone at ${accept_rate}/s: the ingress and the durable-write endpoint, ${accept_rounds} rounds of ${accept_seconds} s"
  log "   the machine settled in $(wait_quiet 60) s"
  start_durable bench-durable-accept.log
  wait_http "$durable_url/ready" 60 "the durable endpoint"
  warm_up "$durable_url" "$durable_pid"
  ingress_accept() { next_base; ai=$(accept_slice "$ingress_url" "$ingress_pid" published); }
  durable_accept() { next_base; ad=$(accept_slice "$durable_url" "$durable_pid"); }
  for ((round = 1; round <= accept_rounds; round++)); do
    in_turn "$round" ingress_accept durable_accept
    accept_rounds_log="${accept_rounds_log:+$accept_rounds_log; }ingress $ai, durable $ad"
  done
  stop_durable
  log "   µs per request (own + PostgreSQL + RabbitMQ = total): $accept_rounds_log"
  set_aside "accept side alone"
fi
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- the table -------------------------------------------------------------------------------------------------------
ms() { calc "$1 / 1000"; }
ratio=$(calc "int(100 * $ingress_rps / $durable_rps + 0.5) / 100")
ingress_p99=$(ms "$(kv "$ingress" p99_us)")
durable_p99=$(ms "$(kv "$durable" p99_us)")
yes_no() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }
errors() { echo $(( $(kv "$1" non2xx) + $(kv "$1" connect_errors) + $(kv "$1" read_errors) + $(kv "$1" write_errors) + $(kv "$1" timeouts) )); }
non2xx=$(errors "$ingress")
durable_errors=$(errors "$durable")
worker_hwm=$(( drain_hwm[1] > drain_hwm[2] ? drain_hwm[1] : drain_hwm[2] ))
worker_hwm=$(( ${replay_hwm/\?/0} > worker_hwm ? ${replay_hwm/\?/0} : worker_hwm ))
worker_hwm=$(( worker_hwm > ${worker_hwm_e2e/\?/0} ? worker_hwm : ${worker_hwm_e2e/\?/0} ))
table="$work/table.md"
{
  echo "| # | Measurement | Result | Target | |"
  echo "|---|---|---|---|---|"
  printf '| 1 | Ingress, wrk %s conn × %ss after %ss of warm-up | **%.0f req/s**; p50 %.1f ms, p99 %.1f ms, max %.1f ms | | |\n' "$connections" "$duration" "$ingress_warmed" "$ingress_rps" "$(ms "$(kv "$ingress" p50_us)")" "$ingress_p99" "$(ms "$(kv "$ingress" max_us)")"
  printf '| 1 | Cost per accepted webhook (wrk run + relay catching up); machine during the run | %s; %s | | |\n' "$ingress_cost" "$ingress_cpu"
  printf '| 1 | Ingress non-2xx / socket errors | %s | 0 | %s |\n' "$non2xx" "$(yes_no "$non2xx == 0")"
  printf '| 2 | Plain Kestrel endpoint, same wrk load (after %ss of warm-up) | %.0f req/s; p50 %.1f ms, p99 %.1f ms; %s | (HTTP ceiling) | |\n' "$plain_warmed" "$plain_rps" "$(ms "$(kv "$plain" p50_us)")" "$(ms "$(kv "$plain" p99_us)")" "$plain_cpu"
  printf '| 2 | Durable-write ceiling, same wrk load (after %ss of warm-up): Kestrel + group-commit binary COPY into a scratch table (%s writers), 200 after the commit | **%.0f req/s**; p50 %.1f ms, p99 %.1f ms, max %.1f ms; %s non-2xx / socket errors; %s rows per commit; per request: %s; %s | | |\n' "$durable_warmed" "$ceiling_writers" "$durable_rps" "$(ms "$(kv "$durable" p50_us)")" "$durable_p99" "$(ms "$(kv "$durable" max_us)")" "$durable_errors" "$(kv "$durable_batches" mean_batch)" "$durable_cost" "$durable_cpu"
  printf '| 2 | Raw COPY rate, no HTTP (informational): %s rows × %s writers, commit per batch, %ss | %s rows/s; commit p50 %s ms, p99 %s ms; %s | | |\n' "$ceiling_batch" "$ceiling_writers" "$ceiling_seconds" "$ceiling_rps" "$(kv "$ceiling" commit_p50_ms)" "$(kv "$ceiling" commit_p99_ms)" "$ceiling_cpu"
  printf '| 2 | Ingress / durable-write ceiling (req/s): the two runs above; then %s paired rounds of %s s each, back to back (ingress/durable req/s, %% of the CPU stolen in each) | %s; rounds %s: %s, median **%s** | ≥ 0.8 (median of the rounds) | %s |\n' "$pairs" "$pair_seconds" "$ratio" "$pair_log" "$pair_list" "$pair_median" "$(yes_no "$pair_median >= 0.8")"
  printf '| 2 | Ingress p99 / durable-write ceiling p99 | %.1f ms / %.1f ms | ≤ 2× | %s |\n' "$ingress_p99" "$durable_p99" "$(yes_no "$ingress_p99 <= 2 * $durable_p99")"
  printf '| 2 | Ingress at half its maximum (%s req/s, %ss after %ss of warm-up, open loop) | p50 %s ms, p99 **%s ms**, max %s ms; the worst second %s s (%s UTC), p99 %s ms; %s non-2xx | p99 < 50 ms | %s |\n' "$half_rate" "$half_seconds" "$half_warmup" "$(kv "$half" p50_ms)" "$(kv "$half" p99_ms)" "$(kv "$half" max_ms)" "$(kv "$half" worst_second)" "$(kv "$half" worst_second_at)" "$(kv "$half" worst_second_p99_ms)" "$(( $(kv "$half" non2xx) + $(kv "$half" failed) ))" "$(yes_no "$(kv "$half" p99_ms) < 50")"
  for r in 1 2; do
    target="≥ 6000/s"; check="$(yes_no "${drain_rate[$r]} >= 6000")"
    [ "$r" = 2 ] && { target="> 1 replica"; check="$(yes_no "${drain_rate[2]} > ${drain_rate[1]}")"; }
    printf '| 3 | Drain of %s deliveries, %s worker replica(s) | **%s applied/s**; all done %s; %s applied | %s | %s |\n' "$drain_count" "$r" "${drain_rate[$r]}" "${drain_time[$r]}" "${drain_applied[$r]}" "$target" "$check"
  done
  printf '| 3 | Cost per delivery, 1 / 2 replicas (worker CPU includes start-up); machine during the drain | %s; %s / %s; %s | | |\n' "${drain_cost[1]}" "${drain_cpu[1]}" "${drain_cost[2]}" "${drain_cpu[2]}"
  printf '| 3 | Bulk replay of %s drained deliveries (one ProcessDelivery each), 1 worker replica | **%s applied/s**; %s/%s finished; worker peak RSS %s MB | | |\n' "$replay_count" "$replay_rate" "$replay_finished" "$replay_count" "$replay_hwm"
  printf '| 3 | Accepting the backlog (closed loop, %s conn) | %s / %s req/s | | |\n' "$connections" "${drain_fill[1]}" "${drain_fill[2]}"
  printf '| 4 | End to end at %s req/s × %ss (%s worker, after %ss of warm-up at that rate), 200 → applied | p50 **%s ms**, p99 **%s ms**, max %s ms; %s/%s applied (with the %s s the load tool sent first; percentiles of the measured window'"'"'s deliveries processed within %ss of the end) | p50 < 50, p99 < 250 | %s |\n' "$e2e_rate" "$e2e_seconds" "$e2e_workers" "$e2e_warmed" "$e2e_p50" "$e2e_p99" "$e2e_max" "$e2e_applied" "$e2e_total" "$step_warmup" "$e2e_timeout" "$(yes_no "${e2e_p50:-9999} < 50 && ${e2e_p99:-9999} < 250")"
  printf '| 4 | The same requests, client side | %s req/s sent; p50 %s ms, p99 %s ms; %s non-2xx | | |\n' "$(kv "$e2e" rate)" "$(kv "$e2e" p50_ms)" "$(kv "$e2e" p99_ms)" "$(( $(kv "$e2e" non2xx) + $(kv "$e2e" failed) ))"
  printf '| 4 | Sustained end to end: ingress + %s worker, open-loop steps (%s s each after %s s at the rate not counted, one not held is run once more) until one is not held twice (accept→applied p99 over %s ms, or a backlog at its end of more than that many milliseconds of arrivals) | steps (req/s): %s | | |\n' "$e2e_workers" "$sustain_step" "$step_warmup" "$sustain_lag_ms" "$ladder"
  printf '| 4 | Highest rate held for %s s with the backlog bounded | **%s**; %s | ≥ 4500/s, p99 < 250 ms | %s |\n' "$sustain_seconds" "$([ "$sustained_rate" -gt 0 ] && echo "$sustained_rate webhooks/s" || echo "none")" "${sustained:+$([ "$sustained_rate" -gt 0 ] || echo "the last attempt, ${sustained_tried}/s: ")}${sustained:-no step was held}" "$(yes_no "$sustained_rate >= 4500 && $sustained_p99 < 250")"
  printf '| 4 | CPU per webhook at that rate (the %s s run, its warm-up and its drain, over every request sent) | %s | ≤ 400 µs | %s |\n' "$sustain_seconds" "${sustained_cost:-n/a}" "$(yes_no "$(sed 's/^n\/a$/999999/' <<<"${sustained_total:-n/a}") <= 400")"
  if [ -n "$accept_rounds_log" ]; then
    printf '| 4 | The accept side alone at that rate (%s/s, workers stopped, open loop): the ingress and the durable-write endpoint, %s rounds of %s s back to back; CPU per request, own + PostgreSQL + RabbitMQ = total (the slim endpoint: what accepting alone costs on this machine at this rate) | %s | | |\n' "$accept_rate" "$accept_rounds" "$accept_seconds" "$accept_rounds_log"
  else
    printf '| 4 | The accept side alone at that rate | skipped (BENCH_ACCEPT_ROUNDS=%s, or no sustained run) | | |\n' "$accept_rounds"
  fi
  printf '| 5 | Peak RSS (VmHWM): ingress (phases 1-3) | %s MB (%s MB after phase 1) | < 300 MB | %s |\n' "$ingress_hwm" "$ingress_hwm_1" "$(yes_no "$ingress_hwm < 300")"
  printf '| 5 | Peak RSS (VmHWM): worker (drains, replay, end to end) | %s MB (1 replica %s, 2 replicas %s, replay %s) | < 300 MB | %s |\n' "$worker_hwm" "${drain_hwm[1]}" "${drain_hwm[2]}" "$replay_hwm" "$(yes_no "$worker_hwm < 300")"
} >"$table"

commit="$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- . ':!docs/benchmarks.md' 2>/dev/null || echo "+uncommitted")"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
memory="$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
header="$(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$commit\`, $(nproc) cores ($cpu), $memory RAM; load average $load_before before, $load_after after; a system call ${syscall_before} ns (dd, 1-byte blocks), a wakeup round trip between two processes ${wakeup_before} µs (pipes); run took $(( $(date +%s) - bench_started )) s; PostgreSQL $(sql 'SHOW server_version' | cut -d' ' -f1) (shared_buffers $(sql 'SHOW shared_buffers'), max_wal_size $(sql 'SHOW max_wal_size'), checkpoint_timeout $(sql 'SHOW checkpoint_timeout')), RabbitMQ on the same machine, load generator on the same machine; workers: ConcurrentMessageLimit ${Workers__ConcurrentMessageLimit:-250}, PrefetchCount ${Workers__PrefetchCount:-250}, BatchSize ${Workers__BatchSize:-200}, BatchConcurrency ${Workers__BatchConcurrency:-2}; relay: DeliveriesPerMessage ${Outbox__DeliveriesPerMessage:-100}; logging: the shipped appsettings.json; connection options: ${WEBHOOKS_PG_OPTIONS:-Npgsql defaults}."
echo
echo "$header"
echo
cat "$table"
echo

doc="$root/docs/benchmarks.md"
if [ "${BENCH_DOCS:-1}" = 1 ] && [ -f "$doc" ] && grep -q '<!-- bench:begin -->' "$doc"; then
  { echo "$header"; echo; cat "$table"; } >"$work/section.md"
  awk -v section="$work/section.md" '
    /<!-- bench:begin -->/ { print; while ((getline line < section) > 0) print line; skip = 1; next }
    /<!-- bench:end -->/ { skip = 0 }
    !skip { print }' "$doc" >"$work/benchmarks.md"
  mv "$work/benchmarks.md" "$doc"
  log "wrote the table into docs/benchmarks.md"
fi
