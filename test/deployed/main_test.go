package deployed

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/openg2p/esignet-operator/test/deployed/harness"
)

// What config/default deploys (names after its namePrefix).
var names = harness.Names{
	Namespace:          "esignet-operator-system",
	ServiceAccount:     "esignet-operator-controller-manager",
	Deployment:         "esignet-operator-controller-manager",
	ManagerClusterRole: "esignet-operator-manager-role",
	LeaderElectionRole: "esignet-operator-leader-election-role",
	// The tenant roles of config/rbac/relyingparty_*_role.yaml as deployed; a cluster admin's
	// controller-manager aggregates them into admin, edit and view, which envtest cannot do.
	EditorRole: "esignet-operator-esignet-relyingparty-editor",
	ViewerRole: "esignet-operator-esignet-relyingparty-viewer",
}

var env = harness.New(harness.Config{
	Source:  "config/default",
	Names:   names,
	CRDDirs: []string{filepath.Join("config", "crd", "bases")},
	Render:  render,
})

func TestMain(m *testing.M) { os.Exit(env.Main(m)) }

// render is `kustomize build config/default`, which must create the operator's namespace.
func render(e *harness.Env) ([]byte, error) {
	out, err := harness.KustomizeBuild(e.Root)
	if err != nil {
		return nil, err
	}
	objs, err := harness.DecodeManifests(bytes.NewReader(out))
	if err != nil {
		return nil, err
	}
	if harness.ObjectMap(objs)["Namespace/"+names.Namespace] == nil {
		return nil, fmt.Errorf("kustomize build config/default has no Namespace/%s", names.Namespace)
	}
	return out, nil
}

func TestShippedTenantRoles(t *testing.T)          { env.ShippedTenantRoles(t) }
func TestSamplesAsDeployed(t *testing.T)           { env.SamplesAsDeployed(t) }
func TestTenantsCannotReachEachOther(t *testing.T) { env.TenantsCannotReachEachOther(t) }
