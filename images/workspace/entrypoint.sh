#!/bin/bash
# RemoteGpu workspace entrypoint: the same file runs in the production image (images/workspace)
# and in the local test image (images/workspace-test). Installed as
# /usr/local/bin/remotegpu-entrypoint and started by tini as PID 1.
#
# Contract (environment set by the platform's worker on the container):
#   REMOTEGPU_USER                   workspace user (default remotegpu; uid 1000, created at build)
#   REMOTEGPU_PASSWORD_HASH          crypt(3) hash ($2b$12$... bcrypt) set with chpasswd -e
#   REMOTEGPU_AUTHORIZED_KEYS        newline-separated SSH public keys -> ~/.ssh/authorized_keys
#   REMOTEGPU_JUPYTER_ALLOW_ORIGIN   Jupyter allow_origin: the environment's own origin (default: none)
#   REMOTEGPU_CODE_SERVER_PASSWORD   code-server password; code-server runs only if installed and set
# The user, password and keys are applied on the container's first start only; later changes go
# through `docker exec <c> remotegpu-entrypoint set-password|set-authorized-keys` (value on stdin),
# so a restart keeps them. Jupyter trusts only the platform's edge: it accepts the token whose
# SHA-256 the worker hands over after every start and at every revocation with
# `remotegpu-entrypoint set-jupyter-token-hash` (remotegpu_jupyter.py); the token itself never
# enters the container. Ports: sshd 22, Jupyter 8888 (base URL /jupyter/), code-server 8080.
# Nothing secret is ever printed.
#
# Usage:
#   remotegpu-entrypoint                      start and supervise sshd, Jupyter, code-server
#   remotegpu-entrypoint set-password         read a crypt hash from stdin and set it
#   remotegpu-entrypoint set-authorized-keys  read authorized_keys content from stdin
#   remotegpu-entrypoint set-jupyter-token-hash  read the hex SHA-256 of the edge's Jupyter token from stdin
#   remotegpu-entrypoint restart-service jupyter|code-server
#                                             have the running entrypoint stop (if alive) and start the service
#                                             again (the worker's self-healing)
#   remotegpu-entrypoint COMMAND [ARGS...]    run COMMAND instead (debugging)
set -uo pipefail

readonly DEFAULT_USER=remotegpu
readonly STATE_DIR=/var/lib/remotegpu
readonly HOST_KEY=/etc/ssh/ssh_host_ed25519_key
readonly JUPYTER_TOKEN_HASH=/run/remotegpu/jupyter-token.sha256 # read by remotegpu_jupyter.py
readonly SUPERVISOR_PID=/run/remotegpu/supervisor.pid RESTART_DIR=/run/remotegpu/restart
readonly JUPYTER_CONFIG_DIR=/usr/local/lib/remotegpu
readonly JUPYTER_PORT=8888 JUPYTER_BASE_URL=/jupyter/ CODE_SERVER_PORT=8080
readonly STOP_GRACE_TENTHS=40 # children get 4 s after SIGTERM before SIGKILL

