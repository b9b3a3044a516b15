#!/usr/bin/env bash
# Page latency of a PostgreSQL-backed node as it grows: for each size in
# SIZES (default "100000 10000000") a fresh node on a fresh database is
# filled by `concord import` (objects/s reported; the search index is then
# caught up, so the node is measured in its steady state), served, and read
# back through TAXII in pages of 1,000 by a Rust client (p50/p99/max per page).
# The objects are simple valid indicators written by this script (the shared
# corpus generator would take most of an hour at 10M).
# Env: SIZES, BENCH_DATA (default a temp dir); the server is the one of
# scripts/postgres-env.sh (or CONCORD_TEST_POSTGRES).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=${SIZES:-"100000 10000000"}
data=${BENCH_DATA:-$(mktemp -d -t concord-pg-scale-XXXXXX)}
mkdir -p "$data"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
cd "$root"
cargo build --release --locked -p concord-node >&2
cargo build --release --locked -p concord-taxii --example taxii_bench >&2
bin="$root/target/release/concord"
client="$root/target/release/examples/taxii_bench"
admin=$("$root/scripts/postgres-env.sh")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
printf '%-10s %14s %10s %10s %10s %12s\n' objects import/s p50_ms p99_ms max_ms get/s
for n in $sizes; do
  feed="$data/indicators-$n.jsonl"
  if [ ! -f "$feed" ]; then
    python3 - "$n" "$feed" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        u = "%08x-%04x-4%03x-8%03x-%012x" % (i >> 16, i & 0xffff, (i >> 4) & 0xfff, i & 0xfff, i * 2654435761 % (1 << 48))
        f.write('{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z",'
                '"modified":"2026-01-01T00:00:00.000Z","name":"bench %d","pattern":"[ipv4-addr:value = \'10.%d.%d.%d\']",'
                '"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z",'
                '"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}\n'
                % (u, i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
PY
  fi
  node="$data/node-$n"
  rm -rf "$node"
  db="concord_scale_$(date +%s%N)"
  psql "$admin" -qc "CREATE DATABASE $db" >&2
  "$bin" --data-dir "$node" init --org bench --storage "${admin%/*}/$db" >/dev/null
  rate=$("$bin" --data-dir "$node" --json import "$feed" \
    | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["objects_per_second"])')
  psql "${admin%/*}/$db" -qc "ANALYZE" >&2 || true
  sed -i 's/^rate_per_second = .*/rate_per_second = 0.0/' "$node/config.toml"
  echo bench-password | "$bin" --data-dir "$node" user add bench --password-stdin --admin >/dev/null
  token=$("$bin" --data-dir "$node" token add bench)
  coll=$(sed -n 's/^collection = "\(.*\)"/\1/p' "$node/config.toml")
  "$bin" --data-dir "$node" serve --listen 127.0.0.1:0 >"$node/serve.out" 2>"$node/serve.err" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do [ -s "$node/serve.out" ] && break; sleep 0.1; done
  url=$(head -1 "$node/serve.out" | awk '{print $3}')
  out=$("$client" "${url}root/" "$coll" "$token" "$feed" 0 1000 1000 "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("%-10s %14s %10.1f %10.1f %10.1f %12.0f" % (r["got"], sys.argv[2], r["page_ms_p50"], r["page_ms_p99"], r["page_ms_max"], r["get_objects_per_s"]))' "$out" "$rate"
done
