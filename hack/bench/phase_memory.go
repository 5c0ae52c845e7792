package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const unrelatedNamespace = "unrelated"

// unrelatedObjects creates Secrets and ConfigMaps the operator has nothing to do with (no
// label of its own, not referenced by any provider) while the manager runs, then restarts the
// manager with them in the cluster; the restart's memory is compared with the restart without
// them (resyncByRestart), the same pass over the same relying parties.
func (r *benchRun) unrelatedObjects(ctx context.Context) error {
	n := r.cfg.unrelated
	if n == 0 {
		return nil
	}
	if err := r.cp.createNamespace(ctx, unrelatedNamespace); err != nil {
		return err
	}
	// A process's peak depends on when its collector ran (at N = 1000 two restarts of the same
	// manager over the same objects differ by up to ±13 MiB): each side is the median of three.
	without, err := r.peakSamples(ctx, r.res.restart.memory.peakMiB)
	if err != nil {
		return err
	}
	_, rssBefore, err := r.mgr.memory()
	if err != nil {
		return err
	}
	r.say("creating %d unrelated Secrets and %d unrelated ConfigMaps of %d bytes each", n, n, r.cfg.unrelatedBytes)
	payload := make([]byte, r.cfg.unrelatedBytes)
	_, _ = rand.Read(payload)
	text := fmt.Sprintf("%x", payload)[:r.cfg.unrelatedBytes]
	start := time.Now()
	if err := forEach(ctx, 2*n, r.cfg.applyWorkers, func(ctx context.Context, i int) error {
		meta := metav1.ObjectMeta{Namespace: unrelatedNamespace, Name: fmt.Sprintf("unrelated-%05d", i/2),
			Labels: map[string]string{"app.kubernetes.io/name": "unrelated"}}
		if i%2 == 0 {
			return r.cp.k8s.Create(ctx, &corev1.Secret{ObjectMeta: meta, Data: map[string][]byte{"blob": payload}})
		}
		return r.cp.k8s.Create(ctx, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"blob": text}})
	}); err != nil {
		return err
	}
	r.res.unrelated, r.res.unrelatedCreate = n, time.Since(start)
	time.Sleep(5 * time.Second) // the watches deliver the last events
	_, rssAfter, err := r.mgr.memory()
	if err != nil {
		return err
	}
	r.res.liveGrowthMiB = rssAfter - rssBefore
	r.say("created in %s; the running manager's RSS went from %.1f to %.1f MiB; restarting it",
		r.res.unrelatedCreate.Round(time.Millisecond), rssBefore, rssAfter)
	res, err := r.restartAndSettle(ctx)
	if err != nil {
		return err
	}
	r.reportResync("restart with unrelated objects", res)
	r.saveHeapProfile(ctx, "restart-unrelated")
	with, err := r.peakSamples(ctx, res.memory.peakMiB)
	if err != nil {
		return err
	}
	r.res.restart.memory.peakMiB, res.memory.peakMiB = median(without), median(with)
	r.res.withUnrelated = res
	r.say("peak RSS after a restart, median of %v MiB with them and %v MiB without: %+.1f MiB", with, without,
		res.memory.peakMiB-r.res.restart.memory.peakMiB)
	return nil
}

// peakSamples restarts the manager twice more, returning the first peak and the two new ones.
func (r *benchRun) peakSamples(ctx context.Context, first float64) ([]float64, error) {
	out := []float64{first}
	for range 2 {
		res, err := r.restartAndSettle(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, res.memory.peakMiB)
	}
	return out, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
