package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The demo is tested as users run it: as its own process (built once here), against the real
// control plane of KUBEBUILDER_ASSETS, with the samples of config/samples.
var (
	demoBin string // the demo binary built for these tests
	repo    string // repository root
	binDir  string // where the demo builds manager and fake-esignet for the tests
)

const demoTimeout = 6 * time.Minute

func TestMain(m *testing.M) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		// Failing loudly beats skipping: a green run without a control plane would prove nothing.
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run 'make test' (it provides the control plane via hack/envtest-assets.sh)")
		os.Exit(1)
	}
	tmp, err := os.MkdirTemp("", "demo-test-")
	if err != nil {
		panic(err)
	}
	repo, err = filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	demoBin, binDir = filepath.Join(tmp, "demo"), filepath.Join(tmp, "bin")
	if out, err := exec.Command("go", "build", "-o", demoBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the demo: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(tmp)
	os.Exit(code)
}

func demoCommand(ctx context.Context, exitMode bool, flags ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, demoBin, append([]string{"-root", repo, "-bin-dir", binDir}, flags...)...)
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "DEMO_EXIT=") {
			env = append(env, e)
		}
	}
	if exitMode {
		env = append(env, "DEMO_EXIT=1")
	}
	cmd.Env = env
	// Its own process group, as a terminal's foreground job: Ctrl-C goes to the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// sampleRPs are the relying parties of config/samples, namespace/name.
func sampleRPs(t *testing.T) []string {
	t.Helper()
	s, err := loadSamples(filepath.Join(repo, "config", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	return s.rpKeys()
}

// DEMO_EXIT=1: every step runs, the output shows what a person should see, and the demo exits 0
// leaving nothing behind.
func TestDemoExitMode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	start := time.Now()
	out, err := demoCommand(ctx, true).CombinedOutput()
	text := string(out)
	t.Logf("demo (DEMO_EXIT=1) took %.1f s", time.Since(start).Seconds())
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, text)
	}
	want := []string{
		"control plane up: kube-apiserver pid ",
		"$ kubectl apply -f " + filepath.Join(repo, "config", "crd", "bases"),
		"condition met",
		"fake eSignet v1.8 pid ",
		"TLS verified against the demo CA",
		"spec.caBundle <- the demo CA",
		"manager pid ",
		"$ kubectl get esignetproviders,esignetrelyingparties -A -o wide",
		"clients registered at the fake eSignet",
		"what the operator wrote",
		"DEMO_EXIT is set: tearing down",
		"control plane stopped",
		"nothing left behind",
		"demo finished: every step succeeded",
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	for _, k := range sampleRPs(t) {
		m := regexp.MustCompile(regexp.QuoteMeta(k) + ` Ready: clientID (\S+), keyID (\S+) \(registered key = Secret's key\)`).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("output does not show %s Ready with clientID and keyID", k)
			continue
		}
		clientID, kid := m[1], strings.TrimSuffix(m[2], ",")
		if !regexp.MustCompile(regexp.QuoteMeta(clientID) + `\s+ACTIVE .* kid=` + regexp.QuoteMeta(kid)).MatchString(text) {
			t.Errorf("client %s with kid %s is not listed among the fake eSignet's clients", clientID, kid)
		}
		if !regexp.MustCompile(`id_token \(\S+, signature verified with \S+\): iss=https://127\.0\.0\.1:\d+ sub=\S+ aud=` + regexp.QuoteMeta(clientID) + ` `).MatchString(text) {
			t.Errorf("no verified token exchange shown for %s (client %s)", k, clientID)
		}
	}
	db, service := optionalParts(t)
	if db {
		assertOdooRowApplied(t, text)
	} else if !strings.Contains(text, "the demo goes on without a database") {
		t.Error("the output does not say the demo goes on without a database")
	}
	if service {
		assertServiceLogin(t, text)
	} else if !strings.Contains(text, "login through OpenG2P's own service (openg2p-fastapi-auth): skipped") {
		t.Error("the output does not say the login through OpenG2P's service is skipped")
	}
	assertNoKeyMaterial(t, text)
	assertGone(t, text)
	if t.Failed() {
		t.Logf("demo output:\n%s", text)
	}
}

