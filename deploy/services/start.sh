#!/usr/bin/env bash
# Starts PostgreSQL and RabbitMQ on loopback (reusing running ones) and creates the database, vhost and users.
# Prints the names of the services it started itself on stdout, so callers can stop exactly those.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"

# Each service is named as soon as it is started, so a caller can stop it even when a later step fails.
started() { echo "$1"; }

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi; }

pg_ready() { pg_isready -h "$WEBHOOKS_PG_HOST" -p "$WEBHOOKS_PG_PORT" -q; }
await_pg() { # what failed
  for _ in $(seq 1 30); do pg_ready && return; sleep 1; done
  die "PostgreSQL did not $1; see /var/log/postgresql/postgresql-15-main.log"
}
# The project's settings (postgresql.conf beside this script) become the cluster's conf.d/webhooks.conf: written before
# a start, or reloaded into a running cluster (restarted when a changed setting only takes effect on a start).
pg_settings_file=/etc/postgresql/15/main/conf.d/webhooks.conf
install_pg_settings() { # succeeds when it wrote the file
  [ "$(id -u)" -eq 0 ] && [ -d "$(dirname "$pg_settings_file")" ] || return 1
  cmp -s "$here/postgresql.conf" "$pg_settings_file" && return 1
  install -m 0644 -o postgres -g postgres "$here/postgresql.conf" "$pg_settings_file"
}
if ! pg_ready; then
  command -v pg_ctlcluster >/dev/null || die "PostgreSQL is not installed: run deploy/services/install.sh as root."
  log "starting PostgreSQL 15 (cluster 15/main)"
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not running on $WEBHOOKS_PG_HOST:$WEBHOOKS_PG_PORT and starting it needs root."
  pg_lsclusters -h | grep -q '^15 *main' || pg_createcluster 15 main >/dev/null
  install_pg_settings || true
  pg_ctlcluster 15 main start
  started postgresql
  await_pg "come up"
elif install_pg_settings; then
  pg_ctlcluster 15 main reload
  if [ "$(as_postgres psql -qAt -p "$WEBHOOKS_PG_PORT" -c "SELECT count(*) FROM pg_settings WHERE pending_restart")" != 0 ]; then
    log "restarting PostgreSQL 15 (cluster 15/main) for deploy/services/postgresql.conf"
    pg_ctlcluster 15 main restart
    await_pg "come back"
  fi
fi

# The application role can create databases because the tests make one per run.
as_postgres psql -qAt -v ON_ERROR_STOP=1 -p "$WEBHOOKS_PG_PORT" <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${WEBHOOKS_PG_USER}') THEN
    CREATE ROLE "${WEBHOOKS_PG_USER}" LOGIN CREATEDB PASSWORD '${WEBHOOKS_PG_PASSWORD}';
  ELSE
    ALTER ROLE "${WEBHOOKS_PG_USER}" LOGIN CREATEDB PASSWORD '${WEBHOOKS_PG_PASSWORD}';
  END IF;
END \$\$;
-- The tests drop their databases WITH (FORCE), which ends the ingress's and workers' connections still open: ending
-- another role's backend needs pg_signal_backend (without it a late pool connection fails the drop with 42501).
GRANT pg_signal_backend TO "${WEBHOOKS_PG_USER}";
SQL
# The ingress and worker roles: LOGIN only (Persistence/Sql/roles.sql, the same the migrate verb runs in compose and
# Kubernetes); their privileges come from Persistence/Sql/grants.sql after each migration.
{
  printf "SELECT set_config('webhooks.ingress_password', :'ingress_password', false), set_config('webhooks.worker_password', :'worker_password', false);\n"
  cat "$here/../../Persistence/Sql/roles.sql"
} | as_postgres psql -qAt -v ON_ERROR_STOP=1 -p "$WEBHOOKS_PG_PORT" \
    -v ingress_password="$WEBHOOKS_PG_INGRESS_PASSWORD" -v worker_password="$WEBHOOKS_PG_WORKER_PASSWORD" >/dev/null
if ! as_postgres psql -qAt -p "$WEBHOOKS_PG_PORT" -c "SELECT 1 FROM pg_database WHERE datname = '${WEBHOOKS_PG_DATABASE}'" | grep -q 1; then
  as_postgres createdb -p "$WEBHOOKS_PG_PORT" -O "$WEBHOOKS_PG_USER" "$WEBHOOKS_PG_DATABASE"
fi

rabbit_up() { rabbitmqctl -q await_startup --timeout 2 >/dev/null 2>&1; }
if ! rabbit_up; then
  command -v rabbitmq-server >/dev/null || die "RabbitMQ is not installed: run deploy/services/install.sh as root."
  [ "$(id -u)" -eq 0 ] || die "RabbitMQ is not running and starting it needs root (or the rabbitmq user)."
  log "starting RabbitMQ (about 15 s)"
  mkdir -p /etc/rabbitmq /var/log/rabbitmq
  # Loopback only: nothing on this machine should be reachable from outside.
  cat > /etc/rabbitmq/rabbitmq.conf <<CONF
