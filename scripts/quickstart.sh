#!/usr/bin/env bash
# The main job on the embedded defaults: build concord, create a node in a
# temporary data directory, import the sample intel, and show what it holds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --locked -p concord-node
concord="$root/target/release/concord"
data=${CONCORD_DATA_DIR:-$(mktemp -d -t concord-quickstart-XXXXXX)}
export CONCORD_DATA_DIR=$data
echo "== concord init (data dir $data)"
"$concord" init --org "CERT-Example"
echo "== concord import examples/sample-bundle.json"
"$concord" import examples/sample-bundle.json
echo "== concord stats"
"$concord" stats
echo "== concord search emotet"
"$concord" search emotet
echo
echo "The node's data is in $data; try: CONCORD_DATA_DIR=$data $concord show <id> --versions"
