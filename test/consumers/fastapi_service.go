package consumers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// OpenG2P's own FastAPI packages, installed from PyPI at pinned versions (with hashes) into
// virtual environments outside the clone by hack/openg2p-venv.sh, which hack/install-test-deps.sh
// runs: one per openg2p-requirements-<name>.txt. A missing or unfinished venv fails the test; the
// test never installs it.

// The OpenG2P package sets (openg2p-requirements-<name>.txt).
const (
	// OpenG2PAuth112 is openg2p-fastapi-auth 1.1.2 with openg2p-fastapi-common 1.1.2: its login
	// flow reads the login_providers table.
	OpenG2PAuth112 = "auth-1.1.2"
	// OpenG2PAuth113 is openg2p-fastapi-auth 1.1.3 (the last release with a login flow) with
	// openg2p-fastapi-common and openg2p-fastapi-auth-models 1.1.6: its login flow reads only
	// <prefix>LOGIN_PROVIDERS_LIST.
	OpenG2PAuth113 = "auth-1.1.3"
)

//go:embed openg2p-requirements-*.txt
var openg2pRequirements embed.FS

//go:embed openg2p_service.py
var openg2pServiceScript []byte

// OpenG2PServiceStartTimeout bounds the service's start (imports, app set-up, first answer).
const OpenG2PServiceStartTimeout = 45 * time.Second

// OpenG2PVenv returns the directory holding the OpenG2P packages' venvs: the one
// hack/openg2p-venv.sh builds for the embedded requirements files, keyed by their hash (SHA-256
// of the files concatenated in name order). It fails the test unless the venvs are complete.
func OpenG2PVenv(t testing.TB) string {
	t.Helper()
	entries, err := openg2pRequirements.ReadDir(".") // sorted by name
	if err != nil {
		t.Fatalf("consumers: %v", err)
	}
	h := sha256.New()
	for _, e := range entries {
		b, err := openg2pRequirements.ReadFile(e.Name())
		if err != nil {
			t.Fatalf("consumers: %v", err)
		}
		h.Write(b)
	}
	sum := h.Sum(nil)
	cache := os.Getenv("ESIGNET_OPERATOR_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				t.Fatalf("consumers: no cache directory for the OpenG2P venv: %v", err)
			}
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "esignet-operator")
	}
	dir := filepath.Join(cache, "venv-openg2p-"+hex.EncodeToString(sum[:])[:16])
	//nolint:gosec // G703: the cache directory is the developer's own, as in hack/openg2p-venv.sh
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		t.Fatalf("consumers: the OpenG2P packages' venvs %s are not built (%v); run hack/install-test-deps.sh "+
			"(or hack/openg2p-venv.sh)", dir, err)
	}
	return dir
}

// OpenG2PPython is the interpreter of the package set name (OpenG2PAuth112, OpenG2PAuth113).
func OpenG2PPython(t testing.TB, name string) string {
	t.Helper()
	python := filepath.Join(OpenG2PVenv(t), name, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("consumers: no OpenG2P package set %q: %v", name, err)
	}
	return python
}

// OpenG2PService is openg2p-fastapi-auth's login service (its AuthController and
// OAuthController on openg2p-fastapi-common's app), served by uvicorn on 127.0.0.1.
type OpenG2PService struct {
	// URL is the service root, http://127.0.0.1:PORT.
	URL string
	// StartupTime is from process start to the first answer.
	StartupTime time.Duration

	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// OpenG2PConfig configures one service process.
type OpenG2PConfig struct {
	// Packages names the package set (OpenG2PAuth112, OpenG2PAuth113).
	Packages string
	// DB and Database: the PostgreSQL database the service reads login_providers from.
	DB       *DB
	Database string
	// Env is the app's configuration: each rendered key as an environment variable (for
	// example the env output's COMMON_AUTH_DEFAULT_ISSUERS; the packages read only COMMON_
	// names). It may also override TZ, which is UTC otherwise.
	Env map[string]string
	// Listener, if set, is the bound socket the service serves on (so a redirect URI naming its
	// port can be rendered first); it is handed to the process and closed here.
	Listener net.Listener
}

// OpenG2PListener binds a loopback socket for StartOpenG2PService and returns it with the
// service URL it will have.
func OpenG2PListener(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("consumers: %v", err)
	}
	return ln, "http://" + ln.Addr().String()
}

// MigrateOpenG2P creates the service's tables in database db the way the app's "migrate"
// command does (SQLAlchemy create_all of the package's own LoginProvider model).
func MigrateOpenG2P(t testing.TB, packages string, d *DB, db string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), OpenG2PServiceStartTimeout)
	defer cancel()
	cmd := openg2pCommand(ctx, t, "migrate", OpenG2PConfig{Packages: packages, DB: d, Database: db})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("consumers: openg2p-fastapi-auth migrate: %v\n%s", err, out)
	}
}

