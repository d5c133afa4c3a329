#!/usr/bin/env bash
# The test command: PostgreSQL and RabbitMQ on loopback (installed when missing), then every test project.
# Each test run makes its own database and vhost, so the local stack's data is never touched.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/deploy/services/env.sh"

# tests/Webhooks.Console.Tests drive Debian's Chromium (/usr/bin/chromium); Playwright never downloads a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
WEBHOOKS_INSTALL_CHROMIUM=1 bash "$root/deploy/services/install.sh"
started_services=()
stop_started() { if [ ${#started_services[@]} -gt 0 ] && [ "${WEBHOOKS_KEEP_SERVICES:-0}" != 1 ]; then bash "$root/deploy/services/stop.sh" "${started_services[@]}"; fi; }
trap stop_started EXIT
start_services

dotnet test "$root/Webhooks.sln" --nologo --filter "FullyQualifiedName!~Webhooks.Reliability.Tests" "$@"

# The fault tests stop and start a PostgreSQL cluster and a RabbitMQ node of their own (deploy/services/fault-instances.sh,
# ports 5442 and 5682; root needed), never the shared ones; they run after the others so they do not compete for the CPU.
dotnet test "$root/tests/Webhooks.Reliability.Tests" --nologo --no-build "$@"
