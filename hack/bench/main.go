// Command bench measures the operator at scale, as issue 15 asks, with everything as its own
// process on this machine: a local control plane (envtest's kube-apiserver and etcd on
// loopback), the fake eSignet with a per-request latency on client management, and the manager
// binary with a ServiceAccount's token. For each N it reports, beside a floor measured in the
// same run, the time from applying N relying parties (five outputs each) to all Ready; the
// eSignet calls and Kubernetes writes per relying party; what a forced resync costs; the
// latency from a spec change to Ready; and the manager's peak memory, also with 10,000
// unrelated Secrets and 10,000 unrelated ConfigMaps in the cluster.
//
// Run it with `make bench` (hack/bench.sh builds the binaries); docs/performance.md explains
// the method and the figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// config is the command line.
type config struct {
	root, binDir   string
	sizes          []int
	latency        time.Duration
	workers        int // the manager's --max-concurrent-reconciles, and the floor's write concurrency
	applyWorkers   int // concurrent creates and patches by the bench
	changes        int
	unrelated      int
	unrelatedBytes int
	out            string
	profileDir     string
	profileSeconds int
	managerFlags   []string
	managerEnv     []string
	keep           bool
	timeout        time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	// client-go's and controller-runtime's own logs would only add noise to the report.
	logf.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())
	log := newProgress(stderr)
	assets, err := controlPlaneAssets(cfg.root)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	machine := describeMachine()
	log.say("machine: %s", machine)
	var results []*result
	for _, n := range cfg.sizes {
		res, err := runSize(ctx, cfg, assets, n, log)
		if err != nil {
			fmt.Fprintf(stderr, "bench: N=%d: %v\n", n, err)
			return 1
		}
		results = append(results, res)
		log.say("N=%d done; table so far:\n%s", n, resultTable(results))
	}
	report := fmt.Sprintf("%s\n\nFake eSignet latency %s per client-management call; %d manager workers.\n\n%s",
		machine, cfg.latency, cfg.workers, resultTable(results))
	fmt.Fprintln(stdout, report)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(report+"\n"), 0o600); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "bench measures the operator at N relying parties against a local control plane and the fake eSignet.\n\nFlags:")
		fs.PrintDefaults()
	}
	sizes := fs.String("n", "100,1000", "comma-separated numbers of relying parties, one fresh control plane each")
	large := fs.Bool("large", false, "also run N=5000")
	fs.StringVar(&cfg.root, "root", "", "repository root (default: the directory holding go.mod above the working directory)")
	fs.StringVar(&cfg.binDir, "bin-dir", "", "directory holding the manager and fake-esignet binaries (default <root>/bin)")
	fs.DurationVar(&cfg.latency, "latency", 20*time.Millisecond, "the fake eSignet's delay on every client-management call")
	fs.IntVar(&cfg.workers, "workers", 4, "the manager's --max-concurrent-reconciles, and the floor's write concurrency")
	fs.IntVar(&cfg.applyWorkers, "apply-workers", 8, "concurrent creates and patches of relying parties by the bench")
	fs.IntVar(&cfg.changes, "changes", 100, "spec changes timed to Ready, one at a time")
	fs.IntVar(&cfg.unrelated, "unrelated", 10000, "unrelated Secrets (and as many ConfigMaps) for the memory comparison; 0 skips it")
	fs.IntVar(&cfg.unrelatedBytes, "unrelated-bytes", 10*1024, "data size of each unrelated Secret and ConfigMap")
	fs.StringVar(&cfg.out, "out", "", "also write the report to this file")
	fs.StringVar(&cfg.profileDir, "profile-dir", "", "save CPU profiles of the manager and the API server while relying parties become Ready")
	fs.IntVar(&cfg.profileSeconds, "profile-seconds", 20, "length of each CPU profile")
	fs.Func("manager-flag", "extra manager flag, e.g. --kube-api-qps=50 (repeatable)", func(s string) error {
		cfg.managerFlags = append(cfg.managerFlags, s)
		return nil
	})
	fs.Func("manager-env", "extra environment variable KEY=VALUE for the manager, e.g. GOGC=50 (repeatable)", func(s string) error {
		if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
			return fmt.Errorf("want KEY=VALUE, got %q", s)
		}
		cfg.managerEnv = append(cfg.managerEnv, s)
		return nil
	})
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temp dir (logs, kubeconfigs) of each run")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Minute, "longest wait for any one phase")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if cfg.sizes, err = parseSizes(*sizes, *large); err != nil {
		return nil, err
	}
	if cfg.workers < 1 || cfg.applyWorkers < 1 || cfg.changes < 0 || cfg.unrelated < 0 || cfg.latency < 0 {
		return nil, errors.New("-workers and -apply-workers must be positive; -changes, -unrelated and -latency not negative")
	}
	if cfg.root == "" {
		if cfg.root, err = moduleRoot(); err != nil {
			return nil, err
		}
	}
	if cfg.binDir == "" {
		cfg.binDir = filepath.Join(cfg.root, "bin")
	}
	for _, b := range []string{"manager", "fake-esignet"} {
		if _, err := os.Stat(filepath.Join(cfg.binDir, b)); err != nil {
			return nil, fmt.Errorf("%s: %w (hack/bench.sh builds it)", filepath.Join(cfg.binDir, b), err)
		}
	}
	return cfg, nil
}

// parseSizes reads "100,1000", adding 5000 when large is set; duplicates are dropped.
func parseSizes(s string, large bool) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	fields := strings.Split(s, ",")
	if large {
		fields = append(fields, "5000")
	}
	for _, f := range fields {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-n: %q is not a positive number", f)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-n names no size")
	}
	return out, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s: pass -root", dir)
		}
	}
}

// progress prints timestamped lines to stderr.
type progress struct {
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) say(format string, a ...any) {
	fmt.Fprintf(p.w, "[%7.1f s] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, a...))
}
