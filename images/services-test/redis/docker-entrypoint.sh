#!/bin/sh
# Entrypoint of remotegpu/redis-test, after the official redis image's: a first argument that
# is an option or a .conf file means "redis-server ARGS"; redis-server runs as the redis user in
# /data, on all interfaces, with protected mode off; REDIS_PASSWORD, when set, becomes
# --requirepass (a --requirepass in the arguments wins).
set -eu

if [ $# -eq 0 ] || [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

if [ "$1" = redis-server ]; then
  shift
  conf=
  # redis-server takes a configuration file only as its first argument.
  if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then conf=$1; shift; fi
  # Defaults first: later arguments override earlier ones.
  set -- --bind '*' '-::*' --protected-mode no "$@"
  if [ -n "${REDIS_PASSWORD:-}" ]; then set -- --requirepass "$REDIS_PASSWORD" "$@"; fi
  if [ -n "$conf" ]; then set -- "$conf" "$@"; fi
  set -- redis-server "$@"
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups -- "$@"
  fi
fi

exec "$@"
