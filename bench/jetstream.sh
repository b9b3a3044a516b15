#!/usr/bin/env bash
# `concord match --nats` end to end: N log events (the corpus generator's,
# one JSON event a message) in a JetStream stream on a local
# `nats-server -js`, matched by 1, 2 and 4 workers of the real binary on one
# durable consumer. For each worker count: wall clock from the workers'
# start until the consumer has every message acked, events/s over that
# time, hits published, redeliveries, and each worker's peak RSS.
#
#   bench/jetstream.sh                          # 1,000,000 events, 100,000 indicators
#   EVENTS=200000 INDICATORS=20000 bench/jetstream.sh
#   WORKERS="1 2" CONCORD_BIN=target/release/concord bench/jetstream.sh
#
# Needs nats-server (scripts/tools-env.sh installs it) and python3 (the
# corpus generator; the stream is filled over the NATS protocol from the
# standard library, no client package).
# Figures on a machine shared with other work vary a lot: run it quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-1000000}
INDICATORS=${INDICATORS:-100000}
WORKERS=${WORKERS:-"1 2 4"}
BATCH=${BATCH:-500}
NATS_SERVER=${CONCORD_NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
[ -x "$NATS_SERVER" ] || { echo "nats-server is missing: run scripts/tools-env.sh" >&2; exit 1; }
if [ -z "${CONCORD_BIN:-}" ]; then
  cargo build --quiet --release -p concord-node
  CONCORD_BIN=${CARGO_TARGET_DIR:-target}/release/concord
fi
DATA=$(mktemp -d "${TMPDIR:-/tmp}/concord-jetstream.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "# corpus: $INDICATORS indicators, $EVENTS events (hit rate 1%)" >&2
python3 ../shared/corpus/gen_corpus.py --indicators "$INDICATORS" --events "$EVENTS" --hit-rate 0.01 \
  --no-observed --out "$DATA/corpus" >/dev/null
"$CONCORD_BIN" --data-dir "$DATA/node" init --org BENCH >/dev/null
"$CONCORD_BIN" --data-dir "$DATA/node" import "$DATA/corpus/bundle.json" >/dev/null 2>&1

# One box, the same events from a file: the expected hits, and the figure
# the workers compare with.
/usr/bin/time -f '%e %M' -o "$DATA/local.time" "$CONCORD_BIN" --data-dir "$DATA/node" --json match \
  "$DATA/corpus/events.jsonl" >/dev/null 2>"$DATA/local.json"
want=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["hits"])' "$DATA/local.json")
read -r local_wall local_rss < "$DATA/local.time"

# The NATS side, over the plain protocol: create streams, fill one, read
# the consumer's state from the monitoring port.
cat > "$DATA/nats.py" <<'PY'
import json, socket, sys, time

def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    f.readline()  # INFO
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n')
    return s, f

def pong(s, f):
    s.sendall(b"PING\r\n")
    while True:
        line = f.readline()
        if line.startswith(b"PONG"):
            return
        if line.startswith(b"-ERR"):
            sys.exit(line.decode())
        if line.startswith(b"MSG"):
            f.read(int(line.split()[-1]) + 2)

def request(port, subject, body):
    s, f = connect(port)
    s.sendall(b"SUB _INBOX.bench 1\r\n")
    data = json.dumps(body).encode()
    s.sendall(b"PUB %s _INBOX.bench %d\r\n%s\r\n" % (subject.encode(), len(data), data))
    while True:
        line = f.readline()
        if line.startswith(b"MSG"):
            answer = json.loads(f.read(int(line.split()[-1]) + 2))
            if "error" in answer:
                sys.exit(f"{subject}: {answer['error']}")
            return answer
        if line.startswith(b"PING"):
            s.sendall(b"PONG\r\n")

def stream_messages(port, name):
    return request(port, f"$JS.API.STREAM.INFO.{name}", {})["state"]["messages"]

cmd, port = sys.argv[1], int(sys.argv[2])
if cmd == "stream":
    name, subject = sys.argv[3], sys.argv[4]
    request(port, f"$JS.API.STREAM.CREATE.{name}",
            {"name": name, "subjects": [subject], "storage": "file", "retention": "limits",
             "max_msgs": -1, "max_bytes": -1, "discard": "old", "num_replicas": 1})
elif cmd == "fill":
    # Core publishes, a round trip every 2,000 so the server keeps up; the
    # stream is then checked to hold every event.
    name, path = sys.argv[3], sys.argv[4]
    s, f = connect(port)
    n = 0
    with open(path, "rb") as events:
        for line in events:
            body = line.rstrip(b"\n")
            subject = b"events.dns" if b'"kind": "dns"' in body else b"events.other"
            s.sendall(b"PUB %s %d\r\n%s\r\n" % (subject, len(body), body))
            n += 1
            if n % 2000 == 0:
                pong(s, f)
    pong(s, f)
    for _ in range(600):
        if stream_messages(port, name) >= n:
            break
        time.sleep(0.1)
    held = stream_messages(port, name)
    if held != n:
        sys.exit(f"the stream holds {held} of {n} events")
    print(n)
elif cmd == "drained":
    # Seconds until the durable consumer has every message of the stream
    # acked. Asking the consumer costs the server a scan of what is pending
    # (nats-server 2.9 stalls deliveries meanwhile), so the hits stream is
    # watched until it holds the hits expected, and the consumer asked only
    # then, when little is pending.
    stream, durable, hits, want = sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
    bound = float(sys.argv[7])
    s, f = connect(port)
    s.sendall(b"SUB _INBOX.drained 1\r\n")
    def ask(subject):
        s.sendall(b"PUB %s _INBOX.drained 0\r\n\r\n" % subject.encode())
        while True:
            line = f.readline()
            if line.startswith(b"PING"):
                s.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG"):
                return json.loads(f.read(int(line.split()[-1]) + 2))
    last = ask(f"$JS.API.STREAM.INFO.{stream}")["state"]["last_seq"]
    start = time.monotonic()
    while time.monotonic() - start < bound:
        if ask(f"$JS.API.STREAM.INFO.{hits}")["state"]["messages"] >= want:
            info = ask(f"$JS.API.CONSUMER.INFO.{stream}.{durable}")
            if "error" not in info and info["ack_floor"]["stream_seq"] >= last:
                print(f"{time.monotonic() - start:.3f}")
                sys.exit(0)
        time.sleep(0.01)
    sys.exit(f"the consumer {durable} did not drain within {bound} s")
PY

printf '| one box: `concord match FILE` | %s | %s s | %s | %s | | %s MB |\n' "$EVENTS" "$local_wall" \
  "$(python3 -c "print(f'{$EVENTS / $local_wall:,.0f}')")" "$want" "$((local_rss / 1024))" > "$DATA/local.row"
printf '| workers | events | wall clock | events/s | hits | redelivered | peak RSS per worker |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
cat "$DATA/local.row"
for k in $WORKERS; do
  port=$(free_port)
  rm -rf "$DATA/js"
  "$NATS_SERVER" -js -a 127.0.0.1 -p "$port" -sd "$DATA/js" >"$DATA/nats.log" 2>&1 &
  server=$!; pids+=("$server")
  for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break; sleep 0.1; done
  python3 "$DATA/nats.py" stream "$port" EVENTS 'events.>'
  python3 "$DATA/nats.py" stream "$port" HITS hits
  python3 "$DATA/nats.py" fill "$port" EVENTS "$DATA/corpus/events.jsonl" >/dev/null
  start=$(date +%s.%N)
  workers=()
  for i in $(seq "$k"); do
    "$CONCORD_BIN" --data-dir "$DATA/node" --json match --nats "nats://127.0.0.1:$port" \
      --stream EVENTS --subject 'events.>' --durable bench --hits-subject hits --batch "$BATCH" \
      2>"$DATA/worker$i.log" &
    workers+=($!); pids+=($!)
  done
  python3 "$DATA/nats.py" drained "$port" EVENTS bench HITS "$want" 3600 >"$DATA/drained"; [ -z "${DEBUG:-}" ] || echo "drained after $(cat "$DATA/drained") s" >&2
  wall=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
  rss=()
  for w in "${workers[@]}"; do
    rss+=("$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$w/status")")
    kill -TERM "$w"
  done
  for w in "${workers[@]}"; do wait "$w" || true; done
  read -r events hits redelivered < <(cat "$DATA"/worker*.log | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.startswith("{")]
print(sum(r["events"] for r in rows), sum(r["hits"] for r in rows), sum(r["redelivered"] for r in rows))')
  rate=$(python3 -c "print(f'{$events / $wall:,.0f}')")
  printf '| %s | %s | %s s | %s | %s | %s | %s |\n' "$k" "$events" "$wall" "$rate" "$hits" "$redelivered" "$(IFS=,; echo "${rss[*]}")"
  kill "$server"; wait "$server" 2>/dev/null || true
  rm -f "$DATA"/worker*.log
done
