// Command demo runs the whole operator on one machine, with nothing but Go and the project's
// hack/ scripts: a local kube-apiserver and etcd (envtest's control plane, on loopback), the fake
// eSignet as its own process (TLS with a CA generated at start), the CRDs, the manager binary, and
// the samples of config/samples patched to point at the fake. It then shows what the operator did
// (status, clients registered at eSignet, Secrets and rendered configs with key material redacted,
// a real token exchange with the generated key) and keeps everything running until Ctrl-C, which
// tears it all down. With DEMO_EXIT=1 (or -exit) it tears down at once and exits 0 only when
// every step succeeded.
//
// Run it with `make demo`.
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
	"strings"
	"syscall"
	"time"
)

// config is the parsed command line.
type config struct {
	root         string        // repository root (holds go.mod)
	binDir       string        // where the manager and fake-esignet binaries are built
	samplesDir   string        // kustomization directory of the samples to apply
	exit         bool          // tear down after the checks instead of waiting for Ctrl-C
	readyTimeout time.Duration // how long relying parties may take to become Ready
	postgres     bool          // use the machine's PostgreSQL, when it has one
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 2
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	d := newDemo(cfg, stdout)
	return d.run(sigs)
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `demo brings up a local control plane, the fake eSignet and the manager, applies the samples,
shows the result and waits for Ctrl-C (DEMO_EXIT=1: tears down at once, exit status says whether
every step succeeded).

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.root, "root", "", "repository root (default: the directory holding go.mod, searched upwards from the working directory)")
	fs.StringVar(&cfg.binDir, "bin-dir", "", "where to build manager and fake-esignet (default: <root>/bin)")
	fs.StringVar(&cfg.samplesDir, "samples", "", "kustomization directory whose resources are applied (default: <root>/config/samples)")
	fs.BoolVar(&cfg.exit, "exit", envTrue(os.Getenv("DEMO_EXIT")), "tear down after the checks (default from DEMO_EXIT)")
	fs.DurationVar(&cfg.readyTimeout, "ready-timeout", 90*time.Second, "how long the provider and relying parties may take to become Ready")
	fs.BoolVar(&cfg.postgres, "postgres", true, "start a PostgreSQL of the demo's own when the machine has the server installed: the Odoo row applied, "+
		"and a login through OpenG2P's own service where hack/openg2p-venv.sh installed it")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		if cfg.root, err = findRoot(wd); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(cfg.root)
	if err != nil {
		return nil, err
	}
	cfg.root = abs
	if cfg.binDir == "" {
		cfg.binDir = filepath.Join(cfg.root, "bin")
	}
	if cfg.samplesDir == "" {
		cfg.samplesDir = filepath.Join(cfg.root, "config", "samples")
	}
	for _, p := range []*string{&cfg.binDir, &cfg.samplesDir} {
		if *p, err = filepath.Abs(*p); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func envTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "y", "on":
		return true
	}
	return false
}

// findRoot walks up from dir to the directory holding go.mod.
func findRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s: run from the repository or pass -root", dir)
		}
	}
}

// errInterrupted ends the set-up when the user presses Ctrl-C.
var errInterrupted = errors.New("interrupted")

// interruptible returns a context cancelled by the first signal; later signals are counted so a
// second Ctrl-C can force the tear-down.
func interruptible(sigs <-chan os.Signal) (context.Context, func(), <-chan struct{}) {
	ctx, cancel := context.WithCancelCause(context.Background())
	again := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				return
			case <-sigs:
				n++
				switch n {
				case 1:
					cancel(errInterrupted)
				case 2:
					close(again)
				}
			}
		}
	}()
	return ctx, func() { close(stop); cancel(nil) }, again
}
