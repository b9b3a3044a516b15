#!/usr/bin/env bash
# The main job on the embedded defaults: build concord and start the demo
# community: three member nodes on 127.0.0.1, each with its own data
# directory, founded by a charter all three sign, with sample intel under
# mixed TLP levels and audiences; it syncs, prints who received what and
# why, and keeps the nodes running until Ctrl-C (CONCORD_DEMO_NO_WAIT=1
# stops them after printing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --locked -p concord-node
concord="${CARGO_TARGET_DIR:-$root/target}/release/concord"
args=(demo)
if [ -n "${CONCORD_DEMO_DIR:-}" ]; then args+=(--dir "$CONCORD_DEMO_DIR"); fi
if [ -n "${CONCORD_DEMO_NO_WAIT:-}" ]; then args+=(--no-wait); fi
echo "concord is built at $concord" >&2
echo "(to have \`concord\` on your PATH: cargo install --locked --path crates/node)" >&2
exec "$concord" "${args[@]}"
