#!/usr/bin/env bash
# Installs (once) the Debian tools the tests use as oracles and real
# peers: named-checkzone (bind9-utils) and unbound judge the RPZ exports,
# nats-server (with -js) carries the events of `concord match --nats`,
# /usr/bin/time measures the benchmarks. Quick when they are there.
set -euo pipefail
missing=()
command -v named-checkzone >/dev/null 2>&1 || [ -x /usr/sbin/named-checkzone ] || missing+=(bind9-utils)
command -v unbound >/dev/null 2>&1 || [ -x /usr/sbin/unbound ] || missing+=(unbound)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
