package controllers

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	esignetv1alpha1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// One real control plane (kube-apiserver + etcd) for the whole package, as in the kubebuilder book.
var (
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	// managerCache is the running manager's cache, to check what it holds.
	managerCache cache.Cache
	scheme       = runtime.NewScheme()
)

func TestMain(m *testing.M) {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true), zap.Level(zapLevel())))
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		// Failing loudly beats skipping: a green run without a control plane would prove nothing.
		os.Stderr.WriteString("KUBEBUILDER_ASSETS is not set: run 'make test' (it provides the control plane via hack/envtest-assets.sh)\n")
		os.Exit(1)
	}
	must(clientgoscheme.AddToScheme(scheme))
	must(esignetv1alpha1.AddToScheme(scheme))

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	var err error
	cfg, err = testEnv.Start()
	must(err)
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	must(err)
	stop := startManager()

	code := m.Run()
	stop()
	must(testEnv.Stop())
	os.Exit(code)
}

// clusterResourceNamespace holds Secrets of ClusterESignetProviders in the tests.
const clusterResourceNamespace = "esignet-operator-system"

// startManager runs the real controllers against the test control plane, as the binary does.
func startManager() (stop func()) {
	must(k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: clusterResourceNamespace}}))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:     scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Cache:      CacheOptions(nil, clusterResourceNamespace),
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	must(err)
	managerCache = mgr.GetCache()
	must(Setup(mgr, Options{ClusterResourceNamespace: clusterResourceNamespace, ProviderRetry: 500 * time.Millisecond, Clock: testClock}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		must(mgr.Start(ctx))
	}()
	return func() { cancel(); <-done }
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func zapLevel() zapcore.Level {
	if os.Getenv("TEST_VERBOSE") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.ErrorLevel
}

// newNamespace creates a namespace for one test; envtest runs no namespace controller, so it is
// never deleted, which keeps tests independent anyway.
func newNamespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// testClock is the operator's clock in these tests: real time, moved forward by tests of
// schedules (rotations, overlaps, re-assertions). It only ever moves forward, so other tests,
// which schedule nothing, do not notice.
var testClock = &shiftedClock{}

type shiftedClock struct{ offset atomic.Int64 }

func (c *shiftedClock) Now() time.Time                  { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *shiftedClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *shiftedClock) advance(d time.Duration)         { c.offset.Add(int64(d)) }
