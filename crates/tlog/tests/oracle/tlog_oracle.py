#!/usr/bin/env python3
"""An independent checker of a concord log, written from the standards
alone and using only Python's standard library:

- Ed25519 verification from RFC 8032 (sections 5.1.3, 5.1.7; the shape of
  the section 6 reference code),
- the RFC 6962 Merkle tree (section 2.1) and the RFC 9162 proof
  verification algorithms (sections 2.1.3.2 and 2.1.4.2),
- C2SP signed-note, tlog-checkpoint, tlog-cosignature and tlog-tiles,
- concord's split-view evidence rule (crates/tlog/src/evidence.rs).

Usage: tlog_oracle.py <dir>; <dir> holds what a node publishes (checkpoint,
tile/...) and a cases.json. Prints one JSON object of verdicts.
"""
import base64
import hashlib
import json
import os
import sys

# --- RFC 8032 Ed25519 verification ------------------------------------------

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493


def inv(x):
    return pow(x, P - 2, P)


D = -121665 * inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % P
    B = (a[1] + a[0]) * (b[1] + b[0]) % P
    C = 2 * a[3] * b[3] * D % P
    Dd = 2 * a[2] * b[2] % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def mul(s, pt):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = add(acc, pt)
        pt = add(pt, pt)
        s >>= 1
    return acc


def equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * inv(D * y * y + 1) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


GY = 4 * inv(5) % P
GX = recover_x(GY, 0)
G = (GX, GY, 1, GX * GY % P)


def ed25519_verify(public, msg, sig):
    if len(public) != 32 or len(sig) != 64:
        return False
    a = decompress(public)
    r = decompress(sig[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(sig[:32] + public + msg).digest(), "little") % Q
    return equal(mul(s, G), add(r, mul(h, a)))


# --- C2SP signed notes ---------------------------------------------------------


def b64(s):
    raw = base64.b64decode(s, validate=True)
    if base64.b64encode(raw).decode() != s:
        raise ValueError("non-canonical base64")
    return raw


def parse_vkey(vkey):
    name, rest = vkey.split("+", 1)
    hexid, key64 = rest.split("+", 1)
    raw = b64(key64)
    kind, key = raw[0], raw[1:]
    kid = hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + key).digest()[:4]
    if kid.hex() != hexid or len(key) != 32:
        raise ValueError("bad vkey " + vkey)
    return {"name": name, "id": kid, "type": kind, "key": key}


