#!/usr/bin/env bash
# Runs the platform locally: installs and starts what it needs (the Docker engine, the local images), then the
# Aspire AppHost, which starts PostgreSQL and Redis (containers from the local stand-in images: no registry is
# reachable here), the Api, the Worker and the Proxy, and Aspire's dashboard. It prints the dashboard's login URL
# (with its token), then "RemoteGpu is ready at http://localhost:5080/" once every resource is healthy.
# Ctrl+C stops everything it started; data stays in Docker volumes for the next run.
#   scripts/run.sh [AppHost arguments, e.g. --Parameters:admin-password=... --RemoteGpu:EdgePort=8080]
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "==> Prerequisites (Docker engine, debootstrap, tools)"
scripts/prerequisites.sh

echo "==> Local images (rebuilt only when their recipe changed)"
scripts/build-images.sh

echo "==> Building and starting the AppHost (sign in as admin: the password is the admin-password parameter;"
echo "    a generated one is kept in the AppHost's user secrets: dotnet user-secrets list --project RemoteGpu.AppHost)"
export RemoteGpu__StandInImages=true
exec dotnet run --project RemoteGpu.AppHost -- "$@"
