package main

import (
	"context"
	"time"
)

// applyAll creates the n relying parties (concurrently, as a GitOps tool applying a directory
// would) and waits until every one is Ready, then until the manager is idle, so writes that
// follow Ready are counted too.
func (r *benchRun) applyAll(ctx context.Context) error {
	before, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	r.say("applying %d relying parties (five outputs each) with %d concurrent creates", r.n, r.cfg.applyWorkers)
	profiled := r.profile(ctx, "ready")
	start := time.Now()
	if err := forEach(ctx, r.n, r.cfg.applyWorkers, func(ctx context.Context, i int) error {
		return r.cp.k8s.Create(ctx, relyingParty(benchNamespace, i))
	}); err != nil {
		return err
	}
	created := time.Since(start)
	last, err := r.tr.waitAllReady(ctx, r.n, r.cfg.timeout)
	if err != nil {
		return err
	}
	res := r.res
	res.toReady = last.Sub(start)
	r.say("all %d Ready after %s (creates took %s); waiting for the manager to go idle", r.n, res.toReady.Round(time.Millisecond), created.Round(time.Millisecond))
	st, err := r.settle(ctx, before.mgr, r.n)
	if err != nil {
		return err
	}
	profiled()
	after, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	own := requestCounts{{verb: "POST", resource: "esignetrelyingparties"}: float64(r.n)}
	res.readyRequests = after.api.since(before.api, own)
	res.readyCalls = after.fake.since(before.fake)
	res.readyReconciles = st.reconciles - before.mgr.reconciles
	res.readyErrors = st.reconcileErrors - before.mgr.reconcileErrors
	res.readyCPU = after.cpu.since(before.cpu)
	if res.readyMemory, err = r.memory(st); err != nil {
		return err
	}
	r.say("ready: %d eSignet client-management calls (%s), manager writes: %s", res.readyCalls.ClientMgmtCalls,
		res.readyCalls.mgmtByPattern(), res.readyRequests.describe(isWrite))
	r.say("ready: %.0f reconciles (%.0f failed); CPU %s; manager peak RSS %.1f MiB", res.readyReconciles, res.readyErrors,
		res.readyCPU, res.readyMemory.peakMiB)
	return nil
}
