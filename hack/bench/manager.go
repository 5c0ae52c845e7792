package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// rpController is the relying-party controller's name in controller-runtime's metrics.
const rpController = "esignetrelyingparty"

// manager is cmd/manager running as its own process with the ServiceAccount kubeconfig, its
// metrics (plain HTTP), probes and, when asked, pprof on loopback ports.
type manager struct {
	*service
	metricsURL string
	pprofURL   string // empty without pprof
}

type managerOptions struct {
	binDir, logDir, kubeconfig string
	workers                    int
	pprof                      bool
	extra                      []string // more flags, after the bench's own (the last value wins)
	env                        []string // more environment variables
}

// startManager runs the manager and waits for /readyz. The run number names its log file.
func startManager(ctx context.Context, o managerOptions, run int) (*manager, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	m := &manager{metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[0])}
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1])
	args := []string{"--kubeconfig", o.kubeconfig,
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", ports[0]), "--metrics-secure=false",
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"--cluster-resource-namespace", operatorNamespace,
		"--max-concurrent-reconciles", strconv.Itoa(o.workers)}
	if o.pprof {
		args = append(args, "--pprof-address", fmt.Sprintf("127.0.0.1:%d", ports[2]))
		m.pprofURL = fmt.Sprintf("http://127.0.0.1:%d/debug/pprof", ports[2])
	}
	args = append(args, o.extra...)
	logPath := filepath.Join(o.logDir, fmt.Sprintf("manager-%d.log", run))
	if m.service, err = startService("manager", logPath, append(childEnv(), o.env...), nil, filepath.Join(o.binDir, "manager"), args...); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for !httpOK(ctx, readyz) {
		switch {
		case !m.running():
			return nil, fmt.Errorf("the manager exited at start: %w\n%s", m.endErr, m.logTail(30))
		case time.Now().After(deadline):
			_ = m.stop(10 * time.Second)
			return nil, fmt.Errorf("the manager was not ready within 60 s\n%s", m.logTail(30))
		case ctx.Err() != nil:
			_ = m.stop(10 * time.Second)
			return nil, ctx.Err()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return m, nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func httpOK(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := plainHTTP.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// managerState is what the manager's metrics say about its relying-party controller and heap.
type managerState struct {
	reconciles, reconcileErrors float64
	activeWorkers, queueDepth   float64
	heapInuse                   float64
}

// managerMetrics are the metric names managerState is read from.
var managerMetrics = []string{"controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total",
	"controller_runtime_active_workers", "workqueue_depth", "go_memstats_heap_inuse_bytes"}

func (m *manager) state(ctx context.Context) (managerState, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.metricsURL, nil)
	if err != nil {
		return managerState{}, err
	}
	resp, err := plainHTTP.Do(req)
	if err != nil {
		return managerState{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	samples, err := parseSamples(resp.Body, managerMetrics...)
	if err != nil {
		return managerState{}, err
	}
	ctl := map[string]string{"controller": rpController}
	return managerState{
		reconciles:      sum(samples, "controller_runtime_reconcile_total", ctl),
		reconcileErrors: sum(samples, "controller_runtime_reconcile_errors_total", ctl),
		activeWorkers:   sum(samples, "controller_runtime_active_workers", ctl),
		queueDepth:      sum(samples, "workqueue_depth", map[string]string{"name": rpController}),
		heapInuse:       sum(samples, "go_memstats_heap_inuse_bytes", nil),
	}, nil
}

// waitQuiet waits until the relying-party controller has done at least minReconciles in all,
// has nothing queued or running, and its reconcile count has not moved for settle.
func (m *manager) waitQuiet(ctx context.Context, minReconciles float64, settle, timeout time.Duration) (managerState, error) {
	deadline := time.Now().Add(timeout)
	var last managerState
	stableSince := time.Now()
	for {
		st, err := m.state(ctx)
		if err != nil {
			return st, err
		}
		if st.reconciles != last.reconciles || st.activeWorkers > 0 || st.queueDepth > 0 {
			stableSince = time.Now()
		}
		last = st
		if st.reconciles >= minReconciles && time.Since(stableSince) >= settle {
			return st, nil
		}
		if !m.running() {
			return st, fmt.Errorf("the manager exited: %w\n%s", m.endErr, m.logTail(30))
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("the manager did not settle within %s (%.0f reconciles of at least %.0f, %.0f queued, %.0f running)",
				timeout, st.reconciles, minReconciles, st.queueDepth, st.activeWorkers)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(500 * time.Millisecond): // each scrape costs the manager a pass over its cached relying parties
		}
	}
}

// memory is the manager's peak (VmHWM) and current (VmRSS) resident set, in MiB.
func (m *manager) memory() (peak, now float64, err error) {
	hwm, err := memoryKiB(m.pid(), "VmHWM")
	if err != nil {
		return 0, 0, err
	}
	rss, err := memoryKiB(m.pid(), "VmRSS")
	return float64(hwm) / 1024, float64(rss) / 1024, err
}

// cpuProfile saves a CPU profile of the next seconds to path.
func (m *manager) cpuProfile(ctx context.Context, seconds int, path string) error {
	return m.saveProfile(ctx, fmt.Sprintf("profile?seconds=%d", seconds), seconds, path)
}

// heapProfile saves a heap profile (after a GC) to path.
func (m *manager) heapProfile(ctx context.Context, path string) error {
	return m.saveProfile(ctx, "heap?gc=1", 0, path)
}

func (m *manager) saveProfile(ctx context.Context, what string, seconds int, path string) error {
	if m.pprofURL == "" {
		return fmt.Errorf("the manager runs without --pprof-address")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.pprofURL+"/"+what, nil)
	if err != nil {
		return err
	}
	c := &http.Client{Timeout: time.Duration(seconds+30) * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("manager pprof: %s", resp.Status)
	}
	f, err := os.Create(path) //nolint:gosec // the profile directory the user named
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
