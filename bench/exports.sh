#!/usr/bin/env bash
# RPZ export of the shared corpus: concord's exporter (crates/exports,
# examples/bench_rpz) beside a plain Python writer of the same zone
# (bench/rpz_writer.py), on the same bundle, in one run. Prints each one's
# export rate (indicators/s: reading patterns, checking values, sorting,
# writing the zone; the bundle's JSON load is timed apart), the ratio, and
# each process's peak RSS (/usr/bin/time -v) and how much of it the export
# added over holding the loaded indicators. The two zones must be
# byte-identical, and named-checkzone must accept concord's.
#
#   bench/exports.sh                  # 200,000 indicators
#   INDICATORS=20000 bench/exports.sh
#
# Needs python3, /usr/bin/time (Debian time) and named-checkzone (Debian
# bind9-utils); the corpus generator is $CONCORD_SHARED/corpus/gen_corpus.py
# (default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${INDICATORS:-200000}
SHARED=${CONCORD_SHARED:-../shared}
TARGET=${CARGO_TARGET_DIR:-target}
DATA=$(mktemp -d "${TMPDIR:-/tmp}/concord-exports.XXXXXX")
trap 'rm -rf "$DATA"' EXIT

echo "# corpus: $N indicators" >&2
python3 "$SHARED/corpus/gen_corpus.py" --indicators "$N" --no-observed --out "$DATA/corpus" >/dev/null 2>&1
cargo build --quiet --release -p concord-exports --example bench_rpz

/usr/bin/time -v "$TARGET/release/examples/bench_rpz" --bundle "$DATA/corpus/bundle.json" \
  --out "$DATA/concord.rpz" --url-hosts >"$DATA/concord.json" 2>"$DATA/concord.time"
/usr/bin/time -v python3 bench/rpz_writer.py --bundle "$DATA/corpus/bundle.json" \
  --out "$DATA/python.rpz" --url-hosts >"$DATA/python.json" 2>"$DATA/python.time"

cmp "$DATA/concord.rpz" "$DATA/python.rpz" || { echo "the two zones differ" >&2; exit 1; }
named-checkzone -q rpz.concord. "$DATA/concord.rpz" || { echo "named-checkzone rejects the zone" >&2; exit 1; }

python3 - "$DATA" <<'PY'
import json, re, sys
d = sys.argv[1]
def load(name):
    figures = json.load(open("%s/%s.json" % (d, name)))
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open("%s/%s.time" % (d, name)).read())
    figures["peak_rss_mib"] = int(rss.group(1)) / 1024
    return figures
ours, peer = load("concord"), load("python")
print()
print("| RPZ export, %d indicators (%d triggers, identical zones) | concord | python writer | ratio |"
      % (ours["indicators"], ours["records"]))
print("| --- | --- | --- | --- |")
print("| export rate | %.0f indicators/s | %.0f indicators/s | %.1fx |"
      % (ours["indicators_per_second"], peer["indicators_per_second"],
         ours["indicators_per_second"] / peer["indicators_per_second"]))
print("| export time | %.3f s | %.3f s | |" % (ours["export_seconds"], peer["export_seconds"]))
print("| bundle load (JSON parse) | %.3f s | %.3f s | |" % (ours["load_seconds"], peer["load_seconds"]))
print("| peak RSS (whole process, /usr/bin/time) | %.0f MiB | %.0f MiB | %.2fx |"
      % (ours["peak_rss_mib"], peer["peak_rss_mib"], ours["peak_rss_mib"] / peer["peak_rss_mib"]))
print("| peak RSS after loading the bundle | %.0f MiB | %.0f MiB | |"
      % (ours["peak_rss_after_load_mib"], peer["peak_rss_after_load_mib"]))
print("| peak RSS added by the export | %.0f MiB | %.0f MiB | |"
      % (ours["peak_rss_after_export_mib"] - ours["peak_rss_after_load_mib"],
         peer["peak_rss_after_export_mib"] - peer["peak_rss_after_load_mib"]))
print("| target | >= 200,000 indicators/s | | %s |"
      % ("met" if ours["indicators_per_second"] >= 200000 else "NOT MET"))
PY
