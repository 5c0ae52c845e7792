package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// snapshot is every counter a phase is measured by, read at one moment.
type snapshot struct {
	api   requestCounts
	fake  fakeCounts
	mgr   managerState
	cpu   cpuUse
	flaps int
}

func (r *benchRun) snapshot(ctx context.Context) (snapshot, error) {
	var s snapshot
	var err error
	s.cpu = newCPUMeter(r.cp, r.fake, r.mgr).read()
	if r.tr != nil {
		s.flaps = r.tr.flapCount()
	}
	if s.api, err = r.cp.apiRequests(ctx); err != nil {
		return s, fmt.Errorf("reading the API server's metrics: %w", err)
	}
	if s.fake, err = r.fake.counts(ctx); err != nil {
		return s, fmt.Errorf("reading the fake's counters: %w", err)
	}
	if s.mgr, err = r.mgr.state(ctx); err != nil {
		return s, fmt.Errorf("reading the manager's metrics: %w", err)
	}
	return s, nil
}

// memory reads the manager's peak and current RSS and its heap.
func (r *benchRun) memory(st managerState) (memoryFigure, error) {
	peak, rss, err := r.mgr.memory()
	return memoryFigure{peakMiB: peak, rssMiB: rss, heapMiB: st.heapInuse / (1 << 20)}, err
}

// settle waits until the manager has done at least more reconciles than in before and is idle.
func (r *benchRun) settle(ctx context.Context, before managerState, more int) (managerState, error) {
	return r.mgr.waitQuiet(ctx, before.reconciles+float64(more), 2*time.Second, r.cfg.timeout)
}

// profile records CPU profiles of the manager and the API server for the configured length,
// in the background; the returned function waits for them and reports what was saved.
func (r *benchRun) profile(ctx context.Context, phase string) func() {
	if r.cfg.profileDir == "" {
		return func() {}
	}
	if err := os.MkdirAll(r.cfg.profileDir, 0o750); err != nil {
		r.say("profiles: %v", err)
		return func() {}
	}
	secs := r.cfg.profileSeconds
	var wg sync.WaitGroup
	save := func(who string, fetch func(path string) error) {
		defer wg.Done()
		path := filepath.Join(r.cfg.profileDir, fmt.Sprintf("%s-%s-%d.pprof", who, phase, r.n))
		if err := fetch(path); err != nil {
			r.say("%s CPU profile: %v", who, err)
			return
		}
		r.say("%s CPU profile of %d s saved: %s", who, secs, path)
	}
	wg.Add(2)
	go save("manager", func(path string) error { return r.mgr.cpuProfile(ctx, secs, path) })
	go save("kube-apiserver", func(path string) error {
		b, err := r.cp.core.RESTClient().Get().AbsPath("/debug/pprof/profile").Param("seconds", strconv.Itoa(secs)).
			Timeout(time.Duration(secs+60) * time.Second).DoRaw(ctx)
		if err != nil {
			return err
		}
		return os.WriteFile(path, b, 0o600)
	})
	return wg.Wait
}
