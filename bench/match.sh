#!/usr/bin/env bash
# `concord match` as a user runs it: the whole command (opening the node,
# loading the indicator index, reading, matching and printing 1M JSON-lines
# events), timed by /usr/bin/time -v for wall clock and peak RSS, with
# --threads 1 and 2, beside an older binary (BEFORE) and stix2-matcher on a
# subset, in one run, with the ratios. The outputs of both binaries must be
# byte-identical (same hits, same order).
#
#   bench/match.sh                                   # 200k indicators, 1M events
#   BEFORE=/path/to/old/concord bench/match.sh       # also the old binary
#   INDICATORS=20000 EVENTS=100000 bench/match.sh
#
# Data goes to $BENCH_DATA (default: a temp dir, removed at the end); nothing
# is written to the repository. Needs python3 (corpus), /usr/bin/time (Debian
# package `time`) and, for the peer, the project venv (CONCORD_PYTHON, else
# scripts/python-env.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${CONCORD_SHARED:-$(cd "$root/.." && pwd)/shared}
INDICATORS=${INDICATORS:-200000}
EVENTS=${EVENTS:-1000000}
PEER_M=${PEER_M:-1000}
PEER_N=${PEER_N:-100}
RUNS=${RUNS:-3}
if [ -n "${BENCH_DATA:-}" ]; then
  data=$BENCH_DATA
else
  data=$(mktemp -d -t concord-match-XXXXXX)
  trap 'rm -rf "$data"' EXIT
fi
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
if [ -z "${CONCORD_BIN:-}" ]; then
  cargo build --release --locked -p concord-node --manifest-path "$root/Cargo.toml" >&2
  target=${CARGO_TARGET_DIR:-$root/target}
  CONCORD_BIN=$target/release/concord
fi
after=$CONCORD_BIN
before=${BEFORE:-}

corpus="$data/i$INDICATORS-e$EVENTS"
if [ ! -f "$corpus/events.jsonl" ]; then
  python3 "$shared/corpus/gen_corpus.py" --indicators "$INDICATORS" --events "$EVENTS" --hit-rate 0.01 \
    --no-observed --out "$corpus" >/dev/null
fi
node="$data/node-i$INDICATORS"
if [ ! -f "$node/.imported" ]; then
  rm -rf "$node"
  "$after" --data-dir "$node" init --org bench >/dev/null
  "$after" --data-dir "$node" --json import --no-index "$corpus/bundle.json" >/dev/null
  touch "$node/.imported"
fi

# One timed run: prints "wall_s rss_kib cpu_s events".
timed() {
  local out=$1; shift
  /usr/bin/time -v "$@" "$corpus/events.jsonl" >"$out" 2>"$out.err" || { cat "$out.err" >&2; exit 1; }
  python3 - "$out.err" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def field(name):
    return re.search(re.escape(name) + r": (.+)", t).group(1).strip()
wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
rss = int(field("Maximum resident set size (kbytes)"))
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
events = int(re.search(r"^(\d+) events,", t, re.M).group(1))
print("%.3f %d %.3f %d" % (secs, rss, cpu, events))
PY
}

# The median (by wall clock) of RUNS runs: "wall_s rss_kib cpu_s events".
median() {
  local out=$1; shift
  for _ in $(seq "$RUNS"); do timed "$out" "$@"; done | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}

printf '%-44s %9s %12s %9s %9s\n' "whole command ($EVENTS events, $INDICATORS indicators)" wall_s events/s RSS_MiB cpu_s
row() {
  read -r wall rss cpu events <<<"$2"
  printf '%-44s %9.2f %12.0f %9.0f %9.2f\n' "$1" "$wall" "$(echo "$events / $wall" | bc -l)" "$((rss / 1024))" "$cpu"
}
results=()
if [ -n "$before" ]; then
  b=$(median "$data/before.out" "$before" --data-dir "$node" match)
  row "before ($(basename "$before"), one thread)" "$b"
  results+=("before $b")
fi
# The first run after a change builds the snapshot; later runs load it.
rm -f "$node/indicator-index.snapshot"
cold=$(timed "$data/after.out" "$after" --data-dir "$node" match --threads 2)
row "after, --threads 2, snapshot rebuilt" "$cold"
for t in 1 2; do
  r=$(median "$data/after.out" "$after" --data-dir "$node" match --threads "$t")
  row "after, --threads $t, snapshot loaded" "$r"
  results+=("t$t $r")
done
if [ -n "$before" ]; then
  if cmp -s "$data/before.out" "$data/after.out"; then
    echo "outputs: identical ($(wc -l <"$data/after.out") hits)"
  else
    echo "outputs: DIFFER" >&2
    exit 1
  fi
fi
start=$(date +%s.%N)
"$after" --data-dir "$node" match --threads 1 </dev/null >/dev/null 2>&1
end=$(date +%s.%N)
printf 'snapshot load (whole command on empty input): %.3f s, snapshot %d bytes\n' \
  "$(echo "$end - $start" | bc -l)" "$(stat -c %s "$node/indicator-index.snapshot")"

# The peer: stix2-matcher, every pattern against every observation, on a
# subset (it runs a few hundred pattern evaluations a second).
py=${CONCORD_PYTHON:-$("$root/scripts/python-env.sh")}
peer_corpus="$data/peer-m$PEER_M-n$PEER_N"
if [ ! -f "$peer_corpus/observed.json" ]; then
  python3 "$shared/corpus/gen_corpus.py" --indicators "$PEER_M" --events "$PEER_N" --hit-rate 0.05 --out "$peer_corpus" >/dev/null 2>&1
fi
peer=$("$py" "$shared/peer-bench/bench_matcher.py" --corpus "$peer_corpus" --mode pairs -M "$PEER_M" -N "$PEER_N" --runs 1 2>/dev/null |
  python3 -c 'import json,sys
rows=[json.loads(l) for l in sys.stdin if l.startswith("{")]
print([r for r in rows if r.get("unit") == "events/s (wall)"][0]["median"])')
printf 'stix2-matcher, %d patterns x %d observations: %.1f events/s\n' "$PEER_M" "$PEER_N" "$peer"

python3 - "$peer" "${results[@]}" <<'PY'
import sys
peer = float(sys.argv[1])
rows = {a.split()[0]: [float(x) for x in a.split()[1:]] for a in sys.argv[2:]}
def rate(k):
    wall, rss, cpu, events = rows[k]
    return events / wall
print()
print("| ratio | value |")
print("| --- | --- |")
if "before" in rows:
    for t in ("t1", "t2"):
        print("| after %s / before, events/s (wall) | %.2fx |" % (t.replace("t", "--threads "), rate(t) / rate("before")))
        print("| after %s / before, peak RSS | %.2fx |" % (t.replace("t", "--threads "), rows[t][1] / rows["before"][1]))
print("| after --threads 2 / goal (1,000,000 events/s) | %.2fx |" % (rate("t2") / 1e6))
print("| after --threads 2 / stix2-matcher (events/s, its %s) | %.0fx |" % ("subset", rate("t2") / peer))
PY
