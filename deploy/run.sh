#!/usr/bin/env bash
# The whole stack in the foreground: PostgreSQL and RabbitMQ on loopback (installed when missing, reused when running),
# migrations, queue topology, the ingress and the workers. Ctrl-C or SIGTERM stops everything this script started.
#
#   WEBHOOKS_HTTP_PORT        ingress port (default 5080)
#   WEBHOOKS_ADMIN_KEY        admin API bearer key, at least 32 characters (default: generated and printed)
#   WEBHOOKS_WORKER_REPLICAS  worker processes, each consuming every provider's queue (default 1)
#   WEBHOOKS_WORKER_PROVIDERS providers the workers consume, e.g. "jira,github" (default: all)
#   DataProtection__CertificatePath  the certificate that encrypts the key ring (default: .run/keyring/certificate.pem,
#                             generated on the first start and reused; DataProtection__PreviousCertificatePaths too)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/deploy/services/env.sh"

port="${WEBHOOKS_HTTP_PORT:-5080}"
replicas="${WEBHOOKS_WORKER_REPLICAS:-1}"
providers="${WEBHOOKS_WORKER_PROVIDERS:-jira,github,rally,asana,salesforce,smartsheet,trello,standard}"
base_url="http://127.0.0.1:${port}"
admin_key="${WEBHOOKS_ADMIN_KEY:-}"
if [ -z "$admin_key" ]; then
  admin_key="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  generated_key=1
elif [ "${#admin_key}" -lt 32 ]; then
  # The ingress refuses to start with a shorter key; say so now rather than after a minute of waiting for it.
  echo "WEBHOOKS_ADMIN_KEY is ${#admin_key} characters; the admin key needs at least 32 (e.g. openssl rand -hex 24)." >&2
  exit 2
fi
mkdir -p "$root/.run/logs"
# A program's JSON log lines go whole to .run/logs/<name>.log; the terminal shows one readable line per warning or
# error (deploy/terminal-log.awk), so on an idle stack the banner below stays the last thing on the screen.
# mawk (Debian's awk) reads its input in blocks unless told otherwise: a warning would wait for kilobytes more log.
awk_interactive=()
if awk -W version 2>&1 | grep -qi mawk; then awk_interactive=(-W interactive); fi
terminal() { tee "$root/.run/logs/$1.log" | awk "${awk_interactive[@]}" -v program="$1" -f "$root/deploy/terminal-log.awk"; }

pids=()
started_services=()
cleanup() {
  trap - INT TERM EXIT
  log "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ ${#started_services[@]} -gt 0 ]; then bash "$root/deploy/services/stop.sh" "${started_services[@]}"; fi
}
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

bash "$root/deploy/services/install.sh"
start_services
bash "$root/deploy/build.sh"

# The key ring's certificate lives outside the database (docs/security.md): made once, kept under .run/ (git-ignored).
export DataProtection__CertificatePath="${DataProtection__CertificatePath:-$root/.run/keyring/certificate.pem}"
if [ ! -f "$DataProtection__CertificatePath" ]; then
  log "generating the key ring certificate $DataProtection__CertificatePath (keep it: without it no stored secret can be read)"
  bash "$root/deploy/services/keyring-certificate.sh" "$DataProtection__CertificatePath" >/dev/null || die "could not make the key ring certificate"
fi

# Each program connects as its own PostgreSQL role and RabbitMQ user; migrations run as the owner. The admin API reads
# the error queues as a user of its own (the ingress's user may read no queue).
ingress_broker=(RabbitMqTransport__User="$WEBHOOKS_RABBITMQ_INGRESS_USER" RabbitMqTransport__Pass="$WEBHOOKS_RABBITMQ_INGRESS_PASSWORD"
  DeadLetters__User="$WEBHOOKS_RABBITMQ_OPERATOR_USER" DeadLetters__Pass="$WEBHOOKS_RABBITMQ_OPERATOR_PASSWORD"
  Console__RabbitMqManagementUrl="http://${WEBHOOKS_RABBITMQ_HOST}:${WEBHOOKS_RABBITMQ_MANAGEMENT_PORT}"
  Console__RabbitMqManagementUser="$WEBHOOKS_RABBITMQ_MONITORING_USER" Console__RabbitMqManagementPassword="$WEBHOOKS_RABBITMQ_MONITORING_PASSWORD")
worker_env=(ConnectionStrings__Webhooks="$WEBHOOKS_WORKER_CONNECTION"
  RabbitMqTransport__User="$WEBHOOKS_RABBITMQ_WORKER_USER" RabbitMqTransport__Pass="$WEBHOOKS_RABBITMQ_WORKER_PASSWORD")
dotnet "$root/.run/bin/workers/Webhooks.Workers.dll" migrate 2>&1 | terminal migrate
# Queues exist before the ingress sends: a message to an exchange with no queue would be refused.
env "${worker_env[@]}" dotnet "$root/.run/bin/workers/Webhooks.Workers.dll" deploy-topology 2>&1 | terminal deploy-topology

