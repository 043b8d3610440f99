#!/bin/bash
# Entrypoint of remotegpu/postgres-test, a subset of the official postgres image's contract:
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER
#   (default postgres), POSTGRES_DB (default $POSTGRES_USER), POSTGRES_INITDB_ARGS,
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), PGDATA (default /var/lib/postgresql/data).
# The cluster is initialised on first start; the server listens on *:5432 and runs as postgres.
# `docker run IMAGE -c fsync=off` works as with the official image (flags go to postgres).
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
  exec "$@"
fi

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
PGDATA_TEMPLATE=/usr/share/remotegpu/pgdata-template

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
fi

sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  POSTGRES_USER=${POSTGRES_USER:-postgres}
  POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo 'error: database is uninitialized and POSTGRES_PASSWORD is not set' >&2
    echo '       (set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections)' >&2
    exit 1
  fi
  sql=()
  if [ "$POSTGRES_USER" = postgres ] && [ -z "${POSTGRES_INITDB_ARGS:-}" ] && [ -s "$PGDATA_TEMPLATE/PG_VERSION" ]; then
    # The image carries the output of "initdb --username=postgres" (run at build time):
    # copying it and setting the password is several times faster than initdb.
    echo "postgres-test: initialising $PGDATA from the image's initdb template (superuser postgres)"
    cp -a "$PGDATA_TEMPLATE/." "$PGDATA/"
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
      sql+=("ALTER ROLE postgres PASSWORD $(sql_literal "$POSTGRES_PASSWORD");")
    fi
  else
    echo "postgres-test: initialising $PGDATA with initdb (superuser $POSTGRES_USER)"
    eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "${POSTGRES_PASSWORD:-}") \
      --no-instructions '"${POSTGRES_INITDB_ARGS:-}" >/dev/null
  fi
  # jit = off: this image ships without LLVM (see images/services-test/rootfs-trim).
  printf '\nlisten_addresses = '"'*'"'\njit = off\n' >> "$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    sql+=("CREATE DATABASE \"${POSTGRES_DB//\"/\"\"}\";")
  fi
  if [ "${#sql[@]}" -gt 0 ]; then
    # Single-user mode: no socket and no temporary server. With -j a statement ends with a
    # semicolon and an empty line. Output is shown only on failure, without the password.
    rc=0
    out=$(printf '%s\n\n' "${sql[@]}" | postgres --single -j -D "$PGDATA" postgres 2>&1) || rc=$?
    if [ "$rc" -ne 0 ] || grep -q 'ERROR' <<<"$out"; then
      grep -v 'PASSWORD' <<<"$out" >&2
      echo "error: setting up the cluster failed" >&2
      exit 1
    fi
    [ "$POSTGRES_DB" = postgres ] || echo "postgres-test: created database $POSTGRES_DB"
  fi
fi

exec "$@"
