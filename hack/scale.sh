#!/usr/bin/env bash
# Scale check: N relying parties (default 200), each with five outputs, applied at once to a
# local control plane and reconciled to Ready by the real manager against the fake eSignet,
# then all touched again (the resync must cost no eSignet call). Prints relying parties per
# second, heap growth per relying party, eSignet calls per relying party and resync time.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
assets=$(hack/envtest-assets.sh)
KUBEBUILDER_ASSETS=$assets go test ./controllers -run '^$' -bench '^BenchmarkScale$' -benchtime "${n}x" -count=1 -timeout 30m