// Without a database (-postgres=false, as on a machine without PostgreSQL) the demo says what it
// leaves out and every other step still succeeds.
func TestDemoWithoutPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	out, err := demoCommand(ctx, true, "-postgres=false").CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, text)
	}
	for _, w := range []string{
		"PostgreSQL: not used (-postgres=false); the demo goes on without a database: the Odoo row is rendered into its Secret but not applied",
		"login through OpenG2P's own service (openg2p-fastapi-auth): skipped, it needs the demo's PostgreSQL",
		"demo finished: every step succeeded",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	for _, no := range []string{"Odoo row applied", "apply.postgres.secretName", "openg2p-fastapi-auth pid"} {
		if strings.Contains(text, no) {
			t.Errorf("output holds %q without a database", no)
		}
	}
	assertGone(t, text)
	if t.Failed() {
		t.Logf("demo output:\n%s", text)
	}
}

// optionalParts says what this machine lets the demo show: the Odoo row (a PostgreSQL server, and
// a postgres user to run it as when the tests run as root) and the login through OpenG2P's
// service (also the packages' venv).
func optionalParts(t *testing.T) (db, service bool) {
	t.Helper()
	if bin, _ := findPostgres(); bin == "" {
		return false, false
	}
	if os.Geteuid() == 0 {
		if _, err := postgresUser(); err != nil {
			return false, false
		}
	}
	err := exec.Command(filepath.Join(repo, "hack", "openg2p-venv.sh"), "--check").Run()
	t.Logf("PostgreSQL found; OpenG2P packages installed: %v", err == nil)
	return true, err == nil
}

// assertOdooRowApplied: the first odoo output's row is in the demo's database with the client id
// status reports, and its key is the key Secret's.
func assertOdooRowApplied(t *testing.T, text string) {
	t.Helper()
	m := regexp.MustCompile(`Odoo row applied by the operator \((\S+) output (\S+), apply\.postgres\): condition Applied=True/Applied`).FindStringSubmatch(text)
	if m == nil {
		t.Error("the output does not show the Odoo row applied")
		return
	}
	id := regexp.MustCompile(regexp.QuoteMeta(m[1]) + ` Ready: clientID (\S+),`).FindStringSubmatch(text)
	if id == nil || !regexp.MustCompile(`client_id:\s+`+regexp.QuoteMeta(id[1])+`\n`).MatchString(text) {
		t.Errorf("the applied row does not show %s's client id", m[1])
	}
	if !regexp.MustCompile(`client_private_key:\s+<base64 of the PEM in Secret \S+, kid=\S+>`).MatchString(text) {
		t.Error("the applied row's key is not shown as the key Secret's")
	}
}

// assertServiceLogin: the relying party of the service is Ready, and a browser logged in through
// the service as its client.
func assertServiceLogin(t *testing.T, text string) {
	t.Helper()
	m := regexp.MustCompile(`/openg2p-fastapi-auth Ready: clientID (\S+),`).FindStringSubmatch(text)
	if m == nil {
		t.Error("the service's relying party is not shown Ready")
		return
	}
	for _, re := range []string{
		`openg2p-fastapi-auth pid \d+ serving http://127\.0\.0\.1:\d+`,
		`-> 307 https://127\.0\.0\.1:\d+/authorize\?client_id=` + regexp.QuoteMeta(m[1]) + `&redirect_uri=http://127\.0\.0\.1:\d+/oauth2/callback`,
		`/auth/profile -> 200 .* aud=` + regexp.QuoteMeta(m[1]) + ` `,
		`logged in through openg2p-fastapi-auth as client ` + regexp.QuoteMeta(m[1]),
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("the output lacks %s", re)
		}
	}
}

