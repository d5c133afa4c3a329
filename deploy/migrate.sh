#!/usr/bin/env bash
# Applies the EF Core migrations to the database in ConnectionStrings__Webhooks (deploy/services/env.sh builds it).
# Idempotent. Run it before starting a new version of the ingress or workers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/deploy/services/env.sh"
[ -f "$root/.run/bin/workers/Webhooks.Workers.dll" ] || bash "$root/deploy/build.sh"
log "applying migrations"
dotnet "$root/.run/bin/workers/Webhooks.Workers.dll" migrate
