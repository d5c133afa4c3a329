# Shared settings for the local stack. Sourced by the deploy scripts; every value can be overridden from the environment.
# shellcheck shell=bash
export WEBHOOKS_PG_HOST="${WEBHOOKS_PG_HOST:-127.0.0.1}"
export WEBHOOKS_PG_PORT="${WEBHOOKS_PG_PORT:-5432}"
export WEBHOOKS_PG_DATABASE="${WEBHOOKS_PG_DATABASE:-webhooks}"
export WEBHOOKS_PG_USER="${WEBHOOKS_PG_USER:-webhooks}"
export WEBHOOKS_PG_PASSWORD="${WEBHOOKS_PG_PASSWORD:-webhooks}"
# Least privilege: the owner role runs migrations (and the admin API); the ingress and the workers connect as their own
# roles (Persistence/Sql/roles.sql makes them; their names are fixed there and in grants.sql, which sets their
# privileges after every migration). Only the passwords are yours to choose.
export WEBHOOKS_PG_INGRESS_USER=webhooks_ingress
export WEBHOOKS_PG_INGRESS_PASSWORD="${WEBHOOKS_PG_INGRESS_PASSWORD:-webhooks_ingress}"
export WEBHOOKS_PG_WORKER_USER=webhooks_worker
export WEBHOOKS_PG_WORKER_PASSWORD="${WEBHOOKS_PG_WORKER_PASSWORD:-webhooks_worker}"

export WEBHOOKS_RABBITMQ_HOST="${WEBHOOKS_RABBITMQ_HOST:-127.0.0.1}"
export WEBHOOKS_RABBITMQ_PORT="${WEBHOOKS_RABBITMQ_PORT:-5672}"
export WEBHOOKS_RABBITMQ_MANAGEMENT_PORT="${WEBHOOKS_RABBITMQ_MANAGEMENT_PORT:-15672}"
export WEBHOOKS_RABBITMQ_VHOST="${WEBHOOKS_RABBITMQ_VHOST:-webhooks}"
# The administrator: operators, the management UI and the tests (which make a vhost per run). The programs never use it.
export WEBHOOKS_RABBITMQ_USER="${WEBHOOKS_RABBITMQ_USER:-webhooks}"
export WEBHOOKS_RABBITMQ_PASSWORD="${WEBHOOKS_RABBITMQ_PASSWORD:-webhooks}"
# Each program's own user; what each may do in the vhost is deploy/services/rabbitmq-permissions.txt.
export WEBHOOKS_RABBITMQ_INGRESS_USER="${WEBHOOKS_RABBITMQ_INGRESS_USER:-webhooks_ingress}"
export WEBHOOKS_RABBITMQ_INGRESS_PASSWORD="${WEBHOOKS_RABBITMQ_INGRESS_PASSWORD:-webhooks_ingress}"
export WEBHOOKS_RABBITMQ_WORKER_USER="${WEBHOOKS_RABBITMQ_WORKER_USER:-webhooks_worker}"
export WEBHOOKS_RABBITMQ_WORKER_PASSWORD="${WEBHOOKS_RABBITMQ_WORKER_PASSWORD:-webhooks_worker}"
# The admin API's dead-letter user (the ingress's DeadLetters__User): reads and acks the providers' error queues only.
export WEBHOOKS_RABBITMQ_OPERATOR_USER="${WEBHOOKS_RABBITMQ_OPERATOR_USER:-webhooks_operator}"
export WEBHOOKS_RABBITMQ_OPERATOR_PASSWORD="${WEBHOOKS_RABBITMQ_OPERATOR_PASSWORD:-webhooks_operator}"
# The console's queue depth and consumers (the ingress's Console__RabbitMqManagementUser): tagged monitoring, read-only
# through the management API, no right to configure, write or read in the vhost (AMQP).
export WEBHOOKS_RABBITMQ_MONITORING_USER="${WEBHOOKS_RABBITMQ_MONITORING_USER:-webhooks_monitoring}"
export WEBHOOKS_RABBITMQ_MONITORING_PASSWORD="${WEBHOOKS_RABBITMQ_MONITORING_PASSWORD:-webhooks_monitoring}"

