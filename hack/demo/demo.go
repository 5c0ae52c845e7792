package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
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
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	esignetv1alpha1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// demo holds what was started, so tear-down can stop it whatever step failed.
type demo struct {
	cfg *config
	out *printer

	mu          sync.Mutex
	failures    []string
	ctx         context.Context // cancelled by Ctrl-C
	tearingDown bool

	tmp        string
	assets     string
	kubectl    string
	kubeconfig string
	env        *envtest.Environment
	cpLogs     []*os.File
	k8s        client.Client
	scheme     *runtime.Scheme
	ca         *demoCA
	httpc      *http.Client
	fake       *child
	fakeURL    string
	manager    *child
	samples    *samples
	mgmtSecret string

	// Optional, where the machine has them: the demo's PostgreSQL (the Odoo row applied into
	// it) and OpenG2P's own login service.
	pg           *pgServer
	pgOperatorPW string
	odoo         *odooTarget
	svc          *openg2pService
}

func newDemo(cfg *config, w io.Writer) *demo {
	// The control plane's and client-go's own logs would only add noise; they are off.
	logf.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())
	return &demo{cfg: cfg, out: &printer{w: w, start: time.Now()}}
}

func (d *demo) step(format string, a ...any) { d.out.step(format, a...) }
func (d *demo) detail(text string)           { d.out.detail("  ", text) }

// failf records a failed step; the demo carries on where it can and exits 1. A step cut short by
// Ctrl-C is not a failure; anything going wrong while tearing down is.
func (d *demo) failf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	d.mu.Lock()
	cut := d.ctx != nil && d.ctx.Err() != nil && !d.tearingDown
	if !cut {
		d.failures = append(d.failures, msg)
	}
	d.mu.Unlock()
	if cut {
		d.step("stopped by Ctrl-C: %s", msg)
		return
	}
	d.step("FAILED: %s", msg)
}

func (d *demo) failed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.failures) > 0
}

// run is the whole demo; it returns the exit status.
func (d *demo) run(sigs <-chan os.Signal) int {
	ctx, stop, forced := interruptible(sigs)
	defer stop()
	d.mu.Lock()
	d.ctx = ctx
	d.mu.Unlock()
	interrupted := func() bool { return errors.Is(context.Cause(ctx), errInterrupted) }
	// Say at once that Ctrl-C was seen; the current step (e.g. the control plane's start) ends first.
	announced, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(announced)
		select {
		case <-ctx.Done():
		case <-finished:
		}
		if interrupted() {
			d.step("Ctrl-C: tearing down (press Ctrl-C again to kill everything at once)")
		}
	}()

	err := d.setUp(ctx)
	if err == nil {
		d.show(ctx)
		switch {
		case interrupted():
		case d.cfg.exit:
			d.step("DEMO_EXIT is set: tearing down instead of waiting for Ctrl-C")
		default:
			d.wait(ctx)
		}
	}
	wasRunning := err == nil && !d.cfg.exit
	if err != nil && !interrupted() {
		d.failf("%v", err)
	}
	close(finished)
	<-announced
	d.mu.Lock()
	d.tearingDown = true
	d.mu.Unlock()
	d.tearDown(forced)
	switch {
	case d.failed():
		d.step("demo finished with %d failed step(s):", len(d.failures))
		for _, f := range d.failures {
			d.detail("- " + f)
		}
		return 1
	case interrupted() && !wasRunning:
		d.step("interrupted before the demo was complete")
		return 130
	}
	d.step("demo finished: every step succeeded")
	return 0
}

