// Package controllers holds the reconcilers for ESignetProvider, ClusterESignetProvider and
// ESignetRelyingParty.
package controllers

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"k8s.io/client-go/metadata"

	"k8s.io/utils/clock"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/tenancy"
)

// Labels on every object the operator creates.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	LabelManagedByValue = "esignet-operator"
	// LabelRelyingParty names the ESignetRelyingParty a Secret belongs to.
	LabelRelyingParty = "esignet.openg2p.org/relying-party"
)

// Options configures the controllers.
type Options struct {
	// ClusterResourceNamespace holds Secrets referenced by ClusterESignetProviders.
	ClusterResourceNamespace string
	// ClientIDPrefix is prepended to derived client ids.
	ClientIDPrefix string
	// ProviderRetry is how soon something waiting on a provider is tried again (default 30 s).
	ProviderRetry time.Duration
	// MaxConcurrentReconciles of relying parties (default 4): key generation and eSignet round
	// trips overlap; one resource is never reconciled twice at once.
	MaxConcurrentReconciles int
	// Namespaces watched (all when empty); the cluster resource namespace is added.
	Namespaces []string
	// Clock tells the time rotations, retirements and re-assertions are scheduled by (the real
	// clock when nil; tests move it forward).
	Clock clock.PassiveClock
}

// CacheOptions limits what the manager caches: the watched namespaces (all when empty), and of
// Secrets and ConfigMaps only those the operator labels, selected by the API server, so other
// applications' Secrets never reach the operator's memory. Secrets the operator is pointed at
// (credentials, CA bundles) are read directly when needed and watched one by one (secretWatch).
func CacheOptions(namespaces []string, clusterResourceNamespace string) cache.Options {
	managed := labels.SelectorFromSet(labels.Set{LabelManagedBy: LabelManagedByValue})
	opts := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:    {Label: managed},
			&corev1.ConfigMap{}: {Label: managed},
		},
		DefaultNamespaces: cacheNamespaces(namespaces, clusterResourceNamespace),
	}
	return opts
}

func cacheNamespaces(namespaces []string, clusterResourceNamespace string) map[string]cache.Config {
	if len(namespaces) == 0 {
		return nil
	}
	out := map[string]cache.Config{}
	for _, ns := range namespaces {
		out[ns] = cache.Config{}
	}
	if clusterResourceNamespace != "" {
		out[clusterResourceNamespace] = cache.Config{}
	}
	return out
}

// Setup registers the reconcilers with the manager.
func Setup(mgr ctrl.Manager, o Options) error {
	if o.ProviderRetry == 0 {
		o.ProviderRetry = 30 * time.Second
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 4
	}
	for _, obj := range []client.Object{&corev1.Secret{}, &corev1.ConfigMap{}} {
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), obj, indexController, controllerUID); err != nil {
			return fmt.Errorf("indexing %T by controller: %w", obj, err)
		}
	}
	reg := newRegistry()
	md, err := metadata.NewForConfig(mgr.GetConfig())
	if err != nil {
		return fmt.Errorf("creating the metadata client: %w", err)
	}
	secrets := newSecretWatch(md)
	if err := mgr.Add(secrets); err != nil {
		return err
	}
	for _, kind := range []string{v1.KindESignetProvider, v1.KindClusterESignetProvider} {
		pr := &ProviderReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Secrets: secrets, Registry: reg, Kind: kind,
			ClusterResourceNamespace: o.ClusterResourceNamespace, RetryAfter: o.ProviderRetry}
		if err := pr.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up %s controller: %w", kind, err)
		}
	}
	if err := registerStateMetrics(mgr.GetClient()); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	sealer, err := loadSealer(context.Background(), mgr.GetAPIReader(), mgr.GetClient(), o.ClusterResourceNamespace)
	if err != nil {
		return err
	}
	rr := &RelyingPartyReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Registry: reg, Sealer: sealer, Recorder: mgr.GetEventRecorder("esignet-operator"),
		Options: o, ProviderRetry: o.ProviderRetry, Clock: o.Clock}
	if rr.Clock == nil {
		rr.Clock = clock.RealClock{}
	}
	if err := rr.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up ESignetRelyingParty controller: %w", err)
	}
	return nil
}

// SealKeySecret holds the key that seals records a namespace could forge; it lives in the
// cluster resource namespace, readable by the operator only. Losing it makes sealed annotations
// worthless, which matters only where status was lost too.
const SealKeySecret = "esignet-operator-seal-key"

// loadSealer reads the seal key, creating it on first start. Create never overwrites, so two
// replicas starting together agree on the first key written.
func loadSealer(ctx context.Context, reader client.Reader, writer client.Writer, namespace string) (tenancy.Sealer, error) {
	key := client.ObjectKey{Namespace: namespace, Name: SealKeySecret}
	for range 3 {
		s := &corev1.Secret{}
		err := reader.Get(ctx, key, s)
		if err == nil {
			return tenancy.NewSealer(s.Data["key"])
		}
		if !apierrors.IsNotFound(err) {
			return tenancy.Sealer{}, fmt.Errorf("reading Secret %s: %w", key, err)
		}
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return tenancy.Sealer{}, err
		}
		s = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: SealKeySecret,
			Labels: map[string]string{LabelManagedBy: LabelManagedByValue, LabelRole: "seal-key"}},
			Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"key": b}}
		err = writer.Create(ctx, s, client.FieldOwner(fieldManager))
		if apierrors.IsNotFound(err) {
			// No cluster resource namespace (a manager run from a workstation): seal with a key
			// of this process only; sealed annotations then outlive it only where status does.
			log.Log.Info("namespace for the seal key does not exist; using a key that lasts until the manager stops", "namespace", namespace)
			return tenancy.NewSealer(b)
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return tenancy.Sealer{}, fmt.Errorf("creating Secret %s: %w", key, err)
		}
	}
	return tenancy.Sealer{}, fmt.Errorf("seal key Secret %s could not be read back after creating it", key)
}

// indexController indexes the cached Secrets and ConfigMaps by the UID of their controller.
const indexController = "esignet.openg2p.org/controller-uid"

func controllerUID(obj client.Object) []string {
	if ref := metav1.GetControllerOf(obj); ref != nil {
		return []string{string(ref.UID)}
	}
	return nil
}
