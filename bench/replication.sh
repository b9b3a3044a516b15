#!/usr/bin/env bash
# Replication throughput between two nodes on loopback: node A imports N
# indicators (the deterministic corpus, about 1.2 STIX objects per
# indicator) marked TLP:GREEN and signed; node B pulls them all with one
# `concord sync` (node-signed requests, zstd, every object's signature
# verified before it is stored).
#
#   bench/replication.sh [N]        N: indicators, default 1000000
#
# Prints: objects received, seconds, objects/s (with signature
# verification), wire bytes, uncompressed JSON bytes and the ratio
# wire/JSON, plus the CPU time of the serving and the pulling process.
# Targets: >= 50,000 objects/s, wire <= 30% of JSON.
#
# Wire bytes: A's `serve` is the only writer on its side of the
# connection, so the growth of its `wchar` in /proc/<pid>/io across the
# sync (bytes passed to write(2)/send(2) and friends) is what it sent to B:
# HTTP headers plus the zstd bodies, TLS-free on loopback. The server writes
# nothing else while only serving reads (the script checks that the size of
# A's data dir did not change and says so if it did); its log goes to a
# file, at the default level one line per round at most. TCP/IP headers
# are not counted (the same for any encoding). JSON bytes are the object
# JSON B received, uncompressed, as its sync report counts it.
#
# Env: CONCORD_SHARED (default ../shared), BENCH_DATA (default a temp dir;
# the corpus is kept there and reused). Nothing is written to the
# repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${CONCORD_SHARED:-$(cd "$root/.." && pwd)/shared}
n=${1:-1000000}
data=${BENCH_DATA:-$(mktemp -d -t concord-repl-bench-XXXXXX)}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

cargo build --release --locked -p concord-node --manifest-path "$root/Cargo.toml" >&2
bin="${CARGO_TARGET_DIR:-$root/target}/release/concord"

corpus="$data/corpus-$n"
if [ ! -f "$corpus/bundle.json" ]; then
  python3 "$shared/corpus/gen_corpus.py" --indicators "$n" --no-observed --out "$corpus" >&2
fi
objects=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bundle_objects"])' "$corpus/manifest.json")

pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

a="$data/node-a" b="$data/node-b"
rm -rf "$a" "$b"
"$bin" --data-dir "$a" init --org bench-a >/dev/null
"$bin" --data-dir "$b" init --org bench-b >/dev/null
for d in "$a" "$b"; do
  # Only the explicit `concord sync` below pulls; no rate limit on A.
  sed -i 's/^interval_secs = .*/interval_secs = 0/; s/^rate_per_second = .*/rate_per_second = 0.0/' "$d/config.toml"
  grep -q '^interval_secs = 0' "$d/config.toml" || { echo "no [sync] interval_secs in $d/config.toml" >&2; exit 1; }
done
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
ka=$("$bin" --data-dir "$a" --json key show)
kb=$("$bin" --data-dir "$b" --json key show)

# A serves B (and never pulls from it).
"$bin" --data-dir "$a" peer add b --url http://127.0.0.1:9/taxii2/ --no-pull \
  --key "$(json_field "$kb" public_key)" --member "$(json_field "$kb" member)" >/dev/null

start=$(date +%s.%N)
"$bin" --data-dir "$a" import "$corpus/bundle.json" --tlp green >/dev/null
end=$(date +%s.%N)
import_s=$(python3 -c "print('%.1f' % ($end - $start))")

"$bin" --data-dir "$a" serve --listen 127.0.0.1:0 >"$a/serve.out" 2>"$a/serve.err" &
pid=$!
for _ in $(seq 200); do [ -s "$a/serve.out" ] && break; sleep 0.1; done
url=$(head -1 "$a/serve.out" | awk '{print $3}')
[ -n "$url" ] || { echo "A did not start serving: $(cat "$a/serve.err")" >&2; exit 1; }
"$bin" --data-dir "$b" peer add a --url "$url" \
  --key "$(json_field "$ka" public_key)" --member "$(json_field "$ka" member)" >/dev/null

io() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/io"; }
cpu() { awk '{printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }
size_a() { du -sb "$a" | awk '{print $1}'; }
w0=$(io "$pid" wchar) c0=$(cpu "$pid") s0=$(size_a)
TIMEFORMAT='%R %U %S'
t=$( { time "$bin" --data-dir "$b" --json sync a >"$b/sync.json"; } 2>&1 )
w1=$(io "$pid" wchar) c1=$(cpu "$pid") s1=$(size_a)
read -r wall user sys <<<"$t"

python3 - "$b/sync.json" "$objects" "$((w1 - w0))" "$c0" "$c1" "$wall" "$user" "$sys" "$import_s" "$s0" "$s1" <<'EOF'
import json, sys
rounds = json.load(open(sys.argv[1]))
r = rounds[0]
if r.get("error"):
    sys.exit("sync failed: %s" % r["error"])
objects, wire = int(sys.argv[2]), int(sys.argv[3])
server_cpu = float(sys.argv[5]) - float(sys.argv[4])
wall, user, sys_ = map(float, sys.argv[6:9])
rate = r["received"] / r["seconds"]
rows = [
    ("objects in A's bundle", objects),
    ("import on A --tlp green (s)", sys.argv[9]),
    ("received / stored / quarantined", "%d / %d / %d" % (r["received"], r["stored"], r["quarantined"])),
    ("pages", r["pages"]),
    ("sync seconds (report)", "%.2f" % r["seconds"]),
    ("sync wall seconds (process)", "%.2f" % wall),
    ("objects/s, signatures verified", "%.0f  (target >= 50000)" % rate),
    ("JSON bytes (uncompressed)", r["bytes"]),
    ("wire bytes (A's wchar delta)", wire),
    ("wire / JSON", "%.1f%%  (target <= 30%%)" % (100.0 * wire / max(r["bytes"], 1))),
    ("server CPU s (A serve)", "%.2f" % server_cpu),
    ("client CPU s (B sync, user+sys)", "%.2f" % (user + sys_)),
]
for k, v in rows:
    print("%-34s %s" % (k, v))
if sys.argv[10] != sys.argv[11]:
    print("note: A's data dir changed size during the sync (%s -> %s bytes): wchar may include disk writes" % (sys.argv[10], sys.argv[11]))
EOF
