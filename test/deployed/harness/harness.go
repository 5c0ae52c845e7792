// Package harness runs the operator as an installation deploys it, for the deployed-mode suites
// (test/deployed: config/default through kustomize; test/deployed/helm: the Helm chart): a real
// kube-apiserver with RBAC enforced (envtest), the installation's manifests applied to it, the
// manager binary run as its own process with the flags of the installation's Deployment and
// nothing but its ServiceAccount's token, and tenants reaching the API only through the
// namespace roles the installation ships. A permission the operator lacks shows up as a
// "forbidden" line in the manager's log, which fails the package.
//
// A suite builds an Env with New in its TestMain and runs it with Env.Main; the shared test
// bodies (Env.SamplesAsDeployed, Env.TenantsCannotReachEachOther, Env.ShippedTenantRoles) are
// called from one-line tests in each suite. Every address involved is loopback.
package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// NamespaceAdminRole is a ClusterRole the harness creates that stands in for what the built-in
// admin role grants on core objects (envtest has no controller-manager to aggregate roles).
const NamespaceAdminRole = "test-namespace-admin"

// Names are the objects of an installation the manager and the tenants use. Each must be in the
// applied manifests, and the bindings between them are checked before the manager starts.
type Names struct {
	// Namespace is where the ServiceAccount, the Deployment and the leader-election Role live.
	Namespace string
	// ServiceAccount is the manager's; its token is all the manager process gets.
	ServiceAccount string
	// Deployment runs the manager; its container's args are the manager's flags.
	Deployment string
	// ManagerClusterRole is bound to the ServiceAccount cluster-wide.
	ManagerClusterRole string
	// LeaderElectionRole is bound to the ServiceAccount in Namespace.
	LeaderElectionRole string
	// EditorRole and ViewerRole are the tenant ClusterRoles, bound per namespace.
	EditorRole, ViewerRole string
}

// Config describes one way of deploying the operator.
type Config struct {
	// Source names what deploys the operator, for messages ("config/default", "the Helm chart").
	Source string
	Names  Names
	// CRDDirs, relative to the repository's root, are installed by envtest as it starts; empty
	// when Prepare installs the CRDs.
	CRDDirs []string
	// Render returns the manifests to apply (YAML documents). It runs while the manager
	// builds, before the control plane starts (Root and Tmp are set).
	Render func(e *Env) ([]byte, error)
	// Prepare, optional, runs once the control plane is up, before the manifests are applied.
	Prepare func(e *Env) error
}

// Env is one suite's control plane, installation and manager process.
type Env struct {
	Config
	// Root is the repository's root; Tmp a directory removed at the end unless the suite failed.
	Root, Tmp string
	// AdminConfig and Admin are the suite's own cluster-admin access.
	AdminConfig *rest.Config
	Admin       client.Client
	Scheme      *runtime.Scheme
	// Objects are the applied manifests by "Kind/name".
	Objects map[string]*unstructured.Unstructured
	// ManagerBin is the manager binary the suite built; Manager its process, running while the
	// tests do.
	ManagerBin string
	Manager    *Manager

	adminKubeconfig string
}

// New returns an Env for cfg; Main starts it.
func New(cfg Config) *Env {
	return &Env{Config: cfg, Objects: map[string]*unstructured.Unstructured{}}
}

// Main starts the control plane, applies the installation, starts the manager, runs the tests
// and checks the manager afterwards: it exits cleanly on SIGTERM and was refused nothing. It
// returns the exit code for os.Exit. The repository's root is the directory of the go.mod
// above the suite's.
func (e *Env) Main(m *testing.M) int {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		// Failing loudly beats skipping: a green run without a control plane would prove nothing.
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run 'make test', or KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/deployed/...")
		return 1
	}
	e.Scheme = runtime.NewScheme()
	must(clientgoscheme.AddToScheme(e.Scheme))
	must(v1.AddToScheme(e.Scheme))
	must(apiextensionsv1.AddToScheme(e.Scheme))
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	e.Root = root
	if e.Tmp, err = os.MkdirTemp("", "esignet-deployed-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	keepTmp := false
	defer func() {
		if keepTmp {
			fmt.Fprintf(os.Stderr, "deployed: kept %s (manager log: %s)\n", e.Tmp, filepath.Join(e.Tmp, "manager.log"))
			return
		}
		_ = os.RemoveAll(e.Tmp)
	}()
	// The manager binary builds while the manifests render and the control plane starts.
	built := make(chan error, 1)
	e.ManagerBin = filepath.Join(e.Tmp, "manager")
	go func() { built <- buildManager(root, e.ManagerBin) }()
	var buildErr error
	waitBuild := func() error {
		if built != nil {
			buildErr, built = <-built, nil
		}
		return buildErr
	}
	fail := func(format string, args ...any) int {
		_ = waitBuild() // the build writes into Tmp
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		return 1
	}
	manifests, err := e.Render(e)
	if err != nil {
		return fail("rendering %s: %v", e.Source, err)
	}

	var crdDirs []string
	for _, d := range e.CRDDirs {
		crdDirs = append(crdDirs, filepath.Join(root, d))
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     crdDirs,
		ErrorIfCRDPathMissing: len(e.CRDDirs) > 0,
		// Never a cluster from the environment: every address the suite uses is loopback.
		UseExistingCluster: ptr.To(false),
		// envtest's 20 s default is short on a loaded 2-core machine building the manager in
		// parallel; its retries after a timeout can leave a kube-apiserver behind.
		ControlPlaneStartTimeout: 60 * time.Second,
	}
	e.AdminConfig, err = env.Start()
	if err != nil {
		return fail("starting envtest: %v", err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
		}
	}()
	e.Admin, err = client.New(e.AdminConfig, client.Options{Scheme: e.Scheme})
	must(err)

	if e.Prepare != nil {
		if err := e.Prepare(e); err != nil {
			return fail("preparing %s: %v", e.Source, err)
		}
	}
	kubeconfig := filepath.Join(e.Tmp, "kubeconfig")
	if err := e.deploy(manifests, kubeconfig); err != nil {
		return fail("deploying %s: %v", e.Source, err)
	}
	if err := waitBuild(); err != nil {
		return fail("%v", err)
	}
	args, err := e.managerArgs()
	if err != nil {
		return fail("%v", err)
	}
	e.Manager, err = startManager(e.ManagerBin, kubeconfig, filepath.Join(e.Tmp, "manager.log"), args)
	if err != nil {
		keepTmp = true
		return fail("%v", err)
	}

	code := m.Run()

	if err := e.Manager.stop(15 * time.Second); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the manager did not exit cleanly on SIGTERM: %v\n%s\n", err, e.Manager.Tail(30))
		code = 1
	}
	if lines := e.Manager.Forbidden(); len(lines) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the manager was refused by the API server (RBAC of %s):\n%s\n", e.Source, strings.Join(lines, "\n"))
		code = 1
	}
	if code != 0 {
		keepTmp = true
	}
	return code
}

// moduleRoot is the directory of the go.mod above the working directory (a test runs in its
// package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// AdminKubeconfig writes, once, a kubeconfig with the suite's cluster-admin credentials (for
// tools such as helm) and returns its path.
func (e *Env) AdminKubeconfig() (string, error) {
	if e.adminKubeconfig != "" {
		return e.adminKubeconfig, nil
	}
	path := filepath.Join(e.Tmp, "admin.kubeconfig")
	if err := writeKubeconfig(path, e.AdminConfig, "envtest-admin", nil, ""); err != nil {
		return "", err
	}
	e.adminKubeconfig = path
	return path, nil
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
