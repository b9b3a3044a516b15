#!/usr/bin/env bash
# Starts (once) a throw-away PostgreSQL server for the tests on 127.0.0.1 and
# prints its URL. Installs Debian's postgresql package when it is missing
# (needs root, as in CI). A URL already in CONCORD_TEST_POSTGRES is used as is.
# When CONCORD_TEST_PG_STARTED names a file and this script starts the
# server, it writes "BIN_DIR DATA_DIR" there, so its caller can stop what it
# started (and only that).
set -euo pipefail
if [ -n "${CONCORD_TEST_POSTGRES:-}" ]; then
  echo "$CONCORD_TEST_POSTGRES"
  exit 0
fi
port=${CONCORD_TEST_PG_PORT:-55432}
dir=${CONCORD_TEST_PG_DIR:-/tmp/concord-test-pg}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is not installed: install Debian's postgresql package or set CONCORD_TEST_POSTGRES" >&2
    exit 1
  fi
  echo "installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
run() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
if [ ! -f "$dir/PG_VERSION" ]; then
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  run "$bin/initdb -D $dir -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >&2
fi
# A server killed with the session before may leave a stale lock or
# children on their way out: try a few times, and only report a server that
# answers.
for attempt in 1 2 3 4 5; do
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    break
  fi
  if ! run "$bin/pg_ctl -D $dir status" >/dev/null 2>&1; then
    if run "$bin/pg_ctl -D $dir -w -t 60 -l $dir/server.log -o \"-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200\" start" >&2 \
      && [ -n "${CONCORD_TEST_PG_STARTED:-}" ]; then
      echo "$bin $dir" > "$CONCORD_TEST_PG_STARTED"
    fi
  fi
  sleep "$attempt"
done
if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  echo "PostgreSQL did not start on 127.0.0.1:$port; see $dir/server.log" >&2
  tail -n 20 "$dir/server.log" >&2 || true
  exit 1
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
