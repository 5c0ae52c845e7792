package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/metrics"
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/schedule"
	"github.com/openg2p/esignet-operator/internal/step"
	"github.com/openg2p/esignet-operator/internal/tenancy"
)

// RelyingPartyReconciler keeps one eSignet client, its key pair and its rendered configuration
// in step with an ESignetRelyingParty.
type RelyingPartyReconciler struct {
	client.Client
	// APIReader reads past the cache: objects the cache does not hold, and the relying party
	// itself when the cache may not yet show the operator's own last write.
	APIReader client.Reader
	Registry  *registry
	Recorder  recorder.EventRecorder
	Options   Options
	// ProviderRetry is how soon a relying party waiting for its provider is checked again.
	ProviderRetry time.Duration
	// Sealer seals the records a namespace could otherwise forge (registration annotation,
	// retained key Secrets) with a key only the operator holds.
	Sealer tenancy.Sealer
	// Clock tells the time for rotations, retirements and re-assertions.
	Clock clock.PassiveClock

	// written maps a relying party's UID to the resourceVersion of the operator's last write
	// to it (or last fresh read): a cached object at that version is current.
	written sync.Map
	// busySince maps a relying party's UID to when it first found its provider's slots taken.
	busySince sync.Map
	// own remembers the operator's own writes to Secrets and ConfigMaps (no wake-up for them).
	own ownWrites
}

// +kubebuilder:rbac:groups=esignet.openg2p.org,resources=esignetrelyingparties,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=esignet.openg2p.org,resources=esignetrelyingparties/status,verbs=get;patch
// +kubebuilder:rbac:groups=esignet.openg2p.org,resources=esignetrelyingparties/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

const (
	requeueSoon = time.Second
	requeueSlow = time.Minute
	// reconcileTimeout bounds a pass: at most three eSignet calls of 30 s each, and the
	// Kubernetes reads and writes around them.
	reconcileTimeout = 2 * time.Minute
)

// Reconcile loads the relying party, runs the steps (or the finalizer) and writes the status
// once, computed whole from what the steps found.
func (r *RelyingPartyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
	defer cancel()
	rp, unverified, err := r.load(ctx, req.NamespacedName)
	if rp == nil || err != nil {
		return ctrl.Result{}, err
	}
	sc := &rpScope{rp: rp, unverified: unverified, log: logf.FromContext(ctx), reg: registration.Load(rp, r.Sealer), now: r.Clock.Now(), policy: schedule.PolicyFor(rp.Spec.Key)}
	defer r.sendEvents(sc)
	if !rp.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, sc)
	}
	st := r.runSteps(ctx, sc, []stepFunc{r.resolveProvider, r.resolveDesired, r.ensureKey, r.ensureRegistered,
		r.ensureRetired, r.ensureRotated, r.ensureKeyLayout, r.ensureRendered, r.ensureDelivered})
	if err := r.saveMeta(ctx, sc, sc.reg, sc.reg.Exists()); err != nil && st == nil {
		st = kubeFailure(v1.ConditionRegistered, "recording the registration", err)
	}
	return r.finish(ctx, sc, st)
}

func (r *RelyingPartyReconciler) runSteps(ctx context.Context, sc *rpScope, steps []stepFunc) *step.Stop {
	for _, s := range steps {
		if st := s(ctx, sc); st != nil {
			return st
		}
	}
	return nil
}

// load reads the relying party from the cache, or from the API server when the cache may not
// show the operator's own last write (a pass triggered by its Secret writes often runs before
// the cache has its status write). Nil when it is gone. A relying party no replica has touched
// yet is taken from the cache unread (unverified): there is no write of the operator's it could
// be missing, and the pass's first write to it carries its resourceVersion, so a cache behind
// another replica's first pass makes that write fail before anything is called or written on
// the strength of it (the key Secret is only ever created, never overwritten).
func (r *RelyingPartyReconciler) load(ctx context.Context, key types.NamespacedName) (rp *v1.ESignetRelyingParty, unverified bool, err error) {
	rp = &v1.ESignetRelyingParty{}
	if err := r.Get(ctx, key, rp); err != nil {
		return nil, false, client.IgnoreNotFound(err)
	}
	rv, seen := r.written.Load(rp.UID)
	if seen && rv == rp.ResourceVersion {
		return rp, false, nil
	}
	if !seen && untouched(rp) {
		return rp, true, nil
	}
	if err := r.APIReader.Get(ctx, key, rp); err != nil {
		return nil, false, client.IgnoreNotFound(err)
	}
	r.written.Store(rp.UID, rp.ResourceVersion)
	return rp, false, nil
}

// untouched says whether no replica of the operator has written rp yet: no finalizer, no
// registration record, no status. Adoption is excluded: it calls eSignet before the first write.
func untouched(rp *v1.ESignetRelyingParty) bool {
	return rp.DeletionTimestamp.IsZero() && rp.Spec.Key.Adopt == nil && !controllerutil.ContainsFinalizer(rp, v1.Finalizer) &&
		rp.Annotations[v1.AnnotationRegistration] == "" && equality.Semantic.DeepEqual(rp.Status, v1.ESignetRelyingPartyStatus{})
}

// wrote notes a write to the relying party: the pass now knows its current version.
func (r *RelyingPartyReconciler) wrote(sc *rpScope, resourceVersion string) {
	r.written.Store(sc.rp.UID, resourceVersion)
	sc.rp.ResourceVersion, sc.unverified = resourceVersion, false
}

// precondition makes an apply request of an unverified pass conditional on the version the pass
// read; a conflict then makes the next pass read the relying party from the API server.
func (r *RelyingPartyReconciler) precondition(sc *rpScope, u *unstructured.Unstructured) {
	if sc.unverified {
		u.SetResourceVersion(sc.rp.ResourceVersion)
	}
}

