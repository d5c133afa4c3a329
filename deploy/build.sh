#!/usr/bin/env bash
# Builds the two programs (Release) into .run/bin/{ingress,workers}. Used by run.sh, migrate.sh and bench.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/deploy/services/env.sh"
command -v dotnet >/dev/null || die "the .NET 10 SDK is not installed (https://learn.microsoft.com/dotnet/core/install/linux-debian)."
log "building ingress and workers (Release)"
# Quiet when it builds; MSBuild writes its errors to stdout, so a failed build shows its output.
publish() {
  local output
  output=$(dotnet publish "$root/$1" -c Release -o "$root/.run/bin/$2" --nologo -v quiet 2>&1) || { printf '%s\n' "$output" >&2; die "building $1 failed"; }
}
publish Ingress/Webhooks.Ingress.csproj ingress
publish Workers/Webhooks.Workers.csproj workers
