#!/usr/bin/env bash
# Stops the named services (postgresql, rabbitmq); with no names, both.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
services=("$@"); [ ${#services[@]} -gt 0 ] || services=(rabbitmq postgresql)
for s in "${services[@]}"; do
  case "$s" in
    rabbitmq) log "stopping RabbitMQ"; rabbitmqctl -q stop >/dev/null 2>&1 || true ;;
    postgresql) log "stopping PostgreSQL"; pg_ctlcluster 15 main stop >/dev/null 2>&1 || true ;;
    "") ;;
    *) log "unknown service '$s'" ;;
  esac
done
