package deployed

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// What config/default deploys (names after its namePrefix).
const (
	systemNamespace    = "esignet-operator-system"
	managerSA          = "esignet-operator-controller-manager"
	managerClusterRole = "esignet-operator-manager-role"
	leaderElectionRole = "esignet-operator-leader-election-role"
	// editorRole is config/rbac/relyingparty_editor_role.yaml as deployed; a cluster admin's
	// controller-manager aggregates it into admin and edit, which envtest cannot do.
	editorRole = "esignet-operator-esignet-relyingparty-editor"
	viewerRole = "esignet-operator-esignet-relyingparty-viewer"
	// namespaceAdminRole stands in for what the built-in admin role grants on core objects.
	namespaceAdminRole = "test-namespace-admin"
)

// The package's one control plane and one manager process.
var (
	adminCfg *rest.Config
	admin    client.Client // the test's own, cluster-admin
	scheme   = runtime.NewScheme()
	manager  *managerProcess
	// deployed holds the objects `kustomize build config/default` produced, by kind/name.
	deployed = map[string]*unstructured.Unstructured{}
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		// Failing loudly beats skipping: a green run without a control plane would prove nothing.
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run 'make test', or KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/deployed/")
		return 1
	}
	must(clientgoscheme.AddToScheme(scheme))
	must(v1.AddToScheme(scheme))
	root, err := filepath.Abs(filepath.Join("..", ".."))
	must(err)
	tmp, err := os.MkdirTemp("", "esignet-deployed-")
	must(err)
	keepTmp := false
	defer func() {
		if keepTmp {
			fmt.Fprintf(os.Stderr, "deployed: kept %s (manager log: %s)\n", tmp, filepath.Join(tmp, "manager.log"))
			return
		}
		_ = os.RemoveAll(tmp)
	}()

	manifests, err := kustomizeBuild(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The manager binary builds while the control plane starts.
	built := make(chan error, 1)
	bin := filepath.Join(tmp, "manager")
	go func() { built <- buildManager(root, bin) }()

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		// envtest's 20 s default is short on a loaded 2-core machine building the manager in
		// parallel; its retries after a timeout can leave a kube-apiserver behind.
		ControlPlaneStartTimeout: 60 * time.Second,
	}
	adminCfg, err = env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest: %v\n", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
		}
	}()
	admin, err = client.New(adminCfg, client.Options{Scheme: scheme})
	must(err)

	kubeconfig := filepath.Join(tmp, "kubeconfig")
	if err := deploy(manifests, kubeconfig); err != nil {
		fmt.Fprintf(os.Stderr, "deploying config/default: %v\n", err)
		return 1
	}
	if err := <-built; err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	manager, err = startManager(bin, kubeconfig, filepath.Join(tmp, "manager.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		keepTmp = true
		return 1
	}

	code := m.Run()

	if err := manager.stop(15 * time.Second); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the manager did not exit cleanly on SIGTERM: %v\n%s\n", err, manager.tail(30))
		code = 1
	}
	if lines := manager.forbidden(); len(lines) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the manager was refused by the API server (RBAC of config/rbac):\n%s\n", strings.Join(lines, "\n"))
		code = 1
	}
	if code != 0 {
		keepTmp = true
	}
	return code
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// kustomizeBuild renders config/default as `make deploy` does.
func kustomizeBuild(root string) ([]byte, error) {
	bin := os.Getenv("KUSTOMIZE")
	if bin == "" {
		out, err := exec.Command(filepath.Join(root, "hack", "tools.sh"), "kustomize").Output()
		if err != nil {
			return nil, fmt.Errorf("kustomize is not available (hack/tools.sh kustomize: %w); "+
				"run 'hack/tools.sh all' (CI does) or 'hack/tools.sh kustomize' once, or set KUSTOMIZE to its path", err)
		}
		bin = strings.TrimSpace(string(out))
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		return nil, fmt.Errorf("kustomize binary %q is not available: run 'hack/tools.sh all' (CI does) or 'hack/tools.sh kustomize'", bin)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "build", filepath.Join(root, "config", "default"))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kustomize build config/default: %w: %s", err, stderr.String())
	}
	return out, nil
}

