package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// tracker watches the bench's relying parties and remembers, for each, the generation it was
// last seen Ready at and when that was first seen: the moment a GitOps tool watching the
// resource would see it Ready.
type tracker struct {
	mu      sync.Mutex
	gen     map[string]int64     // current generation
	readyAt map[string]int64     // generation seen Ready (0: not Ready now)
	since   map[string]time.Time // when readyAt was first seen
	ready   int                  // names Ready at their current generation
	flaps   int                  // Ready turned not Ready without a new generation
	changed chan struct{}        // closed and replaced on every change
}

// startTracker runs an informer on the relying parties of ns until ctx ends.
func startTracker(ctx context.Context, cp *controlPlane, ns string) (*tracker, error) {
	t := &tracker{gen: map[string]int64{}, readyAt: map[string]int64{}, since: map[string]time.Time{}, changed: make(chan struct{})}
	c, err := cache.New(cp.cfg, cache.Options{Scheme: cp.scheme, DefaultNamespaces: map[string]cache.Config{ns: {}}})
	if err != nil {
		return nil, err
	}
	inf, err := c.GetInformer(ctx, &v1.ESignetRelyingParty{})
	if err != nil {
		return nil, err
	}
	observe := func(obj any) {
		if rp, ok := obj.(*v1.ESignetRelyingParty); ok {
			t.observe(rp, time.Now())
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    observe,
		UpdateFunc: func(_, obj any) { observe(obj) },
	}); err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the bench's relying-party informer did not sync")
	}
	return t, nil
}

func (t *tracker) observe(rp *v1.ESignetRelyingParty, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	name := rp.Name
	oldGen := t.gen[name]
	wasReady := oldGen != 0 && t.readyAt[name] == oldGen
	t.gen[name] = rp.Generation
	switch {
	case isReady(rp) && t.readyAt[name] != rp.Generation:
		t.readyAt[name], t.since[name] = rp.Generation, at
	case !isReady(rp):
		t.readyAt[name] = 0
	}
	if nowReady := t.readyAt[name] == rp.Generation; nowReady != wasReady {
		if nowReady {
			t.ready++
		} else {
			t.ready--
			if oldGen == rp.Generation {
				t.flaps++
			}
		}
	}
	close(t.changed)
	t.changed = make(chan struct{})
}

// wait blocks until done (called under the lock) holds, or the timeout.
func (t *tracker) wait(ctx context.Context, timeout time.Duration, what string, done func() (bool, string)) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		t.mu.Lock()
		ok, status := done()
		ch := t.changed
		t.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return fmt.Errorf("timed out after %s waiting for %s (%s)", timeout, what, status)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitAllReady waits until n relying parties are Ready and returns when the last became so.
func (t *tracker) waitAllReady(ctx context.Context, n int, timeout time.Duration) (time.Time, error) {
	err := t.wait(ctx, timeout, fmt.Sprintf("%d relying parties Ready", n), func() (bool, string) {
		return t.ready >= n, fmt.Sprintf("%d Ready", t.ready)
	})
	if err != nil {
		return time.Time{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var last time.Time
	for _, at := range t.since {
		if at.After(last) {
			last = at
		}
	}
	return last, nil
}

// waitReadyAt waits until name is Ready at generation gen (or later) and returns when it was
// first seen so.
func (t *tracker) waitReadyAt(ctx context.Context, name string, gen int64, timeout time.Duration) (time.Time, error) {
	var at time.Time
	err := t.wait(ctx, timeout, fmt.Sprintf("%s Ready at generation %d", name, gen), func() (bool, string) {
		if t.readyAt[name] >= gen {
			at = t.since[name]
			return true, ""
		}
		return false, fmt.Sprintf("generation %d, Ready at %d", t.gen[name], t.readyAt[name])
	})
	return at, err
}

// flapCount is how many times so far a Ready relying party was seen not Ready at the same
// generation: what a GitOps tool would show as a degraded application for nothing.
func (t *tracker) flapCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.flaps
}
