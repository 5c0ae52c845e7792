#!/usr/bin/env bash
# hack/bench.sh -> `make bench`: builds the manager, the fake eSignet and hack/bench into bin/,
# provides the control-plane binaries (hack/envtest-assets.sh) and runs the benchmark of
# issue 15 (method and figures: docs/performance.md). Not part of `make test`.
#
# Settings (environment; `make bench BENCH_N=...` passes them through):
#   BENCH_N          comma-separated relying-party counts            (default 100,1000)
#   BENCH_LARGE=1    also N=5000
#   BENCH_LATENCY    the fake eSignet's delay per client-management call (default 20ms)
#   BENCH_UNRELATED  unrelated Secrets (and as many ConfigMaps) for the memory comparison;
#                    0 skips it                                      (default 10000)
#   BENCH_OUT        also write the report to this file
#   BENCH_FLAGS      more flags for bin/bench (see bin/bench -h), e.g.
#                    "-profile-dir /tmp/prof -manager-flag=--kube-api-qps=50"
# Everything listens on loopback; each N gets a fresh control plane in a temp dir that is
# removed afterwards (kept on failure, or with BENCH_FLAGS=-keep).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh)
export KUBEBUILDER_ASSETS
echo "bench: go build -o bin/ ./cmd/manager ./cmd/fake-esignet ./hack/bench" >&2
go build -o bin/ ./cmd/manager ./cmd/fake-esignet ./hack/bench
args=(-n "${BENCH_N:-100,1000}" -latency "${BENCH_LATENCY:-20ms}" -unrelated "${BENCH_UNRELATED:-10000}")
case "${BENCH_LARGE:-}" in 1 | true | yes) args+=(-large) ;; esac
if [ -n "${BENCH_OUT:-}" ]; then args+=(-out "$BENCH_OUT"); fi
# shellcheck disable=SC2086 # BENCH_FLAGS is a list of flags
exec bin/bench "${args[@]}" ${BENCH_FLAGS:-}