def open_note(msg, keys):
    """Returns (text, verified) where verified lists (name, type, time)."""
    s = msg.decode("utf-8")
    if any(ord(c) < 0x20 and c != "\n" for c in s):
        raise ValueError("control character")
    split = s.rindex("\n\n")
    text, sigs = s[: split + 1], s[split + 2 :]
    if not sigs.endswith("\n"):
        raise ValueError("no final newline")
    verified = []
    for line in sigs[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise ValueError("not a signature line")
        name, sig64 = line[2:].split(" ", 1)
        raw = b64(sig64)
        kid, sig = raw[:4], raw[4:]
        for k in keys:
            if k["name"] != name or k["id"] != kid:
                continue
            if k["type"] == 0x01:
                ok = ed25519_verify(k["key"], text.encode(), sig)
                time = None
            elif k["type"] == 0x04:
                time = int.from_bytes(sig[:8], "big")
                signed = ("cosignature/v1\ntime %d\n" % time + text).encode()
                ok = len(sig) == 72 and time < 2**63 and ed25519_verify(k["key"], signed, sig[8:])
            else:
                ok = False
            if not ok:
                raise ValueError("bad signature by " + name)
            verified.append((name, k["type"], time))
    if not verified:
        raise ValueError("no known signature")
    return text, verified


def parse_checkpoint(text):
    lines = text[:-1].split("\n")
    size = lines[1]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise ValueError("bad size")
    return lines[0], int(size), b64(lines[2])


# --- RFC 6962 / RFC 9162 -----------------------------------------------------------


def leaf(d):
    return hashlib.sha256(b"\x00" + d).digest()


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def mth(hashes):
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node(mth(hashes[:k]), mth(hashes[k:]))


def verify_inclusion(index, size, leaf_hash, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not (fn & 1) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def roots_from_path(first, second, path):
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while not (fn & 1) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return (fr, sr) if sn == 0 else None


def verify_consistency(first, second, first_hash, second_hash, proof):
    if first > second or first == 0:
        return first == second == 0 and not proof and first_hash == second_hash
    if first == second:
        return not proof and first_hash == second_hash
    if not proof:
        return False
    path = ([first_hash] if first & (first - 1) == 0 else []) + proof
    roots = roots_from_path(first, second, path)
    return roots is not None and roots == (first_hash, second_hash)


# --- tlog-tiles --------------------------------------------------------------------


def tile_path(level, n, width):
    s = "%d" % n
    s = "0" * ((3 - len(s) % 3) % 3) + s
    groups = [s[i : i + 3] for i in range(0, len(s), 3)]
    elems = ["x" + g for g in groups[:-1]] + [groups[-1]]
    path = "tile/%s/%s" % (level, "/".join(elems))
    return path + (".p/%d" % width if width < 256 else "")


def read(base, path):
    with open(os.path.join(base, path), "rb") as f:
        return f.read()


def check_tiles(base, size, root):
    leaves = []
    entries_ok = True
    for n in range((size + 255) // 256):
        width = min(256, size - n * 256)
        tile = read(base, tile_path(0, n, width))
        if len(tile) != 32 * width:
            return False, False
        leaves += [tile[i : i + 32] for i in range(0, len(tile), 32)]
        bundle = read(base, tile_path("entries", n, width))
        at = 0
        for i in range(width):
            ln = int.from_bytes(bundle[at : at + 2], "big")
            if leaf(bundle[at + 2 : at + 2 + ln]) != leaves[n * 256 + i]:
                entries_ok = False
            at += 2 + ln
        entries_ok = entries_ok and at == len(bundle)
    level = 1
    while size >> (8 * level):
        count, span = size >> (8 * level), 256**level
        for n in range((count + 255) // 256):
            width = min(256, count - n * 256)
            tile = read(base, tile_path(level, n, width))
            for i in range(width):
                lo, hi = (n * 256 + i) * span, (n * 256 + i + 1) * span
                if tile[32 * i : 32 * i + 32] != mth(leaves[lo:hi]):
                    return False, entries_ok
        level += 1
    return mth(leaves) == root, entries_ok


# --- concord evidence --------------------------------------------------------------


def check_evidence(doc, log_key):
    e = json.loads(doc)
    if e.get("type") != "concord-split-view" or e.get("version") != 1:
        return False
    views = []
    for note in e["checkpoints"]:
        text = note[: note.rindex("\n\n") + 1]
        origin, size, root = parse_checkpoint(text)
        key = {"name": origin, "type": 1, "key": log_key}
        key["id"] = hashlib.sha256(origin.encode() + b"\n\x01" + log_key).digest()[:4]
        try:
            open_note(note.encode(), [key])
        except ValueError:
            return False
        views.append((origin, size, root))
    (o1, m, r1), (o2, n, r2) = views
    if o1 != o2:
        return False
    path = [b64(h) for h in e["consistency_path"]]
    if m == n:
        return r1 != r2 and not path
    if not 0 < m < n or not path:
        return False
    roots = roots_from_path(m, n, path)
    return roots is not None and roots[1] == r2 and roots[0] != r1


def main():
    base = sys.argv[1]
    cases = json.loads(read(base, "cases.json"))
    keys = [parse_vkey(v) for v in cases["vkeys"]]
    out = {}
    text, verified = open_note(read(base, "checkpoint"), keys)
    out["signatures"] = [[n, t, tm] for (n, t, tm) in verified]
    origin, size, root = parse_checkpoint(text)
    out["checkpoint"] = [origin, size, base64.b64encode(root).decode()]
    out["tiles_root_ok"], out["entries_ok"] = check_tiles(base, size, root)
    out["inclusion"] = [
        verify_inclusion(c["index"], c["size"], leaf(b64(c["entry"])), [b64(h) for h in c["proof"]], b64(c["root"]))
        for c in cases["inclusion"]
    ]
    out["consistency"] = [
        verify_consistency(c["old"], c["new"], b64(c["old_root"]), b64(c["new_root"]), [b64(h) for h in c["proof"]])
        for c in cases["consistency"]
    ]
    log_key = [k for k in keys if k["type"] == 1][0]["key"]
    out["evidence"] = [check_evidence(doc, log_key) for doc in cases["evidence"]]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
