#!/usr/bin/env python3
"""Runs stix2-matcher's own test suite (the one its wheel installs) and
writes every case's outcome as JSON: {"v21": {case: {"outcome":
"passed"|"failed", "concord": calls}}, "v20": {...}}, where `calls` is how
many times the case asked concord (always 0 without --shim; also 0 for the
cases that test the reference's private helpers).

Usage: run_suite.py OUT.json            the installed stix2-matcher
       run_suite.py --shim OUT.json     the same cases, with `match`
                                        answered by concord (CONCORD_BIN)

The suite is copied out of site-packages first: run in place, its package
would import the installed stix2matcher rather than the shim.
"""
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def concord_calls():
    """How many times the shim has run concord so far."""
    shim = sys.modules.get("stix2matcher.matcher")
    return getattr(shim, "CONCORD_CALLS", 0)


class Outcomes:
    """A pytest plugin that keeps each case's outcome and concord calls."""

    def __init__(self):
        self.cases = {}
        self.calls_before = 0

    def pytest_runtest_setup(self, item):
        self.calls_before = concord_calls()

    def pytest_runtest_logreport(self, report):
        case = self.cases.setdefault(report.nodeid, {"outcome": "passed", "concord": 0})
        if report.outcome != "passed":
            case["outcome"] = "failed"
        if report.when == "call":
            case["concord"] = concord_calls() - self.calls_before


def main():
    args = sys.argv[1:]
    shim = "--shim" in args
    args = [a for a in args if a != "--shim"]
    if len(args) != 1:
        sys.exit(__doc__)
    out = args[0]
    suite = str(importlib.metadata.distribution("stix2-matcher").locate_file("stix2matcher/test"))
    if shim:
        if not os.environ.get("CONCORD_BIN"):
            sys.exit("--shim needs CONCORD_BIN, the concord binary")
        sys.path.insert(0, os.path.join(HERE, "shim"))
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "stix2matcher_suite")
        shutil.copytree(suite, copy, ignore=shutil.ignore_patterns("__pycache__"))
        for version in ("v21", "v20"):
            outcomes = Outcomes()
            code = pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", tmp,
                                os.path.join(copy, version)], plugins=[outcomes])
            if code not in (0, 1):
                sys.exit("pytest could not run the %s suite (exit %d)" % (version, code))
            result[version] = {}
            for nodeid, outcome in outcomes.cases.items():
                path, _, case = nodeid.partition("::")
                result[version][os.path.basename(path) + "::" + case] = outcome
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
