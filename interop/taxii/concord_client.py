#!/usr/bin/env python3
"""taxii2-client 2.3.0 against a running `concord serve`: every endpoint and
every filter, paging past one page, a POST whose status reports failures, a
POST large enough to be answered "pending", the spec's errors, and
stix2-validator over everything served. Exits non-zero on the first failed
check (assertion), printing what was expected.

Usage: concord_client.py SETUP.json   (written by crates/node/tests/taxii_interop.rs)
"""
import json
import sys
import uuid

import requests
import stix2validator
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, Server, Status, as_pages

TAXII = "application/taxii+json;version=2.1"
setup = json.load(open(sys.argv[1]))
disc = setup["discovery"]
alice = tuple(setup["alice"])
bob = tuple(setup["bob"])
checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def http_error(fn, status):
    try:
        fn()
    except requests.exceptions.HTTPError as e:
        check(e.response.status_code == status,
              "expected HTTP %d, got %d: %s" % (status, e.response.status_code, e.response.text))
        body = e.response.json()
        check(body.get("http_status") == str(status) and body.get("title"),
              "error resource with title and http_status: %r" % body)
        return body
    raise AssertionError("expected HTTP %d, got success" % status)


# --- discovery, API root, collections -------------------------------------
server = Server(disc, user=alice[0], password=alice[1])
check(server.title == "concord interop", "discovery title: %r" % server.title)
check(len(server.api_roots) == 1 and server.default is not None, "one API root")
root = server.default
check(root.versions == [TAXII], "API root versions: %r" % root.versions)
check(root.max_content_length == setup["max_body_bytes"], "max_content_length")
ids = {c.id for c in root.collections}
check(setup["shared"] in ids and setup["public"] in ids, "alice sees shared and public")
check(setup["secret"] not in ids, "alice does not see the secret collection")
shared = [c for c in root.collections if c.id == setup["shared"]][0]
check(shared.can_read and shared.can_write, "alice may read and write shared")
check(shared.media_types == ["application/stix+json;version=2.1"], "media types")

anon_root = ApiRoot(root.url)
anon_ids = {c.id for c in anon_root.collections}
check(anon_ids == {setup["public"]}, "anonymous sees only the public collection: %r" % anon_ids)
pub = Collection(root.url + "collections/%s/" % setup["public"])
check(pub.can_read and not pub.can_write, "anonymous reads public, cannot write")
# The public gets only what the sharing policy gives it: TLP:CLEAR objects
# (never GREEN or above, never unmarked), closed over references.
CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
sample = json.load(open(setup["public_sample"]))["objects"]
clear_ids = {o["id"] for o in sample if CLEAR in o.get("object_marking_refs", [])}
other_ids = {o["id"] for o in sample} - clear_ids
got = pub.get_objects().get("objects", [])
got_ids = {o["id"] for o in got}
check(got_ids and got_ids <= clear_ids, "anonymous reads only TLP:CLEAR public objects: %r" % got_ids)
check(not (got_ids & other_ids), "nothing GREEN, AMBER, RED or unmarked reaches the public")
# A collection the caller may not see does not exist for it: 404, never 403.
http_error(lambda: Collection(root.url + "collections/%s/" % setup["secret"]).refresh(), 404)
http_error(lambda: Collection(root.url + "collections/%s/" % setup["secret"],
                              user=alice[0], password=alice[1]).refresh(), 404)
http_error(lambda: Collection(root.url + "collections/%s/" % uuid.uuid4(),
                              user=alice[0], password=alice[1]).refresh(), 404)

# Bearer tokens (taxii2-client sends "Authorization: Token ...").
tok_root = ApiRoot(root.url, auth=TokenAuth(setup["token"]))
check(setup["shared"] in {c.id for c in tok_root.collections}, "a token signs alice in")
http_error(lambda: ApiRoot(root.url, user=alice[0], password="wrong").refresh_collections(), 401)
http_error(lambda: ApiRoot(root.url, auth=TokenAuth("not-a-token")).refresh_collections(), 401)

coll = Collection(shared.url, user=alice[0], password=alice[1])

# --- objects: paging past one page (server max page is smaller) -----------
seen = []
pages = 0
for env in as_pages(coll.get_objects, per_request=setup["max_page"]):
    pages += 1
    seen.extend(env.get("objects", []))
check(pages > 2, "paged through more than one page (%d pages)" % pages)
check(len(seen) == setup["shared_count"], "all objects once: %d vs %d" % (len(seen), setup["shared_count"]))
check(len({o["id"] for o in seen}) == len(seen), "no duplicates when paging (latest versions)")
# A limit above the server maximum is cut to the maximum.
big = coll.get_objects(limit=setup["max_page"] * 10)
check(len(big["objects"]) == setup["max_page"] and big["more"] and big.get("next"), "server max page")