log "starting the ingress on $base_url"
# The webhook path connects as the restricted ingress role; the admin API (same process) as the owner.
owner_connection="$ConnectionStrings__Webhooks"
# Each program runs in its own directory: that is its content root, where it finds its appsettings.json (log levels).
(cd "$root/.run/bin/ingress" && ASPNETCORE_URLS="$base_url" Ingress__AdminKey="$admin_key" Ingress__PublicBaseUrl="$base_url" \
  ConnectionStrings__Webhooks="$WEBHOOKS_INGRESS_CONNECTION" ConnectionStrings__Admin="$owner_connection" \
  exec env "${ingress_broker[@]}" dotnet Webhooks.Ingress.dll) > >(terminal ingress) 2>&1 &
pids+=($!)

# Workers after the ingress is ready: on a fresh database the ingress makes the key ring's first key as it starts, and
# the workers, which may only read the key ring, would otherwise log that it has none yet.
for _ in $(seq 1 60); do curl -fsS "$base_url/health/ready" >/dev/null 2>&1 && break; sleep 1; done
curl -fsS "$base_url/health/ready" >/dev/null 2>&1 || die "the ingress did not become ready; see .run/logs/ingress.log"

for i in $(seq 1 "$replicas"); do
  health_port=$((8080 + i))
  log "starting worker $i (providers $providers, health on 127.0.0.1:$health_port)"
  (cd "$root/.run/bin/workers" && Workers__Providers="$providers" Workers__HealthPort="$health_port" \
    exec env "${worker_env[@]}" dotnet Webhooks.Workers.dll) > >(terminal "worker-$i") 2>&1 &
  pids+=($!)
done

# A demo integration, so the printed curl works on a fresh machine. Its token is kept in .run/demo.env (local only).
demo="$root/.run/demo.env"
token=""
if [ -f "$demo" ]; then
  source "$demo"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -I "$base_url/api/v1/webhooks/${token:-none}")" = 200 ] || token=""
fi
if [ -z "$token" ]; then
  api() { curl -fsS -X "$1" "$base_url/api/v1/admin$2" -H "Authorization: Bearer $admin_key" -H 'Content-Type: application/json' -d "$3"; }
  field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
  account=$(api POST /accounts '{"name":"Demo"}' | field id)
  user=$(api POST "/accounts/$account/users" '{"name":"Jira bot","email":"jira-bot@demo.local"}' | field id)
  product=$(api POST "/accounts/$account/products" '{"key":"DEMO","name":"Demo product"}' | field id)
  api PUT "/products/$product/members/$user" '{"role":"contributor"}' >/dev/null
  created=$(api POST /integrations "{\"productId\":\"$product\",\"provider\":\"jira\",\"version\":1,\"name\":\"Demo Jira\",\"runAsUserId\":\"$user\",\"settings\":{\"statusMappings\":{\"In Progress\":\"in_progress\",\"Done\":\"shipped\"}}}")
  token=$(field token <<<"$created")
  integration=$(field id <<<"$created")
  # Linked to Jira issue 10040, the issue of the fixture the printed curl sends.
  record=$(api POST "/products/$product/records" '{"kind":"feature","name":"Demo feature"}' | field id)
  api POST "/records/$record/links" "{\"integrationId\":\"$integration\",\"externalId\":\"10040\",\"externalKey\":\"TES-41\"}" >/dev/null
  printf 'token=%s\nrecord=%s\n' "$token" "$record" > "$demo"
fi

cat <<INFO

  Webhooks is running.
    ingress      $base_url   (health: $base_url/health/ready, OpenAPI: $base_url/openapi/v1.json)
    workers      $replicas replica(s), health on 127.0.0.1:8081…
    admin key    $admin_key ${generated_key:+(generated; set WEBHOOKS_ADMIN_KEY to choose one)}
    console      $base_url/console   (sign in with the admin key; docs/console.md)
    RabbitMQ     management UI http://127.0.0.1:${WEBHOOKS_RABBITMQ_MANAGEMENT_PORT} (user ${WEBHOOKS_RABBITMQ_USER}; the programs use ${WEBHOOKS_RABBITMQ_INGRESS_USER}, ${WEBHOOKS_RABBITMQ_WORKER_USER}, dead letters ${WEBHOOKS_RABBITMQ_OPERATOR_USER}, the console ${WEBHOOKS_RABBITMQ_MONITORING_USER})
    key ring     encrypted with $DataProtection__CertificatePath (keep it: without it no stored secret can be read)
    logs         .run/logs/ (JSON lines; warnings and errors also show here)

  Try it (a Jira comment to the demo integration):
    curl -i -X POST $base_url/api/v1/webhooks/$token -H 'Content-Type: application/json' --data-binary @$root/tests/Fixtures/Providers/Jira/comment_created.json
  then the linked record, with the comment written as the run-as user:
    curl -s $base_url/api/v1/admin/records/$record -H 'Authorization: Bearer $admin_key'

  Ctrl-C stops everything this script started.
INFO

wait -n "${pids[@]}" || true
log "a process exited; see .run/logs/ (stopping the rest)"
