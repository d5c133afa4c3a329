#!/usr/bin/env bash
# Installs Debian's PostgreSQL 15, RabbitMQ, curl and openssl when they are missing (and Chromium for the console's
# browser tests when WEBHOOKS_INSTALL_CHROMIUM=1, as deploy/test.sh sets). Needs root for apt-get; does nothing if all exist.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"

missing=()
command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /usr/lib/postgresql/15 ] || missing+=(postgresql-15)
# Debian installs rabbitmq-server in /usr/sbin, which is not on a normal user's PATH.
[ -x /usr/sbin/rabbitmq-server ] || command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
# start.sh and run.sh wait on HTTP endpoints with curl; the key ring certificate is made with openssl.
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${WEBHOOKS_INSTALL_CHROMIUM:-0}" = 1 ]; then [ -x /usr/bin/chromium ] || missing+=(chromium); fi
if [ "${WEBHOOKS_INSTALL_WRK:-0}" = 1 ]; then command -v wrk >/dev/null 2>&1 || missing+=(wrk); fi

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  die "missing ${missing[*]}: run this script as root once (sudo $0), or install them with apt-get."
fi
log "installing ${missing[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d on containers may refuse to start services at install time; start.sh starts them itself.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
