#!/usr/bin/env bash
# A PostgreSQL cluster and a RabbitMQ node of their own for the fault tests (tests/Webhooks.Reliability.Tests), on
# other ports, which those tests stop and start freely. The shared services (5432, 5672) are never touched.
#   fault-instances.sh start            create when missing, then start both (idempotent)
#   fault-instances.sh stop-postgres | start-postgres | stop-rabbitmq | start-rabbitmq
#                                       (stop-rabbitmq stops the RabbitMQ application: port closed, connections cut)
#   fault-instances.sh add-vhost NAME | delete-vhost NAME
#   fault-instances.sh shutdown         stop both (the RabbitMQ node entirely)
#   fault-instances.sh destroy          stop both and delete their data
# Needs root (it runs the servers as the postgres and rabbitmq users). Ports: WEBHOOKS_FAULTS_PG_PORT (5442),
# WEBHOOKS_FAULTS_RABBITMQ_PORT (5682), WEBHOOKS_FAULTS_RABBITMQ_DIST_PORT (25682); role/user webhooks/webhooks (the
# owner and the broker's administrator), and, as on the shared services, the programs' own PostgreSQL roles and RabbitMQ
# users webhooks_ingress and webhooks_worker (password = name), with the permissions of rabbitmq-permissions.txt per vhost.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

pg_version=15
pg_cluster=faults
pg_port="${WEBHOOKS_FAULTS_PG_PORT:-5442}"
rabbit_port="${WEBHOOKS_FAULTS_RABBITMQ_PORT:-5682}"
rabbit_dist_port="${WEBHOOKS_FAULTS_RABBITMQ_DIST_PORT:-25682}"
rabbit_node="faults@localhost"
base="${WEBHOOKS_FAULTS_DIR:-/var/lib/webhooks-faults}"
rabbit_base="$base/rabbitmq"

log() { printf '[fault-instances] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (it runs PostgreSQL as postgres and RabbitMQ as rabbitmq)."

psql_faults() { runuser -u postgres -- psql -X -q -p "$pg_port" -d postgres -v ON_ERROR_STOP=1 "$@"; }
ctl() { runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -n "$rabbit_node" "$@"; }
rabbit_up() { ctl -q await_startup --timeout 2 >/dev/null 2>&1; }
pg_up() { runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$pg_port"; }

create_postgres() {
  if pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$pg_version $pg_cluster"; then return; fi
  log "creating PostgreSQL cluster $pg_version/$pg_cluster on port $pg_port"
  mkdir -p "$base"
  pg_createcluster "$pg_version" "$pg_cluster" -p "$pg_port" -d "$base/postgresql" --start-conf manual -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  cat >> "/etc/postgresql/$pg_version/$pg_cluster/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
max_connections = 200
CONF
}

start_postgres() {
  pg_up && return
  pg_ctlcluster "$pg_version" "$pg_cluster" start
  for _ in $(seq 1 60); do pg_up && break; sleep 0.5; done
  pg_up || die "PostgreSQL $pg_cluster did not come up on port $pg_port"
}

stop_postgres() {
  # Fast shutdown: open connections are cut, as in an outage.
  if pg_up; then pg_ctlcluster "$pg_version" "$pg_cluster" stop -m fast; fi
}

ensure_role() {
  psql_faults -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'webhooks') THEN CREATE ROLE webhooks LOGIN CREATEDB PASSWORD 'webhooks'; END IF;
  END \$\$;
  GRANT pg_signal_backend TO webhooks;" >/dev/null
  {
    echo "SELECT set_config('webhooks.ingress_password', 'webhooks_ingress', false), set_config('webhooks.worker_password', 'webhooks_worker', false);"
    cat "$here/../../Persistence/Sql/roles.sql"
  } | psql_faults >/dev/null
}

# The programs' users get, in a vhost, exactly what they get on the shared broker.
grant_program_users() {
  local program configure write read
  while read -r program configure write read <&3; do
    case "$program" in ingress | worker) ;; *) continue ;; esac
    ctl -q set_permissions -p "$1" "webhooks_$program" "$configure" "$write" "$read" >/dev/null
  done 3< "$here/rabbitmq-permissions.txt"
}

