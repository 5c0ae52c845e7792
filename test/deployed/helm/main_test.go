package helm

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/openg2p/esignet-operator/test/deployed/harness"
)

const (
	// chartPath is the chart, relative to the repository's root.
	chartPath = "config/helm/esignet-operator"
	// renderedRelease is the release `helm template` renders; the manager runs as its
	// ServiceAccount. Its name does not contain the chart's, so objects are <release>-esignet-operator-*.
	renderedRelease = "eso"
	// installedRelease is installed by `helm install` into installedNamespace; named like the
	// chart, its objects have the names config/default gives them.
	installedRelease   = "esignet-operator"
	installedNamespace = "esignet-operator-installed"
)

// What the chart renders for release eso in esignet-operator-system.
var names = harness.Names{
	Namespace:          "esignet-operator-system",
	ServiceAccount:     "eso-esignet-operator-controller-manager",
	Deployment:         "eso-esignet-operator-controller-manager",
	ManagerClusterRole: "eso-esignet-operator-manager-role",
	LeaderElectionRole: "eso-esignet-operator-leader-election-role",
	EditorRole:         "eso-esignet-operator-esignet-relyingparty-editor",
	ViewerRole:         "eso-esignet-operator-esignet-relyingparty-viewer",
}

var (
	env = harness.New(harness.Config{
		Source: "the Helm chart " + chartPath,
		Names:  names,
		// No CRDs from envtest: `helm install` creates them from the chart's crds/.
		Render:  render,
		Prepare: install,
	})
	helmCmd  *helmTool
	chartDir string // absolute
	// installNotes is what `helm install` printed (the chart's NOTES.txt).
	installNotes string
)

func TestMain(m *testing.M) {
	code := env.Main(m)
	if helmCmd != nil {
		if hits := helmCmd.trap.hits(); len(hits) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: helm tried to reach beyond loopback: %v\n", hits)
			code = 1
		}
		helmCmd.trap.close()
	}
	os.Exit(code)
}

// render finds helm (building it on first use) and renders the chart.
func render(e *harness.Env) ([]byte, error) {
	chartDir = filepath.Join(e.Root, chartPath)
	var err error
	if helmCmd, err = newHelmTool(e.Root, filepath.Join(e.Tmp, "helm")); err != nil {
		return nil, err
	}
	return helmCmd.template()
}

// install runs `helm install` of the chart into installedNamespace with the suite's admin
// kubeconfig. The Deployment never becomes ready (envtest has no kubelet), so nothing waits for
// it; helm does wait for the CRDs it creates to be established.
func install(e *harness.Env) error {
	kubeconfig, err := e.AdminKubeconfig()
	if err != nil {
		return err
	}
	out, err := helmCmd.run("install", installedRelease, chartDir, "--kubeconfig", kubeconfig,
		"--namespace", installedNamespace, "--create-namespace", "--timeout", "60s")
	if err != nil {
		return err
	}
	installNotes = string(out)
	return nil
}

// The deployed-mode tests, on the chart's installation.
func TestShippedTenantRoles(t *testing.T)          { env.ShippedTenantRoles(t) }
func TestSamplesAsDeployed(t *testing.T)           { env.SamplesAsDeployed(t) }
func TestTenantsCannotReachEachOther(t *testing.T) { env.TenantsCannotReachEachOther(t) }

// The manager process runs with the flags of the chart's Deployment (the loopback addresses and
// the kubeconfig of the chart's ServiceAccount come after them).
func TestManagerRunsAsTheChartsDeployment(t *testing.T) {
	d := deployment(t, env.Objects, names.Deployment)
	chartArgs := d.Spec.Template.Spec.Containers[0].Args
	got := env.Manager.Args()
	if len(got) < len(chartArgs) || !slices.Equal(got[:len(chartArgs)], chartArgs) {
		t.Fatalf("the manager runs with %q, the chart's Deployment passes %q", got, chartArgs)
	}
	if d.Spec.Template.Spec.ServiceAccountName != names.ServiceAccount {
		t.Fatalf("the chart's Deployment runs as %q", d.Spec.Template.Spec.ServiceAccountName)
	}
}