log() { printf 'remotegpu-entrypoint: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

WS_USER=${REMOTEGPU_USER:-$DEFAULT_USER}
[[ $WS_USER =~ ^[a-z_][a-z0-9_-]{0,31}$ && $WS_USER != root ]] ||
  die "REMOTEGPU_USER must be a lowercase user name other than root"

# --------------------------------------------------------------------------- account
# Looks a user up in /etc/passwd without forking (the start-up path counts milliseconds).
# Sets WS_UID, WS_GID and WS_HOME; fails when the user does not exist.
lookup_user() {
  local name _pw uid gid _gecos home _shell
  while IFS=: read -r name _pw uid gid _gecos home _shell; do
    if [ "$name" = "$1" ]; then
      WS_UID=$uid WS_GID=$gid WS_HOME=$home
      return 0
    fi
  done < /etc/passwd
  return 1
}

# Creates the workspace user when REMOTEGPU_USER differs from the user baked into the image:
# the baked user (uid 1000) is renamed so that /workspace ownership carries over.
ensure_user() {
  lookup_user "$WS_USER" && return 0
  if lookup_user "$DEFAULT_USER"; then
    log "renaming user $DEFAULT_USER to $WS_USER"
    usermod -l "$WS_USER" -d "/home/$WS_USER" -m "$DEFAULT_USER" || die "usermod failed"
    if getent group "$DEFAULT_USER" >/dev/null && ! getent group "$WS_USER" >/dev/null; then
      groupmod -n "$WS_USER" "$DEFAULT_USER" || die "groupmod failed"
    fi
  else
    log "creating user $WS_USER"
    useradd -m -s /bin/bash -U "$WS_USER" || die "useradd failed"
    usermod -p '*' "$WS_USER"
  fi
}

# Sets the password from a crypt(3) hash. Rejects anything that could break chpasswd's
# "user:hash" line format; never echoes the value.
set_password_hash() {
  local hash=$1
  local re='^\$[A-Za-z0-9]{1,4}\$[A-Za-z0-9./=,$]{8,}$'
  [[ $hash =~ $re ]] || die "the password hash is not a crypt(3) hash such as \$2b\$12\$...; not applied"
  chpasswd -e <<<"$WS_USER:$hash" || die "chpasswd -e failed"
}

# Replaces the current (sub)shell with "$@" run as the workspace user, in a clean environment
# (no REMOTEGPU_* variables). Call it only in a subshell: `as_user ... &` or in a pipeline.
# Extra variables for the child come as NAME=VALUE words before "--"; they are exported, so
# they never appear in a command line.
as_user() {
  local -a extra=()
  local kv
  while [ $# -gt 0 ] && [ "$1" != -- ]; do extra+=("$1"); shift; done
  shift
  trap - TERM INT HUP
  # shellcheck disable=SC2046
  unset $(compgen -e | grep -E '^(REMOTEGPU_|JUPYTER_TOKEN$|PASSWORD$|HASHED_PASSWORD$)')
  export HOME="$WS_HOME" USER="$WS_USER" LOGNAME="$WS_USER" SHELL=/bin/bash
  for kv in ${extra[@]+"${extra[@]}"}; do export "${kv?}"; done
  cd "$WS_HOME" 2>/dev/null || cd /
  exec setpriv --reuid="$WS_UID" --regid="$WS_GID" --init-groups -- "$@"
}

# shellcheck disable=SC2016 # the inner script is expanded by the user's shell
write_authorized_keys() { # content on stdin
  # No keys at all is a valid answer (grep's status 1): the file is emptied.
  tr -d '\r' | { grep -Ev '^[[:space:]]*(#|$)' || [ $? = 1 ]; } |
    as_user -- /bin/sh -c 'umask 077 && mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" &&
      cat > "$HOME/.ssh/.authorized_keys.new" &&
      mv -f "$HOME/.ssh/.authorized_keys.new" "$HOME/.ssh/authorized_keys"' ||
    die "could not write authorized_keys"
}

load_user() {
  lookup_user "$WS_USER" || die "user $WS_USER does not exist"
  [ "$WS_UID" != 0 ] || die "the workspace user must not be root"
}

# --------------------------------------------------------------------------- subcommands
case "${1:-}" in
  set-password)
    load_user
    IFS= read -r hash || true
    set_password_hash "${hash:-}"
    log "password updated for $WS_USER"
    exit 0 ;;
  set-authorized-keys)
    load_user
    write_authorized_keys
    log "authorized_keys updated for $WS_USER ($(grep -c . "$WS_HOME/.ssh/authorized_keys" || true) keys)"
    exit 0 ;;
  set-jupyter-token-hash)
    IFS= read -r hash || true
    [[ ${hash:-} =~ ^[0-9a-f]{64}$ ]] || die "the Jupyter token hash must be 64 lowercase hex digits; not applied"
    mkdir -p -m 755 "${JUPYTER_TOKEN_HASH%/*}" &&
      printf '%s\n' "$hash" > "$JUPYTER_TOKEN_HASH.new" && chmod 644 "$JUPYTER_TOKEN_HASH.new" &&
      mv -f "$JUPYTER_TOKEN_HASH.new" "$JUPYTER_TOKEN_HASH" || die "could not write the Jupyter token hash"
    log "jupyter: the edge's token replaced"
    exit 0 ;;
  restart-service)
    [[ ${2:-} =~ ^(jupyter|code-server)$ ]] || die "restart-service takes jupyter or code-server"
    supervisor=$(cat "$SUPERVISOR_PID" 2>/dev/null) && [ -n "$supervisor" ] || die "the entrypoint is not supervising services"
    mkdir -p -m 700 "$RESTART_DIR" && : > "$RESTART_DIR/$2" || die "could not request the restart"
    kill -USR1 "$supervisor" || die "could not signal the entrypoint"
    log "$2: restart requested"
    exit 0 ;;
  "") ;;
  *) exec "$@" ;;
