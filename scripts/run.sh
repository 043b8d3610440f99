#!/usr/bin/env bash
# Runs the platform locally: installs and starts what it needs, then the AppHost, which starts
# PostgreSQL, Redis, the Api, the Proxy (edge on http://localhost:5080) and the Worker, and serves the
# dashboard on http://localhost:18888. Ctrl+C stops everything it started.
#   scripts/run.sh [AppHost arguments, e.g. --Parameters:admin-password=...]
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "==> Prerequisites (Docker engine, PostgreSQL, Redis, debootstrap)"
scripts/prerequisites.sh

echo "==> Local images (rebuilt only when their recipe changed)"
scripts/build-images.sh

echo "==> Building and starting the AppHost (dashboard: http://localhost:18888)"
if command -v xdg-open >/dev/null 2>&1 && [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  ( for _ in $(seq 1 240); do
      if curl -fsS -o /dev/null http://localhost:18888/api/resources 2>/dev/null; then xdg-open http://localhost:18888 >/dev/null 2>&1; break; fi
      sleep 0.5
    done ) &
fi
exec dotnet run --project RemoteGpu.AppHost -- "$@"
