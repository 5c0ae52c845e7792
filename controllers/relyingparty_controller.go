package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// RelyingPartyReconciler keeps one eSignet client, its key pair and its rendered configuration
// in step with an ESignetRelyingParty.
type RelyingPartyReconciler struct {
	client.Client
	Registry *registry
	Recorder recorder.EventRecorder
	Options  Options
	// ProviderRetry is how soon a relying party waiting for its provider is checked again.
	ProviderRetry time.Duration

	memo fingerprintMemo
}

// +kubebuilder:rbac:groups=esignet.openg2p.org,resources=esignetrelyingparties,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=esignet.openg2p.org,resources=esignetrelyingparties/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=esignet.openg2p.org,resources=esignetrelyingparties/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// stepError stops a reconcile at one step: the step's condition and Ready go False with the
// reason and message. Transient failures also carry err, so controller-runtime backs off.
type stepError struct {
	condition string
	reason    string
	message   string
	requeue   time.Duration // retry after this long without an error (waiting on something else)
	err       error         // transient: retried with exponential backoff
}

func (e *stepError) Error() string { return e.message }

// Reconcile reads top-down: finalizer, provider, desired state, key, registration, rendering.
func (r *RelyingPartyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	rp := &v1.ESignetRelyingParty{}
	if err := r.Get(ctx, req.NamespacedName, rp); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := rp.Status.DeepCopy()
	if !rp.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, rp, before)
	}
	if err := r.ensureFinalizer(ctx, rp); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.restoreRegistrationRecord(ctx, rp); err != nil {
		return ctrl.Result{}, err
	}
	step := r.reconcileSteps(ctx, rp)
	return r.finish(ctx, rp, before, step)
}

func (r *RelyingPartyReconciler) reconcileSteps(ctx context.Context, rp *v1.ESignetRelyingParty) *stepError {
	conn, err := r.resolveConnection(ctx, rp)
	if err != nil {
		return err
	}
	want, serr := resolveDesired(rp, conn, r.Options.ClientIDPrefix)
	if serr != nil {
		var se *specError
		if errors.As(serr, &se) {
			return &stepError{condition: v1.ConditionRegistered, reason: se.reason, message: se.msg}
		}
		return &stepError{condition: v1.ConditionRegistered, reason: v1.ReasonInvalidSpec, message: serr.Error()}
	}
	rp.Status.ClientID = want.detail.ClientID
	rp.Status.SecretName = want.secretName
	kp, kerr := r.ensureKey(ctx, rp, want)
	if kerr != nil {
		return kerr
	}
	if err := r.ensureRegistered(ctx, rp, conn, want, kp); err != nil {
		return err
	}
	return r.ensureRendered(ctx, rp, conn, want, kp)
}

// finish sets Ready from the outcome and writes status once, only when it changed.
func (r *RelyingPartyReconciler) finish(ctx context.Context, rp *v1.ESignetRelyingParty, before *v1.ESignetRelyingPartyStatus, step *stepError) (ctrl.Result, error) {
	conds := conditionWriter{generation: rp.Generation, conds: &rp.Status.Conditions}
	if step == nil {
		conds.ok(v1.ConditionReady, v1.ReasonReady, fmt.Sprintf("client %s is registered at eSignet and its configuration is rendered", rp.Status.ClientID))
	} else {
		conds.fail(step.condition, step.reason, step.message)
		conds.fail(v1.ConditionReady, step.reason, step.message)
	}
	rp.Status.ObservedGeneration = rp.Generation
	if !equality.Semantic.DeepEqual(before, &rp.Status) {
		if err := r.Status().Update(ctx, rp); err != nil {
			return ctrl.Result{}, fmt.Errorf("updating status: %w", err)
		}
	}
	switch {
	case step == nil:
		return ctrl.Result{}, nil
	case step.err != nil:
		return ctrl.Result{}, step.err
	}
	return ctrl.Result{RequeueAfter: step.requeue}, nil
}

func (r *RelyingPartyReconciler) ensureFinalizer(ctx context.Context, rp *v1.ESignetRelyingParty) error {
	if controllerutil.ContainsFinalizer(rp, v1.Finalizer) {
		return nil
	}
	controllerutil.AddFinalizer(rp, v1.Finalizer)
	if err := r.Update(ctx, rp); err != nil {
		return fmt.Errorf("adding finalizer: %w", err)
	}
	return nil
}

// restoreRegistrationRecord puts the registration annotations back from status when something
// removed them all (a GitOps tool replacing the object, a person tidying up), so a registered
// client is not mistaken for a new one and reported as a client-id conflict.
func (r *RelyingPartyReconciler) restoreRegistrationRecord(ctx context.Context, rp *v1.ESignetRelyingParty) error {
	a, s := rp.Annotations, rp.Status
	if s.RegisteredKeyID == "" || s.ClientID == "" || a[annotationRegisteredKeyID] != "" ||
		a[v1.AnnotationCreateSucceeded] != "" || a[v1.AnnotationCreatePending] != "" {
		return nil
	}
	if err := r.annotate(ctx, rp, map[string]string{v1.AnnotationCreateSucceeded: "restored-from-status",
		annotationClientID: s.ClientID, annotationRegisteredKeyID: s.RegisteredKeyID}); err != nil {
		return fmt.Errorf("restoring registration annotations: %w", err)
	}
	return nil
}

