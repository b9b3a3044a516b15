"""A stand-in for stix2-matcher whose `match` is `concord pattern eval`.

Put this directory first on PYTHONPATH and run stix2-matcher's own test
suite: every case that calls `match` then asks concord for the verdict.
The installed package's other modules (`enums`, ...) stay reachable
behind this one's.
"""
import importlib.metadata

__path__.append(str(importlib.metadata.distribution("stix2-matcher").locate_file("stix2matcher")))

VARSION_2_0 = "2.0"
VARSION_2_1 = "2.1"
DEFAULT_VERSION = VARSION_2_0
