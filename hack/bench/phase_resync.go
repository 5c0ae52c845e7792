package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// resyncAnnotation is what the bench touches to make the manager look at every relying party
// again without changing anything it owns.
const resyncAnnotation = "bench.esignet.openg2p.org/resync"

// resyncByTouch annotates every relying party (a change the operator must look at and find
// nothing to do for) and counts what the manager did until it was idle again.
func (r *benchRun) resyncByTouch(ctx context.Context) error {
	before, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	stamp := time.Now().UTC().Format(time.RFC3339Nano)
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, resyncAnnotation, stamp))
	profiled := r.profile(ctx, "touch")
	start := time.Now()
	if err := forEach(ctx, r.n, r.cfg.applyWorkers, func(ctx context.Context, i int) error {
		rp := &v1.ESignetRelyingParty{}
		rp.Namespace, rp.Name = benchNamespace, rpName(i)
		return r.cp.k8s.Patch(ctx, rp, client.RawPatch(types.MergePatchType, patch))
	}); err != nil {
		return err
	}
	st, err := r.settle(ctx, before.mgr, r.n)
	if err != nil {
		return err
	}
	took := time.Since(start) - 2*time.Second // the quiet period settle waited for
	profiled()
	after, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	own := requestCounts{{verb: "PATCH", resource: "esignetrelyingparties"}: float64(r.n)}
	r.res.touch, err = r.resyncResult(before, after, st, own, took)
	if err != nil {
		return err
	}
	r.reportResync("touch", r.res.touch)
	return nil
}

// resyncByRestart stops the manager and starts a new one, which reconciles every relying party
// from a fresh cache, as after an upgrade or a node loss.
func (r *benchRun) resyncByRestart(ctx context.Context) error {
	res, err := r.restartAndSettle(ctx)
	if err != nil {
		return err
	}
	r.res.restart = res
	r.reportResync("restart", res)
	r.saveHeapProfile(ctx, "restart")
	return nil
}

// saveHeapProfile saves the manager's heap (after a GC) when profiles were asked for.
func (r *benchRun) saveHeapProfile(ctx context.Context, phase string) {
	if r.cfg.profileDir == "" {
		return
	}
	path := filepath.Join(r.cfg.profileDir, fmt.Sprintf("manager-heap-%s-%d.pprof", phase, r.n))
	if err := r.mgr.heapProfile(ctx, path); err != nil {
		r.say("manager heap profile: %v", err)
		return
	}
	r.say("manager heap profile saved: %s", path)
}

// restartAndSettle replaces the manager and measures its first pass over every relying party.
func (r *benchRun) restartAndSettle(ctx context.Context) (resyncResult, error) {
	if r.mgr.running() { // the second floor stops it first
		if err := r.mgr.stop(30 * time.Second); err != nil {
			return resyncResult{}, fmt.Errorf("stopping the manager: %w", err)
		}
	}
	apiBefore, err := r.cp.apiRequests(ctx)
	if err != nil {
		return resyncResult{}, err
	}
	fakeBefore, err := r.fake.counts(ctx)
	if err != nil {
		return resyncResult{}, err
	}
	start := time.Now()
	if err := r.startManager(ctx); err != nil {
		return resyncResult{}, err
	}
	// A new process: its counters start at zero.
	before := snapshot{api: apiBefore, fake: fakeBefore, cpu: cpuUse{}, flaps: r.tr.flapCount()}
	st, err := r.settle(ctx, managerState{}, r.n)
	if err != nil {
		return resyncResult{}, err
	}
	took := time.Since(start) - 2*time.Second
	after, err := r.snapshot(ctx)
	if err != nil {
		return resyncResult{}, err
	}
	return r.resyncResult(before, after, st, nil, took)
}

func (r *benchRun) resyncResult(before, after snapshot, st managerState, own requestCounts, took time.Duration) (resyncResult, error) {
	res := resyncResult{took: took, calls: after.fake.since(before.fake), requests: after.api.since(before.api, own),
		reconciles: st.reconciles - before.mgr.reconciles, flaps: after.flaps - before.flaps}
	var err error
	res.memory, err = r.memory(st)
	return res, err
}

func (r *benchRun) reportResync(how string, res resyncResult) {
	r.say("resync (%s): %.0f reconciles in %s, %d eSignet client-management calls, manager writes: %s; reads: %s; %d Ready→not Ready flaps; peak RSS %.1f MiB",
		how, res.reconciles, res.took.Round(time.Millisecond), res.calls.ClientMgmtCalls, orNone(res.requests.describe(isWrite)),
		orNone(res.requests.describe(isRead)), res.flaps, res.memory.peakMiB)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