// Without DEMO_EXIT the demo keeps everything up; an edit is reconciled while it runs, and Ctrl-C
// stops every child process and removes the temp dir.
func TestDemoInteractiveCtrlC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	cmd := demoCommand(ctx, false)
	lines := &lineLog{}
	cmd.Stdout, cmd.Stderr = lines, lines
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("demo output:\n%s", lines.String())
		}
	}()
	if !lines.waitFor(exited, "running: press Ctrl-C", 5*time.Minute) {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal("the demo never reached its running state")
	}
	t.Logf("demo running after %.1f s", time.Since(start).Seconds())
	text := lines.String()
	tmp := tempDirOf(t, text)
	pids := pidsOf(text)
	if len(pids) < 4 {
		t.Errorf("want pids of kube-apiserver, etcd, fake-esignet and manager in the output, found %v", pids)
	}
	if db, service := optionalParts(t); db && !regexp.MustCompile(`PostgreSQL \S+ pid \d+`).MatchString(text) ||
		service && !regexp.MustCompile(`openg2p-fastapi-auth pid \d+ serving`).MatchString(text) {
		t.Error("the demo's PostgreSQL or OpenG2P service did not start")
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Errorf("pid %d is not running while the demo runs", pid)
		}
	}

	// The printed command works as printed.
	m := regexp.MustCompile(`(?m)^\s+(\S+/kubectl --kubeconfig \S+) get esignetrelyingparties -A$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no kubectl command printed")
	}
	cacheDir := t.TempDir() // keep kubectl's discovery and HTTP caches out of ~/.kube
	kubectl := func(args ...string) string {
		t.Helper()
		full := append(strings.Fields(m[1]), args...)
		cmd := exec.Command(full[0], full[1:]...)
		cmd.Env = append(os.Environ(), "KUBECACHEDIR="+cacheDir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(full, " "), err, out)
		}
		return string(out)
	}
	got := kubectl("get", "esignetrelyingparties", "-A")
	for _, k := range sampleRPs(t) {
		if _, name := splitKey(k); !strings.Contains(got, name) {
			t.Errorf("kubectl get esignetrelyingparties -A lacks %s:\n%s", name, got)
		}
	}

	// No key material of any generated key was printed.
	readyRE := regexp.MustCompile(`(\S+)/(\S+) Ready: clientID (\S+),`)
	ready := readyRE.FindAllStringSubmatch(text, -1)
	for _, r := range ready {
		secretName := strings.TrimSpace(kubectl("get", "esignetrelyingparty", r[2], "-n", r[1], "-o", "jsonpath={.status.secretName}"))
		for _, field := range []string{"private\\.pem", "private\\.jwk\\.json"} {
			enc := kubectl("get", "secret", secretName, "-n", r[1], "-o", "jsonpath={.data."+field+"}")
			raw, err := base64.StdEncoding.DecodeString(enc)
			if err != nil || len(raw) == 0 {
				t.Fatalf("Secret %s/%s %s: %v", r[1], secretName, field, err)
			}
			for _, frag := range secretFragments(raw) {
				if strings.Contains(text, frag) {
					t.Errorf("the output contains key material of Secret %s/%s (%s)", r[1], secretName, field)
					break
				}
			}
		}
	}

	// Editing a relying party while the demo runs is reconciled, reported, and reaches eSignet.
	if len(ready) > 0 {
		ns, name, clientID := ready[0][1], ready[0][2], ready[0][3]
		kubectl("patch", "esignetrelyingparty", name, "-n", ns, "--type", "merge", "-p", `{"spec":{"clientName":"Edited while the demo runs"}}`)
		if !lines.waitFor(exited, fmt.Sprintf("watch: %s/%s generation 2, observed 2: Ready=True", ns, name), 60*time.Second) {
			t.Errorf("the edit of %s/%s was not reported as reconciled", ns, name)
		} else if got := fakeClientName(t, text, tmp, clientID); got != "Edited while the demo runs" {
			t.Errorf("the fake eSignet holds client name %q for %s after the edit", got, clientID)
		}
	} else {
		t.Error("no relying party became Ready")
	}

	// Ctrl-C (SIGINT to the foreground process group) tears everything down.
	stopAt := time.Now()
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("demo exit after Ctrl-C: %v", err)
		}
	case <-time.After(90 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal("the demo did not exit within 90 s of Ctrl-C")
	}
	t.Logf("tear-down took %.1f s", time.Since(stopAt).Seconds())
	text = lines.String()
	for _, w := range []string{"Ctrl-C: tearing down", "control plane stopped", "nothing left behind"} {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d still runs after Ctrl-C", pid)
		}
	}
	if left := leftovers(tmp); len(left) > 0 {
		t.Errorf("processes mentioning %s still run: %+v", tmp, left)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp dir %s still exists (%v)", tmp, err)
	}
	assertNoKeyMaterial(t, text)
}

// assertNoKeyMaterial: no PEM private key and no private JWK member in the output.
func assertNoKeyMaterial(t *testing.T, text string) {
	t.Helper()
	if regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`).MatchString(text) {
		t.Error("the output contains a PEM private key")
	}
	if m := regexp.MustCompile(`\\*"(d|p|q|dp|dq|qi)\\*"\s*:\s*\\*"[A-Za-z0-9_-]{16,}`).FindString(text); m != "" {
		t.Errorf("the output contains a private JWK member: %.12s…", m)
	}
}

