"""50 concurrent TAXII clients against one concord node for 60 s, each
mixing GETs (collection pages, manifests, single objects) and POSTs of
small envelopes; prints requests, errors and p50/p99 latency per kind.
Standard library only. Usage: load.py BASE_URL TOKEN COLLECTION [CLIENTS] [SECONDS]"""
import http.client, json, random, statistics, sys, threading, time, uuid
from urllib.parse import urlparse

base, token, coll = sys.argv[1], sys.argv[2], sys.argv[3]
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 50
seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
u = urlparse(base)
TAXII = "application/taxii+json;version=2.1"
H = {"Accept": TAXII, "Authorization": f"Bearer {token}"}
root = f"/taxii2/root/collections/{coll}"
lock = threading.Lock()
lat = {"get-page": [], "get-manifest": [], "get-object": [], "post": []}
errors = []
known = []


def indicator():
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-11-20T10:00:00.000Z", "modified": "2026-11-20T10:00:00.000Z",
            "name": "load", "pattern": f"[ipv4-addr:value = '10.{random.randint(0,255)}.{random.randint(0,255)}.{random.randint(0,255)}']",
            "pattern_type": "stix", "valid_from": "2026-11-20T10:00:00Z"}


def client(stop):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    while time.time() < stop:
        r = random.random()
        if r < 0.25:
            kind, method, path, body = "post", "POST", f"{root}/objects/", json.dumps({"objects": [indicator() for _ in range(10)]})
        elif r < 0.55:
            kind, method, path, body = "get-page", "GET", f"{root}/objects/?limit=100", None
        elif r < 0.8:
            kind, method, path, body = "get-manifest", "GET", f"{root}/manifest/?limit=100", None
        else:
            with lock:
                oid = random.choice(known) if known else None
            if oid is None:
                continue
            kind, method, path, body = "get-object", "GET", f"{root}/objects/{oid}/", None
        headers = dict(H)
        if body is not None:
            headers["Content-Type"] = TAXII
        t = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            ms = (time.perf_counter() - t) * 1000
            ok = resp.status in (200, 202)
            if kind == "post" and ok:
                st = json.loads(data)
                ok = st.get("status") == "complete" and st.get("failure_count", 0) == 0
                if ok:
                    with lock:
                        known.extend(s["id"] for s in st.get("successes", [])[:2])
        except Exception as e:  # a reset or a timeout is an error of the run
            ms, ok, resp = (time.perf_counter() - t) * 1000, False, None
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        with lock:
            if ok:
                lat[kind].append(ms)
            else:
                errors.append((kind, getattr(resp, "status", "exception")))


stop = time.time() + seconds
threads = [threading.Thread(target=client, args=(stop,)) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


total = sum(len(v) for v in lat.values())
print(f"{clients} clients, {seconds:.0f} s: {total} requests ({total / seconds:.0f}/s), {len(errors)} errors")
for k, v in lat.items():
    print(f"  {k:<13} n={len(v):<7} p50={pct(v, 0.5):7.1f} ms  p99={pct(v, 0.99):7.1f} ms")
allv = [x for v in lat.values() for x in v]
print(f"  {'all':<13} n={len(allv):<7} p50={pct(allv, 0.5):7.1f} ms  p99={pct(allv, 0.99):7.1f} ms")
if errors:
    print("errors:", errors[:10])
    sys.exit(1)
