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
CONCORD_TEST_POSTGRES=$("$root/scripts/postgres-env.sh")
export CONCORD_TEST_POSTGRES
# Chromium, Node.js and playwright-core for the console's browser test.
"$root/scripts/browser-env.sh"
# The shared corpus generator lives beside the repository (../shared).
export CONCORD_SHARED=${CONCORD_SHARED:-$(cd "$root/.." && pwd)/shared}
cargo test --workspace --locked "$@"
