#!/usr/bin/env bash
# hack/envtest-assets.sh -> makes kube-apiserver, etcd and kubectl available to envtest and prints
# the directory to use as KUBEBUILDER_ASSETS (the only line on stdout; progress goes to stderr).
#
# Order of attempts:
#   1. the entry already in the store (setup-envtest's layout, kept in the user cache);
#   2. `setup-envtest use`, which downloads release binaries where the network allows;
#   3. a build from the Go module proxy with throw-away wrapper modules (cold: about 5-14 minutes
#      on 2 cores for all three; warm: seconds), with version ldflags so the binaries report
#      their real versions.
# Idempotent and safe to run concurrently (a lock serialises builders). A user with a real
# cluster never needs this; `make test` and `make demo` call it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
CACHE=${ESIGNET_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/esignet-operator}
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local CGO_ENABLED=0
V=$ENVTEST_K8S_VERSION
MINOR=$(echo "$V" | cut -d. -f2)
OSARCH=$(go env GOOS)-$(go env GOARCH)
STORE=$CACHE/envtest
ENTRY=$STORE/k8s/$V-$OSARCH
BUILD=$CACHE/build

say() { echo "envtest-assets: $*" >&2; }
complete() { [ -x "$ENTRY/kube-apiserver" ] && [ -x "$ENTRY/etcd" ] && [ -x "$ENTRY/kubectl" ]; }

mkdir -p "$STORE"
exec 9>"$STORE/.lock"
flock 9

if complete; then echo "$ENTRY"; exit 0; fi

# 2. setup-envtest's own download (needs the release index on the internet).
if [ -z "${ENVTEST_NO_DOWNLOAD:-}" ]; then
  setup_envtest=$("$here/tools.sh" setup-envtest)
  say "trying 'setup-envtest use $V' (downloads release binaries where the network allows)"
  if dir=$(timeout 120 "$setup_envtest" use "$V" --bin-dir "$STORE" -p path 2>/dev/null) && [ -x "$dir/kube-apiserver" ]; then
    if [ "$dir" != "$ENTRY" ] || ! complete; then ENTRY=$dir; fi
    if complete; then echo "$ENTRY"; exit 0; fi
  fi
  say "download unavailable here; building from the Go module proxy instead"
fi

# 3. Build from source through wrapper modules.
say "building kube-apiserver $V, etcd $ETCD_VERSION and kubectl $V (cold, 2 cores: kube-apiserver 4-10 min, etcd 1-2 min, kubectl ~1 min; the upper figures with an empty Go module cache)"
out=$ENTRY.partial
rm -rf "$out"; mkdir -p "$out"
module() { # module DIR: a fresh wrapper module directory
  rm -rf "$1"; mkdir -p "$1"; printf 'module example.com/esignet-operator-toolbuild\n\ngo 1.26\n' > "$1/go.mod"
}
timed() { local what=$1 start=$SECONDS; shift; "$@" >&2; say "$what built in $((SECONDS - start)) s"; }
kver="-X k8s.io/component-base/version.gitVersion=v$V -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$MINOR"

# etcd: its go.mod has replace directives, so `go install` refuses it; a wrapper module ignores them.
build_etcd() {
  local d=$BUILD/etcd-$ETCD_VERSION; module "$d"; cd "$d"
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -trimpath -o "$out/etcd" go.etcd.io/etcd/server/v3
}

# kube-apiserver: k8s.io/kubernetes replaces its staging modules with local folders; point each one
# at its published k8s.io/<name> v0.<minor>.<patch> instead.
build_kube_apiserver() {
  local d=$BUILD/kube-apiserver-$V; module "$d"; cd "$d"
  printf '\nrequire k8s.io/kubernetes v%s\n' "$V" >> go.mod
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@v$V" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  grep -E '=> \./staging' "$gomod" | awk '{print $1}' | while read -r m; do
    echo "replace $m => $m v0.${V#1.}" >> go.mod
  done
  printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' > tools.go
  go mod tidy
  go build -trimpath -ldflags "$kver" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
}

# kubectl: k8s.io/kubectl has no main package; this is the whole of upstream's cmd/kubectl main.
build_kubectl() {
  local d=$BUILD/kubectl-$V; module "$d"; cd "$d"
  cat > main.go <<'GO'
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) //nolint:errcheck
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
GO
  go get "k8s.io/kubectl@v0.${V#1.}" "k8s.io/component-base@v0.${V#1.}" "k8s.io/client-go@v0.${V#1.}"
  go mod tidy
  go build -trimpath -ldflags "$kver -X k8s.io/client-go/pkg/version.gitVersion=v$V" -o "$out/kubectl" .
}

total=$SECONDS
timed "etcd $ETCD_VERSION" build_etcd
timed "kube-apiserver v$V" build_kube_apiserver
timed "kubectl v$V" build_kubectl
rm -rf "$ENTRY"; mv "$out" "$ENTRY"
say "control plane ready in $((SECONDS - total)) s: $ENTRY"
"$ENTRY/kube-apiserver" --version >&2
"$ENTRY/etcd" --version | head -1 >&2
echo "$ENTRY"
