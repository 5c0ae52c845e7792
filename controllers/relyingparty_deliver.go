package controllers

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/step"
)

// ensureDelivered takes each output where its app reads it, beyond the Secret or ConfigMap:
// its row into the app's database (apply.postgres) and a restart of the workloads that read it
// at start (rollout). Each is done only when the content is not the one status says was
// delivered; every output is tried, the first failure stops the pass.
func (r *RelyingPartyReconciler) ensureDelivered(ctx context.Context, sc *rpScope) *step.Stop {
	prev := map[string]v1.OutputStatus{}
	for _, o := range sc.rp.Status.Outputs {
		prev[o.Name] = o
	}
	spec := map[string]v1.Output{}
	for _, o := range outputsFor(sc.rp) {
		spec[o.Name] = o
	}
	var did, rolled []string
	var first *step.Stop
	asked := false
	for i := range sc.outputs {
		st, out, p := &sc.outputs[i], spec[sc.outputs[i].Name], prev[sc.outputs[i].Name]
		if out.Apply != nil && out.Apply.Postgres != nil {
			asked = true
			applied, what, stop := r.applyPostgres(ctx, sc, out, p.Applied)
			st.Applied = applied
			did = append(did, what...)
			first = firstStop(first, stop)
		}
		if len(out.Rollout) > 0 {
			asked = true
			status, these, stop := r.rollOut(ctx, sc, out, st.Hash, p.RolledOut)
			st.RolledOut = status
			rolled = append(rolled, these...)
			first = firstStop(first, stop)
		}
	}
	r.reportRollout(ctx, sc, rolled)
	switch {
	case first != nil:
		return first
	case !asked:
		sc.ok(v1.ConditionApplied, v1.ReasonNothingToApply, "no output asks for delivery (apply, rollout)")
	default:
		msg := "every output delivered"
		if len(did)+len(rolled) > 0 {
			msg += fmt.Sprintf(" (this pass: %s)", strings.Join(append(did, rolled...), "; "))
		}
		sc.ok(v1.ConditionApplied, v1.ReasonApplied, msg)
	}
	return nil
}

func firstStop(first, st *step.Stop) *step.Stop {
	if first != nil {
		return first
	}
	return st
}