func buildManager(root, out string) error {
	cmd := exec.Command("go", "build", "-o", out, "./cmd/manager")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/manager: %w\n%s", err, b)
	}
	return nil
}

// deploy creates every object of the manifests with the admin client, waits until the API
// server's authorizer grants the manager its roles, and writes a kubeconfig holding only the
// manager ServiceAccount's token and the control plane's CA.
func deploy(manifests []byte, kubeconfig string) error {
	ctx := context.Background()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifests), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("decoding the kustomize output: %w", err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		deployed[obj.GetKind()+"/"+obj.GetName()] = obj
		err := admin.Create(ctx, obj.DeepCopy())
		if apierrors.IsAlreadyExists(err) && obj.GetKind() == "CustomResourceDefinition" {
			continue // envtest installed config/crd/bases already
		}
		if err != nil {
			return fmt.Errorf("creating %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	for _, want := range []string{"Namespace/" + systemNamespace, "ServiceAccount/" + managerSA, "ClusterRole/" + managerClusterRole,
		"Role/" + leaderElectionRole, "ClusterRole/" + editorRole, "ClusterRole/" + viewerRole, "Deployment/" + managerSA} {
		if deployed[want] == nil {
			return fmt.Errorf("kustomize build config/default has no %s", want)
		}
	}
	// The token below is the one the Deployment's pods would run with.
	if sa, _, _ := unstructured.NestedString(deployed["Deployment/"+managerSA].Object, "spec", "template", "spec", "serviceAccountName"); sa != managerSA {
		return fmt.Errorf("the Deployment runs as ServiceAccount %q, want %q", sa, managerSA)
	}
	if err := admin.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: namespaceAdminRole},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps", "events"}, Verbs: []string{"*"}}}}); err != nil {
		return err
	}

	saUser := serviceaccountUser(systemNamespace, managerSA)
	saGroups := []string{"system:serviceaccounts", "system:serviceaccounts:" + systemNamespace, "system:authenticated"}
	if err := waitAllowed(saUser, saGroups, "", rulesOf(deployed["ClusterRole/"+managerClusterRole])); err != nil {
		return err
	}
	if err := waitAllowed(saUser, saGroups, systemNamespace, rulesOf(deployed["Role/"+leaderElectionRole])); err != nil {
		return err
	}

	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: systemNamespace, Name: managerSA}}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}
	if err := admin.SubResource("token").Create(ctx, sa, tr); err != nil {
		return fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", systemNamespace, managerSA, err)
	}
	if tr.Status.Token == "" {
		return errors.New("the TokenRequest returned no token")
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: adminCfg.Host, CertificateAuthorityData: adminCfg.CAData}
	kc.AuthInfos[managerSA] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["manager"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: managerSA, Namespace: systemNamespace}
	kc.CurrentContext = "manager"
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		return err
	}
	// The kubeconfig must authenticate as the ServiceAccount, and as nothing more.
	mcfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	mc, err := client.New(mcfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	ssr := &authenticationv1.SelfSubjectReview{}
	if err := mc.Create(ctx, ssr); err != nil {
		return fmt.Errorf("SelfSubjectReview with the manager's kubeconfig: %w", err)
	}
	if ssr.Status.UserInfo.Username != saUser {
		return fmt.Errorf("the manager's kubeconfig authenticates as %q, want %q", ssr.Status.UserInfo.Username, saUser)
	}
	return nil
}

func serviceaccountUser(ns, name string) string { return "system:serviceaccount:" + ns + ":" + name }

// rulesOf reads the rules of a deployed Role or ClusterRole.
func rulesOf(obj *unstructured.Unstructured) []rbacv1.PolicyRule {
	role := &rbacv1.ClusterRole{}
	must(runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, role))
	return role.Rules
}