// resolveConnection finds the provider's published connection.
func (r *RelyingPartyReconciler) resolveConnection(ctx context.Context, rp *v1.ESignetRelyingParty) (*connection, *stepError) {
	key := providerKeyFor(rp)
	var obj providerObject = &v1.ESignetProvider{}
	if key.Kind == v1.KindClusterESignetProvider {
		obj = &v1.ClusterESignetProvider{}
	}
	notReady := func(reason, msg string) *stepError {
		return &stepError{condition: v1.ConditionRegistered, reason: reason, message: msg, requeue: r.ProviderRetry}
	}
	if err := r.Get(ctx, types.NamespacedName{Namespace: key.Namespace, Name: key.Name}, obj); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, notReady(v1.ReasonProviderNotFound, fmt.Sprintf("%s %q not found", key.Kind, key.Name))
		}
		return nil, &stepError{condition: v1.ConditionRegistered, reason: v1.ReasonProviderNotReady, message: err.Error(), err: err}
	}
	conn := r.Registry.get(key)
	if conn == nil {
		msg := fmt.Sprintf("%s %q is not ready", key.Kind, key.Name)
		for _, c := range obj.ProviderStatus().Conditions {
			if c.Type == v1.ConditionReady && c.Status != "True" {
				msg += fmt.Sprintf(": %s: %s", c.Reason, c.Message)
			}
		}
		return nil, notReady(v1.ReasonProviderNotReady, msg)
	}
	return conn, nil
}

func providerKeyFor(rp *v1.ESignetRelyingParty) providerKey {
	if rp.Spec.ProviderRef.Kind == v1.KindClusterESignetProvider {
		return providerKey{Kind: v1.KindClusterESignetProvider, Name: rp.Spec.ProviderRef.Name}
	}
	return providerKey{Kind: v1.KindESignetProvider, Namespace: rp.Namespace, Name: rp.Spec.ProviderRef.Name}
}

func (r *RelyingPartyReconciler) event(rp *v1.ESignetRelyingParty, eventType, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(rp, nil, eventType, reason, action, note, args...)
	}
}

const indexProviderRef = "spec.providerRef"

// SetupWithManager watches relying parties, their Secrets and their providers.
func (r *RelyingPartyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1.ESignetRelyingParty{}, indexProviderRef,
		func(o client.Object) []string {
			k := providerKeyFor(o.(*v1.ESignetRelyingParty))
			return []string{k.Kind + "/" + k.Name}
		}); err != nil {
		return fmt.Errorf("indexing providerRef: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("esignetrelyingparty").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles}).
		For(&v1.ESignetRelyingParty{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, deletionStarted))).
		Owns(&corev1.Secret{}).
		Watches(&v1.ESignetProvider{}, handler.EnqueueRequestsFromMapFunc(r.forProvider(v1.KindESignetProvider))).
		Watches(&v1.ClusterESignetProvider{}, handler.EnqueueRequestsFromMapFunc(r.forProvider(v1.KindClusterESignetProvider))).
		WatchesRawSource(source.Channel(r.Registry.ready, handler.TypedEnqueueRequestsFromMapFunc(r.forReadyProvider))).
		Complete(r)
}

// forReadyProvider maps a provider whose connection appeared to its relying parties.
func (r *RelyingPartyReconciler) forReadyProvider(ctx context.Context, k providerKey) []reconcile.Request {
	var p client.Object = &v1.ESignetProvider{}
	if k.Kind == v1.KindClusterESignetProvider {
		p = &v1.ClusterESignetProvider{}
	}
	p.SetNamespace(k.Namespace)
	p.SetName(k.Name)
	return r.forProvider(k.Kind)(ctx, p)
}

// forProvider maps a provider change (its status turning Ready, typically) to its relying parties.
func (r *RelyingPartyReconciler) forProvider(kind string) handler.MapFunc {
	return func(ctx context.Context, p client.Object) []reconcile.Request {
		list := &v1.ESignetRelyingPartyList{}
		opts := []client.ListOption{client.MatchingFields{indexProviderRef: kind + "/" + p.GetName()}}
		if kind == v1.KindESignetProvider {
			opts = append(opts, client.InNamespace(p.GetNamespace()))
		}
		if err := r.List(ctx, list, opts...); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for _, rp := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&rp)})
		}
		return reqs
	}
}

// deletionStarted lets the finalizer run even where setting deletionTimestamp bumps no generation.
var deletionStarted = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
	},
}
