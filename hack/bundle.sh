#!/usr/bin/env bash
# hack/bundle.sh [VERSION [IMG]]        regenerate the OLM bundle in bundle/ and validate it
# hack/bundle.sh --check [VERSION [IMG]] regenerate into a temp dir; fail if bundle/ differs
#
# VERSION is the bundle's semver (default 0.1.0); IMG the manager image (default
# ghcr.io/openg2p/esignet-operator:vVERSION, the repository of the Makefile's IMG). --check
# defaults both to what the checked-in bundle declares (spec.version and the containerImage
# annotation), so it answers "is bundle/ what the sources give for that version and image?".
#
# What it does, leaving config/ as committed:
#   1. operator-sdk generate kustomize manifests: rewrites the CSV base
#      (config/manifests/bases/) in the tool's canonical form. It is run with --apis-dir pointing
#      at an empty directory: given api/, it would rebuild every owned CRD entry from the Go
#      types' +operator-sdk:csv:customresourcedefinitions markers and drop the hand-written
#      displayName, description and spec/status descriptors (api/ has no such markers).
#   2. kustomize build of a throw-away overlay of config/manifests (in .tmp/, as `make deploy`
#      does) that sets the manager image to IMG, adds RELATED_IMAGE_MANAGER (operator-sdk fills
#      spec.relatedImages from RELATED_IMAGE_* variables and nothing else) and the CSV's
#      containerImage annotation;
#   3. operator-sdk generate bundle, then bundle/bundle.Dockerfile with paths relative to
#      bundle/ (build: docker build -f bundle/bundle.Dockerfile -t BUNDLE_IMG bundle/);
#   4. the CSV's createdAt is dropped, so the output depends on the sources only (set
#      CREATED_AT=2026-01-31T00:00:00Z to stamp a release); --check ignores that line;
#   5. operator-sdk bundle validate --select-optional suite=operatorframework.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
say() { echo "bundle: $*" >&2; }
die() { say "$*"; exit 1; }

PACKAGE=esignet-operator
IMAGE_NAME=ghcr.io/openg2p/esignet-operator # the name config/manager's image resolves to
CSV=manifests/$PACKAGE.clusterserviceversion.yaml
BASE=config/manifests/bases/$PACKAGE.clusterserviceversion.yaml

check=false
if [ "${1:-}" = --check ]; then check=true; shift; fi
if $check; then
  [ -f "bundle/$CSV" ] || die "no checked-in bundle (bundle/$CSV): run hack/bundle.sh first"
  VERSION=${1:-$(sed -n 's/^  version: //p' "bundle/$CSV")}
  IMG=${2:-$(sed -n 's/^    containerImage: //p' "bundle/$CSV")}
else
  VERSION=${1:-0.1.0}
  IMG=${2:-$IMAGE_NAME:v$VERSION}
fi
[[ $VERSION =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] ||
  die "VERSION must be a semver without a leading v (got '$VERSION')"
[[ $IMG =~ ^[^[:space:]@]+(:[^/:[:space:]@]+|@sha256:[0-9a-f]{64})$ ]] ||
  die "IMG must be an image reference with a tag or a sha256 digest (got '$IMG')"

OSDK=$(hack/tools.sh operator-sdk)
KUSTOMIZE=$(hack/tools.sh kustomize)

mkdir -p .tmp
work=$(mktemp -d .tmp/bundle.XXXXXX)
trap 'rm -rf "$work"' EXIT

# 1. The CSV base in operator-sdk's form (in --check: a copy, compared with the committed one).
# The empty --apis-dir makes it warn once per kind that no Go type was found: expected, filtered.
gen_base() {
  mkdir -p "$work/no-apis"
  "$OSDK" generate kustomize manifests -q --interactive=false --apis-dir "$work/no-apis" "$@" \
    2> >(grep -v 'Skipping definitions parsing for API' >&2)
}
if $check; then
  gen_base --input-dir config/manifests --output-dir "$work/base"
  diff -u "$BASE" "$work/base/bases/$PACKAGE.clusterserviceversion.yaml" ||
    die "$BASE is not in the form operator-sdk writes: run 'make bundle' and commit"
else
  gen_base
fi

# 2. The throw-away overlay: image, related image, containerImage annotation.
cat > "$work/kustomization.yaml" <<EOF
resources:
- ../../config/manifests
patches:
- target: {kind: ClusterServiceVersion}
  patch: |-
    - op: add
      path: /metadata/annotations/containerImage
      value: $IMG
- target: {group: apps, kind: Deployment, name: esignet-operator-controller-manager}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: esignet-operator-controller-manager}
    spec:
      template:
        spec:
          containers:
          - name: manager
            env:
            - {name: RELATED_IMAGE_MANAGER, value: "$IMG"}
EOF
(cd "$work" && "$KUSTOMIZE" edit set image "$IMAGE_NAME=$IMG")

# 3. generate bundle runs in the work dir (with PROJECT, which it reads for the layout label),
# so its bundle.Dockerfile lands there and not at the top of the repository.
cp PROJECT "$work/"
# It reads stdin only from a pipe (not a redirected file). -q still logs each file it creates at
# level info: filtered; warnings and errors pass.
"$KUSTOMIZE" build "$work" | (cd "$work" && "$OSDK" generate bundle -q --overwrite --version "$VERSION" \
  --package "$PACKAGE" --channels alpha --default-channel alpha --output-dir out) \
  2> >(grep -v 'level=info' >&2)
sed -e 's|^COPY out/|COPY |' "$work/bundle.Dockerfile" > "$work/out/bundle.Dockerfile"
grep -q '^COPY manifests /manifests/$' "$work/out/bundle.Dockerfile" ||
  die "unexpected bundle.Dockerfile from operator-sdk: $(cat "$work/bundle.Dockerfile")"

# 4. createdAt: dropped, or CREATED_AT.
if [ -n "${CREATED_AT:-}" ]; then
  [[ $CREATED_AT =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
    die "CREATED_AT must look like 2026-01-31T00:00:00Z (got '$CREATED_AT')"
  sed -i "s|^    createdAt: .*|    createdAt: \"$CREATED_AT\"|" "$work/out/$CSV"
else
  sed -i '/^    createdAt: /d' "$work/out/$CSV"
fi

if $check; then
  strip() { sed '/^    createdAt: /d' "$1"; }
  stale=false
  files=$( (cd bundle && find manifests metadata bundle.Dockerfile -type f 2>/dev/null)
           (cd "$work/out" && find manifests metadata bundle.Dockerfile -type f) )
  for f in $(echo "$files" | sort -u); do
    if [ ! -f "bundle/$f" ] || [ ! -f "$work/out/$f" ]; then
      say "only in $([ -f "bundle/$f" ] && echo 'bundle/' || echo 'the regenerated bundle'): $f"
      stale=true
    elif ! diff -u --label "bundle/$f" --label "regenerated/$f" <(strip "bundle/$f") <(strip "$work/out/$f"); then
      stale=true
    fi
  done
  $stale && die "bundle/ is stale for version $VERSION, image $IMG: run 'make bundle' and commit"
  "$OSDK" bundle validate "$work/out" --select-optional suite=operatorframework
  say "bundle/ is current (version $VERSION, image $IMG) and valid; $((SECONDS - start)) s"
  exit 0
fi

mkdir -p bundle
rm -rf bundle/manifests bundle/metadata
cp -R "$work/out/manifests" "$work/out/metadata" "$work/out/bundle.Dockerfile" bundle/
"$OSDK" bundle validate ./bundle --select-optional suite=operatorframework
say "bundle/ generated for version $VERSION, image $IMG; $((SECONDS - start)) s"
