package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a process the demo started and must stop.
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // valid once done is closed
}

// spawn starts bin in its own process group (so a terminal's Ctrl-C reaches only the demo, which
// then stops its children in order) and asks the kernel to kill it should the demo die first.
// stdout and stderr go to logPath; onLine, when set, also sees every stdout line.
func spawn(name, logPath string, onLine func(string), bin string, args ...string) (*child, error) {
	return spawnCmd(name, logPath, onLine, exec.Command(bin, args...)) //nolint:gosec // the demo runs the binaries it just built
}

// spawnCmd is spawn for a prepared command: its Env, Dir, ExtraFiles and SysProcAttr.Credential
// are kept.
func spawnCmd(name, logPath string, onLine func(string), cmd *exec.Cmd) (*child, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600) //nolint:gosec // a log file in the demo's temp dir
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	cmd.Stdout = logFile
	if onLine != nil {
		cmd.Stdout = &lineTee{w: logFile, onLine: onLine}
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// Go sets the death signal after switching credentials, so it holds for a child run as
	// another user too.
	cmd.SysProcAttr.Setpgid, cmd.SysProcAttr.Pdeathsig = true, syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		_ = logFile.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to grace, then kills. It returns how the process ended.
func (c *child) stop(grace time.Duration) string { return c.stopWith(syscall.SIGTERM, grace) }

// stopWith is stop with another signal (PostgreSQL's fast shutdown is SIGINT).
func (c *child) stopWith(sig syscall.Signal, grace time.Duration) string {
	if c.exited() {
		return "had already exited: " + exitText(c.err)
	}
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.done:
		var ee *exec.ExitError
		if errors.As(c.err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == sig {
				return fmt.Sprintf("stopped (%s; it ends by re-raising the signal)", signalName(sig))
			}
		}
		return fmt.Sprintf("stopped (%s): %s", signalName(sig), exitText(c.err))
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Sprintf("killed after %s without stopping", grace)
	}
}

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}

func exitText(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}

// lineTee copies output to w and hands each complete line to onLine.
type lineTee struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	onLine func(string)
}

func (t *lineTee) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := t.w.Write(p); err != nil {
		return 0, err
	}
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			break
		}
		t.onLine(string(t.buf[:i]))
		t.buf = t.buf[i+1:]
	}
	return len(p), nil
}

// proc is one entry of /proc.
type proc struct {
	pid, ppid int
	comm      string
	cmdline   string
	zombie    bool
}

// processes lists every process visible in /proc.
func processes() []proc {
	entries, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(stat)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		fields := strings.Fields(s[closing+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out = append(out, proc{pid: pid, ppid: ppid, comm: s[open+1 : closing], zombie: fields[0] == "Z",
			cmdline: strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))})
	}
	return out
}

// leftovers lists live processes that are children of the demo or mention its temp dir.
func leftovers(tmp string) []proc {
	self := os.Getpid()
	var out []proc
	for _, p := range processes() {
		if p.pid == self || p.zombie {
			continue
		}
		if p.ppid == self || (tmp != "" && strings.Contains(p.cmdline, tmp)) {
			out = append(out, p)
		}
	}
	return out
}

// childrenNamed finds the demo's child processes with the given command name.
func childrenNamed(name string) []int {
	var pids []int
	for _, p := range processes() {
		if p.ppid == os.Getpid() && p.comm == name && !p.zombie {
			pids = append(pids, p.pid)
		}
	}
	return pids
}