// OpenG2PRun runs the launcher's command (see openg2p_service.py) with stdin and returns
// its standard output; a failure fails the test.
func OpenG2PRun(t testing.TB, packages, command string, stdin []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), OpenG2PServiceStartTimeout)
	defer cancel()
	cmd := openg2pCommand(ctx, t, command, OpenG2PConfig{Packages: packages})
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("consumers: openg2p_service.py %s: %v\n%s", command, err, stderr.String())
	}
	return stdout.Bytes()
}

// StartOpenG2PService starts the service and waits until it answers. It is stopped (SIGTERM,
// then SIGKILL) in t.Cleanup, and its log is attached to the test output when the test fails.
func StartOpenG2PService(t testing.TB, cfg OpenG2PConfig) *OpenG2PService {
	t.Helper()
	ln := cfg.Listener
	if ln == nil {
		ln, _ = OpenG2PListener(t)
	}
	tcp, ok := ln.(*net.TCPListener)
	if !ok {
		t.Fatalf("consumers: listener %T is not TCP", ln)
	}
	f, err := tcp.File()
	if err != nil {
		t.Fatalf("consumers: %v", err)
	}
	s := &OpenG2PService{URL: "http://" + ln.Addr().String(), log: &syncBuffer{}, done: make(chan struct{})}
	// Not bound to a context: stop ends it in t.Cleanup.
	s.cmd = openg2pCommand(context.Background(), t, "serve", cfg)
	s.cmd.ExtraFiles = []*os.File{f} // fd 3
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	start := time.Now()
	err = s.cmd.Start()
	_ = f.Close()
	_ = ln.Close()
	if err != nil {
		t.Fatalf("consumers: starting the OpenG2P service: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("OpenG2P service log:\n%s", s.Log())
		}
	})
	if err := s.waitReady(OpenG2PServiceStartTimeout); err != nil {
		t.Fatalf("consumers: the OpenG2P service did not come up: %v\n%s", err, s.Log())
	}
	s.StartupTime = time.Since(start)
	return s
}

// Log is what the service printed so far (its JSON log lines and any traceback).
func (s *OpenG2PService) Log() string { return s.log.String() }

// LogContains reports whether the service printed all of want within d: its output reaches the
// log through a pipe, possibly after the answer to the request that logged it.
func (s *OpenG2PService) LogContains(d time.Duration, want ...string) bool {
	deadline := time.Now().Add(d)
	for {
		log := s.Log()
		if !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(log, w) }) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *OpenG2PService) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-s.done:
			return fmt.Errorf("the process exited: %v", s.cmd.ProcessState)
		default:
		}
		resp, err := client.Get(s.URL + "/openapi.json")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from %s within %s: %w", s.URL, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *OpenG2PService) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// openg2pCommand is the launcher under the venv's interpreter, in isolated mode, in a fresh
// directory (the packages read a .env from the working directory), with an environment that
// holds no COMMON_ variable but cfg's.
func openg2pCommand(ctx context.Context, t testing.TB, command string, cfg OpenG2PConfig) *exec.Cmd {
	t.Helper()
	python := OpenG2PPython(t, cfg.Packages)
	dir := t.TempDir()
	script := filepath.Join(dir, "openg2p_service.py")
	if err := os.WriteFile(script, openg2pServiceScript, 0o600); err != nil {
		t.Fatalf("consumers: %v", err)
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(strings.ToUpper(kv), "COMMON_") || strings.HasPrefix(kv, "TZ=")
	})
	env = append(env, "no_proxy="+noProxy(), "NO_PROXY="+noProxy(), "PYTHONDONTWRITEBYTECODE=1",
		// The packages compute the client assertion's iat and exp from a naive UTC datetime's
		// .timestamp(), which Python reads as local time: right only where local time is UTC, as
		// in OpenG2P's containers.
		"TZ=UTC")
	if cfg.DB != nil {
		env = append(env, fmt.Sprintf("COMMON_DB_DATASOURCE=postgresql+asyncpg://postgres@127.0.0.1:%d/%s",
			cfg.DB.Port(), cfg.Database))
	}
	for k, v := range cfg.Env {
		env = append(env, k+"="+v)
	}
	cmd := exec.CommandContext(ctx, python, "-I", script, command) //nolint:gosec // the pinned venv's interpreter, our own embedded script
	cmd.Dir = dir
	cmd.Env = env
	return cmd
}

// syncBuffer is a bytes.Buffer safe for the process's two output streams and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// OpenG2PVersions reports the installed distributions (the launcher's versions command).
func OpenG2PVersions(t testing.TB, packages string) map[string]string {
	t.Helper()
	var v map[string]string
	if err := json.Unmarshal(OpenG2PRun(t, packages, "versions", nil), &v); err != nil {
		t.Fatalf("consumers: versions: %v", err)
	}
	return v
}