esac

[ "$EUID" = 0 ] || die "the entrypoint must start as root (sshd needs it); the workspace runs as $WS_USER"

# --------------------------------------------------------------------------- sshd (critical path)
# Everything up to starting sshd is cheap: the SSH banner should appear within ~1 s.
first_start=0
[ -e "$STATE_DIR/provisioned" ] || first_start=1

[ "$first_start" = 0 ] || ensure_user
load_user

# The last run's Jupyter token is void: until the worker hands over a new one (after sshd answers,
# so never before this line), Jupyter lets nobody in.
rm -f "$JUPYTER_TOKEN_HASH"

if [ ! -s "$HOST_KEY" ]; then
  # One host key per container, kept across restarts; never baked into the image.
  rm -f /etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C '' -f "$HOST_KEY" || die "ssh-keygen failed"
fi

IFS= read -r -d "" sshd_config <<EOF || true
# Generated by remotegpu-entrypoint at container start.
Port 22
HostKey $HOST_KEY
PermitRootLogin no
AllowUsers $WS_USER
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM yes
UseDNS no
PrintMotd no
X11Forwarding no
AllowTcpForwarding yes
AcceptEnv LANG LC_*
ClientAliveInterval 60
# The default 10:30:100 drops unauthenticated connections at random under CPU pressure; one user
# plus the platform's readiness probes should never meet that.
MaxStartups 64:30:128
Subsystem sftp internal-sftp
PidFile /run/sshd.pid
EOF
printf "%s" "$sshd_config" > /etc/ssh/sshd_config

if [ "$first_start" = 1 ]; then
  if [ -n "${REMOTEGPU_PASSWORD_HASH:-}" ]; then
    set_password_hash "$REMOTEGPU_PASSWORD_HASH"
  fi
  if [ -n "${REMOTEGPU_AUTHORIZED_KEYS:-}" ]; then
    printf '%s\n' "$REMOTEGPU_AUTHORIZED_KEYS" | write_authorized_keys
  fi
fi

[ -d /run/sshd ] || mkdir -m 755 /run/sshd
/usr/sbin/sshd -D -e &
SSHD_PID=$!

# --------------------------------------------------------------------------- the rest
if [ "$first_start" = 1 ]; then
  mkdir -p "$STATE_DIR" && : > "$STATE_DIR/provisioned"
fi
log "sshd started on port 22 (user $WS_USER, uid $WS_UID)"
log "ssh host key: $(ssh-keygen -l -f "$HOST_KEY.pub" | awk '{print $2, $NF}')"

# Volumes mounted over /workspace or the home directory may arrive owned by root.
for dir in /workspace "$WS_HOME"; do
  if [ -d "$dir" ] && [ "$(stat -c %u "$dir")" != "$WS_UID" ]; then
    chown "$WS_UID:$WS_GID" "$dir" && chmod 755 "$dir"
  fi
done

# SSH sessions do not inherit the container's environment: hand the useful, non-secret part
# (PATH with CUDA and the Python venv, NVIDIA/CUDA settings, locale) to login sessions.
{
  env_file=/etc/environment profile=/etc/profile.d/00-remotegpu-env.sh
  : > "$env_file.new"; printf '# Generated by remotegpu-entrypoint\n' > "$profile.new"
  while IFS= read -r name; do
    value=${!name}
    [[ $value == *[$'\n"\\']* ]] && continue
    printf '%s="%s"\n' "$name" "$value" >> "$env_file.new"
    printf 'export %s=%q\n' "$name" "$value" >> "$profile.new"
  done < <(compgen -e | grep -E '^(PATH|LD_LIBRARY_PATH|LIBRARY_PATH|CUDA_[A-Z0-9_]*|NV_[A-Z0-9_]*|NVIDIA_[A-Z0-9_]*|NCCL_[A-Z0-9_]*|LANG|LC_[A-Z]+|TZ|PIP_[A-Z_]*)$')
  mv -f "$env_file.new" "$env_file" && mv -f "$profile.new" "$profile"
}

declare -A SERVICE_PID=()

