// Command manager runs the esignet-operator controllers.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	esignetv1alpha1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/controllers"
)

// Serving metrics over HTTPS checks every scraper's token and permission with the API server.
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

type options struct {
	metricsAddr, probeAddr   string
	metricsSecure            bool
	leaderElect              bool
	leaderElectionNamespace  string
	namespaces               string
	clusterResourceNamespace string
	clientIDPrefix           string
	maxConcurrentReconciles  int
	kubeAPIQPS               float64
	kubeAPIBurst             int
	kubeAPICompression       bool
	pprofAddr                string
}

func main() {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", ":8443", "Address the metrics endpoint binds to; 0 disables it.")
	flag.BoolVar(&o.metricsSecure, "metrics-secure", true, "Serve metrics over HTTPS, to callers whose token may get the /metrics URL (TokenReview + SubjectAccessReview); false serves plain HTTP to anyone.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the health and readiness probes bind to.")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Enable leader election, so only one replica reconciles at a time.")
	flag.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader-election lease (default: the pod's namespace).")
	flag.StringVar(&o.namespaces, "namespaces", "", "Comma-separated namespaces to watch (default: all).")
	flag.StringVar(&o.clusterResourceNamespace, "cluster-resource-namespace", "", "Namespace holding Secrets referenced by ClusterESignetProviders (default: the pod's namespace, else esignet-operator-system).")
	flag.StringVar(&o.clientIDPrefix, "client-id-prefix", "", "Prefix of derived client ids (<prefix><namespace>.<name>) and of every namespace's client ids on a ClusterESignetProvider.")
	flag.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 4, "Relying parties reconciled in parallel.")
	flag.Float64Var(&o.kubeAPIQPS, "kube-api-qps", 0, "Client-side limit of Kubernetes API requests per second; 0 keeps controller-runtime's default (no client-side limit: the API server's priority and fairness paces the operator), a negative value disables it too.")
	flag.IntVar(&o.kubeAPIBurst, "kube-api-burst", 0, "Burst above --kube-api-qps (default: twice the QPS); used only with a positive --kube-api-qps.")
	flag.BoolVar(&o.kubeAPICompression, "kube-api-compression", false, "Ask the API server to gzip its responses, watch streams included. Off by default: the operator's traffic is watch events of small objects, which gzip costs the API server CPU for on every event and saves little bandwidth; turn it on where the link to the API server is slow or metered.")
	flag.StringVar(&o.pprofAddr, "pprof-address", "", "Address serving Go's /debug/pprof (e.g. 127.0.0.1:6060; profiles show the process's internals, so bind it to loopback); empty disables it.")
	var verbosity int
	flag.IntVar(&verbosity, "v", 0, "Log verbosity: 1 adds every eSignet request (method, path, status, duration; never a body or token). Overrides --zap-log-level.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	if verbosity > 0 {
		zapOpts.Level = zapcore.Level(-verbosity)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	if err := run(o); err != nil {
		ctrl.Log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(o options) error {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(esignetv1alpha1.AddToScheme(scheme))

	crNamespace := o.clusterResourceNamespace
	if crNamespace == "" {
		crNamespace = podNamespace()
	}
	mgrOpts := ctrl.Options{
		Scheme:                  scheme,
		PprofBindAddress:        o.pprofAddr,
		Metrics:                 metricsOptions(o),
		HealthProbeBindAddress:  o.probeAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "esignet-operator.openg2p.org",
		LeaderElectionNamespace: o.leaderElectionNamespace,
		// Give the lease up on shutdown so another replica takes over at once; safe because
		// the manager exits as soon as its controllers have stopped.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(splitNamespaces(o.namespaces), crNamespace),
	}
	mgr, err := ctrl.NewManager(restConfig(o), mgrOpts)
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	if err := controllers.Setup(mgr, controllers.Options{
		ClusterResourceNamespace: crNamespace,
		ClientIDPrefix:           o.clientIDPrefix,
		MaxConcurrentReconciles:  o.maxConcurrentReconciles,
		Namespaces:               splitNamespaces(o.namespaces),
	}); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding ready check: %w", err)
	}
	ctrl.Log.Info("starting manager", "namespaces", o.namespaces, "clusterResourceNamespace", crNamespace)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// restConfig is the kubeconfig's (or the pod's) API server access with the client-side rate
// limit of --kube-api-qps and --kube-api-burst, and gzip only with --kube-api-compression.
func restConfig(o options) *rest.Config {
	cfg := ctrl.GetConfigOrDie()
	cfg.DisableCompression = !o.kubeAPICompression
	switch {
	case o.kubeAPIQPS > 0:
		cfg.QPS, cfg.Burst = float32(o.kubeAPIQPS), o.kubeAPIBurst
		if cfg.Burst <= 0 {
			cfg.Burst = max(1, int(2*o.kubeAPIQPS))
		}
	case o.kubeAPIQPS < 0:
		cfg.QPS = -1
	}
	return cfg
}

func splitNamespaces(s string) []string {
	var out []string
	for _, ns := range strings.Split(s, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			out = append(out, ns)
		}
	}
	return out
}

// podNamespace is the namespace the operator runs in, from the service-account mount.
func podNamespace() string {
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
		if ns := strings.TrimSpace(string(b)); ns != "" {
			return ns
		}
	}
	return "esignet-operator-system"
}

// metricsOptions serves the metrics endpoint over HTTPS (a self-signed certificate unless one is
// mounted) with authentication and authorization, as kubebuilder's secure default does.
func metricsOptions(o options) metricsserver.Options {
	opts := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.metricsSecure}
	if o.metricsSecure {
		opts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return opts
}
