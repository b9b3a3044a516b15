#!/usr/bin/env bash
# Runs every test of concord on a fresh machine that has only the Rust
# toolchain: installs the test tools (Python oracles from PyPI, PostgreSQL
# from Debian's packages, Chromium and playwright-core for the console's
# browser test), starts PostgreSQL on 127.0.0.1, then runs the whole
# workspace's tests. Tests that need a tool fail when it is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
CONCORD_PYTHON=$("$root/scripts/python-env.sh")
export CONCORD_PYTHON
# PostgreSQL: a server this script starts is stopped when it exits (one
# that was already running, or CONCORD_TEST_POSTGRES, is left alone).
pg_started=$(mktemp)
stop_postgres() {
  if [ -s "$pg_started" ]; then
    read -r pg_bin pg_dir < "$pg_started"
    echo "stopping the test PostgreSQL this run started ($pg_dir)" >&2
    if [ "$(id -u)" = 0 ]; then
      su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D $pg_dir -m fast -w stop" >&2 || true
    else
      "$pg_bin/pg_ctl" -D "$pg_dir" -m fast -w stop >&2 || true
    fi
  fi
  rm -f "$pg_started"
}
trap stop_postgres EXIT
CONCORD_TEST_POSTGRES=$(CONCORD_TEST_PG_STARTED="$pg_started" "$root/scripts/postgres-env.sh")
export CONCORD_TEST_POSTGRES
# Chromium, Node.js and playwright-core for the console's browser test.
"$root/scripts/browser-env.sh"
# Debian's DNS and timing tools (RPZ exports judged by named-checkzone and unbound).
"$root/scripts/tools-env.sh"
# The shared corpus generator lives beside the repository (../shared).
export CONCORD_SHARED=${CONCORD_SHARED:-$(cd "$root/.." && pwd)/shared}
# libfaketime for the fault harness's clock-skew case (Debian's faketime).
if ! ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing faketime from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >&2
  else
    echo "libfaketime is missing: install Debian's faketime package" >&2
  fi
fi
cargo test --workspace --locked "$@" -- --skip faults::
# The fault harness on its own, one case at a time, its outcomes shown
# (case, runs, lost, duplicated).
log=$(mktemp)
set +e
cargo test -p concord-tests --locked faults:: -- --nocapture --test-threads=1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "fault harness outcomes:"
grep -E '^fault case=' "$log" || echo "(none: the harness did not run)"
rm -f "$log"
exit "$status"
