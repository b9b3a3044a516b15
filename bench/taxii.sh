#!/usr/bin/env bash
# TAXII 2.1 throughput: concord against medallion on the same corpus, on
# loopback only. One run:
#   1. concord: POST N objects (default 100,000) in envelopes of 1,000, each
#      waited on until its status is complete, then GET them all back in
#      pages of 1,000 (following `next`), with a Rust client (taxii_bench);
#      page latency p50/p99 and the server's RSS.
#   2. the same at medallion-manageable sizes (1k and 10k objects POSTed,
#      1k listed) for concord and for medallion
#      ($CONCORD_SHARED/peer-bench/bench_taxii_medallion.sh), and the ratios.
#   3. page latency (p50/p99) and server RSS with N_LARGE objects (default
#      1,000,000; 0 skips it) in the collection.
#   4. with BACKENDS="embedded postgres": step 1 again on a node stored in
#      PostgreSQL (the server of scripts/postgres-env.sh, a fresh database).
# Env: N (default 100000), N_LARGE, BACKENDS (default "embedded"),
#      CONCORD_SHARED (default ../shared), ANCHORS_VENV (default
#      /tmp/anchors-venv), BENCH_DATA (default a temp dir).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${CONCORD_SHARED:-$(cd "$root/.." && pwd)/shared}
venv=${ANCHORS_VENV:-/tmp/anchors-venv}
py="$venv/bin/python"
N=${N:-100000}
N_LARGE=${N_LARGE:-1000000}
data=${BENCH_DATA:-$(mktemp -d -t concord-taxii-bench-XXXXXX)}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

cd "$root"
cargo build --release --locked -p concord-node >&2
cargo build --release --locked -p concord-taxii --example taxii_bench >&2
bin="$root/target/release/concord"
client="$root/target/release/examples/taxii_bench"

# The corpus: enough indicators that the bundle holds max(N, N_LARGE)
# objects (about 1.21 objects per indicator).
most=$(( N > N_LARGE ? N : N_LARGE ))
corpus="$data/corpus-$most"
if [ ! -f "$corpus/bundle.json" ]; then
  "$py" "$shared/corpus/gen_corpus.py" --indicators $(( most * 85 / 100 + 1000 )) --no-observed --out "$corpus" >&2
fi
bundle="$corpus/bundle.json"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# A fresh node serving on a free loopback port; prints "URL PID".
start_node() {
  local dir=$1
  rm -rf "$dir"
  if [ -n "${PG_ADMIN:-}" ]; then
    local db="concord_taxii_bench_$(date +%s%N)"
    psql "$PG_ADMIN" -qc "CREATE DATABASE $db" >&2
    "$bin" --data-dir "$dir" init --org bench --storage "${PG_ADMIN%/*}/$db" >/dev/null
  else
    "$bin" --data-dir "$dir" init --org bench >/dev/null
  fi
  # No rate limit and synchronous POSTs: measure the server, not the pacing.
  sed -i 's/^rate_per_second = .*/rate_per_second = 0.0/; s/^background_post_over = .*/background_post_over = 1000000/' "$dir/config.toml"
  local coll token
  coll=$("$bin" --data-dir "$dir" collection add bench)
  echo bench-password | "$bin" --data-dir "$dir" user add bench --password-stdin --admin >/dev/null
  token=$("$bin" --data-dir "$dir" token add bench)
  "$bin" --data-dir "$dir" serve --listen 127.0.0.1:0 >"$dir/serve.out" 2>"$dir/serve.err" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do [ -s "$dir/serve.out" ] && break; sleep 0.1; done
  local url
  url=$(head -1 "$dir/serve.out" | awk '{print $3}')
  echo "${url}root/ $coll $token $pid"
}

run_concord() { # N ENVELOPE PAGE -> JSON line
  local n=$1 env=$2 page=$3
  read -r api coll token pid < <(start_node "$data/node-$n")
  [ -n "${pid:-}" ] || { echo "starting a concord node failed" >&2; exit 1; }
  "$client" "$api" "$coll" "$token" "$bundle" "$n" "$env" "$page" "$pid"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "== concord, $N objects (envelopes of 1000, pages of 1000)" >&2
big=$(run_concord "$N" 1000 1000)
echo "$big"

large='{}'
if [ "$N_LARGE" -gt 0 ]; then
  echo "== concord, $N_LARGE objects: page latency and RSS" >&2
  large=$(run_concord "$N_LARGE" 1000 1000)
  echo "$large"
fi

pg='{}'
case " ${BACKENDS:-embedded} " in
  *" postgres "*)
    echo "== concord on PostgreSQL, $N objects" >&2
    pg=$(PG_ADMIN=$("$root/scripts/postgres-env.sh") run_concord "$N" 1000 1000)
    echo "$pg"
    ;;
