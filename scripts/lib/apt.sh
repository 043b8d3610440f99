# shellcheck shell=bash
# Shared by scripts/prerequisites.sh and scripts/bench-prerequisites.sh (sourced, not run): messages,
# running as root (directly or through sudo), and installing the Debian packages the caller lists in
# PACKAGES, logging apt's output (with repository hosts masked) to $LOG.

say() { printf '==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  SUDO=()
fi
have_root() { [ "$(id -u)" -eq 0 ] || [ "${#SUDO[@]}" -gt 0 ]; }
as_root() {
  have_root || fail "$* needs root: run this script as root or install sudo"
  "${SUDO[@]}" "$@"
}

systemd_is_init() { [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }

show_log_tail() {
  printf -- '--- last lines of %s ---\n' "$1" >&2
  as_root tail -n 40 "$1" >&2 || true
}

missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || printf '%s\n' "$pkg"
  done
}

# Installs what of PACKAGES is missing; $1 is said when nothing is.
install_packages() { # $1 = message when all are present
  local -a missing
  mapfile -t missing < <(missing_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "packages: $1"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: this script supports Debian and Ubuntu only"
  say "packages: installing ${missing[*]} (log: $LOG)"

  # Without systemd nothing supervises the services packages would start (docker, nginx); keep their
  # postinst scripts from starting them. The prerequisites script and the benchmark start their own.
  local policy_rcd=/usr/sbin/policy-rc.d added_policy=0
  if ! systemd_is_init && [ ! -e "$policy_rcd" ]; then
    printf '#!/bin/sh\n# temporary, from RemoteGpu scripts/%s\nexit 101\n' "$(basename "$0")" | as_root tee "$policy_rcd" >/dev/null
    as_root chmod 755 "$policy_rcd"
    added_policy=1
  fi
  local rc=0
  {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  } < /dev/null 2>&1 | sed -E 's#(https?://)[^/[:space:]]+#\1<host>#g' | write_log || rc=$?
  [ "$added_policy" -eq 0 ] || as_root rm -f "$policy_rcd"
  if [ "$rc" -ne 0 ]; then
    show_log_tail "$LOG"
    fail "apt-get failed (exit $rc)"
  fi
  mapfile -t missing < <(missing_packages)
  [ "${#missing[@]}" -eq 0 ] || fail "still missing after apt-get install: ${missing[*]}"
}

# stdin to $LOG, as root only where the caller cannot write it (/var/log).
write_log() {
  if [ -w "$(dirname "$LOG")" ]; then cat > "$LOG"; else as_root tee "$LOG" >/dev/null; fi
}
