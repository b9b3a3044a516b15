"""Parse every rule of a Suricata rules file with the two PyPI parsers,
suricataparser and idstools, and print one JSON line per rule with what
each parser read. A rule either parser cannot read is printed with an
"error" and makes the exit status 1.

Usage: python suricata_check.py RULES_FILE
"""
import json
import sys

import idstools.rule
import suricataparser


def main(path):
    failed = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            out = {"line": number}
            sp = suricataparser.parse_rule(line)
            ids = idstools.rule.parse(line)
            if sp is None or ids is None:
                out["error"] = "suricataparser: %s, idstools: %s" % (
                    "ok" if sp else "failed",
                    "ok" if ids else "failed",
                )
                failed = True
            else:
                out["suricataparser"] = {
                    "sid": sp.sid,
                    "rev": sp.rev,
                    "msg": sp.msg,
                    "action": sp.action,
                    "header": sp.header,
                    "options": [[o.name, o.value if isinstance(o.value, str) else None]
                                for o in sp.options],
                    "metadata": list(sp.metadata),
                }
                out["idstools"] = {
                    "sid": ids["sid"],
                    "rev": ids["rev"],
                    "msg": ids["msg"],
                    "proto": ids["proto"],
                    "direction": ids["direction"],
                    "dest_addr": ids["dest_addr"],
                    "dest_port": ids["dest_port"],
                    "metadata": ids["metadata"],
                    "options": [[o["name"], o["value"]] for o in ids["options"]],
                }
            print(json.dumps(out, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
