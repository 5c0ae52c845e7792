// Package helm runs the deployed-mode suite of test/deployed on the Helm chart
// (config/helm/esignet-operator): `helm template` renders the chart for release eso in
// esignet-operator-system and the manager binary runs with the flags of the chart's Deployment and
// the token of the chart's ServiceAccount, bound to the chart's roles; the tests are the ones
// test/deployed runs on config/default (package harness). A real `helm install` of the chart into
// a second namespace proves it installs (the CRDs the suite uses are the ones it installed),
// and the chart is kept in step with what it copies: the CRDs of config/crd/bases, the generated
// manager role of config/rbac/role.yaml, and the roles and Deployment of config/default.
//
// Everything is in the _test.go files: run `make test`, or the package alone with
// KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/deployed/helm/ (helm and kustomize
// from hack/tools.sh, built on first use).
package helm