// setUp brings everything up and applies the samples; an error means nothing can be shown.
func (d *demo) setUp(ctx context.Context) error {
	var err error
	d.tmp, err = os.MkdirTemp("", "esignet-demo-")
	if err != nil {
		return err
	}
	d.step("esignet-operator demo; everything lives in %s and is removed on exit", d.tmp)
	for _, dir := range []string{"logs", "kube-cache"} {
		if err := os.MkdirAll(filepath.Join(d.tmp, dir), 0o700); err != nil { //nolint:gosec // inside the demo's own temp dir
			return err
		}
	}
	steps := []func(context.Context) error{
		d.provideAssets, d.buildBinaries, d.readSamples, d.startControlPlane, d.startFake, d.startPostgres,
		d.installCRDs, d.startManager, d.applySamples, d.waitReady,
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
	return nil
}

// provideAssets finds kube-apiserver, etcd and kubectl through hack/envtest-assets.sh, which
// builds them from the Go module proxy on a cold machine (its progress lines are shown).
func (d *demo) provideAssets(ctx context.Context) error {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" && isExec(filepath.Join(dir, "kube-apiserver")) {
		d.assets = dir
		d.step("control-plane binaries from KUBEBUILDER_ASSETS: %s", dir)
	} else {
		d.step("control-plane binaries: hack/envtest-assets.sh (cold: builds kube-apiserver, etcd and kubectl from the Go module proxy, 5-14 min once per machine)")
		cmd := exec.CommandContext(ctx, filepath.Join(d.cfg.root, "hack", "envtest-assets.sh")) //nolint:gosec // the project's own script
		cmd.Dir = d.cfg.root
		stderr, err := cmd.StderrPipe()
		if err != nil {
			return err
		}
		var stdout strings.Builder
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			return err
		}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.step("  | %s", sc.Text())
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("hack/envtest-assets.sh: %w", err)
		}
		d.assets = strings.TrimSpace(stdout.String())
		d.detail(d.assets)
	}
	for _, b := range []string{"kube-apiserver", "etcd", "kubectl"} {
		if !isExec(filepath.Join(d.assets, b)) {
			return fmt.Errorf("%s has no %s", d.assets, b)
		}
	}
	d.kubectl = filepath.Join(d.assets, "kubectl")
	return nil
}

func isExec(path string) bool {
	st, err := os.Stat(path) //nolint:gosec // checks the binaries the demo is about to run
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// buildBinaries builds the manager and the fake eSignet (seconds when the Go build cache is warm).
func (d *demo) buildBinaries(ctx context.Context) error {
	if err := os.MkdirAll(d.cfg.binDir, 0o750); err != nil {
		return err
	}
	args := []string{"build", "-o", d.cfg.binDir + "/", "./cmd/manager", "./cmd/fake-esignet"}
	d.step("$ go %s   (cold Go build cache: 1-3 min)", strings.Join(args, " "))
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", args...) //nolint:gosec // fixed go build of the project's own commands
	cmd.Dir = d.cfg.root
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	out, err := cmd.CombinedOutput()
	d.detail(string(out))
	if err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	d.detail(fmt.Sprintf("built %s/manager and %s/fake-esignet in %.1f s", d.cfg.binDir, d.cfg.binDir, time.Since(start).Seconds()))
	return nil
}

func (d *demo) readSamples(context.Context) error {
	s, err := loadSamples(d.cfg.samplesDir)
	if err != nil {
		return err
	}
	d.samples = s
	var names []string
	for _, f := range s.files {
		names = append(names, f.name)
	}
	d.step("samples: %s (%s); provider %s, relying parties %s",
		d.cfg.samplesDir, strings.Join(names, ", "), s.provider.GetName(), strings.Join(s.rpKeys(), ", "))
	return nil
}

// startControlPlane starts kube-apiserver and etcd on loopback with envtest, keeping their
// certificates, data and logs in the demo's temp dir.
func (d *demo) startControlPlane(context.Context) error {
	d.step("starting kube-apiserver and etcd (envtest control plane, loopback only)")
	logs := map[string]*os.File{}
	for _, n := range []string{"kube-apiserver", "etcd"} {
		f, err := os.OpenFile(filepath.Join(d.tmp, "logs", n+".log"), os.O_CREATE|os.O_WRONLY, 0o600) //nolint:gosec // the demo's own log file
		if err != nil {
			return err
		}
		d.cpLogs = append(d.cpLogs, f)
		logs[n] = f
		if err := os.MkdirAll(filepath.Join(d.tmp, n), 0o700); err != nil {
			return err
		}
	}
	d.env = &envtest.Environment{
		BinaryAssetsDirectory: d.assets,
		ControlPlane: envtest.ControlPlane{
			APIServer: &envtest.APIServer{CertDir: filepath.Join(d.tmp, "kube-apiserver"),
				Out: logs["kube-apiserver"], Err: logs["kube-apiserver"]},
			Etcd: &envtest.Etcd{DataDir: filepath.Join(d.tmp, "etcd"), Out: logs["etcd"], Err: logs["etcd"]},
		},
	}
	cfg, err := d.env.Start()
	if err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	d.kubeconfig = filepath.Join(d.tmp, "kubeconfig")
	if err := os.WriteFile(d.kubeconfig, d.env.KubeConfig, 0o600); err != nil {
		return err
	}
	d.scheme = runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(d.scheme); err != nil {
		return err
	}
	if err := esignetv1alpha1.AddToScheme(d.scheme); err != nil {
		return err
	}
	if d.k8s, err = client.New(cfg, client.Options{Scheme: d.scheme}); err != nil {
		return err
	}
	d.step("control plane up: kube-apiserver pid %s at %s, etcd pid %s",
		pidList(childrenNamed("kube-apiserver")), cfg.Host, pidList(childrenNamed("etcd")))
	d.detail("kubeconfig " + d.kubeconfig + "; logs in " + filepath.Join(d.tmp, "logs"))
	return nil
}

func pidList(pids []int) string {
	if len(pids) == 0 {
		return "?"
	}
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ",")
}

