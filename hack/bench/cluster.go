package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// controlPlane is envtest's kube-apiserver and etcd on loopback, with the CRDs installed, and
// the bench's own cluster-admin clients.
type controlPlane struct {
	env    *envtest.Environment
	cfg    *rest.Config
	scheme *runtime.Scheme
	k8s    client.Client
	core   *kubernetes.Clientset
	logs   []*os.File
}

func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, v1.AddToScheme(s)
}

// startControlPlane starts kube-apiserver and etcd with their data, certificates and logs under
// dir and installs the operator's CRDs from root.
func startControlPlane(root, assets, dir string) (*controlPlane, error) {
	cp := &controlPlane{}
	logFor := func(name string) (io.Writer, error) {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
			return nil, err
		}
		f, err := os.Create(filepath.Join(dir, name+".log")) //nolint:gosec // in the bench's temp dir
		if err == nil {
			cp.logs = append(cp.logs, f)
		}
		return f, err
	}
	apiLog, err := logFor("kube-apiserver")
	if err != nil {
		return nil, err
	}
	etcdLog, err := logFor("etcd")
	if err != nil {
		return nil, err
	}
	cp.env = &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing:    true,
		UseExistingCluster:       ptr.To(false),
		ControlPlaneStartTimeout: 90 * time.Second,
		ControlPlaneStopTimeout:  30 * time.Second,
		ControlPlane: envtest.ControlPlane{
			APIServer: &envtest.APIServer{CertDir: filepath.Join(dir, "kube-apiserver"), Out: apiLog, Err: apiLog},
			Etcd:      &envtest.Etcd{DataDir: filepath.Join(dir, "etcd"), Out: etcdLog, Err: etcdLog},
		},
	}
	cfg, err := cp.env.Start()
	if err != nil {
		cp.closeLogs()
		return nil, fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	if !loopbackURL(cfg.Host) {
		_ = cp.stop()
		return nil, fmt.Errorf("the control plane listens on %s, which is not loopback", cfg.Host)
	}
	// The bench's own requests are never throttled on the client side, and its watch of every
	// relying party (an observer, charged to the operator's side) is not gzipped: on loopback
	// that would only cost the API server CPU.
	cfg.QPS, cfg.Burst = -1, 0
	cfg.DisableCompression = true
	cp.cfg = cfg
	if cp.scheme, err = newScheme(); err != nil {
		return nil, err
	}
	if cp.k8s, err = client.New(cfg, client.Options{Scheme: cp.scheme}); err != nil {
		return nil, err
	}
	if cp.core, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	return cp, nil
}

func (cp *controlPlane) stop() error {
	defer cp.closeLogs()
	return cp.env.Stop()
}

func (cp *controlPlane) closeLogs() {
	for _, f := range cp.logs {
		_ = f.Close()
	}
}

// pids of kube-apiserver and etcd (0 when not found).
func (cp *controlPlane) pids() (apiserver, etcd int) {
	kids := childrenByName()
	if p := kids["kube-apiserver"]; len(p) > 0 {
		apiserver = p[0]
	}
	if p := kids["etcd"]; len(p) > 0 {
		etcd = p[0]
	}
	return apiserver, etcd
}

func (cp *controlPlane) createNamespace(ctx context.Context, name string) error {
	err := cp.k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// rawGet reads a non-resource path of the API server (/metrics, /debug/pprof/...).
func (cp *controlPlane) rawGet(ctx context.Context, path string) ([]byte, error) {
	return cp.core.RESTClient().Get().AbsPath(path).DoRaw(ctx)
}

// loopbackURL reports whether a URL names a loopback host: everything the bench talks to is.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}
