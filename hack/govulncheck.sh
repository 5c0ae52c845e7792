#!/usr/bin/env bash
# hack/govulncheck.sh [govulncheck args...]  -> scans ./... for known vulnerabilities, offline.
#
# The default vulnerability DB (vuln.go.dev) is not reachable here, so the DB is built locally
# from the golang.org/x/vulndb module, pinned below, which the Go module proxy serves
# (docs: /work/shared/toolchain.md §7). govulncheck and the DB are built once per machine into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/esignet-operator/tools/govulncheck/<version>/govulncheck
#   ${XDG_CACHE_HOME:-$HOME/.cache}/esignet-operator/tools/govulncheck/vulndb/<vulndb version>/
# The DB is only as fresh as VULNDB_VERSION: bump it to pick up newer advisories.
#
# Policy:
#   - any finding in a module dependency FAILS (exit 1): upgrade the dependency (go get mod@fixed).
#   - findings only in the standard library are printed as a WARNING with their ids and do NOT
#     fail: the fix is a newer Go toolchain (e.g. go1.26.10), which GOTOOLCHAIN=local cannot
#     install here. Set GOVULNCHECK_STRICT_STDLIB=1 to fail on those too.
#   - "finding" means a vulnerable symbol reachable from our code (govulncheck's default scan level).
set -euo pipefail
GOVULNCHECK_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
CACHE=${ESIGNET_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/esignet-operator}
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
say() { echo "govulncheck: $*" >&2; }

tooldir=$CACHE/tools/govulncheck/$GOVULNCHECK_VERSION
bin=$tooldir/govulncheck
if [ ! -x "$bin" ]; then
  say "building govulncheck $GOVULNCHECK_VERSION from the Go module proxy (once per machine)"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/esignet-tools.XXXXXX")
  (export GOBIN=$tmp; cd "$tmp" && go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION") >&2
  mkdir -p "$tooldir"
  mv "$tmp/govulncheck" "$bin.partial" && mv "$bin.partial" "$bin"
  rm -rf "$tmp"
fi

db=$CACHE/tools/govulncheck/vulndb/$VULNDB_VERSION
if [ ! -f "$db/index/modules.json" ]; then
  say "building the vulnerability DB from golang.org/x/vulndb@$VULNDB_VERSION (once per machine; ~1 min)"
  start=$SECONDS
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/esignet-vulndb.XXXXXX")
  # The module zip is ~25 MB; go mod download verifies it against go.sum-db like any module.
  src=$(cd "$tmp" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -d "$src/data/osv" ] || { say "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv"; exit 1; }
  (cd "$tmp" && go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp/db") >&2
  mkdir -p "$(dirname "$db")"
  rm -rf "$db.partial" && mv "$tmp/db" "$db.partial" && mv "$db.partial" "$db"
  rm -rf "$tmp"
  say "DB ready in $((SECONDS - start)) s ($(find "$db/ID" -name '*.json' | wc -l) advisories)"
fi

cd "$root"
say "$("$bin" -version 2>/dev/null | sed -n 's/^Scanner: //p' | head -1) with DB golang.org/x/vulndb@$VULNDB_VERSION, $(go env GOVERSION)"
out=$(mktemp "${TMPDIR:-/tmp}/esignet-govulncheck.XXXXXX")
trap 'rm -f "$out"' EXIT
rc=0
"$bin" -db "file://$db" -format json "$@" ./... >"$out" || rc=$?
if [ "$rc" -ne 0 ]; then
  say "govulncheck itself failed (exit $rc)"; cat "$out" >&2; exit "$rc"
fi

# Classify the reachable findings (a trace whose frame 0 has a function) by module.
# The standard library is module "stdlib" (and "toolchain" for cmd/go findings).
rc=0
python3 - "$out" <<'PY' || rc=$?
import json, sys
raw = open(sys.argv[1]).read()
dec, i, objs = json.JSONDecoder(), 0, []
while i < len(raw):
    while i < len(raw) and raw[i].isspace(): i += 1
    if i >= len(raw): break
    o, i = dec.raw_decode(raw, i); objs.append(o)
osv = {o["osv"]["id"]: o["osv"] for o in objs if "osv" in o}
found = {}
for o in objs:
    f = o.get("finding")
    if not f or not f.get("trace") or not f["trace"][0].get("function"): continue
    fr = f["trace"][0]
    found.setdefault((fr["module"], f["osv"]), (fr.get("version", ""), f.get("fixed_version", ""),
        fr.get("package", ""), set()))[3].add(fr["function"])
std = {k: v for k, v in found.items() if k[0] in ("stdlib", "toolchain")}
mod = {k: v for k, v in found.items() if k not in std}
def show(kind, items):
    for (m, id_), (ver, fixed, pkg, fns) in sorted(items.items()):
        summ = osv.get(id_, {}).get("summary", "")
        print(f"  {kind} {id_} {m}@{ver} -> fixed in {fixed or '(no fix)'}: {pkg} ({', '.join(sorted(fns))}) {summ}")
if mod:
    print(f"govulncheck: FAIL: {len(mod)} reachable vulnerabilit{'y' if len(mod)==1 else 'ies'} in module dependencies; upgrade them (go get <module>@<fixed>):")
    show("ERROR", mod)
if std:
    print(f"govulncheck: WARNING: {len(std)} reachable vulnerabilit{'y' if len(std)==1 else 'ies'} in the Go standard library; fixed by a newer Go toolchain,")
    print("  not installable with GOTOOLCHAIN=local here, so this does not fail the check (policy in hack/govulncheck.sh):")
    show("WARN ", std)
if not found:
    print("govulncheck: no reachable vulnerabilities")
elif not mod:
    print("govulncheck: OK: no reachable vulnerabilities in module dependencies")
import os
if std and not mod and os.environ.get("GOVULNCHECK_STRICT_STDLIB") == "1":
    print("govulncheck: FAIL: GOVULNCHECK_STRICT_STDLIB=1 fails on standard-library findings too")
    sys.exit(1)
sys.exit(1 if mod else 0)
PY
exit "$rc"
