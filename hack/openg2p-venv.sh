#!/usr/bin/env bash
# hack/openg2p-venv.sh [--check] -> builds, when missing, the Python virtual environments holding
# OpenG2P's published FastAPI packages and prints their parent directory on stdout. Progress goes
# to stderr. Each test/consumers/openg2p-requirements-<name>.txt (every package pinned with its
# hash) becomes the venv <dir>/<name>; test/consumers (TestOpenG2PFastAPILogin) runs them.
#
# They live outside the clone, keyed by the requirements files' hash, so every clone on a machine
# shares them and an edited file gets new ones:
#   ${ESIGNET_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/esignet-operator}/venv-openg2p-<hash>
# <hash> is the first 16 hex digits of the SHA-256 of the files concatenated in name order (C
# locale), as test/consumers/fastapi_service.go computes it. The directory is marked complete
# (.complete) only after every venv's packages import; a run that finds it unmarked (an
# interrupted build) starts again. Idempotent and safe to run concurrently (flock).
#
# The interpreter is Debian's /usr/bin/python3 (CPython 3.11 on Debian 12), chosen explicitly: the
# shell's default python3 may be another one (pyenv). Its venv module comes with python3-venv,
# which hack/install-test-deps.sh installs. pip reaches PyPI as this machine configures it.
#
# --check only reports: prints the directory and exits 0 if it is complete, else exits 1.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
consumers=$(cd "$here/../test/consumers" && pwd)
probe=$consumers/openg2p_service.py
PYTHON=/usr/bin/python3
CACHE=${ESIGNET_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/esignet-operator}

say() { echo "openg2p-venv: $*" >&2; }

reqs=("$consumers"/openg2p-requirements-*.txt)
[ -f "${reqs[0]}" ] || { say "no $consumers/openg2p-requirements-*.txt"; exit 1; }
hash=$(cat "${reqs[@]}" | sha256sum | cut -c1-16)
dir=$CACHE/venv-openg2p-$hash
if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi
if [ "${1:-}" = --check ]; then say "$dir is not built; run hack/openg2p-venv.sh"; exit 1; fi

[ -x "$PYTHON" ] || { say "$PYTHON not found; run hack/install-test-deps.sh"; exit 1; }
have=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
for req in "${reqs[@]}"; do
  want=$(sed -n 's/^# python: \([0-9.]*\).*/\1/p' "$req")
  if [ "$have" != "$want" ]; then
    say "$PYTHON is Python $have but $req is locked for Python $want; regenerate it (see its header)"
    exit 1
  fi
done
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null ||
  { say "$PYTHON has no venv/ensurepip; run hack/install-test-deps.sh (python3-venv)"; exit 1; }

mkdir -p "$CACHE"
exec 9>"$dir.lock"
flock 9
if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi # built by a concurrent run

start=$SECONDS
say "building $dir from PyPI (cold: about 30 s; once per machine and requirements files)"
rm -rf "$dir"
mkdir -p "$dir"
for req in "${reqs[@]}"; do
  name=$(basename "$req" .txt); name=${name#openg2p-requirements-}
  "$PYTHON" -m venv "$dir/$name"
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$dir/$name/bin/python" -m pip install --quiet \
    --require-hashes --no-deps --only-binary=:all: -r "$req" >&2
  "$dir/$name/bin/python" -m pip check >&2
  # The packages must import before the venv counts as built.
  say "$name: $("$dir/$name/bin/python" -I "$probe" versions)"
done
touch "$dir/.complete"
say "ready in $((SECONDS - start)) s"
echo "$dir"
