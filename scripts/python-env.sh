#!/usr/bin/env bash
# Creates (once) the project's Python venv with the third-party tools that the
# tests use as oracles and real peers, and prints its interpreter's path.
# They are test tools only: concord never needs Python at run time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${CONCORD_VENV:-$root/.venv}
want="medallion==3.0.0 taxii2-client==2.3.0 stix2==3.0.2 stix2-matcher==3.0.0 stix2-patterns==2.1.2 stix2-validator==3.3.2 pymisp==2.5.34.4 misp-stix==2026.10.12 suricataparser==1.0.0 idstools==0.6.5 pytest==9.2.0 prometheus-client==0.26.0 openapi-spec-validator==0.9.0"
stamp="$venv/.concord-requirements"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setting up the Python test tools in $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
