"""`stix2matcher.matcher` as stix2-matcher's tests import it, with `match`
answered by the `concord` binary (CONCORD_BIN).

`match` writes the observations to a file, runs `concord --json pattern
eval` and turns its answer into the reference's: the matching SDOs, an
empty list, `ParseException` for a pattern that does not parse, or
`MatcherException` for anything else concord refuses. The few private
helpers that the suite tests directly (`_overlap`, ...) are not matching
and come from the installed stix2-matcher itself.
"""
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import tempfile

from stix2patterns.pattern import ParseException

from stix2matcher import DEFAULT_VERSION


def _reference():
    dist = importlib.metadata.distribution("stix2-matcher")
    path = str(dist.locate_file("stix2matcher/matcher.py"))
    spec = importlib.util.spec_from_file_location("_stix2matcher_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ref = _reference()
_OVERLAP = _ref._OVERLAP
_OVERLAP_NONE = _ref._OVERLAP_NONE
_OVERLAP_TOUCH_INNER = _ref._OVERLAP_TOUCH_INNER
_OVERLAP_TOUCH_OUTER = _ref._OVERLAP_TOUCH_OUTER
_OVERLAP_TOUCH_POINT = _ref._OVERLAP_TOUCH_POINT
_overlap = _ref._overlap
_timestamp_intervals_within = _ref._timestamp_intervals_within


# How many times `match` ran concord (read by run_suite.py).
CONCORD_CALLS = 0


class MatcherException(Exception):
    """concord refused the input or failed to evaluate the pattern."""


def _observed_data(observed_data_sdos):
    """The observed-data objects of the input, in input order, each with
    the objects it names (the reference's unit of a 2.1 observation)."""
    items = observed_data_sdos if isinstance(observed_data_sdos, list) else [observed_data_sdos]
    pool = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "bundle" or ("type" not in item and isinstance(item.get("objects"), list)):
            pool.extend(o for o in item.get("objects") or [] if isinstance(o, dict))
        else:
            pool.append(item)
    by_id = {o.get("id"): o for o in pool if o.get("type") != "observed-data"}
    found = []
    for o in pool:
        if o.get("type") == "observed-data":
            refs = o.get("object_refs") or []
            found.append((o, [by_id[r] for r in refs if isinstance(r, str) and r in by_id]))
    return found


def match(pattern, observed_data_sdos, verbose=False, stix_version=DEFAULT_VERSION):
    """concord's first matching binding, as the reference returns it: for
    2.1, one bundle per observed-data (the observed-data, then the objects
    it names); for 2.0, the observed-data objects. An empty list when
    nothing matched."""
    global CONCORD_CALLS
    CONCORD_CALLS += 1
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(observed_data_sdos, f)
        path = f.name
    try:
        done = subprocess.run(
            [os.environ["CONCORD_BIN"], "--json", "pattern", "eval",
             "--stix-version", stix_version, "--", pattern, path],
            capture_output=True, text=True, timeout=120)
    finally:
        os.unlink(path)
    if done.returncode == 2:
        try:
            error = json.loads(done.stdout)["error"]
        except (ValueError, KeyError, TypeError):
            raise MatcherException(done.stderr.strip() or "concord exited 2")
        if error.get("kind") == "syntax":
            raise ParseException(error.get("message"))
        raise MatcherException(error.get("message"))
    if done.returncode not in (0, 1):
        raise RuntimeError("concord exited %d: %s" % (done.returncode, done.stderr))
    answer = json.loads(done.stdout)
    if not answer["matched"]:
        return []
    observed = _observed_data(observed_data_sdos) if stix_version == "2.1" else \
        [(o, []) for o in observed_data_sdos]
    result = []
    for i in answer["positions"]:
        sdo, named = observed[i]
        if stix_version == "2.1":
            result.append({"type": "bundle", "objects": [sdo] + named})
        else:
            result.append(sdo)
    return result
