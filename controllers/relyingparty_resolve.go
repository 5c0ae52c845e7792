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
	sc.conn = r.Registry.get(key)
	if sc.conn == nil {
		msg := fmt.Sprintf("%s %q is not ready", key.Kind, key.Name)
		for _, c := range obj.ProviderStatus().Conditions {
			if c.Type == v1.ConditionReady && c.Status != "True" {
				msg += fmt.Sprintf(": %s: %s", c.Reason, c.Message)
			}
		}
		return &step.Stop{Reason: v1.ReasonProviderNotReady, Message: msg, Requeue: r.ProviderRetry}
	}
	return r.admitNamespace(ctx, sc)
}

// admitNamespace applies a shared provider's namespaceSelector. A refusal makes no call and is
// checked again periodically, so relabelling the namespace is noticed.
func (r *RelyingPartyReconciler) admitNamespace(ctx context.Context, sc *rpScope) *step.Stop {
	if !sc.conn.fence.Shared {
		return nil
	}
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.Get(ctx, types.NamespacedName{Name: sc.rp.Namespace}, ns); err != nil {
		return kubeFailure("", "reading namespace "+sc.rp.Namespace, err)
	}
	if ref := sc.conn.fence.AdmitNamespace(sc.rp.Namespace, ns.Labels); ref != nil {
		return &step.Stop{Reason: ref.Reason, Message: ref.Message, Terminal: true, Requeue: r.ProviderRetry}
	}
	return nil
}

// resolveDesired combines spec, provider defaults and what the provider's eSignet supports into
// the client eSignet should hold, before any call.
func (r *RelyingPartyReconciler) resolveDesired(_ context.Context, sc *rpScope) *step.Stop {
	want, err := resolveDesired(sc.rp, sc.conn, r.Options.ClientIDPrefix, sc.reg)
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
