package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// service is a long-running child (the fake eSignet, the manager) with its output in a log file.
type service struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	ended   chan struct{}
	endErr  error // set before ended is closed
}

// startService runs bin with args, its stdout and stderr appended to logPath. Each stdout line
// is also offered to watch (when not nil). The child gets its own process group, so a Ctrl-C
// in the terminal reaches only the bench (which then stops it), and is killed by the kernel if
// the bench dies first.
func startService(name, logPath string, env []string, watch func(string), bin string, args ...string) (*service, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) //nolint:gosec // in the bench's temp dir
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...) //nolint:gosec // the binaries hack/bench.sh built
	cmd.Env = env
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = log.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	s := &service{name: name, logPath: logPath, cmd: cmd, ended: make(chan struct{})}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		copyLines(stdout, log, watch)
	}()
	go func() {
		<-copied
		s.endErr = cmd.Wait()
		_ = log.Close()
		close(s.ended)
	}()
	return s, nil
}

// copyLines copies r to w line by line, handing each line to watch.
func copyLines(r io.Reader, w io.Writer, watch func(string)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		_, _ = fmt.Fprintln(w, sc.Text())
		if watch != nil {
			watch(sc.Text())
		}
	}
}

func (s *service) pid() int { return s.cmd.Process.Pid }

func (s *service) running() bool {
	select {
	case <-s.ended:
		return false
	default:
		return true
	}
}

// stop asks the child to exit (SIGTERM) and kills it after grace. A clean exit returns nil.
func (s *service) stop(grace time.Duration) error {
	if !s.running() {
		return fmt.Errorf("%s had exited already: %w", s.name, s.endErr)
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-s.ended:
		return s.endErr
	case <-timer.C:
	}
	_ = s.cmd.Process.Kill()
	<-s.ended
	return fmt.Errorf("%s ignored SIGTERM for %s and was killed", s.name, grace)
}

// logTail is the end of the child's log, for error messages.
func (s *service) logTail(lines int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return s.logPath + ":\n" + strings.Join(all[max(0, len(all)-lines):], "\n")
}

// childEnv is the bench's environment without anything that could point a child at another
// cluster or through a proxy: every address a child uses is loopback.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		key, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(key) {
		case "KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT",
			"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY":
			continue
		}
		env = append(env, kv)
	}
	return env
}
