#!/usr/bin/env bash
# Brings a Debian/Ubuntu machine to what RemoteGpu and its tests need:
#   - the .NET 10 SDK on PATH (checked only: it is not in Debian's archive),
#   - docker.io, debootstrap, chromium and a few tools (apt); PostgreSQL and Redis run as containers
#     from the local stand-in images (scripts/build-images.sh),
#   - npm and a C++ toolchain (apt; npm only where none is on PATH): build-images.sh installs
#     code-server for the test workspace image from npm and compiles its native modules,
#   - a running Docker engine (started here when the machine has no systemd).
# Idempotent; runs as root or through sudo; takes well under 2 s when nothing is missing.
# Environment: REMOTEGPU_DOCKERD_TIMEOUT (seconds to wait for the engine, default 60).
set -euo pipefail

LOG=/var/log/remotegpu-prerequisites.log
DOCKERD_LOG=/var/log/remotegpu-dockerd.log
DOCKERD_TIMEOUT=${REMOTEGPU_DOCKERD_TIMEOUT:-60}

# package -> the reason we need it
PACKAGES=(
  docker.io              # the Docker engine (dockerd, containerd, runc, tini) and a client
  iptables               # dockerd's port publishing and bridge networking
  debootstrap            # build-images.sh builds the test images from a Debian rootfs
  debian-archive-keyring # debootstrap verifies the Debian archive with it
  ca-certificates
  openssh-client         # ssh, ssh-keygen (tests and SSH smoke checks)
  curl
  tar
  util-linux             # flock, setpriv, mountpoint
  chromium               # the real-browser tests (headless, driven through chromium-driver)
  chromium-driver        # chromedriver for Selenium; tests point at it, so nothing is downloaded
  g++                    # build-images.sh: code-server's native modules (argon2, kerberos, node-pty...)
  make                   #   are compiled by node-gyp where no prebuilt binary can be downloaded,
  python3                #   node-gyp runs on python3,
  libkrb5-dev            #   and kerberos builds against the Kerberos headers
)
# build-images.sh fetches Node.js and code-server with npm. Any npm on PATH does (e.g. one that came
# with a Node.js from elsewhere, which Debian's npm package would conflict with); Debian's otherwise.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(npm)
fi

# shellcheck source=scripts/lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
have_root || fail "run this script as root or install sudo"

# ---------------------------------------------------------------- .NET SDK
check_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    fail "dotnet is not on PATH. Install the .NET 10 SDK (it is not in Debian's package archive; see README.md), then run this again."
  fi
  local sdks
  sdks=$(dotnet --list-sdks 2>/dev/null || true)
  if ! grep -qE '^10\.' <<<"$sdks"; then
    fail "the .NET 10 SDK is missing (dotnet --list-sdks shows: ${sdks:-nothing}). Install it (see README.md), then run this again."
  fi
  say "dotnet: SDK $(grep -E '^10\.' <<<"$sdks" | tail -n1 | cut -d' ' -f1)"
}

# ---------------------------------------------------------------- Docker engine
docker_ok() { as_root docker info >/dev/null 2>&1; }

dockerd_pid() {
  local pid
  pid=$(as_root cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$pid" ] && as_root kill -0 "$pid" 2>/dev/null; then printf '%s\n' "$pid"; fi
}

wait_for_docker() { # $1 = pid of the dockerd we started, or empty
  local deadline=$((SECONDS + DOCKERD_TIMEOUT))
  until docker_ok; do
    if [ -n "$1" ] && ! as_root kill -0 "$1" 2>/dev/null; then
      show_log_tail "$DOCKERD_LOG"
      fail "dockerd exited during start-up"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      show_log_tail "$DOCKERD_LOG"
      fail "the Docker engine did not answer within ${DOCKERD_TIMEOUT}s"
    fi
    sleep 0.1
  done
}

start_docker() {
  if docker_ok; then
    say "docker: engine running ($(as_root docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null))"
    return
  fi
  if systemd_is_init; then
    say "docker: starting docker.service"
    as_root systemctl start docker || { as_root systemctl status docker --no-pager >&2 || true; fail "systemctl start docker failed"; }
    wait_for_docker ""
  else
    local pid
    pid=$(dockerd_pid)
    if [ -n "$pid" ]; then
      say "docker: dockerd (pid $pid) is starting, waiting for it"
    else
      # A dockerd that died leaves its pid file behind and the next one refuses to start.
      as_root rm -f /var/run/docker.pid
      say "docker: starting dockerd (no systemd; log: $DOCKERD_LOG)"
      # shellcheck disable=SC2016 # expanded by the inner shell
      pid=$(as_root sh -c 'setsid dockerd </dev/null >>"$1" 2>&1 & echo $!' sh "$DOCKERD_LOG")
    fi
    wait_for_docker "$pid"
  fi
  say "docker: engine ready ($(as_root docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}'))"
  smoke_test_docker
}

# Proves that the engine can import an image and run a container (storage driver, runc,
# cgroups, networking set-up). Runs when this script started the engine; leaves nothing behind.
smoke_test_docker() {
  local bin=/usr/bin/tini-static tmp tag out
  if [ ! -x "$bin" ]; then
    say "docker: skipping the smoke test ($bin not found)"
    return
  fi
  tmp=$(mktemp -d)
  tag="remotegpu/prerequisites-smoke:$$"
  cp "$bin" "$tmp/tini"
  if out=$({ as_root tar -C "$tmp" -c tini | as_root docker import - "$tag" >/dev/null &&
             as_root docker run --rm --network none "$tag" /tini --version; } 2>&1); then
    say "docker: smoke test passed (imported an image, ran a container: ${out%%$'\n'*})"
  else
    as_root docker rmi -f "$tag" >/dev/null 2>&1 || true
    rm -rf "$tmp"
    printf '%s\n' "$out" >&2
    show_log_tail "$DOCKERD_LOG"
    fail "the Docker engine cannot run a container"
  fi
  as_root docker rmi -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}

# Lets the invoking (sudo) user reach the Docker socket without sudo.
docker_group_for_sudo_user() {
  local user=${SUDO_USER:-}
  [ -n "$user" ] && [ "$user" != root ] || return 0
  getent group docker >/dev/null || return 0
  if ! id -nG "$user" | tr ' ' '\n' | grep -qx docker; then
    as_root usermod -aG docker "$user"
    say "docker: added $user to the docker group (log in again for it to take effect)"
  fi
}

check_dotnet
install_packages "all present"
start_docker
docker_group_for_sudo_user
say "prerequisites: ready"
