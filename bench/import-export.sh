#!/usr/bin/env bash
# Import and export throughput of concord beside python-stix2 parsing the
# same corpus, in one run, with the ratios.
#
#   bench/import-export.sh [SIZES]      SIZES: indicator counts, default "100000 1000000"
#   BACKENDS="embedded postgres" bench/import-export.sh 100000
#   CONCORD_BIN=path/to/concord bench/import-export.sh 100000   (no build)
#
# BACKENDS (default "embedded") picks the stores measured; "postgres" uses
# the server of scripts/postgres-env.sh (or CONCORD_TEST_POSTGRES), a fresh
# database per run.
#
# Needs: the Rust toolchain and python3 (the stix2 peer is installed into the
# project venv by scripts/python-env.sh). Data goes to $BENCH_DATA (default: a
# temp dir); nothing is written to the repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${CONCORD_SHARED:-$(cd "$root/.." && pwd)/shared}
sizes=${1:-"100000 1000000"}
data=${BENCH_DATA:-$(mktemp -d -t concord-bench-XXXXXX)}
py=$("$root/scripts/python-env.sh")
if [ -z "${CONCORD_BIN:-}" ]; then
  cargo build --release --locked -p concord-node --manifest-path "$root/Cargo.toml" >&2
  CONCORD_BIN=${CARGO_TARGET_DIR:-$root/target}/release/concord
fi
concord=$CONCORD_BIN
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
backends=${BACKENDS:-embedded}
pg_admin=""
case " $backends " in *" postgres "*) pg_admin=$("$root/scripts/postgres-env.sh") ;; esac
printf '%-10s %-34s %14s %12s\n' size measurement objects/s peak_MiB
for n in $sizes; do
for backend in $backends; do
  corpus="$data/c$n"
  if [ ! -f "$corpus/bundle.json" ]; then
    python3 "$shared/corpus/gen_corpus.py" --indicators "$n" --no-observed --out "$corpus" >/dev/null
  fi
  objects=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bundle_objects"])' "$corpus/manifest.json")
  node="$data/node$n-$backend"
  rm -rf "$node"
  if [ "$backend" = postgres ]; then
    db="concord_bench_$(date +%s%N)"
    psql "$pg_admin" -qc "CREATE DATABASE $db" >&2
    "$concord" --data-dir "$node" init --org bench --storage "${pg_admin%/*}/$db" >/dev/null
  else
    "$concord" --data-dir "$node" init --org bench >/dev/null
  fi
  # The whole command as a user waits for it (store, search index, exit):
  # wall clock and peak RSS from /usr/bin/time, not the report's store-only
  # rate.
  report=$(/usr/bin/time -f '%e %M' -o "$node.time" "$concord" --data-dir "$node" --json import "$corpus/bundle.json")
  read -r wall rss_kib <"$node.time"
  imp=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("%.0f %.0f %.2f %.2f" % (r["stored"]/float(sys.argv[2]), int(sys.argv[3])/1024, r["seconds"], r["index_seconds"]))' "$report" "$wall" "$rss_kib")
  read -r imp_rate imp_rss imp_s idx_s <<<"$imp"
  if [ "$backend" = postgres ]; then
    size_mib=$(psql "$pg_admin" -Atc "SELECT pg_database_size('$db') / 1048576")
  else
    size_mib=$(du -sm "$node/concord.sqlite" | cut -f1)
  fi
  start=$(date +%s.%N)
  "$concord" --data-dir "$node" export --include-revoked --out "$node/export.json" 2>/dev/null
  end=$(date +%s.%N)
  exp_rate=$(python3 -c "print('%.0f' % ($objects / ($end - $start)))")
  printf '%-10s %-34s %14s %12s\n' "$objects" "concord import [$backend], whole" "$imp_rate" "$imp_rss"
  printf '%-10s %-34s %14s %12s\n' "$objects" "  of which store (s)" "$imp_s" "-"
  printf '%-10s %-34s %14s %12s\n' "$objects" "  of which search index (s)" "$idx_s" "-"
  printf '%-10s %-34s %14s %12s\n' "$objects" "  database size (MiB)" "$size_mib" "-"
  printf '%-10s %-34s %14s %12s\n' "$objects" "concord export [$backend]" "$exp_rate" "-"
  [ "$backend" = postgres ] && continue
  # The peer on the same file: python-stix2 json.load + stix2.parse (1 run, fresh process).
  if [ "$n" -le 100000 ]; then
    peer=$("$py" "$shared/peer-bench/bench_stix2_parse.py" --bundle "$corpus/bundle.json" --objects "$objects" --runs 1 2>/dev/null \
      | python3 -c 'import json,sys
rows=[json.loads(l) for l in sys.stdin if l.startswith("{")]
parse=[r for r in rows if r["what"].startswith("stix2.parse") and "wall" in r["unit"]][0]
rss=[r for r in rows if r["what"].startswith("peak RSS")][0]
print("%.0f %.0f" % (parse["median"], rss["median"]))')
    read -r peer_rate peer_rss <<<"$peer"
    printf '%-10s %-34s %14s %12s\n' "$objects" "python-stix2 parse" "$peer_rate" "${peer_rss:--}"
    python3 -c "print('%-10s %-34s %14s' % ('$objects', 'ratio import / stix2 parse', '%.0fx' % ($imp_rate / $peer_rate)))"
  else
    printf '%-10s %-34s %14s\n' "$objects" "python-stix2 parse" "skipped (hours)"
  fi
done
done
