#!/usr/bin/env bash
# Installs what the tests drive as real third-party consumers, when missing:
#   python3-jose  - the JOSE library OpenG2P's apps sign client assertions with (used via /usr/bin/python3)
#   python3-venv  - venv/ensurepip for /usr/bin/python3, to build the OpenG2P packages' venv below
#   postgresql    - the database the rendered SQL upserts are applied to
# then OpenG2P's own FastAPI packages from PyPI, pinned with hashes, into a venv outside the clone
# (hack/openg2p-venv.sh; about 15 s the first time, nothing after).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
missing=()
/usr/bin/python3 -c 'import jose' 2>/dev/null || missing+=(python3-jose)
/usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies present"
else
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing ${missing[*]} from Debian (about 1 minute)"
  $SUDO apt-get update -qq
  # policy-rc.d stops the package from starting a PostgreSQL service; tests start their own on loopback.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d; trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "installed ${missing[*]}"
fi
venv=$("$here/openg2p-venv.sh")
echo "OpenG2P FastAPI packages: $venv"
