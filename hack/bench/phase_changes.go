package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// specChanges changes one relying party's client name at a time (a change eSignet must be told
// of) and times each from the patch to the moment the bench's watch sees it Ready at the new
// generation.
func (r *benchRun) specChanges(ctx context.Context) error {
	if r.cfg.changes == 0 {
		return nil
	}
	before, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	res := &r.res.changes
	for j := range r.cfg.changes {
		i := j % r.n
		rp := &v1.ESignetRelyingParty{}
		rp.Namespace, rp.Name = benchNamespace, rpName(i)
		patch := []byte(fmt.Sprintf(`{"spec":{"clientName":%q}}`, fmt.Sprintf("Bench relying party %d, change %d", i, j)))
		start := time.Now()
		if err := r.cp.k8s.Patch(ctx, rp, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return err
		}
		at, err := r.tr.waitReadyAt(ctx, rp.Name, rp.Generation, time.Minute)
		if err != nil {
			return err
		}
		res.samples = append(res.samples, at.Sub(start))
	}
	if _, err := r.settle(ctx, before.mgr, r.cfg.changes); err != nil {
		return err
	}
	after, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	own := requestCounts{{verb: "PATCH", resource: "esignetrelyingparties"}: float64(r.cfg.changes)}
	res.calls, res.requests = after.fake.since(before.fake), after.api.since(before.api, own)
	r.say("spec changes: p50 %s, p99 %s over %d (fake latency %s); eSignet calls %s; manager writes: %s",
		percentile(res.samples, 50).Round(100*time.Microsecond), percentile(res.samples, 99).Round(100*time.Microsecond),
		len(res.samples), r.cfg.latency, res.calls.mgmtByPattern(), res.requests.describe(isWrite))
	return nil
}