// waitAllowed polls SubjectAccessReviews until every verb of every rule is granted to the user in
// ns (cluster-wide when ""): the API server's authorizer sees new bindings through a watch, a
// moment after they are created.
func waitAllowed(user string, groups []string, ns string, rules []rbacv1.PolicyRule) error {
	ctx := context.Background()
	var pending []authorizationv1.ResourceAttributes
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				resource, sub, _ := strings.Cut(res, "/")
				for _, verb := range r.Verbs {
					pending = append(pending, authorizationv1.ResourceAttributes{Namespace: ns, Group: g, Resource: resource, Subresource: sub, Verb: verb})
				}
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(pending) > 0 {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: groups, ResourceAttributes: &pending[0]}}
		if err := admin.Create(ctx, sar); err != nil {
			return fmt.Errorf("SubjectAccessReview: %w", err)
		}
		if sar.Status.Allowed {
			pending = pending[1:]
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is still not allowed %+v after 30 s: %s", user, pending[0], sar.Status.Reason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// managerProcess is the manager binary running as its own process.
type managerProcess struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // valid once done is closed
}

func startManager(bin, kubeconfig, logPath string) (*managerProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	// The flags of config/manager/manager.yaml, with loopback addresses and the namespace a pod
	// would read from its ServiceAccount mount.
	args := []string{"--kubeconfig", kubeconfig, "--metrics-bind-address", "0",
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--cluster-resource-namespace", systemNamespace,
		"--leader-elect", "--leader-election-namespace", systemNamespace}
	cmd := exec.Command(bin, args...)
	cmd.Env = managerEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting the manager: %w", err)
	}
	p := &managerProcess{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", port)
	deadline := time.Now().Add(30 * time.Second)
	for !probe(readyz) {
		if p.exited() {
			return nil, fmt.Errorf("the manager exited before it was ready (%s)\n%s", exitText(p.err), p.tail(30))
		}
		if time.Now().After(deadline) {
			_ = p.stop(5 * time.Second)
			return nil, fmt.Errorf("the manager was not ready at %s within 30 s\n%s", readyz, p.tail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// /readyz answers before the lease is won; tests start once every controller runs, so what
	// start-up logs (the leader-election event among it) is not laid at the first test's door.
	for workers := 0; workers < len(controllers); {
		workers = 0
		for _, l := range p.lines() {
			if strings.Contains(l, `"msg":"Starting workers"`) {
				workers++
			}
		}
		if p.exited() {
			return nil, fmt.Errorf("the manager exited while starting (%s)\n%s", exitText(p.err), p.tail(30))
		}
		if time.Now().After(deadline) {
			_ = p.stop(5 * time.Second)
			return nil, fmt.Errorf("the manager's %d controllers did not all start within 30 s\n%s", len(controllers), p.tail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p, nil
}

// controllers the manager runs.
var controllers = []string{"esignetprovider", "clusteresignetprovider", "esignetrelyingparty"}

// managerEnv is the test's environment without what could point the manager elsewhere: another
// kubeconfig or cluster, or a proxy.
func managerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func probe(url string) bool {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (p *managerProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for a clean exit; after grace it kills the process.
func (p *managerProcess) stop(grace time.Duration) error {
	if p.exited() {
		return fmt.Errorf("had already exited (%s)", exitText(p.err))
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("killed after %s without stopping", grace)
	}
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func (p *managerProcess) lines() []string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return []string{"(no manager log: " + err.Error() + ")"}
	}
	defer func() { _ = f.Close() }()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func (p *managerProcess) tail(n int) string {
	l := p.lines()
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return "manager log " + p.logPath + " (last lines):\n" + strings.Join(l, "\n")
}

var forbiddenRE = regexp.MustCompile(`(?i)forbidden`)

// forbidden lists the manager's log lines reporting a refusal.
func (p *managerProcess) forbidden() []string { return forbiddenLines(p.lines()) }

func forbiddenLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if forbiddenRE.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}
