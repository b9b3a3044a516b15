#!/usr/bin/env bash
# Server time of every console page on a node holding N indicators' worth
# of the corpus (default 1,000,000: 1.2M objects), as an admin, measured
# from outside with curl (median of 5; the first request of each page is
# a warm-up). Target: every page <= 100 ms at 1M objects.
#
#   bench/console-pages.sh [N]
#
# Env: CONCORD_SHARED (default ../shared), BENCH_DATA (default a temp dir;
# the corpus and the node are kept there and reused). `cargo bench -p
# concord-console` measures the console's own pages in-process.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${CONCORD_SHARED:-$(cd "$root/.." && pwd)/shared}
n=${1:-1000000}
data=${BENCH_DATA:-$(mktemp -d -t concord-console-bench-XXXXXX)}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
cargo build --release --locked -p concord-node --manifest-path "$root/Cargo.toml" >&2
bin="${CARGO_TARGET_DIR:-$root/target}/release/concord"
corpus="$data/corpus-$n"
[ -f "$corpus/bundle.json" ] || python3 "$shared/corpus/gen_corpus.py" --indicators "$n" --no-observed --out "$corpus" >&2
node="$data/console-node-$n"
if [ ! -f "$node/config.toml" ]; then
  "$bin" --data-dir "$node" init --org bench >/dev/null
  sed -i 's/^interval_secs = .*/interval_secs = 0/; s/^rate_per_second = .*/rate_per_second = 0.0/' "$node/config.toml"
  "$bin" --data-dir "$node" import "$corpus/bundle.json" --tlp green >/dev/null
  echo "bench-password" | "$bin" --data-dir "$node" user add bench --password-stdin --admin >/dev/null
fi
"$bin" --data-dir "$node" serve --listen 127.0.0.1:0 >"$node/serve.out" 2>"$node/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ -s "$node/serve.out" ] && break; sleep 0.1; done
base=$(head -1 "$node/serve.out" | awk '{print $3}' | sed 's#/taxii2/##')
jar="$node/cookies"
rm -f "$jar"
csrf=$(curl -s -c "$jar" -b "$jar" "$base/" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
curl -s -o /dev/null -c "$jar" -b "$jar" -d "csrf=$csrf&username=bench&password=bench-password" "$base/login"
# An indicator's page (with its relationship graph).
object=$(curl -s -b "$jar" "$base/intel?type=indicator" | grep -o 'href="/intel/indicator--[^"]*"' | head -1 | sed 's/href="//; s/"//' || true)
objects=$("$bin" --data-dir "$node" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["objects"])')
echo "objects in the store: $objects"
printf '%-40s %10s\n' page "median ms"
for p in / /intel "/intel?type=indicator&tlp=green" "/intel?q=Emotet" "$object" /import /match \
         /settings /settings/peers /community /incidents /alerts; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$base$p")
  times=$(for _ in 1 2 3 4 5; do curl -s -o /dev/null -w '%{time_total}\n' -b "$jar" "$base$p"; done | sort -n)
  median=$(echo "$times" | sed -n 3p)
  printf '%-40s %10.2f  (HTTP %s)\n' "$p" "$(python3 -c "print($median * 1000)")" "$code"
done