esac

echo "== concord at medallion sizes" >&2
c1k=$(run_concord 1000 1000 1000)
c10k=$(run_concord 10000 1000 1000)
echo "$c1k"
echo "$c10k"

echo "== medallion (memory backend)" >&2
mres="$data/medallion.jsonl"
: > "$mres"
mb="$shared/peer-bench/bench_taxii_medallion.sh"
BENCH_RESULTS="$mres.1k" "$mb" --bundle "$bundle" --runs 1 --mode ingest --post-objects 1000 --second-post >&2
BENCH_RESULTS="$mres.10k" "$mb" --bundle "$bundle" --runs 1 --mode ingest --post-objects 10000 >&2
BENCH_RESULTS="$mres.get" "$mb" --bundle "$bundle" --runs 1 --mode get --get-sizes 1000 --page-sizes 1000 >&2

"$py" - "$mres" "$big" "$c1k" "$c10k" "$large" "$pg" <<'PY'
import json, sys
def load(path):
    try:
        return [json.loads(l) for l in open(path) if l.strip()]
    except OSError:
        return []
base = sys.argv[1]
m1k, m10k, mget = load(base + ".1k"), load(base + ".10k"), load(base + ".get")
big, c1k, c10k, large, pg = (json.loads(x) for x in sys.argv[2:7])
def rate(recs, prefix):
    for m in recs:
        if m["what"].startswith(prefix) and m["unit"] == "objects/s (wall)":
            return m["median"]
    return float("nan")
mp1k = rate(m1k, "POST envelope into empty")
mp1k2 = rate(m1k, "POST 2nd envelope")
mp10k = rate(m10k, "POST envelope into empty")
mg1k = rate(mget, "GET /objects/")
rows = [
    ("POST 1k objects (empty collection)", c1k["post_objects_per_s"], mp1k),
    ("POST 10k objects (envelopes of 1k / one envelope)", c10k["post_objects_per_s"], mp10k),
    ("POST 1k more into a collection of 1k", None, mp1k2),
    ("GET 1k objects, pages of 1k", c1k["get_objects_per_s"], mg1k),
    ("GET 10k objects, pages of 1k", c10k["get_objects_per_s"], None),
    ("POST %dk objects, envelopes of 1k" % (big["objects"] // 1000), big["post_objects_per_s"], None),
    ("GET %dk objects, pages of 1k" % (big["objects"] // 1000), big["get_objects_per_s"], None),
]
print("\nTAXII throughput, objects/s (wall clock, loopback)")
print("%-52s %11s %11s %8s" % ("", "concord", "medallion", "ratio"))
for name, c, m in rows:
    cs = "%.0f" % c if c is not None else "-"
    ms = "%.0f" % m if m is not None and m == m else "-"
    r = "%.0fx" % (c / m) if c is not None and m is not None and m == m and m > 0 else "-"
    print("%-52s %11s %11s %8s" % (name, cs, ms, r))
print("concord with %d objects: page of 1000 p50 %.1f ms, p99 %.1f ms, max %.1f ms; server RSS %.0f MiB (peak %.0f MiB)"
      % (big["objects"], big["page_ms_p50"], big["page_ms_p99"], big["page_ms_max"],
         big["server_rss_mib"] or 0, big["server_peak_rss_mib"] or 0))
if large:
    print("concord with %d objects: POST %.0f/s, GET %.0f/s; page of 1000 p50 %.1f ms, p99 %.1f ms, max %.1f ms; server RSS %.0f MiB (peak %.0f MiB)"
          % (large["objects"], large["post_objects_per_s"], large["get_objects_per_s"], large["page_ms_p50"],
             large["page_ms_p99"], large["page_ms_max"], large["server_rss_mib"] or 0, large["server_peak_rss_mib"] or 0))
if pg:
    print("concord on PostgreSQL with %d objects: POST %.0f/s, GET %.0f/s; page of 1000 p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (pg["objects"], pg["post_objects_per_s"], pg["get_objects_per_s"], pg["page_ms_p50"],
             pg["page_ms_p99"], pg["page_ms_max"]))
PY
