// Package deployed tests the operator as `make deploy` installs it: the manifests of
// config/default applied to a real kube-apiserver (envtest, RBAC enforced), the manager binary
// run as its own process with the flags of config/manager and nothing but its ServiceAccount's
// token, and tenants reaching the API only through the namespace roles the project ships. A
// permission the operator lacks shows up as a "forbidden" line in the manager's log, which fails
// the package. The machinery and the test bodies are in ./harness, shared with ./helm, which runs
// the same tests on the Helm chart (config/helm/esignet-operator).
//
// Everything is in the _test.go files: run `make test`, or the package alone with
// KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/deployed/ (kustomize from hack/tools.sh).
package deployed
