#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME each (default 30s; CI runs them briefly,
# `make fuzz FUZZTIME=10m` for longer). Seed corpora are checked in under each package's
# testdata/fuzz/<Target>/ and always run as part of `go test`; this explores beyond them. New
# failing inputs are written to testdata/fuzz/ by go test: commit them with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
mapfile -t files < <(grep -rl --include='*_test.go' '^func Fuzz' . | sort)
total=0
for f in "${files[@]}"; do
  pkg="./$(dirname "${f#./}")"
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    echo "fuzz: $pkg $target for $fuzztime"
    go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" 2>&1 | grep -E '^(ok|FAIL|---|fuzz: elapsed.*, new interesting)' | tail -3
    total=$((total + 1))
  done
done
echo "fuzz: $total targets, $fuzztime each"