var listeningRE = regexp.MustCompile(`listening on (\S+)`)

// startFake runs cmd/fake-esignet over TLS with a serving certificate from a CA generated now.
func (d *demo) startFake(ctx context.Context) error {
	var err error
	if d.ca, err = newDemoCA(filepath.Join(d.tmp, "fake-esignet")); err != nil {
		return fmt.Errorf("generating the demo CA: %w", err)
	}
	if d.httpc, err = d.ca.httpClient(); err != nil {
		return err
	}
	d.step("generated a CA for the fake eSignet: %s (CN %q, SHA-256 %s…, valid until %s)",
		d.ca.caPath, d.ca.subject, d.ca.fingerprintSHA256, d.ca.notAfter)

	secret := randomHex(24)
	d.mgmtSecret = secret
	d.out.red.addSecret(secret, "management client secret")
	var issuer string
	d.fake, d.fakeURL, issuer, err = d.runFake(ctx, "fake-esignet", d.samples.generation, secret)
	if err != nil {
		return err
	}
	d.step("fake eSignet %s pid %d listening on %s (TLS verified against the demo CA; issuer %s)",
		d.samples.generation, d.fake.pid(), d.fakeURL, issuer)
	if d.samples.mgmtClientID != "" {
		d.detail(fmt.Sprintf("management client %s (scopes add_oidc_client,update_oidc_client); its secret goes into Secret %s/%s",
			d.samples.mgmtClientID, d.samples.provider.GetNamespace(), d.samples.mgmtSecretName))
	}
	return nil
}

