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

say() { printf '==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  SUDO=()
fi
as_root() {
  if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
    fail "installing $* needs root: run this script as root or install sudo"
  fi
  "${SUDO[@]}" "$@"
}

systemd_is_init() { [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }

mkdir -p "$TOOLS"

# ---------------------------------------------------------------- apt packages
missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || printf '%s\n' "$pkg"
  done
}

install_packages() {
  local -a missing
  mapfile -t missing < <(missing_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "packages: wrk and nginx-light present ($(/usr/sbin/nginx -v 2>&1))"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: this script supports Debian and Ubuntu only"
  say "packages: installing ${missing[*]} (log: $LOG)"

  # Without systemd nothing supervises nginx.service; keep its postinst from starting it on port 80.
  local policy_rcd=/usr/sbin/policy-rc.d added_policy=0
  if ! systemd_is_init && [ ! -e "$policy_rcd" ]; then
    printf '#!/bin/sh\n# temporary, from RemoteGpu scripts/bench-prerequisites.sh\nexit 101\n' | as_root tee "$policy_rcd" >/dev/null
    as_root chmod 755 "$policy_rcd"
    added_policy=1
  fi
  local rc=0
  {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  } < /dev/null 2>&1 | sed -E 's#(https?://)[^/[:space:]]+#\1<host>#g' > "$LOG" || rc=$?
  [ "$added_policy" -eq 0 ] || as_root rm -f "$policy_rcd"
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$LOG" >&2
    fail "apt-get failed (exit $rc)"
  fi
  mapfile -t missing < <(missing_packages)
  [ "${#missing[@]}" -eq 0 ] || fail "still missing after apt-get install: ${missing[*]}"
}

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

install_packages
install_chp
say "bench prerequisites: ready (configurable-http-proxy at $CHP_DIR/node_modules/.bin/configurable-http-proxy)"
