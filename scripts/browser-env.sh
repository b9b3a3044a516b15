#!/usr/bin/env bash
# Installs (once) what the console's browser test needs: Debian's chromium
# and nodejs/npm, and the npm package playwright-core in
# crates/console/tests/browser/node_modules (gitignored). playwright-core
# never downloads a browser: the test points it at /usr/bin/chromium.
# Quick when everything is there already.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/crates/console/tests/browser"
want=$(sed -n 's/.*"playwright-core": *"\([^"]*\)".*/\1/p' "$dir/package.json")
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dir/node_modules/playwright-core/package.json" 2>/dev/null | head -1 || true)
if [ "$have" != "$want" ]; then
  echo "installing playwright-core $want in $dir" >&2
  (cd "$dir" && npm install --no-audit --no-fund --no-package-lock --silent >&2)
fi
