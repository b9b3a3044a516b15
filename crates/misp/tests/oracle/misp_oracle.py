"""Oracles for concord-misp's tests: misp-stix and PyMISP, run on files.

  misp_oracle.py check                 exit 0 when misp-stix and pymisp import
  misp_oracle.py misp-stix EVENT.json  misp-stix's STIX 2.1 bundle of the file
  misp_oracle.py pymisp EXPORT.json    each event of a concord export, loaded
                                       with PyMISP's MISPEvent().load and
                                       written back with to_json
"""
import json
import sys


def main() -> int:
    cmd = sys.argv[1]
    if cmd == "check":
        import misp_stix_converter  # noqa: F401
        import pymisp  # noqa: F401
        return 0
    if cmd == "misp-stix":
        from misp_stix_converter import MISPtoSTIX21Parser
        with open(sys.argv[2], encoding="utf-8") as f:
            content = json.load(f)
        parser = MISPtoSTIX21Parser()
        parser.parse_json_content(content)
        sys.stdout.write(parser.bundle.serialize())
        return 0
    if cmd == "pymisp":
        from pymisp import MISPEvent
        with open(sys.argv[2], encoding="utf-8") as f:
            events = json.load(f)
        out = []
        for doc in events:
            event = MISPEvent()
            event.load(doc)
            out.append(json.loads(event.to_json()))
        json.dump(out, sys.stdout)
        return 0
    sys.stderr.write(f"unknown command {cmd}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
