"""Batch oracle for crates/stix/tests/validator_oracle.rs.

Usage:
  verdicts.py examples-dir           print the directory of the STIX 2.1
                                     examples shipped with stix2-validator
  verdicts.py check IN.json OUT.json validate every object of the JSON list
                                     IN.json with stix2-validator (default
                                     options) and write a JSON list of
                                     {"valid": bool, "errors": [str]} to OUT.json

Exit status 3 when stix2validator cannot be imported, so that the Rust test
can fail with a clear message instead of a Python traceback.
"""

import json
import os
import sys

try:
    import stix2validator
    from stix2validator import validate_parsed_json, ValidationOptions
except ImportError as e:  # reported by the Rust test
    sys.stderr.write("stix2validator is not importable: %s\n" % e)
    sys.exit(3)


def verdict(obj):
    try:
        result = validate_parsed_json(obj, ValidationOptions())
    except Exception as e:  # the validator crashes on some malformed input
        return {"valid": False, "errors": ["validator raised %s: %s" % (type(e).__name__, e)]}
    return {"valid": bool(result.is_valid), "errors": [str(x) for x in result.errors]}


def main(argv):
    if len(argv) == 2 and argv[1] == "examples-dir":
        base = os.path.dirname(os.path.abspath(stix2validator.__file__))
        print(os.path.join(base, "schemas-2.1", "examples"))
        return 0
    if len(argv) == 4 and argv[1] == "check":
        with open(argv[2], encoding="utf-8") as f:
            objects = json.load(f)
        # The validator logs through stdout; keep our output in a file.
        out = [verdict(o) for o in objects]
        with open(argv[3], "w", encoding="utf-8") as f:
            json.dump(out, f)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