// runFake starts cmd/fake-esignet at a generation, with the demo CA's serving certificate and
// the samples' management client (its secret given), and returns it with its URL and issuer once
// its discovery answers over TLS trusting only the demo CA.
func (d *demo) runFake(ctx context.Context, name, generation, secret string) (*child, string, string, error) {
	args := []string{"--addr", "127.0.0.1:0", "--tls-cert", d.ca.certPath, "--tls-key", d.ca.keyPath,
		"--generation", generation}
	if d.samples.mgmtClientID != "" {
		args = append(args, "--client", d.samples.mgmtClientID+":"+secret+":add_oidc_client,update_oidc_client")
	} else {
		args = append(args, "--auth-disabled")
	}
	bin := filepath.Join(d.cfg.binDir, "fake-esignet")
	d.step("$ %s %s", bin, strings.Join(args, " "))
	urls := make(chan string, 1)
	fake, err := spawn(name, filepath.Join(d.tmp, "logs", name+".log"), func(line string) {
		if m := listeningRE.FindStringSubmatch(line); m != nil {
			select {
			case urls <- m[1]:
			default:
			}
		}
	}, bin, args...)
	if err != nil {
		return nil, "", "", err
	}
	var u string
	select {
	case u = <-urls:
	case <-fake.done:
		return fake, "", "", fmt.Errorf("%s exited: %s; log:\n%s", name, exitText(fake.err), tail(fake.logPath, 20))
	case <-time.After(15 * time.Second):
		return fake, "", "", fmt.Errorf("%s did not report its address within 15 s; log:\n%s", name, tail(fake.logPath, 20))
	case <-ctx.Done():
		return fake, "", "", ctx.Err()
	}
	var disc struct {
		Issuer string `json:"issuer"`
	}
	if err := d.getJSON(ctx, u+"/.well-known/openid-configuration", &disc); err != nil {
		return fake, u, "", fmt.Errorf("fake eSignet discovery over TLS with the demo CA: %w", err)
	}
	return fake, u, disc.Issuer, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runKubectl runs the assets' kubectl against the demo control plane and shows the command and
// its output, as a user would type it with KUBECONFIG set.
func (d *demo) runKubectl(ctx context.Context, args ...string) (string, error) {
	d.step("$ kubectl %s", strings.Join(args, " "))
	out, err := d.kubectlQuiet(ctx, args...)
	d.detail(out)
	return out, err
}

func (d *demo) kubectlQuiet(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, d.kubectl, args...) //nolint:gosec // the assets' kubectl
	cmd.Env = append(os.Environ(), "KUBECONFIG="+d.kubeconfig, "KUBECACHEDIR="+filepath.Join(d.tmp, "kube-cache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func (d *demo) installCRDs(ctx context.Context) error {
	d.step("kubectl below is %s with KUBECONFIG=%s", d.kubectl, d.kubeconfig)
	if _, err := d.runKubectl(ctx, "apply", "-f", filepath.Join(d.cfg.root, "config", "crd", "bases")); err != nil {
		return err
	}
	_, err := d.runKubectl(ctx, "wait", "--for", "condition=Established", "--timeout", "60s",
		"crd/esignetproviders.esignet.openg2p.org", "crd/clusteresignetproviders.esignet.openg2p.org",
		"crd/esignetrelyingparties.esignet.openg2p.org")
	return err
}

// startManager runs the manager binary against the demo control plane and waits for /readyz.
func (d *demo) startManager(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	bin := filepath.Join(d.cfg.binDir, "manager")
	args := []string{"--kubeconfig", d.kubeconfig, "--metrics-bind-address", "0",
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", port)}
	d.step("$ %s %s", bin, strings.Join(args, " "))
	if d.manager, err = spawn("manager", filepath.Join(d.tmp, "logs", "manager.log"), nil, bin, args...); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", port)
	for {
		if d.manager.exited() {
			return fmt.Errorf("manager exited: %s; log:\n%s", exitText(d.manager.err), tail(d.manager.logPath, 20))
		}
		if ok := probe(ctx, readyz); ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("manager not ready at %s within 30 s; log:\n%s", readyz, tail(d.manager.logPath, 20))
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	d.step("manager pid %d ready (%s); log %s", d.manager.pid(), readyz, d.manager.logPath)
	return nil
}

func probe(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil) //nolint:gosec // loopback addresses the demo bound itself
	if err != nil {
		return false
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req) //nolint:gosec // loopback addresses the demo bound itself
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// tail returns the last n lines of a log file (redacted when printed).
func tail(path string, n int) string {
	b, err := os.ReadFile(path) //nolint:gosec // the demo's own log file
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// applySamples creates the namespaces and applies the patched samples with kubectl.
func (d *demo) applySamples(ctx context.Context) error {
	changes, err := d.samples.patchForFake(d.fakeURL, d.ca.caPEM, d.mgmtSecret)
	if err != nil {
		return err
	}
	more, err := d.prepareOdooDatabase(ctx)
	if err != nil {
		return fmt.Errorf("the Odoo database: %w", err)
	}
	changes = append(changes, more...)
	dir := filepath.Join(d.tmp, "samples")
	if err := d.samples.write(dir); err != nil {
		return err
	}
	d.step("patched copies of %s in %s (the sample files are untouched):", d.cfg.samplesDir, dir)
	for _, c := range changes {
		d.detail("- " + c)
	}
	for _, ns := range d.samples.namespaces {
		if _, err := d.runKubectl(ctx, "create", "namespace", ns); err != nil {
			return err
		}
	}
	_, err = d.runKubectl(ctx, "apply", "-f", dir)
	return err
}