# Raw paging with added_after = X-TAXII-Date-Added-Last (the sync cursor way).
sess = requests.Session()
sess.auth = alice
sess.headers["Accept"] = TAXII
url = shared.url + "objects/"
after, raw_seen, last_hdr = None, [], None
for _ in range(10000):
    params = {"limit": 97}
    if after:
        params["added_after"] = after
    r = sess.get(url, params=params)
    r.raise_for_status()
    check(r.headers["Content-Type"] == TAXII, "content type")
    env = r.json()
    objs = env.get("objects", [])
    if objs:
        first, last = r.headers["X-TAXII-Date-Added-First"], r.headers["X-TAXII-Date-Added-Last"]
        check(first <= last and (last_hdr is None or first > last_hdr), "date_added headers ascend")
        check(len(last) == 27 and last.endswith("Z"), "6-digit fraction: %s" % last)
        last_hdr = last
        after = last
    raw_seen.extend(objs)
    if not env["more"]:
        break
check(sorted(o["id"] for o in raw_seen) == sorted(o["id"] for o in seen), "added_after paging = next paging")

# --- filters --------------------------------------------------------------
types = {o["type"] for o in seen}
env = coll.get_objects(type="indicator", limit=setup["max_page"])
check(env["objects"] and all(o["type"] == "indicator" for o in env["objects"]), "match[type]")
two = coll.get_objects(type=["malware", "threat-actor"], limit=setup["max_page"])
check({o["type"] for o in two["objects"]} <= {"malware", "threat-actor"}, "match[type] list")
one_id = seen[5]["id"]
env = coll.get_objects(id=one_id)
check([o["id"] for o in env["objects"]] == [one_id], "match[id]")
env = coll.get_objects(id=[seen[1]["id"], seen[2]["id"]])
check({o["id"] for o in env["objects"]} == {seen[1]["id"], seen[2]["id"]}, "match[id] list")
env = coll.get_objects(spec_version="2.1", limit=5)
check(len(env["objects"]) == 5, "match[spec_version]=2.1")
check("objects" not in coll.get_objects(spec_version="2.0"), "match[spec_version]=2.0 matches nothing")
check(len(types) > 3, "the corpus has several types")

