"""Runs the reference matcher (stix2-matcher) over many (pattern, observations)
cases in one process, for concord-pattern's differential test.

Input (argv[1]): {"pool": [bundle or observed-data, ...],
                  "cases": [{"pattern": str, "version": "2.0"|"2.1", "inputs": [pool index, ...]}, ...]}
Output (argv[2]): [{"verdict": "match"|"nomatch"|"parse_error"|"error",
                    "ids": [observed-data ids of the first binding], "detail": str}, ...]
"""
import copy
import json
import sys

from stix2matcher.matcher import MatcherException, Pattern
from stix2patterns.exceptions import ParseException


def observed_data_id(sdo, version):
    if version == "2.1":
        # 2.1 observations are the matcher's per-observed-data bundles:
        # the observed-data object comes first.
        return sdo["objects"][0].get("id")
    return sdo.get("id")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    pool = data["pool"]
    compiled = {}
    out = []
    for case in data["cases"]:
        key = (case["pattern"], case["version"])
        try:
            if key not in compiled:
                try:
                    compiled[key] = Pattern(case["pattern"], case["version"])
                except ParseException as e:
                    compiled[key] = e
            p = compiled[key]
            if isinstance(p, ParseException):
                out.append({"verdict": "parse_error", "ids": [], "detail": str(p)})
                continue
            # The matcher merges (and mutates) its input: give it copies.
            inputs = [copy.deepcopy(pool[i]) for i in case["inputs"]]
            sdos = p.match(inputs)
            out.append({"verdict": "match" if sdos else "nomatch",
                        "ids": [observed_data_id(s, case["version"]) for s in sdos], "detail": ""})
        except MatcherException as e:
            out.append({"verdict": "error", "ids": [], "detail": "MatcherException: %s" % e})
        except Exception as e:  # noqa: BLE001 - every failure is a verdict here
            out.append({"verdict": "error", "ids": [], "detail": "%s: %s" % (type(e).__name__, e)})
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
