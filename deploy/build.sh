#!/usr/bin/env bash
# Builds the two programs (Release) into .run/bin/{ingress,workers}. Used by run.sh, migrate.sh and bench.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/deploy/services/env.sh"
command -v dotnet >/dev/null || die "the .NET 10 SDK is not installed (https://learn.microsoft.com/dotnet/core/install/linux-debian)."
log "building ingress and workers (Release)"
dotnet publish "$root/Ingress/Webhooks.Ingress.csproj" -c Release -o "$root/.run/bin/ingress" --nologo -v quiet >/dev/null
dotnet publish "$root/Workers/Webhooks.Workers.csproj" -c Release -o "$root/.run/bin/workers" --nologo -v quiet >/dev/null