rabbit_env() {
  echo RABBITMQ_NODENAME="$rabbit_node" RABBITMQ_NODE_PORT="$rabbit_port" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_DIST_PORT="$rabbit_dist_port" RABBITMQ_MNESIA_BASE="$rabbit_base/mnesia" RABBITMQ_LOG_BASE="$rabbit_base/log" \
    RABBITMQ_CONFIG_FILE="$rabbit_base/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$rabbit_base/enabled_plugins" \
    RABBITMQ_PID_FILE="$rabbit_base/faults.pid" HOME=/var/lib/rabbitmq
}

rabbit_vm_up() { ctl -q ping >/dev/null 2>&1; }

start_rabbitmq() {
  rabbit_up && return
  if rabbit_vm_up; then
    # Stopped with stop-rabbitmq: only the application is down, starting it again takes seconds, not a node boot.
    ctl -q start_app >/dev/null
    rabbit_up || die "RabbitMQ node $rabbit_node did not start its application"
    return
  fi
  mkdir -p "$rabbit_base/mnesia" "$rabbit_base/log"
  printf 'listeners.tcp.1 = 127.0.0.1:%s\nloopback_users = none\n' "$rabbit_port" > "$rabbit_base/rabbitmq.conf"
  echo "[]." > "$rabbit_base/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$rabbit_base"
  # shellcheck disable=SC2046
  setsid nohup runuser -u rabbitmq -- env $(rabbit_env) /usr/lib/rabbitmq/bin/rabbitmq-server >> "$rabbit_base/log/start.log" 2>&1 < /dev/null &
  for _ in $(seq 1 120); do rabbit_up && break; sleep 0.5; done
  rabbit_up || die "RabbitMQ node $rabbit_node did not come up; see $rabbit_base/log"
  if ! ctl -q list_users | awk '{print $1}' | grep -qx webhooks; then
    ctl -q add_user webhooks webhooks >/dev/null
    ctl -q set_user_tags webhooks administrator >/dev/null
  fi
  ctl -q set_permissions -p / webhooks ".*" ".*" ".*" >/dev/null
}

ensure_program_users() {
  for user in webhooks_ingress webhooks_worker; do
    ctl -q list_users | awk '{print $1}' | grep -qx "$user" || ctl -q add_user "$user" "$user" >/dev/null
  done
}

# To clients RabbitMQ is gone (listeners closed, connections dropped); the Erlang VM stays up so the start is quick.
stop_rabbitmq() {
  if rabbit_up; then ctl -q stop_app >/dev/null; fi
}

shutdown_rabbitmq() {
  if rabbit_vm_up; then ctl -q stop >/dev/null 2>&1 || true; fi
  for _ in $(seq 1 60); do rabbit_vm_up || break; sleep 0.5; done
}

case "${1:-}" in
  start) create_postgres; start_postgres; ensure_role; start_rabbitmq; ensure_program_users ;;
  stop-postgres) stop_postgres ;;
  start-postgres) start_postgres ;;
  stop-rabbitmq) stop_rabbitmq ;;
  start-rabbitmq) start_rabbitmq ;;
  add-vhost)
    ctl -q add_vhost "${2:?vhost name}" >/dev/null
    ctl -q set_permissions -p "$2" webhooks ".*" ".*" ".*" >/dev/null
    grant_program_users "$2" ;;
  delete-vhost) ctl -q delete_vhost "${2:?vhost name}" >/dev/null 2>&1 || true ;;
  shutdown) shutdown_rabbitmq; stop_postgres ;;
  destroy)
    shutdown_rabbitmq
    if pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$pg_version $pg_cluster"; then pg_dropcluster --stop "$pg_version" "$pg_cluster"; fi
    rm -rf "$base" ;;
  *) die "usage: $0 start|stop-postgres|start-postgres|stop-rabbitmq|start-rabbitmq|add-vhost NAME|delete-vhost NAME|shutdown|destroy" ;;
esac