# Npgsql options appended to all three connection strings. PostgreSQL is on loopback here, where TLS only costs CPU
# (Npgsql's default SSL Mode=Prefer encrypts whenever the server offers it, and Debian's server does: the COPY
# ceiling went from 25k to 65k rows/s without it, docs/benchmark-history.md). Across an untrusted network keep TLS: set
# WEBHOOKS_PG_OPTIONS with SSL Mode=VerifyFull (or Require). Auto-prepare makes repeated statements skip planning.
export WEBHOOKS_PG_OPTIONS="${WEBHOOKS_PG_OPTIONS-SSL Mode=Disable;Max Auto Prepare=64;Auto Prepare Min Usages=2}"

# What the .NET programs read (ASP.NET Core maps __ to :).
export ConnectionStrings__Webhooks="Host=${WEBHOOKS_PG_HOST};Port=${WEBHOOKS_PG_PORT};Database=${WEBHOOKS_PG_DATABASE};Username=${WEBHOOKS_PG_USER};Password=${WEBHOOKS_PG_PASSWORD}${WEBHOOKS_PG_OPTIONS:+;$WEBHOOKS_PG_OPTIONS}"
# The restricted roles' connection strings; deploy/run.sh hands them to the ingress and the workers.
export WEBHOOKS_INGRESS_CONNECTION="Host=${WEBHOOKS_PG_HOST};Port=${WEBHOOKS_PG_PORT};Database=${WEBHOOKS_PG_DATABASE};Username=${WEBHOOKS_PG_INGRESS_USER};Password=${WEBHOOKS_PG_INGRESS_PASSWORD}${WEBHOOKS_PG_OPTIONS:+;$WEBHOOKS_PG_OPTIONS}"
export WEBHOOKS_WORKER_CONNECTION="Host=${WEBHOOKS_PG_HOST};Port=${WEBHOOKS_PG_PORT};Database=${WEBHOOKS_PG_DATABASE};Username=${WEBHOOKS_PG_WORKER_USER};Password=${WEBHOOKS_PG_WORKER_PASSWORD}${WEBHOOKS_PG_OPTIONS:+;$WEBHOOKS_PG_OPTIONS}"
# The administrator's broker settings, for the operator verbs run by hand (docs/operations.md); deploy/run.sh gives the
# ingress and the workers their own users.
export RabbitMqTransport__Host="${WEBHOOKS_RABBITMQ_HOST}"
export RabbitMqTransport__Port="${WEBHOOKS_RABBITMQ_PORT}"
export RabbitMqTransport__VHost="${WEBHOOKS_RABBITMQ_VHOST}"
export RabbitMqTransport__User="${WEBHOOKS_RABBITMQ_USER}"
export RabbitMqTransport__Pass="${WEBHOOKS_RABBITMQ_PASSWORD}"
export RabbitMqTransport__ManagementPort="${WEBHOOKS_RABBITMQ_MANAGEMENT_PORT}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MASSTRANSIT_USAGE_TELEMETRY=false

log() { printf '\033[1m[webhooks]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs start.sh and sets started_services to what it started (for stop.sh), stopping the calling script when it fails:
# read through `mapfile < <(…)`, its failure went unseen and the caller went on to build and migrate against nothing.
# What it started before failing is kept, so the caller's exit trap still stops it.
start_services() {
  local started status=0
  started=$(bash "$(dirname "${BASH_SOURCE[0]}")/start.sh") || status=$?
  started_services=()
  [ -z "$started" ] || mapfile -t started_services <<< "$started"
  [ "$status" -eq 0 ] || die "deploy/services/start.sh failed (above)"
}