listeners.tcp.1 = 127.0.0.1:${WEBHOOKS_RABBITMQ_PORT}
management.tcp.ip = 127.0.0.1
management.tcp.port = ${WEBHOOKS_RABBITMQ_MANAGEMENT_PORT}
loopback_users = none
CONF
  echo "[rabbitmq_management]." > /etc/rabbitmq/enabled_plugins
  chown -R rabbitmq:rabbitmq /var/log/rabbitmq /var/lib/rabbitmq 2>/dev/null || true
  # No systemd on our machines: run the server in the background, detached from this shell's job control.
  setsid nohup runuser -u rabbitmq -- rabbitmq-server >> /var/log/rabbitmq/webhooks-start.log 2>&1 < /dev/null &
  started rabbitmq
  # await_startup gives up at once while the node is not yet registered, so poll it.
  for _ in $(seq 1 90); do rabbit_up && break; sleep 1; done
  rabbit_up || die "RabbitMQ did not come up in 90 s; see /var/log/rabbitmq/webhooks-start.log"
fi
# The management API is what the tests use to make a vhost per run.
rabbitmq-plugins -q list -e 2>/dev/null | grep -q rabbitmq_management || rabbitmq-plugins -q enable rabbitmq_management >/dev/null

rabbitmqctl -q list_vhosts | grep -qx "$WEBHOOKS_RABBITMQ_VHOST" || rabbitmqctl -q add_vhost "$WEBHOOKS_RABBITMQ_VHOST" >/dev/null
if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$WEBHOOKS_RABBITMQ_USER"; then
  rabbitmqctl -q change_password "$WEBHOOKS_RABBITMQ_USER" "$WEBHOOKS_RABBITMQ_PASSWORD" >/dev/null
else
  rabbitmqctl -q add_user "$WEBHOOKS_RABBITMQ_USER" "$WEBHOOKS_RABBITMQ_PASSWORD" >/dev/null
fi
# administrator: the tests create and delete their own vhosts through the management API.
rabbitmqctl -q set_user_tags "$WEBHOOKS_RABBITMQ_USER" administrator >/dev/null
rabbitmqctl -q set_permissions -p "$WEBHOOKS_RABBITMQ_VHOST" "$WEBHOOKS_RABBITMQ_USER" ".*" ".*" ".*" >/dev/null

# The programs' own users (and the admin API's dead-letter user): no tags (no management access), and in the vhost only
# what rabbitmq-permissions.txt grants.
rabbit_user() {
  if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$1"; then
    rabbitmqctl -q change_password "$1" "$2" >/dev/null
  else
    rabbitmqctl -q add_user "$1" "$2" >/dev/null
  fi
  rabbitmqctl -q set_user_tags "$1" >/dev/null
}
# fd 3: rabbitmqctl reads stdin, which would swallow the rest of the file.
while read -r program configure write read <&3; do
  case "$program" in
    ingress) user="$WEBHOOKS_RABBITMQ_INGRESS_USER"; password="$WEBHOOKS_RABBITMQ_INGRESS_PASSWORD" ;;
    worker) user="$WEBHOOKS_RABBITMQ_WORKER_USER"; password="$WEBHOOKS_RABBITMQ_WORKER_PASSWORD" ;;
    operator) user="$WEBHOOKS_RABBITMQ_OPERATOR_USER"; password="$WEBHOOKS_RABBITMQ_OPERATOR_PASSWORD" ;;
    *) continue ;;
  esac
  rabbit_user "$user" "$password"
  rabbitmqctl -q set_permissions -p "$WEBHOOKS_RABBITMQ_VHOST" "$user" "$configure" "$write" "$read" >/dev/null
done 3< "$here/rabbitmq-permissions.txt"
# The console's overview reads queue depth and consumers through the management API: a user tagged monitoring (read-only
# there) with access to the vhost but no AMQP right in it.
rabbit_user "$WEBHOOKS_RABBITMQ_MONITORING_USER" "$WEBHOOKS_RABBITMQ_MONITORING_PASSWORD"
rabbitmqctl -q set_user_tags "$WEBHOOKS_RABBITMQ_MONITORING_USER" monitoring >/dev/null
rabbitmqctl -q set_permissions -p "$WEBHOOKS_RABBITMQ_VHOST" "$WEBHOOKS_RABBITMQ_MONITORING_USER" '^$' '^$' '^$' >/dev/null

for _ in $(seq 1 30); do
  curl -fsS -u "$WEBHOOKS_RABBITMQ_USER:$WEBHOOKS_RABBITMQ_PASSWORD" "http://127.0.0.1:${WEBHOOKS_RABBITMQ_MANAGEMENT_PORT}/api/overview" >/dev/null 2>&1 && break
  sleep 1
done

log "PostgreSQL on $WEBHOOKS_PG_HOST:$WEBHOOKS_PG_PORT (database $WEBHOOKS_PG_DATABASE), RabbitMQ on $WEBHOOKS_RABBITMQ_HOST:$WEBHOOKS_RABBITMQ_PORT (vhost $WEBHOOKS_RABBITMQ_VHOST)"
