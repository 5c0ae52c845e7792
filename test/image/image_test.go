// Package image tests hack/image: it builds the manager image into a temp dir, checks its
// config and layer, runs the unpacked /manager, and (with KUBEBUILDER_ASSETS) starts it against
// an envtest control plane until /readyz answers, then stops it with SIGTERM.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

const tag = "example.test/esignet-operator:test"

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "hack", "image", "main.go")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	return root
}

// buildImage runs hack/image once per output and returns the layout dir and the tarball path.
func buildImage(t *testing.T, root, dir string) (string, string) {
	t.Helper()
	out, tarPath := filepath.Join(dir, "layout"), filepath.Join(dir, "image.tar")
	cmd := exec.Command("go", "run", "./hack/image", "-o", out, "-tar", tarPath, "-tag", tag)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "SOURCE_DATE_EPOCH=")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./hack/image: %v\n%s", err, b)
	}
	t.Logf("%s", bytes.TrimSpace(b))
	return out, tarPath
}

func layoutImage(t *testing.T, dir string) v1.Image {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("layout has %d manifests, want 1", len(im.Manifests))
	}
	if got := im.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; got != "test" {
		t.Errorf("ref.name annotation = %q, want test", got)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestImage(t *testing.T) {
	root := moduleRoot(t)
	tmp := t.TempDir()
	start := time.Now()
	dir, tarPath := buildImage(t, root, filepath.Join(tmp, "a"))
	dir2, tarPath2 := buildImage(t, root, filepath.Join(tmp, "b"))
	t.Logf("two image builds took %s", time.Since(start).Round(time.Millisecond))

	img := layoutImage(t, dir)
	d := digest(t, img)

	t.Run("deterministic", func(t *testing.T) {
		if d2 := digest(t, layoutImage(t, dir2)); d2 != d {
			t.Errorf("two runs gave different digests: %s and %s", d, d2)
		}
		a, err := os.ReadFile(tarPath)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(tarPath2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Error("two runs gave different tarballs")
		}
		ti, err := tarball.ImageFromPath(tarPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The docker tarball carries no manifest (docker load writes its own), so compare the
		// config and layer digests, which are what docker/podman load.
		{
			c1, err1 := ti.ConfigName()
			c2, err2 := img.ConfigName()
			if err1 != nil || err2 != nil || c1 != c2 {
				t.Errorf("tarball config %s, layout config %s (%v, %v)", c1, c2, err1, err2)
			}
			l1, err1 := ti.Layers()
			l2, err2 := img.Layers()
			if err1 != nil || err2 != nil || len(l1) != len(l2) {
				t.Fatalf("layers: %d vs %d (%v, %v)", len(l1), len(l2), err1, err2)
			}
			for i := range l1 {
				d1, _ := l1[i].DiffID()
				d2, _ := l2[i].DiffID()
				if d1 != d2 {
					t.Errorf("layer %d: tarball %s, layout %s", i, d1, d2)
				}
			}
		}
	})

	t.Run("config", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cf.Config
		if c.User != "65532:65532" {
			t.Errorf("User = %q, want 65532:65532", c.User)
		}
		if u := strings.SplitN(c.User, ":", 2)[0]; u == "" || u == "0" || u == "root" {
			t.Errorf("image runs as root (User %q)", c.User)
		}
		if strings.Join(c.Entrypoint, " ") != "/manager" || len(c.Cmd) != 0 {
			t.Errorf("Entrypoint %q Cmd %q, want [/manager] and none", c.Entrypoint, c.Cmd)
		}
		if c.WorkingDir != "/" {
			t.Errorf("WorkingDir = %q", c.WorkingDir)
		}
		env := strings.Join(c.Env, "\n")
		for _, want := range []string{"PATH=", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"} {
			if !strings.Contains(env, want) {
				t.Errorf("Env %q lacks %s", c.Env, want)
			}
		}
		if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
			t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
		}
		if !cf.Created.Equal(time.Unix(0, 0)) {
			t.Errorf("Created = %s, want the epoch", cf.Created)
		}
		for _, k := range []string{"source", "title", "description", "version"} {
			if c.Labels["org.opencontainers.image."+k] == "" {
				t.Errorf("label org.opencontainers.image.%s missing (%v)", k, c.Labels)
			}
		}
	})

	rootfs := filepath.Join(tmp, "rootfs")
	t.Run("layer", func(t *testing.T) {
		modes := unpack(t, img, rootfs)
		want := map[string]os.FileMode{
			"manager":                           0o755,
			"etc/passwd":                        0o644,
			"etc/group":                         0o644,
			"etc/ssl/certs/ca-certificates.crt": 0o644,
			"tmp":                               os.ModeDir | os.ModeSticky | 0o777,
		}
		for n, m := range want {
			if got, ok := modes[n]; !ok {
				t.Errorf("layer lacks /%s", n)
			} else if got != m {
				t.Errorf("/%s mode %s, want %s", n, got, m)
			}
		}
		passwd, _ := os.ReadFile(filepath.Join(rootfs, "etc", "passwd"))
		group, _ := os.ReadFile(filepath.Join(rootfs, "etc", "group"))
		if !strings.Contains(string(passwd), "nonroot:x:65532:65532:") || !strings.Contains(string(group), "nonroot:x:65532:") {
			t.Errorf("no nonroot 65532 in /etc/passwd or /etc/group:\n%s\n%s", passwd, group)
		}
		ca, _ := os.ReadFile(filepath.Join(rootfs, "etc", "ssl", "certs", "ca-certificates.crt"))
		if !bytes.Contains(ca, []byte("BEGIN CERTIFICATE")) {
			t.Error("CA bundle holds no certificate")
		}
	})

	manager := filepath.Join(rootfs, "manager")
	if _, err := os.Stat(manager); err != nil {
		t.Fatalf("unpacked manager: %v", err)
	}

	t.Run("help", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, manager, "--help").CombinedOutput()
		var ee *exec.ExitError
		if err != nil && (!errors.As(err, &ee) || ee.ExitCode() != 2) {
			t.Fatalf("/manager --help: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "metrics-bind-address") {
			t.Errorf("/manager --help does not name --metrics-bind-address:\n%s", out)
		}
	})

	t.Run("envtest", func(t *testing.T) {
		if os.Getenv("KUBEBUILDER_ASSETS") == "" {
			t.Skip("KUBEBUILDER_ASSETS is not set (KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh))")
		}
		runAgainstEnvtest(t, root, manager)
	})
}

