package helm

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/openg2p/esignet-operator/test/deployed/harness"
)

// helmTool runs the pinned helm (hack/tools.sh helm, or $HELM) with a private home and an
// environment that can reach nothing but loopback: no kubeconfig, context or namespace from the
// caller's environment, and HTTP(S)_PROXY pointing at a loopback trap that records any attempt to
// go elsewhere (Go never proxies loopback, so the API server is reached directly).
type helmTool struct {
	bin  string
	env  []string
	trap *proxyTrap
}

func newHelmTool(root, home string) (*helmTool, error) {
	bin, err := harness.Tool(root, "helm", "HELM")
	if err != nil {
		return nil, err
	}
	trap, err := startProxyTrap()
	if err != nil {
		return nil, err
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch up := strings.ToUpper(k); {
		case strings.HasPrefix(up, "HELM_"), strings.HasPrefix(up, "KUBE"), strings.HasSuffix(up, "_PROXY"):
			continue
		}
		env = append(env, kv)
	}
	for _, d := range []string{"cache", "config", "data"} {
		dir := filepath.Join(home, d)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		env = append(env, "HELM_"+strings.ToUpper(d)+"_HOME="+dir)
	}
	proxy := "http://" + trap.addr()
	env = append(env, "HTTP_PROXY="+proxy, "HTTPS_PROXY="+proxy, "http_proxy="+proxy, "https_proxy="+proxy, "NO_PROXY=", "no_proxy=")
	return &helmTool{bin: bin, env: env, trap: trap}, nil
}

// run runs helm with args and returns its stdout; an error carries stderr.
func (h *helmTool) run(args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(h.bin, args...)
	cmd.Env = h.env
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if hits := h.trap.hits(); len(hits) > 0 {
		return nil, fmt.Errorf("helm %s tried to reach beyond loopback: %s", strings.Join(args, " "), strings.Join(hits, "; "))
	}
	return stdout.Bytes(), nil
}

// template renders the chart as release eso in namespace esignet-operator-system with the extra
// args (--set, -f, ...), CRDs left out as `helm template` does by default.
func (h *helmTool) template(extra ...string) ([]byte, error) {
	return h.run(append([]string{"template", renderedRelease, chartDir, "--namespace", names.Namespace}, extra...)...)
}

// templateObjects is template, decoded and indexed by "Kind/name".
func (h *helmTool) templateObjects(t *testing.T, extra ...string) map[string]*unstructured.Unstructured {
	t.Helper()
	out, err := h.template(extra...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := harness.DecodeManifests(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decoding helm template: %v", err)
	}
	return harness.ObjectMap(objs)
}

// proxyTrap is a loopback listener standing in for an HTTP proxy: whatever connects to it was
// on its way off the machine, and is recorded and refused.
type proxyTrap struct {
	l    net.Listener
	mu   sync.Mutex
	seen []string
}

func startProxyTrap() (*proxyTrap, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxyTrap{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 512)
			n, _ := c.Read(buf)
			line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
			p.mu.Lock()
			p.seen = append(p.seen, "a connection to the proxy: "+strconv.Quote(line))
			p.mu.Unlock()
			_ = c.Close()
		}
	}()
	return p, nil
}

func (p *proxyTrap) addr() string { return p.l.Addr().String() }

func (p *proxyTrap) hits() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func (p *proxyTrap) close() { _ = p.l.Close() }
