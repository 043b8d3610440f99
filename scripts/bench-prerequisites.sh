#!/usr/bin/env bash
# Brings a Debian/Ubuntu machine to what the edge benchmark (`RemoteGpu.Bench -- edge`) needs beyond
# scripts/prerequisites.sh:
#   - wrk, the load generator (apt),
#   - nginx-light, Debian's nginx, a contender (apt; only the binary is used: the benchmark starts
#     its own instance with its own configuration, and this script keeps Debian's nginx.service from
#     starting where there is no systemd),
#   - configurable-http-proxy (JupyterHub's proxy), a contender, from npm at a pinned version, into
#     .remotegpu/bench-tools/ (ignored by git); needs node >= 20 and npm on PATH.
# Idempotent; apt needs root or sudo; takes well under 2 s when nothing is missing.
# Environment: REMOTEGPU_BENCH_TOOLS (install folder, default <repository>/.remotegpu/bench-tools).
set -euo pipefail

CHP_VERSION=5.3.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${REMOTEGPU_BENCH_TOOLS:-$ROOT/.remotegpu/bench-tools}
CHP_DIR=$TOOLS/configurable-http-proxy
LOG=$TOOLS/bench-prerequisites.log

# package -> the reason we need it
PACKAGES=(
  wrk         # the load generator every contender is measured with
  nginx-light # the nginx contender (/usr/sbin/nginx)
)

# shellcheck source=scripts/lib/apt.sh
. "$ROOT/scripts/lib/apt.sh"

mkdir -p "$TOOLS"

# ---------------------------------------------------------------- configurable-http-proxy
chp_installed_version() {
  local manifest=$CHP_DIR/node_modules/configurable-http-proxy/package.json
  [ -f "$manifest" ] && node -p "require(process.argv[1]).version" "$manifest" 2>/dev/null || true
}

install_chp() {
  command -v node >/dev/null 2>&1 || fail "node is not on PATH: install Node.js >= 20 (configurable-http-proxy $CHP_VERSION needs it)"
  command -v npm >/dev/null 2>&1 || fail "npm is not on PATH: install npm"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || fail "node $(node --version) is too old: configurable-http-proxy $CHP_VERSION needs >= 20"

  if [ "$(chp_installed_version)" = "$CHP_VERSION" ]; then
    say "configurable-http-proxy: $CHP_VERSION present in $CHP_DIR (node $(node --version))"
    return
  fi
  say "configurable-http-proxy: installing $CHP_VERSION into $CHP_DIR (npm; log: $LOG)"
  mkdir -p "$CHP_DIR"
  # A private package.json in the ignored folder keeps npm from walking up to the repository.
  [ -f "$CHP_DIR/package.json" ] || printf '{ "private": true, "description": "RemoteGpu bench tools (generated, not committed)" }\n' > "$CHP_DIR/package.json"
  local rc=0
  npm install --prefix "$CHP_DIR" --no-package-lock --no-audit --no-fund --omit=dev \
    "configurable-http-proxy@$CHP_VERSION" < /dev/null 2>&1 | sed -E 's#(https?://)[^/[:space:]]+#\1<host>#g' >> "$LOG" || rc=$?
  if [ "$rc" -ne 0 ] || [ "$(chp_installed_version)" != "$CHP_VERSION" ]; then
    tail -n 40 "$LOG" >&2
    fail "npm install configurable-http-proxy@$CHP_VERSION failed"
  fi
  say "configurable-http-proxy: $CHP_VERSION installed"
}

install_packages "wrk and nginx-light present ($(/usr/sbin/nginx -v 2>&1))"
install_chp
say "bench prerequisites: ready (configurable-http-proxy at $CHP_DIR/node_modules/.bin/configurable-http-proxy)"
