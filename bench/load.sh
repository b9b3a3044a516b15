#!/usr/bin/env bash
# Load: 50 concurrent TAXII clients mixing GET (pages, manifests, single
# objects) and POST (envelopes of 10) against one release-built node for
# 60 s, on loopback, after an import of the sample corpus. Prints requests,
# errors (must be 0) and p50/p99 latency per kind (bench/load.py), and the
# server's RSS at the end. Not run by CI.
# Env: CLIENTS (default 50), DURATION (seconds, default 60), BIN (default
# target/release/concord, built if missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
clients=${CLIENTS:-50}
seconds=${DURATION:-60}
bin=${BIN:-$root/target/release/concord}
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked -p concord-node >&2)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
data=$(mktemp -d -t concord-load-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
"$bin" --data-dir "$data" init --org load >/dev/null
# Measure the server, not the pacing: no rate limit.
sed -i 's/^rate_per_second = .*/rate_per_second = 0.0/; s/^anonymous_rate_per_second = .*/anonymous_rate_per_second = 0.0/' "$data/config.toml"
"$bin" --data-dir "$data" import "$root/examples/sample-bundle.json" >/dev/null
echo "load-pass" | "$bin" --data-dir "$data" user add load --password-stdin --admin >/dev/null
token=$("$bin" --data-dir "$data" token add load)
coll=$("$bin" --data-dir "$data" --json collection list | python3 -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["local"]][0])')
"$bin" --data-dir "$data" serve --listen 127.0.0.1:0 > "$data/serve.out" 2>"$data/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$data/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on \(http:\/\/[^/]*\)\/.*/\1/p' "$data/serve.out")
python3 "$root/bench/load.py" "$url" "$token" "$coll" "$clients" "$seconds"
echo "server RSS at the end: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