// writeFailed makes the next pass read the relying party live after a write it refused as
// stale (an unverified pass lost the race with another replica).
func (r *RelyingPartyReconciler) writeFailed(sc *rpScope, err error) error {
	if apierrors.IsConflict(err) {
		r.written.Store(sc.rp.UID, "")
	}
	return err
}

// finish writes the status when it changed and tells controller-runtime when to come back.
func (r *RelyingPartyReconciler) finish(ctx context.Context, sc *rpScope, st *step.Stop) (ctrl.Result, error) {
	r.sendEvents(sc) // before the status that reports the pass
	status := computeStatus(sc, st, &sc.rp.Status)
	if (st == nil || !st.Quiet) && !equality.Semantic.DeepEqual(status, sc.rp.Status) {
		if err := r.writeStatus(ctx, sc, status); err != nil {
			return ctrl.Result{}, fmt.Errorf("writing status: %w", err)
		}
	}
	var wake time.Duration // until what the operator does on its own falls due
	if !sc.wake.IsZero() {
		wake = max(sc.wake.Sub(r.Clock.Now()), requeueSoon)
	}
	switch {
	case st == nil:
		return ctrl.Result{RequeueAfter: wake}, nil
	case st.Err != nil:
		sc.log.V(1).Info("retrying with backoff", "reason", st.Reason, "message", st.Message)
		return ctrl.Result{}, st
	case st.Requeue == 0 || (wake > 0 && wake < st.Requeue):
		return ctrl.Result{RequeueAfter: wake}, nil
	}
	return ctrl.Result{RequeueAfter: st.Requeue}, nil
}

// writeStatus applies the whole status under the operator's field manager: fields it no longer
// sets are removed, and no resourceVersion is needed, so it never conflicts with itself (only an
// unverified pass's first write carries one: precondition).
func (r *RelyingPartyReconciler) writeStatus(ctx context.Context, sc *rpScope, status v1.ESignetRelyingPartyStatus) error {
	u, err := applyObject(sc.rp)
	if err != nil {
		return err
	}
	r.precondition(sc, u)
	st, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&status)
	if err != nil {
		return err
	}
	u.Object["status"] = st
	if err := r.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(fieldManager), client.ForceOwnership); err != nil {
		return r.writeFailed(sc, err)
	}
	r.wrote(sc, u.GetResourceVersion())
	sc.rp.Status = status
	return nil
}

// saveMeta makes the relying party's finalizer and registration annotation match the record,
// by server-side apply (other finalizers and annotations are not touched). withFinalizer is
// true whenever a client may exist at eSignet.
func (r *RelyingPartyReconciler) saveMeta(ctx context.Context, sc *rpScope, reg registration.Record, withFinalizer bool) error {
	rp := sc.rp
	ann := reg.Annotation(r.Sealer, rp)
	if rp.Annotations[v1.AnnotationRegistration] == ann && controllerutil.ContainsFinalizer(rp, v1.Finalizer) == withFinalizer {
		return nil
	}
	u, err := applyObject(rp)
	if err != nil {
		return err
	}
	r.precondition(sc, u)
	if ann != "" {
		u.SetAnnotations(map[string]string{v1.AnnotationRegistration: ann})
	}
	if withFinalizer {
		u.SetFinalizers([]string{v1.Finalizer})
	}
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(fieldManager), client.ForceOwnership); err != nil {
		return r.writeFailed(sc, err)
	}
	r.wrote(sc, u.GetResourceVersion())
	rp.Finalizers, rp.Annotations = u.GetFinalizers(), u.GetAnnotations()
	return nil
}

// applyObject is the identity part of an apply request for rp; the uid makes the request fail
// rather than recreate a relying party deleted in the meantime.
func applyObject(rp *v1.ESignetRelyingParty) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(v1.GroupVersion.String())
	u.SetKind("ESignetRelyingParty")
	u.SetNamespace(rp.Namespace)
	u.SetName(rp.Name)
	u.SetUID(rp.UID)
	return u, nil
}

// record reports one external action: a log line with the step and outcome, and an event.
func (r *RelyingPartyReconciler) record(ctx context.Context, sc *rpScope, stepName, eventType, reason, action, message string) {
	log := sc.log.WithValues("step", stepName, "action", action, "outcome", reason)
	if eventType == corev1.EventTypeWarning {
		log.Info(message, "warning", true)
	} else {
		log.Info(message)
	}
	r.event(sc, eventType, reason, action, message)
	switch reason {
	case v1.EventClientCreated, v1.EventClientUpdated, v1.EventClientConverged, v1.EventClientDeactivated, v1.EventClientReasserted:
		metrics.ClientChanges.WithLabelValues(reason).Inc()
	}
}

// event records an event of the pass; sendEvents sends them when it ends.
func (r *RelyingPartyReconciler) event(sc *rpScope, eventType, reason, action, message string) {
	sc.events = append(sc.events, pendingEvent{eventType, reason, action, message})
}

// sendEvents sends a pass's events, its normal ones as one (combineEvents).
func (r *RelyingPartyReconciler) sendEvents(sc *rpScope) {
	if r.Recorder == nil {
		return
	}
	for _, e := range combineEvents(sc.events) {
		r.Recorder.Eventf(sc.rp, nil, e.eventType, e.reason, e.action, "%s", e.note)
	}
	sc.events = nil
}

// loggerFor gives a step's logger to code that takes it from the context (the eSignet client).
func loggerFor(ctx context.Context, sc *rpScope, stepName string) context.Context {
	return logr.NewContext(ctx, sc.log.WithValues("step", stepName))
}