start_jupyter() {
  local -a cmd
  if command -v jupyter-lab >/dev/null 2>&1; then
    cmd=(jupyter-lab)
  elif python3 -c 'import jupyter_server' >/dev/null 2>&1; then
    cmd=(python3 -m jupyter_server)
  else
    log "jupyter: not installed in this image"
    return
  fi
  cmd+=(
    --config="$JUPYTER_CONFIG_DIR/jupyter_server_config.py"
    --ServerApp.ip=0.0.0.0 --ServerApp.port="$JUPYTER_PORT" --ServerApp.port_retries=0
    --ServerApp.base_url="$JUPYTER_BASE_URL" --ServerApp.root_dir=/workspace
    --ServerApp.open_browser=False --ServerApp.allow_remote_access=True
    --ServerApp.allow_origin="${REMOTEGPU_JUPYTER_ALLOW_ORIGIN:-}" --ServerApp.trust_xheaders=True
  )
  # No token in any environment or command line: Jupyter checks the edge's token against a hash.
  as_user "PYTHONPATH=$JUPYTER_CONFIG_DIR" PYDEVD_DISABLE_FILE_VALIDATION=1 -- "${cmd[@]}" &
  SERVICE_PID[jupyter]=$!
  log "jupyter: starting on port $JUPYTER_PORT, base URL $JUPYTER_BASE_URL"
}

start_code_server() {
  command -v code-server >/dev/null 2>&1 || return 0
  if [ -z "${REMOTEGPU_CODE_SERVER_PASSWORD:-}" ]; then
    log "code-server: not started (REMOTEGPU_CODE_SERVER_PASSWORD is not set)"
    return
  fi
  # A short reconnection grace: a dropped browser's session (and its terminals) ends after 30 s
  # instead of code-server's default 3 h. The flag came with coder/code-server#7678 (2026): 4.108 and
  # older refuse to start with it.
  as_user "PASSWORD=$REMOTEGPU_CODE_SERVER_PASSWORD" -- code-server \
    --bind-addr "0.0.0.0:$CODE_SERVER_PORT" --auth password \
    --disable-telemetry --disable-update-check --disable-workspace-trust \
    --reconnection-grace-time 30 /workspace &
  SERVICE_PID[code-server]=$!
  log "code-server: starting on port $CODE_SERVER_PORT"
}

alive() { kill -0 "$1" 2>/dev/null; }

stopping=0
shutdown() {
  local rc=$1 name pid i
  [ "$stopping" = 0 ] || return 0
  stopping=1
  trap '' TERM INT HUP
  log "stopping"
  for pid in "${SERVICE_PID[@]}" "$SSHD_PID"; do kill -TERM "$pid" 2>/dev/null; done
  for ((i = 0; i < STOP_GRACE_TENTHS; i++)); do
    [ -n "$(jobs -pr)" ] || break
    sleep 0.1
  done
  for pid in $(jobs -pr); do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  exit "$rc"
}
trap 'shutdown 0' TERM INT HUP

# Stops a service if it runs (TERM, then KILL after the grace) and starts it again.
restart_service() { # $1 = jupyter | code-server
  local name=$1 pid=${SERVICE_PID[$1]:-} i
  if [ -n "$pid" ] && alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < STOP_GRACE_TENTHS; i++)); do alive "$pid" || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  unset 'SERVICE_PID[$name]'
  log "$name: restarting"
  case "$name" in
    jupyter) start_jupyter ;;
    code-server) start_code_server ;;
  esac
}

# `remotegpu-entrypoint restart-service NAME` leaves a file named NAME and sends USR1.
restart_requested=0
trap 'restart_requested=1' USR1
mkdir -p -m 755 "${SUPERVISOR_PID%/*}" && printf '%s\n' "$$" > "$SUPERVISOR_PID"

start_jupyter
start_code_server

# Supervise: the container lives as long as sshd does. Jupyter or code-server exiting is
# logged (the worker's health check reports it and has it restarted) but does not stop SSH access.
while :; do
  wait -n
  status=$?
  if ! alive "$SSHD_PID"; then
    log "sshd exited (status $status); stopping the container"
    shutdown 1
  fi
  for name in "${!SERVICE_PID[@]}"; do
    if ! alive "${SERVICE_PID[$name]}"; then
      log "$name exited (status $status)"
      unset 'SERVICE_PID[$name]'
    fi
  done
  if [ "$restart_requested" = 1 ]; then
    restart_requested=0
    for request in "$RESTART_DIR"/*; do
      [ -e "$request" ] || continue
      rm -f "$request"
      restart_service "${request##*/}"
    done
  fi
done