// assertGone: the temp dir and every pid the demo printed are gone.
func assertGone(t *testing.T, text string) {
	t.Helper()
	tmp := tempDirOf(t, text)
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp dir %s still exists (%v)", tmp, err)
	}
	for _, pid := range pidsOf(text) {
		if alive(pid) {
			t.Errorf("pid %d still runs", pid)
		}
	}
	if left := leftovers(tmp); len(left) > 0 {
		t.Errorf("processes mentioning %s still run: %+v", tmp, left)
	}
}

func tempDirOf(t *testing.T, text string) string {
	t.Helper()
	m := regexp.MustCompile(`everything lives in (\S+) and is removed on exit`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("the output does not name the demo's temp dir")
	}
	return m[1]
}

var pidRE = regexp.MustCompile(`(kube-apiserver|etcd|fake eSignet v\S+|manager|PostgreSQL \S+|openg2p-fastapi-auth) pid (\d+)`)

func pidsOf(text string) []int {
	var pids []int
	for _, m := range pidRE.FindAllStringSubmatch(text, -1) {
		if p, err := strconv.Atoi(m[2]); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// alive: the process exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// secretFragments are pieces of a private key that must never be printed: PEM body lines and
// the private members of a JWK.
func secretFragments(raw []byte) []string {
	var out []string
	var jwk map[string]any
	if json.Unmarshal(raw, &jwk) == nil {
		for _, k := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if v, ok := jwk[k].(string); ok && len(v) >= 12 {
				out = append(out, v)
			}
		}
		return out
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); len(l) >= 12 && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

// fakeClientName reads a client's name from the fake's inspection endpoint, trusting the demo CA.
func fakeClientName(t *testing.T, text, tmp, clientID string) string {
	t.Helper()
	m := regexp.MustCompile(`listening on (https://\S+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no fake eSignet URL in the output")
	}
	caPEM, err := os.ReadFile(filepath.Join(tmp, "fake-esignet", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	resp, err := hc.Get(m[1] + "/_fake/clients/" + clientID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		ClientName string `json:"clientName"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c.ClientName
}

// lineLog collects a process's output and lets a test wait for a line.
type lineLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor polls for a line containing s; false when the process exits or the time is up.
func (l *lineLog) waitFor(exited chan error, s string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		sc := bufio.NewScanner(strings.NewReader(l.String()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), s) {
				return true
			}
		}
		select {
		case err := <-exited:
			exited <- err // keep it for the caller
			return false
		case <-deadline:
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

var _ io.Writer = (*lineLog)(nil)
