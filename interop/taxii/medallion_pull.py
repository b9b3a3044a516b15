#!/usr/bin/env python3
"""medallion 3.0.0 (memory backend, 127.0.0.1) as a real TAXII peer:
loads the generated corpus into medallion with taxii2-client, runs
`concord taxii pull` against it, then checks that
  - concord now holds exactly medallion's (id, modified) set (all versions),
  - taxii2-client reading the same collection from concord and from
    medallion gets the same objects (latest versions, compared whole),
  - a second pull, given medallion's bare base URL, is a no-op resumed
    from the stored cursor,
  - a pull refuses an indicator whose STIX pattern does not parse.
Starts and stops medallion itself; bounded waits everywhere.

Usage: medallion_pull.py SETUP.json   (written by crates/node/tests/taxii_interop.rs)
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(k, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from taxii2client.v21 import Collection, as_pages  # noqa: E402

setup = json.load(open(sys.argv[1]))
COLL = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
USER, PASSWORD = "peer", "peer-password"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start_medallion(tmp):
    port = free_port()
    base = "http://127.0.0.1:%d/" % port
    data = {
        "/discovery": {"title": "medallion", "description": "interop", "contact": "none",
                       "default": base + "api1/", "api_roots": [base + "api1/"]},
        "api1": {
            "information": {"title": "interop", "description": "interop",
                            "versions": ["application/taxii+json;version=2.1"],
                            "max_content_length": 100 * 1000 * 1000},
            "status": [],
            "collections": [{"id": COLL, "title": "medallion corpus", "description": "interop",
                             "can_read": True, "can_write": True,
                             "media_types": ["application/stix+json;version=2.1"],
                             "objects": [], "manifest": []}],
        },
    }
    data_path = os.path.join(tmp, "data.json")
    json.dump(data, open(data_path, "w"))
    cfg = {"backend": {"module_class": "MemoryBackend", "module": "medallion.backends.memory_backend",
                       "filename": data_path},
           "users": {USER: PASSWORD}, "taxii": {"max_page_size": 200}}
    cfg_path = os.path.join(tmp, "config.json")
    json.dump(cfg, open(cfg_path, "w"))
    medallion = os.path.join(os.path.dirname(sys.executable), "medallion")
    p = subprocess.Popen([medallion, "--host", "127.0.0.1", "--port", str(port), "--log-level", "ERROR", cfg_path],
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "medallion.log"), "w"))
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p, base
        except OSError:
            if p.poll() is not None:
                raise RuntimeError("medallion exited: " + open(os.path.join(tmp, "medallion.log")).read())
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("medallion did not start")


def all_versions(coll):
    out = []
    for env in as_pages(coll.get_objects, per_request=200, version="all"):
        out.extend(env.get("objects", []))
    return out


def latest(coll):
    out = []
    for env in as_pages(coll.get_objects, per_request=200):
        out.extend(env.get("objects", []))
    return out


def pull(rejections=False, url=None):
    """concord taxii pull's report; it exits 1 when it rejected objects."""
    r = subprocess.run([setup["concord"], "--data-dir", setup["data_dir"], "--json", "taxii", "pull",
                        url or base + "taxii2/", "--collection", COLL, "--user", USER, "--password-stdin", "--page", "150"],
                       input=PASSWORD + "\n", capture_output=True, text=True, timeout=600)
    if r.returncode != (1 if rejections else 0):
        raise AssertionError("concord taxii pull failed (%d): %s %s" % (r.returncode, r.stdout, r.stderr))
    return json.loads(r.stdout)


