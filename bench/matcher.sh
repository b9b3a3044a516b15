#!/usr/bin/env bash
# concord's matcher against the peer (stix2-matcher) on the same corpus, in
# one run: index build time and memory per indicator, atomic matching speed
# against many indicators, and full pattern evaluation on the peer's
# (pattern, observation) set, with the ratios.
#
#   bench/matcher.sh                       # 1M indicators, 1M events
#   INDICATORS=100000 EVENTS=100000 bench/matcher.sh
#
# Needs the peer's venv (CONCORD_PYTHON, else $ANCHORS_VENV/bin/python, else
# /tmp/anchors-venv/bin/python; see ../shared/peer-bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${CONCORD_PYTHON:-${ANCHORS_VENV:-/tmp/anchors-venv}/bin/python}
INDICATORS=${INDICATORS:-1000000}
EVENTS=${EVENTS:-1000000}
PEER_M=${PEER_M:-1000}
PEER_N=${PEER_N:-100}
DATA=$(mktemp -d "${TMPDIR:-/tmp}/concord-bench.XXXXXX")
trap 'rm -rf "$DATA"' EXIT

echo "# corpus: $INDICATORS indicators, $EVENTS events; peer set M=$PEER_M x N=$PEER_N" >&2
python3 ../shared/corpus/gen_corpus.py --indicators "$INDICATORS" --events "$EVENTS" --hit-rate 0.01 \
  --no-observed --out "$DATA/big" 2>/dev/null
python3 ../shared/corpus/gen_corpus.py --indicators "$PEER_M" --events "$PEER_N" --hit-rate 0.05 \
  --out "$DATA/peer" 2>/dev/null

cargo build --quiet --release -p concord-matcher --example bench_match
./target/release/examples/bench_match --corpus "$DATA/big" --peer-corpus "$DATA/peer" -M "$PEER_M" -N "$PEER_N" \
  | tee "$DATA/concord.jsonl"
"$PY" ../shared/peer-bench/bench_matcher.py --corpus "$DATA/peer" --mode pairs -M "$PEER_M" -N "$PEER_N" --runs 1 \
  2>/dev/null | tee "$DATA/peer.jsonl"

python3 - "$DATA/concord.jsonl" "$DATA/peer.jsonl" <<'PY'
import json, sys
ours = [json.loads(l) for l in open(sys.argv[1])]
peer = [json.loads(l) for l in open(sys.argv[2])]
def find(rows, key, value):
    return next(r for r in rows if value in r.get(key, ""))
build = find(ours, "what", "index build")
atomic = find(ours, "what", "atomic observables")
lines = find(ours, "what", "JSON lines")
evaluator = find(ours, "what", "pattern evaluator")
indexed = find(ours, "what", "indexed matcher")
peer_evals = find(peer, "unit", "evals/s (wall)")["median"]
peer_events = find(peer, "unit", "events/s (wall)")["median"]
print()
print("| figure | concord | target / peer | ratio |")
print("| --- | --- | --- | --- |")
print("| index build, %d indicators | %.2f s | <= 5 s | |" % (build["indicators"], build["build_seconds"]))
print("| index memory (RSS growth) | %.0f bytes/indicator | <= 300 | |" % build["bytes_per_indicator_rss"])
print("| index memory (counted) | %.0f bytes/indicator | <= 300 | |" % build["bytes_per_indicator_counted"])
print("| atomic observables vs %d indicators | %.0f events/s | >= 1,000,000 | %.2fx target |"
      % (atomic["indicators"], atomic["events_per_second"], atomic["events_per_second"] / 1e6))
print("| JSON lines read + matched | %.0f events/s | | |" % lines["events_per_second"])
print("| truth set found exactly | %s (%d hits) | | |" % (atomic["truth_agrees"], atomic["hits_found"]))
print("| evaluator, every pattern x observation | %.0f evals/s | %.0f evals/s | %.0fx |"
      % (evaluator["evals_per_second"], peer_evals, evaluator["evals_per_second"] / peer_evals))
print("| indexed matcher, same set | %.0f evals/s | %.0f evals/s | %.0fx |"
      % (indexed["evals_per_second"], peer_evals, indexed["evals_per_second"] / peer_evals))
print("| indexed matcher, events vs all M | %.0f events/s | %.1f events/s | %.0fx |"
      % (indexed["events_per_second"], peer_events, indexed["events_per_second"] / peer_events))
PY
