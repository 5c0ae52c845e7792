package controllers

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/step"
	"github.com/openg2p/esignet-operator/internal/tenancy"
)

// resolveProvider finds the provider's published connection. A missing or unready provider is
// waited for (GitOps tools often apply relying parties before providers become Ready).
func (r *RelyingPartyReconciler) resolveProvider(ctx context.Context, sc *rpScope) *step.Stop {
	key := providerKeyFor(sc.rp)
	var obj providerObject = &v1.ESignetProvider{}
	if key.Kind == v1.KindClusterESignetProvider {
		obj = &v1.ClusterESignetProvider{}
	}
	if err := r.Get(ctx, types.NamespacedName{Namespace: key.Namespace, Name: key.Name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return &step.Stop{Reason: v1.ReasonProviderNotFound, Requeue: r.ProviderRetry,
				Message: fmt.Sprintf("%s %q not found", key.Kind, key.Name)}
		}
		return kubeFailure("", fmt.Sprintf("reading %s %q", key.Kind, key.Name), err)
	}
	sc.providerGoing = !obj.GetDeletionTimestamp().IsZero()
	if cp, ok := obj.(*v1.ClusterESignetProvider); ok {
		sc.fence = tenancy.ForCluster(cp.Name, cp.Spec.Tenancy, r.Options.ClientIDPrefix)
		if st := r.admitNamespace(ctx, sc); st != nil {
			return st // before anything about the provider is told to this namespace
		}
	}
	sc.conn = r.Registry.get(key)
	if sc.conn != nil && sc.conn.pms != nil {
		sc.fence.AnyIDs = true // PMS derives ids from keys: a namespace names only clients it holds the key of
	}
	if sc.conn == nil {
		// A provider whose status says Ready but whose connection is not published yet is being
		// checked (the operator just started): the relying party is woken when it is, and its
		// status does not flap to not ready meanwhile.
		return &step.Stop{Reason: v1.ReasonProviderNotReady, Message: notReadyMessage(key, obj), Requeue: r.ProviderRetry,
			Quiet: providerSaysReady(obj)}
	}
	return nil
}

// notReadyMessage says why the provider is not ready. A namespaced provider is the
// namespace's own; a cluster provider's details (Secret names in the operator's namespace, its
// eSignet's answers) are not the tenant's to read: they get the reason only.
func notReadyMessage(key providerKey, obj providerObject) string {
	msg := fmt.Sprintf("%s %q is not ready", key.Kind, key.Name)
	for _, c := range obj.ProviderStatus().Conditions {
		switch {
		case c.Type != v1.ConditionReady || c.Status == metav1.ConditionTrue:
		case key.Kind == v1.KindClusterESignetProvider:
			msg += fmt.Sprintf(" (%s); its status tells the cluster admin more", c.Reason)
		default:
			msg += fmt.Sprintf(": %s: %s", c.Reason, c.Message)
		}
	}
	return msg
}

// admitNamespace applies a shared provider's namespaceSelector. A refusal makes no call and is
// checked again periodically, so relabelling the namespace is noticed.
func (r *RelyingPartyReconciler) admitNamespace(ctx context.Context, sc *rpScope) *step.Stop {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.Get(ctx, types.NamespacedName{Name: sc.rp.Namespace}, ns); err != nil {
		return kubeFailure("", "reading namespace "+sc.rp.Namespace, err)
	}
	if ref := sc.fence.AdmitNamespace(sc.rp.Namespace, ns.Labels); ref != nil {
		return &step.Stop{Reason: ref.Reason, Message: ref.Message, Terminal: true, Requeue: r.ProviderRetry}
	}
	return nil
}

// resolveDesired combines spec, provider defaults and what the provider's eSignet supports into
// the client eSignet should hold, before any call.
func (r *RelyingPartyReconciler) resolveDesired(_ context.Context, sc *rpScope) *step.Stop {
	want, err := resolveDesired(sc.rp, sc.conn, sc.fence, r.Options.ClientIDPrefix, sc.reg)
	if err != nil {
		reason := v1.ReasonInvalidSpec
		var se *specError
		if errors.As(err, &se) {
			reason = se.reason
		}
		return &step.Stop{Condition: v1.ConditionRegistered, Reason: reason, Message: err.Error(), Terminal: true}
	}
	sc.want = want
	return nil
}

func providerKeyFor(rp *v1.ESignetRelyingParty) providerKey {
	if rp.Spec.ProviderRef.Kind == v1.KindClusterESignetProvider {
		return providerKey{Kind: v1.KindClusterESignetProvider, Name: rp.Spec.ProviderRef.Name}
	}
	return providerKey{Kind: v1.KindESignetProvider, Namespace: rp.Namespace, Name: rp.Spec.ProviderRef.Name}
}

func providerSaysReady(obj providerObject) bool {
	st := obj.ProviderStatus()
	for _, c := range st.Conditions {
		if c.Type == v1.ConditionReady {
			return c.Status == metav1.ConditionTrue && st.ObservedGeneration == obj.GetGeneration()
		}
	}
	return false
}
