"""A plain Python writer of the RPZ zone that concord's exporter writes:
the peer figure for bench/exports.sh.

It reads the same bundle.json, keeps the active indicators (not revoked,
valid_from <= now < valid_until), reads their patterns (one comparison or
an OR of equalities on one observable type; anything else is skipped),
checks domain names, turns addresses into rpz-ip owners, and writes the
same zone: header, one record per unique owner in byte order with the STIX
ids that list it. Standard library only.

Usage: python3 rpz_writer.py --bundle bundle.json --out zone.rpz [--url-hosts] [--now RFC3339]
Prints one JSON object with the figures.
"""
import argparse
import ipaddress
import json
import re
import resource
import time
from datetime import datetime
from urllib.parse import urlsplit

COMPARISON = re.compile(
    r"([a-z0-9-]+):value\s+(=|ISSUBSET)\s+'((?:[^'\\]|\\.)*)'"
)
LABEL = re.compile(r"^[a-z0-9_-]{1,63}$")
SPECIAL = {"rpz-ip", "rpz-nsip", "rpz-nsdname", "rpz-client-ip"}
ORIGIN = "rpz.concord."


def when(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def values(pattern):
    """(object type, value) pairs, or None when the pattern is not an OR of
    equalities on one observable type."""
    if any(w in pattern for w in (" AND ", "FOLLOWEDBY", "WITHIN", "REPEATS", "START ", " NOT ")):
        return None
    found = COMPARISON.findall(pattern)
    stripped = COMPARISON.sub("", pattern)
    if not found or re.sub(r"[\[\]() ]|OR", "", stripped):
        return None
    types = {t for t, _, _ in found}
    if len(types) != 1:
        return None
    out = []
    for t, op, v in found:
        v = re.sub(r"\\(.)", r"\1", v)
        if op == "ISSUBSET" and t not in ("ipv4-addr", "ipv6-addr"):
            return None
        out.append((t, v))
    return out


def domain(v):
    v = v[:-1] if v.endswith(".") else v
    v = v.encode("idna").decode("ascii").lower() if not v.isascii() else v.lower()
    if not v or len(v) + 2 > 255 or not all(LABEL.match(l) for l in v.split(".")):
        return None
    try:
        ipaddress.IPv4Address(v)
        return None
    except ValueError:
        return v


def ip_owner(net):
    if net.version == 4:
        return "%d.%s.rpz-ip" % (net.prefixlen, ".".join(reversed(str(net.network_address).split("."))))
    words = [int(w, 16) for w in net.network_address.exploded.split(":")]
    best, best_len, run, run_len = None, 0, 0, 0
    for i, w in enumerate(words):
        if w == 0:
            if run_len == 0:
                run = i
            run_len += 1
            if run_len > best_len:
                best, best_len = run, run_len
        else:
            run_len = 0
    labels, i = [], 0
    while i < 8:
        if best_len >= 2 and i == best:
            labels.append("zz")
            i += best_len
        else:
            labels.append("%x" % words[i])
            i += 1
    return "%d.%s.rpz-ip" % (net.prefixlen, ".".join(reversed(labels)))


def owners(t, v, url_hosts):
    if t in ("ipv4-addr", "ipv6-addr"):
        try:
            net = ipaddress.ip_network(v, strict=False)
        except ValueError:
            return []
        if (net.version == 4) != (t == "ipv4-addr") or ("/" in v and net.prefixlen == 0):
            return []
        return [ip_owner(net)]
    if t == "domain-name":
        name = domain(v)
    elif t == "url" and url_hosts:
        host = urlsplit(v).hostname
        name = domain(host) if host else None
    else:
        return []
    if not name or name.rsplit(".", 1)[-1] in SPECIAL or len(name) + 1 + len(ORIGIN) + 1 > 255:
        return []
    return [name]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--url-hosts", action="store_true")
    ap.add_argument("--now", default="2026-12-01T00:00:00Z")
    a = ap.parse_args()
    now = when(a.now)

    start = time.perf_counter()
    with open(a.bundle, encoding="utf-8") as f:
        objects = [o for o in json.load(f)["objects"] if o.get("type") == "indicator"]
    load = time.perf_counter() - start
    loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = time.perf_counter()
    triggers = {}
    for o in objects:
        if o.get("revoked") is True:
            continue
        if "valid_from" in o and when(o["valid_from"]) > now:
            continue
        if "valid_until" in o and when(o["valid_until"]) <= now:
            continue
        if o.get("pattern_type", "stix") != "stix" or "pattern" not in o:
            continue
        vs = values(o["pattern"])
        if vs is None:
            continue
        for t, v in vs:
            for owner in owners(t, v, a.url_hosts):
                triggers.setdefault(owner, set()).add(o["id"])
    with open(a.out, "w", encoding="utf-8", newline="\n") as out:
        out.write("$ORIGIN %s\n$TTL 300\n" % ORIGIN)
        out.write("@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 300\n")
        out.write("@ NS localhost.\n")
        out.write("; concord RPZ export: one trigger per line, with the STIX ids that list it\n")
        for owner in sorted(triggers):
            out.write("%s CNAME . ; %s\n" % (owner, " ".join(sorted(triggers[owner]))))
    seconds = time.perf_counter() - start
    print(json.dumps({
        "what": "python rpz writer",
        "indicators": len(objects),
        "records": len(triggers),
        "load_seconds": load,
        "export_seconds": seconds,
        "indicators_per_second": len(objects) / seconds,
        "peak_rss_after_load_mib": loaded_rss,
        "peak_rss_after_export_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
