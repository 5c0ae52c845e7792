#!/usr/bin/env bash
# hack/tools.sh NAME  -> installs the pinned version of NAME if missing, prints its path.
#
# Tools live outside the clone, keyed by version, so every clone on a machine shares them:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/esignet-operator/tools/NAME/VERSION/NAME
# Progress goes to stderr; stdout carries only the path, so callers can use $(hack/tools.sh NAME).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
CACHE=${ESIGNET_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/esignet-operator}
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local

say() { echo "tools: $*" >&2; }

# install NAME VERSION COLD_ESTIMATE CMD... : runs CMD with GOBIN set to a scratch dir, then moves
# the binary into place atomically so an interrupted build never leaves a half-written tool.
install() {
  local name=$1 version=$2 estimate=$3; shift 3
  local dir=$CACHE/tools/$name/$version
  if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
  say "building $name $version from the Go module proxy (cold: about $estimate; once per machine)"
  local tmp; tmp=$(mktemp -d "${TMPDIR:-/tmp}/esignet-tools.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  local start=$SECONDS
  (export GOBIN=$tmp; cd "$tmp" && "$@") >&2
  mkdir -p "$dir"
  mv "$tmp/$name" "$dir/$name.partial" && mv "$dir/$name.partial" "$dir/$name"
  say "$name $version ready in $((SECONDS - start)) s"
  echo "$dir/$name"
}

case "${1:-}" in
  controller-gen) install controller-gen "$CONTROLLER_GEN_VERSION" "1 min" \
      go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION" ;;
  kustomize) install kustomize "$KUSTOMIZE_VERSION" "20 s" \
      go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" ;;
  golangci-lint) install golangci-lint "$GOLANGCI_LINT_VERSION" "1-2 min" \
      go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION" ;;
  setup-envtest) install setup-envtest "$SETUP_ENVTEST_VERSION" "10 s" \
      go install "sigs.k8s.io/controller-runtime/tools/setup-envtest@$SETUP_ENVTEST_VERSION" ;;
  helm) install helm "$HELM_VERSION" "1 min" \
      go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" ;;
  # operator-sdk: go install is refused by the module proxy (it asks for the version list), so it
  # is built in a throw-away wrapper module; the build tag avoids cgo/gpgme (docs/toolchain.md).
  operator-sdk) install operator-sdk "$OPERATOR_SDK_VERSION" "2-3 min" \
      bash -c 'set -e; printf "module example.com/toolbuild\n\ngo 1.26\n" > go.mod
        R=github.com/operator-framework/operator-sdk
        go get "$R/cmd/operator-sdk@$0"
        CGO_ENABLED=0 go build -trimpath -tags containers_image_openpgp \
          -ldflags "-X $R/internal/version.Version=$0 -X $R/internal/version.GitVersion=$0" \
          -o "$GOBIN/operator-sdk" "$R/cmd/operator-sdk"' "$OPERATOR_SDK_VERSION" ;;
  all) for t in controller-gen kustomize golangci-lint setup-envtest helm operator-sdk; do "$0" "$t" >/dev/null; done ;;
  *) echo "usage: hack/tools.sh controller-gen|kustomize|golangci-lint|setup-envtest|helm|operator-sdk|all" >&2; exit 2 ;;
esac