tmp = tempfile.mkdtemp(prefix="medallion-interop-")
proc, base = start_medallion(tmp)
try:
    med = Collection(base + "api1/collections/%s/" % COLL, user=USER, password=PASSWORD)
    bundle = json.load(open(setup["bundle"]))
    objs = bundle["objects"]
    for i in range(0, len(objs), 250):
        st = med.add_objects({"objects": objs[i:i + 250]}, wait_for_completion=True, poll_interval=0.2, timeout=120)
        assert st.status == "complete" and st.failure_count == 0, (st.status, st.failures)
    # Second versions of a few objects, so that "all versions" differs from "latest".
    bumped = []
    for o in objs:
        if o["type"] == "indicator" and len(bumped) < 5:
            b = dict(o, modified="2030-01-01T00:00:00.000Z", name="bumped %s" % o["id"][-6:])
            bumped.append(b)
    st = med.add_objects({"objects": bumped}, wait_for_completion=True, poll_interval=0.2, timeout=120)
    assert st.status == "complete" and st.success_count == len(bumped), (st.status, st.failures)

    med_all = all_versions(med)
    med_keys = {(o["id"], o["modified"] if "modified" in o else o.get("created")) for o in med_all}
    assert len(med_keys) == len(objs) + len(bumped), (len(med_keys), len(objs), len(bumped))

    report = pull()
    assert report["rejected"] == [], report["rejected"][:3]
    # The node already held the corpus in another collection: those
    # versions are filed, not stored twice.
    assert report["stored"] + report["duplicates"] == len(med_keys), ("stored", report, len(med_keys))
    assert report["cursor"], report

    base_concord = setup["concord_url"]
    con = Collection(base_concord + "root/collections/%s/" % COLL, user=setup["admin"][0], password=setup["admin"][1])
    con_all = all_versions(con)
    con_keys = {(o["id"], o["modified"] if "modified" in o else o.get("created")) for o in con_all}
    assert con_keys == med_keys, ("(id, modified) sets differ", len(con_keys ^ med_keys), sorted(con_keys ^ med_keys)[:5])
    assert len(con_all) == len(con_keys), "no duplicates in concord"

    med_latest = {o["id"]: o for o in latest(med)}
    con_latest = {o["id"]: o for o in latest(con)}
    assert set(med_latest) == set(con_latest), "same ids (latest)"
    diff = [i for i in med_latest if med_latest[i] != con_latest[i]]
    assert not diff, ("objects differ", diff[:3])

    # Given medallion's bare base URL, concord finds its discovery below it.
    again = pull(url=base)
    assert again["stored"] == 0, ("a second pull stores nothing new", again)
    assert again["cursor"] == report["cursor"] or again["cursor"] >= report["cursor"], again
    # Push: the node's own collection (its identity) goes to medallion.
    r = subprocess.run([setup["concord"], "--data-dir", setup["data_dir"], "--json", "taxii", "push",
                        base + "taxii2/", "--collection", COLL, "--user", USER, "--password-stdin"],
                       input=PASSWORD + "\n", capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, ("concord taxii push failed", r.stdout, r.stderr)
    pushed = json.loads(r.stdout)
    assert pushed["sent"] >= 1 and pushed["succeeded"] == pushed["sent"] and pushed["failed"] == 0, pushed
    ident = [o for o in latest(med) if o["type"] == "identity" and o.get("name") == "CERT-Interop"]
    assert len(ident) == 1, "the pushed identity is on medallion"
    # medallion stores what it is given; concord's pull refuses an indicator
    # whose STIX pattern does not parse, saying where.
    unclosed = dict(bumped[0], id="indicator--6c7d1a5e-8a4f-4d0e-9b1c-2f3a4b5c6d7e",
                    pattern="[ipv4-addr:value = '1.2.3.4'")
    st = med.add_objects({"objects": [unclosed]}, wait_for_completion=True, poll_interval=0.2, timeout=120)
    assert st.status == "complete" and st.success_count == 1, (st.status, st.failures)
    third = pull(rejections=True)
    rejected = json.dumps(third["rejected"])
    assert third["stored"] == 0 and unclosed["id"] in rejected, third
    assert "pattern-syntax" in rejected and "line 1, column 29" in rejected, rejected
    assert unclosed["id"] not in {o["id"] for o in latest(con)}, "the unparsable pattern is not stored"
    print("medallion interop: %d versions pulled, %d objects identical; second pull: %d pages, %d new"
          % (len(con_keys), len(con_latest), again["pages"], again["stored"]))
finally:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
