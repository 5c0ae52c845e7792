package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// benchRun is one N: its own control plane, fake eSignet and manager processes.
type benchRun struct {
	cfg  *config
	n    int
	log  *progress
	tmp  string
	cp   *controlPlane
	fake *fakeESignet
	mgr  *manager
	runs int // managers started so far
	mopt managerOptions
	tr   *tracker
	res  *result
}

// runSize measures one N from a fresh control plane and tears everything down afterwards.
func runSize(ctx context.Context, cfg *config, assets string, n int, log *progress) (res *result, err error) {
	r := &benchRun{cfg: cfg, n: n, log: log, res: &result{n: n, latency: cfg.latency, workers: cfg.workers}}
	if r.tmp, err = os.MkdirTemp("", fmt.Sprintf("esignet-bench-%d-", n)); err != nil {
		return nil, err
	}
	defer func() {
		if stopErr := r.tearDown(); stopErr != nil && err == nil {
			err = stopErr
		}
		if cfg.keep || err != nil {
			log.say("N=%d: kept %s (logs, kubeconfigs)", n, r.tmp)
		} else {
			_ = os.RemoveAll(r.tmp)
		}
	}()
	trackCtx, stopTracking := context.WithCancel(ctx)
	defer stopTracking()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"control plane", func(context.Context) error { return r.startControlPlane(assets) }},
		{"floor", r.measureFloor},
		{"fake eSignet, provider and manager", r.startOperator},
		{"tracker", func(context.Context) error { return r.startTracker(trackCtx) }},
		{"apply and wait for Ready", r.applyAll},
		{"resync by touching every relying party", r.resyncByTouch},
		{"spec changes", r.specChanges},
		{"floor again, the manager stopped", r.measureFloorAgain},
		{"resync by restarting the manager", r.resyncByRestart},
		{"unrelated objects", r.unrelatedObjects},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.fn(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return r.res, nil
}

func (r *benchRun) say(format string, a ...any) {
	r.log.say("N=%d: %s", r.n, fmt.Sprintf(format, a...))
}

func (r *benchRun) startControlPlane(assets string) error {
	r.say("starting kube-apiserver and etcd on loopback (%s)", assets)
	var err error
	r.cp, err = startControlPlane(r.cfg.root, assets, filepath.Join(r.tmp, "control-plane"))
	if err != nil {
		return err
	}
	api, etcd := r.cp.pids()
	r.say("control plane up at %s (kube-apiserver pid %d, etcd pid %d)", r.cp.cfg.Host, api, etcd)
	return nil
}

func (r *benchRun) measureFloor(ctx context.Context) error {
	return r.floorInto(ctx, &r.res.floor, "floor")
}

// measureFloorAgain stops the manager (the restart phase starts a new one) and measures the
// floor a second time, so that the apply is compared with the machine's speed on both sides.
func (r *benchRun) measureFloorAgain(ctx context.Context) error {
	if err := r.mgr.stop(30 * time.Second); err != nil {
		return fmt.Errorf("stopping the manager: %w", err)
	}
	return r.floorInto(ctx, &r.res.floorAfter, "floor again, the manager stopped")
}

func (r *benchRun) floorInto(ctx context.Context, dst *floorResult, what string) error {
	r.say("%s: %d RS256 2048 key generations, then %d writes by a plain client at concurrency %d", what, r.n, r.n*7, r.cfg.workers)
	f, err := measureFloor(ctx, r.cp, r.n, r.cfg.workers)
	if err != nil {
		return err
	}
	*dst = f
	r.say("%s: keys %s on %d goroutines, writes %s, total %s; CPU %s", what, f.keygen.Round(time.Millisecond), f.keyWorkers,
		f.writes.Round(time.Millisecond), f.total().Round(time.Millisecond), f.cpu)
	return nil
}

// startOperator starts the fake eSignet, the manager with its ServiceAccount, and the provider.
func (r *benchRun) startOperator(ctx context.Context) error {
	secret := randomHex(24)
	var err error
	if r.fake, err = startFake(ctx, r.cfg.binDir, r.tmp, secret, r.cfg.latency); err != nil {
		return err
	}
	r.say("fake eSignet pid %d at %s, %s per client-management call", r.fake.pid(), r.fake.url, r.cfg.latency)
	kubeconfig := filepath.Join(r.tmp, "manager.kubeconfig")
	if err := r.cp.managerKubeconfig(ctx, r.cfg.root, kubeconfig); err != nil {
		return err
	}
	if err := r.cp.createNamespace(ctx, benchNamespace); err != nil {
		return err
	}
	if err := createProvider(ctx, r.cp.k8s, r.fake.url, secret); err != nil {
		return err
	}
	r.mopt = managerOptions{binDir: r.cfg.binDir, logDir: r.tmp, kubeconfig: kubeconfig, workers: r.cfg.workers,
		pprof: r.cfg.profileDir != "", extra: r.cfg.managerFlags, env: r.cfg.managerEnv}
	if err := r.startManager(ctx); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, why, err := providerReady(ctx, r.cp.k8s)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("provider not Ready within 60 s: %s\n%s", why, r.mgr.logTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.say("provider %s/%s Ready", benchNamespace, providerName)
	return nil
}

func (r *benchRun) startManager(ctx context.Context) error {
	r.runs++
	var err error
	if r.mgr, err = startManager(ctx, r.mopt, r.runs); err != nil {
		return err
	}
	r.say("manager #%d pid %d ready (ServiceAccount %s/%s, %d workers); log %s", r.runs, r.mgr.pid(),
		operatorNamespace, operatorAccount, r.cfg.workers, r.mgr.logPath)
	return nil
}

func (r *benchRun) startTracker(ctx context.Context) error {
	var err error
	r.tr, err = startTracker(ctx, r.cp, benchNamespace)
	return err
}

// tearDown stops the manager (which must exit cleanly), the fake and the control plane.
func (r *benchRun) tearDown() error {
	var errs []error
	if r.mgr != nil && r.mgr.running() {
		if err := r.mgr.stop(30 * time.Second); err != nil {
			errs = append(errs, fmt.Errorf("manager: %w", err))
		}
	}
	if r.fake != nil && r.fake.running() {
		if err := r.fake.stop(10 * time.Second); err != nil {
			errs = append(errs, fmt.Errorf("fake eSignet: %w", err))
		}
	}
	if r.cp != nil {
		if err := r.cp.stop(); err != nil {
			errs = append(errs, fmt.Errorf("control plane: %w", err))
		}
	}
	return errors.Join(errs...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
