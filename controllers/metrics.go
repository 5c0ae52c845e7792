package controllers

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/metrics"
)

// registerStateMetrics reports relying parties by Ready reason and each key's age, read from the
// manager's cache at scrape time.
func registerStateMetrics(c client.Reader) error {
	col := &metrics.StateCollector{List: func(ctx context.Context) ([]metrics.RelyingParty, error) {
		return relyingPartyStates(ctx, c)
	}}
	err := crmetrics.Registry.Register(col)
	if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
		return nil // a second manager in one process (tests)
	}
	return err
}

func relyingPartyStates(ctx context.Context, c client.Reader) ([]metrics.RelyingParty, error) {
	rps := &v1.ESignetRelyingPartyList{}
	if err := c.List(ctx, rps); err != nil {
		return nil, err
	}
	keySecrets := &corev1.SecretList{}
	if err := c.List(ctx, keySecrets, client.MatchingLabels{LabelManagedBy: LabelManagedByValue, LabelRole: roleKey}); err != nil {
		return nil, err
	}
	created := map[[2]string]corev1.Secret{}
	for _, s := range keySecrets.Items {
		created[[2]string{s.Namespace, s.Name}] = s
	}
	out := make([]metrics.RelyingParty, 0, len(rps.Items))
	for i := range rps.Items {
		rp := &rps.Items[i]
		state := metrics.RelyingParty{Namespace: rp.Namespace, Name: rp.Name, Ready: "Unknown", Reason: "NotObserved"}
		if c := meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionReady); c != nil {
			state.Ready, state.Reason = string(c.Status), c.Reason
		}
		if s, ok := created[[2]string{rp.Namespace, SecretNameFor(rp)}]; ok && metav1.IsControlledBy(&s, rp) {
			state.KeyCreated = s.CreationTimestamp.Time
		}
		if reg := rp.Status.Registration; reg != nil {
			if reg.Since != nil {
				state.KeyCreated = reg.Since.Time // a rotation replaces the key, not the Secret
			}
			if reg.Previous != nil && reg.Previous.RetireAt != nil {
				state.PreviousRetire = reg.Previous.RetireAt.Time
			}
		}
		if rp.Status.NextRotationAt != nil {
			state.NextRotation = rp.Status.NextRotationAt.Time
		}
		out = append(out, state)
	}
	return out, nil
}
