package helm

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/test/deployed/harness"
)

// What `helm install esignet-operator` created in esignet-operator-installed: the names of
// config/default.
var installedNames = harness.Names{
	Namespace:          installedNamespace,
	ServiceAccount:     "esignet-operator-controller-manager",
	Deployment:         "esignet-operator-controller-manager",
	ManagerClusterRole: "esignet-operator-manager-role",
	LeaderElectionRole: "esignet-operator-leader-election-role",
	EditorRole:         "esignet-operator-esignet-relyingparty-editor",
	ViewerRole:         "esignet-operator-esignet-relyingparty-viewer",
}

// `helm install` (run by TestMain) installed the CRDs the whole suite uses and the release's
// objects, wired as an installation must be, its ServiceAccount granted its roles; the release is
// deployed and the chart's notes printed. `helm uninstall` then removes the release and keeps the
// CRDs (crds/ are never deleted).
func TestHelmInstall(t *testing.T) {
	ctx := context.Background()
	kubeconfig, err := env.AdminKubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	helmArgs := func(args ...string) []string {
		return append(args, "--kubeconfig", kubeconfig, "--namespace", installedNamespace)
	}
	t.Logf("helm install printed:\n%s", installNotes)
	for _, want := range []string{"STATUS: deployed", "installed in namespace " + installedNamespace, "deployment/esignet-operator-controller-manager"} {
		if !strings.Contains(installNotes, want) {
			t.Errorf("helm install printed no %q:\n%s", want, installNotes)
		}
	}
	out, err := helmCmd.run(helmArgs("status", installedRelease, "--output", "json")...)
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		Info struct {
			Status string `json:"status"`
		} `json:"info"`
	}
	if err := json.Unmarshal(out, &status); err != nil || status.Info.Status != "deployed" {
		t.Fatalf("helm status: %q (%v)", status.Info.Status, err)
	}

	// The CRDs: envtest installed none, so these are the chart's crds/.
	for file, b := range yamlFiles(t, filepath.Join(chartDir, "crds")) {
		want := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(b, want); err != nil {
			t.Fatalf("crds/%s: %v", file, err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := env.Admin.Get(ctx, client.ObjectKey{Name: want.Name}, crd); err != nil {
			t.Errorf("CRD of crds/%s: %v", file, err)
			continue
		}
		established := false
		for _, c := range crd.Status.Conditions {
			established = established || (c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue)
		}
		if !established {
			t.Errorf("CRD %s is not established", crd.Name)
		}
	}

	// The release's objects exist, as Helm's, and hold together.
	out, err = helmCmd.run(helmArgs("get", "manifest", installedRelease)...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := harness.DecodeManifests(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	released := harness.ObjectMap(objs)
	if err := harness.CheckWiring(released, installedNames); err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(obj.GroupVersionKind())
		if err := env.Admin.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
			t.Errorf("%s %s of the release: %v", obj.GetKind(), obj.GetName(), err)
			continue
		}
		if live.GetAnnotations()["meta.helm.sh/release-name"] != installedRelease || live.GetLabels()["app.kubernetes.io/managed-by"] != "Helm" {
			t.Errorf("%s %s is not the release's: labels %v annotations %v", obj.GetKind(), obj.GetName(), live.GetLabels(), live.GetAnnotations())
		}
	}
	args, _, _ := unstructured.NestedSlice(released["Deployment/"+installedNames.Deployment].Object, "spec", "template", "spec", "containers")
	if c, _ := args[0].(map[string]any); !strings.Contains(toYAML(t, c["args"]), "--cluster-resource-namespace="+installedNamespace) {
		t.Errorf("the installed manager's args %v lack the release namespace", c["args"])
	}
	if err := env.WaitServiceAccountAllowed(installedNamespace, installedNames.ServiceAccount,
		released["ClusterRole/"+installedNames.ManagerClusterRole], released["Role/"+installedNames.LeaderElectionRole]); err != nil {
		t.Fatal(err)
	}

	// Uninstalling removes the release's objects and keeps the CRDs, which relying parties in
	// use still need.
	if _, err := helmCmd.run(helmArgs("uninstall", installedRelease)...); err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(obj.GroupVersionKind())
		if err := env.Admin.Get(ctx, client.ObjectKeyFromObject(obj), live); !apierrors.IsNotFound(err) && live.GetDeletionTimestamp() == nil {
			t.Errorf("%s %s after helm uninstall: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
	crds := &apiextensionsv1.CustomResourceDefinitionList{}
	if err := env.Admin.List(ctx, crds); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, crd := range crds.Items {
		if crd.Spec.Group == v1.GroupVersion.Group {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d esignet CRDs after helm uninstall, want 3", n)
	}
}
