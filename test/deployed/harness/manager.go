package harness

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Controllers the manager runs.
var Controllers = []string{"esignetprovider", "clusteresignetprovider", "esignetrelyingparty"}

func buildManager(root, out string) error {
	cmd := exec.Command("go", "build", "-o", out, "./cmd/manager") //nolint:gosec // out is a path in the suite's temp dir
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/manager: %w\n%s", err, b)
	}
	return nil
}

// managerArgs are the args of the Deployment's manager container, as a pod would run it: what
// would bind to every interface binds to loopback instead (metrics off), and the namespaces a
// pod reads from its ServiceAccount mount are passed when the Deployment does not set them.
func (e *Env) managerArgs() ([]string, error) {
	dep := e.Objects["Deployment/"+e.Names.Deployment]
	spec := &corev1.PodSpec{}
	raw, _, err := unstructured.NestedMap(dep.Object, "spec", "template", "spec")
	if err != nil {
		return nil, fmt.Errorf("the Deployment's pod spec: %w", err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, spec); err != nil {
		return nil, fmt.Errorf("the Deployment's pod spec: %w", err)
	}
	var c *corev1.Container
	for i := range spec.Containers {
		if spec.Containers[i].Name == "manager" {
			c = &spec.Containers[i]
		}
	}
	if c == nil {
		return nil, fmt.Errorf("the Deployment %s has no container named manager", e.Names.Deployment)
	}
	if len(c.Command) > 0 {
		return nil, fmt.Errorf("the Deployment %s overrides the image's entrypoint with %v", e.Names.Deployment, c.Command)
	}
	args := append([]string(nil), c.Args...)
	has := func(flag string) bool {
		for _, a := range args {
			if a == "--"+flag || strings.HasPrefix(a, "--"+flag+"=") {
				return true
			}
		}
		return false
	}
	if has("kubeconfig") {
		return nil, fmt.Errorf("the Deployment %s passes --kubeconfig", e.Names.Deployment)
	}
	if !has("cluster-resource-namespace") {
		args = append(args, "--cluster-resource-namespace="+e.Names.Namespace)
	}
	if !has("leader-election-namespace") {
		args = append(args, "--leader-election-namespace="+e.Names.Namespace)
	}
	return args, nil
}

// Manager is the manager binary running as its own process.
type Manager struct {
	cmd     *exec.Cmd
	logPath string
	args    []string
	done    chan struct{}
	err     error // valid once done is closed
}

// startManager runs the binary with args (the Deployment's), then the kubeconfig and loopback
// addresses, which win over the Deployment's (the last value of a flag counts), and waits until
// every controller runs.
func startManager(bin, kubeconfig, logPath string, args []string) (*Manager, error) {
	p, deadline, err := launch(bin, kubeconfig, logPath, args)
	if err != nil {
		return nil, err
	}
	// /readyz answers before the lease is won; tests start once every controller runs, so what
	// start-up logs (the leader-election event among it) is not laid at the first test's door.
	if err := p.waitWorkers(deadline); err != nil {
		_ = p.stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}

// launch starts the manager binary with args, then the kubeconfig and loopback addresses, then
// extra (the last value of a flag wins), logging to logPath, and waits for /readyz (which a
// standby answers too). It returns the deadline the caller's further waits share.
func launch(bin, kubeconfig, logPath string, args []string, extra ...string) (*Manager, time.Time, error) {
	port, err := freePort()
	if err != nil {
		return nil, time.Time{}, err
	}
	logFile, err := os.Create(logPath) //nolint:gosec // a file in the suite's temp dir
	if err != nil {
		return nil, time.Time{}, err
	}
	args = append(args, "--kubeconfig="+kubeconfig, "--metrics-bind-address=0",
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", port))
	args = append(args, extra...)
	cmd := exec.Command(bin, args...) //nolint:gosec // the manager binary the suite built
	cmd.Env = managerEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, time.Time{}, fmt.Errorf("starting the manager: %w", err)
	}
	p := &Manager{cmd: cmd, logPath: logPath, args: args, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", port)
	deadline := time.Now().Add(30 * time.Second)
	for !probe(readyz) {
		if p.Exited() {
			return nil, deadline, fmt.Errorf("the manager (%s) exited before it was ready (%s)\n%s", strings.Join(args, " "), exitText(p.err), p.Tail(30))
		}
		if time.Now().After(deadline) {
			_ = p.stop(5 * time.Second)
			return nil, deadline, fmt.Errorf("the manager was not ready at %s within 30 s\n%s", readyz, p.Tail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p, deadline, nil
}

// Args are the flags the manager runs with.
func (p *Manager) Args() []string { return append([]string(nil), p.args...) }

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

// Exited reports whether the process has ended.
func (p *Manager) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is how the process ended; nil while it runs.
func (p *Manager) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// stop sends SIGTERM and waits for a clean exit; after grace it kills the process.
func (p *Manager) stop(grace time.Duration) error {
	if p.Exited() {
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

// Lines is the manager's log so far, a line each.
func (p *Manager) Lines() []string {
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

// Tail is the last n lines of the manager's log, headed by its path.
func (p *Manager) Tail(n int) string {
	l := p.Lines()
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return "manager log " + p.logPath + " (last lines):\n" + strings.Join(l, "\n")
}

var forbiddenRE = regexp.MustCompile(`(?i)forbidden`)

// Forbidden lists the manager's log lines reporting a refusal.
func (p *Manager) Forbidden() []string { return ForbiddenLines(p.Lines()) }

// ForbiddenLines are the lines that mention "forbidden", in any case.
func ForbiddenLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if forbiddenRE.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}
