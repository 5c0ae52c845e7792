package controllers

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap/zapcore"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	esignetv1alpha1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// One real control plane (kube-apiserver + etcd) for the whole package, as in the kubebuilder book.
var (
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	scheme    = runtime.NewScheme()
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

	code := m.Run()
	must(testEnv.Stop())
	os.Exit(code)
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
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}