# Versions: post three versions of one indicator (one envelope).
vid = "indicator--%s" % uuid.uuid4()
def version(mod, name):
    return {"type": "indicator", "spec_version": "2.1", "id": vid, "created": "2024-01-01T00:00:00.000Z",
            "modified": mod, "name": name, "pattern": "[ipv4-addr:value = '203.0.113.7']",
            "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
mods = ["2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]
st = coll.add_objects({"objects": [version(m, "v%d" % i) for i, m in enumerate(mods)]})
check(st.status == "complete" and st.success_count == 3 and st.failure_count == 0, "three versions stored")
ver = lambda **kw: [o["modified"] for o in coll.get_object(vid, **kw).get("objects", [])]
check(ver() == [mods[2]], "object endpoint: last by default")
check(ver(version="first") == [mods[0]], "match[version]=first")
check(ver(version="all") == mods, "match[version]=all")
check(ver(version="first,last") == [mods[0], mods[2]], "match[version]=first,last")
check(ver(version=mods[1]) == [mods[1]], "match[version]=<timestamp>")
check(ver(version="%s,last" % mods[0]) == [mods[0], mods[2]], "match[version]=<timestamp>,last")
env = coll.get_objects(id=vid, version="all")
check([o["modified"] for o in env["objects"]] == mods, "objects endpoint, all versions")
check([o["modified"] for o in coll.get_objects(id=vid)["objects"]] == [mods[2]], "objects: last by default")
vs = coll.object_versions(vid)
check(vs["versions"] == mods and vs["more"] is False, "versions endpoint: %r" % vs)
vs1 = coll.object_versions(vid, limit=1)
check(vs1["versions"] == [mods[0]] and vs1["more"] and vs1.get("next"), "versions endpoint pages")
check(coll.object_versions(vid, next=vs1["next"], limit=1)["versions"] == [mods[1]], "versions next")

# Manifest.
man = coll.get_manifest(limit=setup["max_page"])
rec = man["objects"][0]
check(set(rec) == {"id", "date_added", "version", "media_type"}, "manifest record: %r" % rec)
check(rec["media_type"] == "application/stix+json;version=2.1", "manifest media type")
mv = coll.get_manifest(id=vid, version="all")["objects"]
check([m["version"] for m in mv] == mods, "manifest with match[id] and match[version]=all")
mpages = sum(len(e.get("objects", [])) for e in as_pages(coll.get_manifest, per_request=setup["max_page"]))
check(mpages == setup["shared_count"] + 1, "manifest pages through everything (%d)" % mpages)

# --- POST with failures, status resource ----------------------------------
bad_pattern = version("2024-04-01T00:00:00.000Z", "bad")
bad_pattern["id"] = "indicator--%s" % uuid.uuid4()
del bad_pattern["pattern_type"]
no_id = {"type": "malware", "spec_version": "2.1", "name": "x", "is_family": False,
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"}
good = version("2024-05-01T00:00:00.000Z", "good")
good["id"] = "indicator--%s" % uuid.uuid4()
st = coll.add_objects({"objects": [good, bad_pattern, no_id, "not an object"]})
check(st.status == "complete", "status complete")
check((st.total_count, st.success_count, st.failure_count, st.pending_count) == (4, 1, 3, 0),
      "counts: %r" % ((st.total_count, st.success_count, st.failure_count, st.pending_count),))
check(st.successes[0]["id"] == good["id"] and st.successes[0]["version"] == good["modified"], "success detail")
fail = {f["id"]: f for f in st.failures}
check(bad_pattern["id"] in fail and "pattern_type" in fail[bad_pattern["id"]]["message"],
      "failure reason: %r" % st.failures)
check(all(f.get("message") for f in st.failures), "every failure says why")
again = Status(root.url + "status/%s/" % st.id, user=alice[0], password=alice[1])
check(again.status == "complete" and again.failure_count == 3, "GET status")
# Only the poster sees a status.
http_error(lambda: Status(root.url + "status/%s/" % st.id, user=bob[0], password=bob[1]), 404)
check(coll.get_object(good["id"])["objects"][0]["name"] == "good", "the good object is served")
http_error(lambda: coll.get_object(bad_pattern["id"]), 404)

# A STIX pattern that does not parse is refused, with where and why.
unclosed = version("2024-04-15T00:00:00.000Z", "unclosed")
unclosed["id"] = "indicator--%s" % uuid.uuid4()
unclosed["pattern"] = "[ipv4-addr:value = '1.2.3.4'"
st = coll.add_objects({"objects": [unclosed]})
check((st.success_count, st.failure_count) == (0, 1), "an unparsable pattern fails: %r" % st.failures)
reason = st.failures[0]["message"]
check("pattern-syntax" in reason and "line 1, column 29" in reason and "$.pattern" in reason,
      "the failure gives the rule and the position: %r" % reason)
http_error(lambda: coll.get_object(unclosed["id"]), 404)
# Another language's pattern is text: stored as it is.
sigma = version("2024-04-16T00:00:00.000Z", "sigma rule")
sigma.update(id="indicator--%s" % uuid.uuid4(), pattern_type="sigma",
             pattern="title: x\ndetection:\n  sel: {a: b}\n  condition: sel")
st = coll.add_objects({"objects": [sigma]})
check(st.success_count == 1, "a sigma pattern is stored: %r" % st.failures)

# A STIX bundle posted as taxii2-client's README does it (add_objects with a
# bundle, here the stix2 library's): read as an envelope, same status.
import stix2
readme = stix2.Indicator(name="posted in a bundle", pattern_type="stix",
                         pattern="[domain-name:value = 'bundle.example']",
                         valid_from="2024-01-01T00:00:00Z")
# (stix2 refuses to build an invalid pattern: it is added to the JSON.)
bundle = json.loads(stix2.Bundle(objects=[readme]).serialize())
bundle["objects"].append(dict(unclosed, id="indicator--%s" % uuid.uuid4()))
st = coll.add_objects(json.dumps(bundle))
check(st.status == "complete" and (st.total_count, st.success_count, st.failure_count) == (2, 1, 1),
      "bundle POST status: %r" % ((st.status, st.total_count, st.success_count, st.failure_count),))
check(st.successes[0]["id"] == readme.id, "the bundle's indicator is the success")
check("pattern-syntax" in st.failures[0]["message"], "the bundle's bad pattern is the failure")
served = coll.get_object(readme.id)["objects"][0]
check(served["name"] == "posted in a bundle" and served["pattern"] == readme.pattern,
      "the bundle's indicator is served: %r" % served)
st = coll.add_objects({"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": [
    dict(version("2024-04-17T00:00:00.000Z", "dict bundle"), id="indicator--%s" % uuid.uuid4())]})
check(st.success_count == 1, "a bundle given as a dict is stored too")
# Unknown top-level fields are still refused, in a bundle as in an envelope.
r = requests.post(shared.url + "objects/", auth=alice, headers={"Accept": TAXII, "Content-Type": TAXII},
                  data=json.dumps({"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": [],
                                   "x_extra": 1}))
check(r.status_code == 400 and "x_extra" in r.text, "unknown field refused: %d %s" % (r.status_code, r.text))

# A large envelope is stored in the background: first "pending", then complete.
many = [dict(version("2024-06-01T00:00:00.000Z", "bulk %d" % i), id="indicator--%s" % uuid.uuid4())
        for i in range(setup["background_post_over"] + 20)]
first = coll.add_objects({"objects": many}, wait_for_completion=False)
check(first.status == "pending" and first.pending_count == len(many) and len(first.pendings) == len(many),
      "large POST answered pending: %s %d" % (first.status, first.pending_count))
first.wait_until_final(poll_interval=0.2, timeout=60)
check(first.status == "complete" and first.success_count == len(many), "pending became complete")
check(len(coll.get_objects(id=[m["id"] for m in many[:50]])["objects"]) == 50, "bulk objects served")

# --- DELETE (local to the collection) -------------------------------------
coll.delete_object(vid, version="first")
check(ver(version="all") == mods[1:], "DELETE match[version]=first")
coll.delete_object(vid)
http_error(lambda: coll.get_object(vid), 404)
http_error(lambda: coll.delete_object(vid), 404)
bob_coll = Collection(shared.url, user=bob[0], password=bob[1])
check(bob_coll.can_read and not bob_coll.can_write, "bob reads only")
r = requests.delete(shared.url + "objects/%s/" % good["id"], auth=bob, headers={"Accept": TAXII})
check(r.status_code == 403 and r.json()["http_status"] == "403", "bob cannot delete")
r = requests.post(shared.url + "objects/", auth=bob, data=b'{"objects":[]}',
                  headers={"Accept": TAXII, "Content-Type": TAXII})
check(r.status_code == 403, "bob cannot post")

# --- errors ---------------------------------------------------------------
def raw(method, path, status, **kw):
    h = {"Accept": TAXII}
    h.update(kw.pop("headers", {}))
    r = requests.request(method, path, auth=kw.pop("auth", alice), headers=h, **kw)
    check(r.status_code == status, "%s %s: expected %d, got %d %s" % (method, path, status, r.status_code, r.text[:200]))
    check(r.headers.get("Content-Type") == TAXII, "error media type")
    body = r.json()
    check(body["http_status"] == str(status) and body["title"], "error resource: %r" % body)
    return body

raw("GET", url, 406, headers={"Accept": "application/json"})
raw("GET", url, 406, headers={"Accept": "application/taxii+json;version=2.0"})
raw("POST", url, 415, data=b'{"objects":[]}', headers={"Content-Type": "application/json"})
raw("POST", url, 400, data=b'{"objects":[', headers={"Content-Type": TAXII})
raw("POST", url, 400, data=b'[]', headers={"Content-Type": TAXII})
raw("POST", url, 413, data=b" " * (setup["max_body_bytes"] + 1), headers={"Content-Type": TAXII})
for bad in ["limit=0", "limit=x", "added_after=yesterday", "match[version]=newest",
            "match[id]=nope", "match[type]=X", "match[spec_version]=two", "next=zz"]:
    raw("GET", url + "?" + bad, 400)
raw("GET", root.url + "collections/%s/objects/" % uuid.uuid4(), 404)
raw("GET", root.url + "nowhere/", 404)
raw("PUT", url, 405, data=b"{}")
raw("GET", url, 401, auth=("alice", "wrong"))
raw("GET", url, 401, auth=("nobody", "x"))
raw("GET", root.url + "status/%s/" % uuid.uuid4(), 404)
try:
    Collection(shared.url, user=alice[0], password=alice[1]).get_objects(accept="application/stix+json;version=2.1")
    raise AssertionError("a STIX Accept must be refused")
except requests.exceptions.HTTPError as e:
    check(e.response.status_code == 406, "406 for application/stix+json")
except TAXIIServiceException:
    raise AssertionError("expected a 406")

# --- everything served passes stix2-validator -----------------------------
served = seen + coll.get_objects(id=[m["id"] for m in many[:20]])["objects"]
bundle = {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": served}
res = stix2validator.validate_instance(bundle, stix2validator.ValidationOptions(strict=False))
if not res.is_valid:
    stix2validator.print_results([res])
check(res.is_valid, "stix2-validator accepts everything served")

print("%d checks passed" % checks)