// unpack extracts img's layers into dir, refusing absolute paths, ".." and links, and returns
// every entry's mode by clean relative path.
func unpack(t *testing.T, img v1.Image, dir string) map[string]os.FileMode {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]os.FileMode{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		var prev string
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Name < prev {
				t.Errorf("tar entries not sorted: %q after %q", h.Name, prev)
			}
			prev = h.Name
			n, err := safeName(h.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !h.ModTime.Equal(time.Unix(0, 0)) {
				t.Errorf("/%s mtime %s, want the epoch", n, h.ModTime)
			}
			modes[n] = h.FileInfo().Mode()
			target := filepath.Join(dir, filepath.FromSlash(n))
			switch h.Typeflag {
			case tar.TypeDir:
				if err := os.MkdirAll(target, 0o755); err != nil {
					t.Fatal(err)
				}
			case tar.TypeReg:
				if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
					t.Fatal(err)
				}
				f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, os.FileMode(h.Mode)&0o755)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(f, io.LimitReader(tr, 512<<20)); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatalf("unexpected tar entry type %q for /%s", h.Typeflag, n)
			}
		}
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return modes
}

// safeName returns the entry's clean relative path, or an error for absolute or escaping names.
func safeName(name string) (string, error) {
	if strings.HasPrefix(name, "/") || filepath.IsAbs(name) {
		return "", fmt.Errorf("absolute path in layer: %q", name)
	}
	for _, part := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if part == ".." {
			return "", fmt.Errorf("path with .. in layer: %q", name)
		}
	}
	n := path.Clean(name)
	if n == "." || n == "" {
		return "", fmt.Errorf("empty path in layer: %q", name)
	}
	return n, nil
}

func TestSafeName(t *testing.T) {
	for _, bad := range []string{"/etc/passwd", "../x", "a/../../x", "a/..", ".", ""} {
		if _, err := safeName(bad); err == nil {
			t.Errorf("safeName(%q) accepted", bad)
		}
	}
	for _, good := range []string{"manager", "etc/", "etc/ssl/certs/ca-certificates.crt", "a..b"} {
		if _, err := safeName(good); err != nil {
			t.Errorf("safeName(%q): %v", good, err)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

func runAgainstEnvtest(t *testing.T, root, manager string) {
	logf.SetLogger(logr.Discard())
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	if _, err := env.Start(); err != nil {
		t.Fatalf("starting envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	admin, err := env.AddUser(envtest.User{Name: "image-test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}

	probe := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	var logs bytes.Buffer
	cmd := exec.Command(manager, "--kubeconfig", kubeconfig,
		"--metrics-bind-address", "0", "--health-probe-bind-address", probe)
	// No in-cluster config or proxies: only the envtest apiserver on loopback.
	cmd.Env = []string{"HOME=" + t.TempDir(), "NO_PROXY=*", "POD_NAMESPACE=default"}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("manager output:\n%s", logs.String())
		}
	}()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("manager exited before it was ready: %v", err)
		default:
		}
		resp, err := client.Get("http://" + probe + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("manager /readyz not 200 within 20 s (last: %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("manager ready on %s", probe)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("manager did not exit cleanly after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("manager still running 15 s after SIGTERM")
	}
}
