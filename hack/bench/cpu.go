package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuMeter reads the CPU time of the processes a phase involves.
type cpuMeter map[string]int // process name -> pid

// newCPUMeter covers the control plane and the bench, and the fake and the manager when they
// run (nil otherwise).
func newCPUMeter(cp *controlPlane, fake *fakeESignet, mgr *manager) cpuMeter {
	api, etcd := cp.pids()
	m := cpuMeter{"kube-apiserver": api, "etcd": etcd, "bench": os.Getpid()}
	if fake != nil {
		m["fake-esignet"] = fake.pid()
	}
	if mgr != nil {
		m["manager"] = mgr.pid()
	}
	return m
}

// machineKey is the busy time of every CPU of the machine in a cpuUse, whoever used it.
const machineKey = "machine"

// cpuUse is CPU seconds by process.
type cpuUse map[string]float64

func (m cpuMeter) read() cpuUse {
	use := cpuUse{}
	for name, pid := range m {
		if pid == 0 {
			continue
		}
		if s, err := cpuSeconds(pid); err == nil {
			use[name] = s
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		if busy, err := machineBusyTicks(string(b)); err == nil {
			use[machineKey] = float64(busy) / userHZ
		}
	}
	return use
}

// machineBusyTicks adds the busy fields (user, nice, system, irq, softirq, steal) of the
// aggregate "cpu" line of /proc/stat.
func machineBusyTicks(stat string) (int64, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("no aggregate cpu line in /proc/stat")
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, err
		}
		busy += v
	}
	return busy, nil
}

// total adds the CPU time of the named processes.
func (u cpuUse) total(names ...string) float64 {
	t := 0.0
	for _, n := range names {
		t += u[n]
	}
	return t
}

// others is the CPU time the machine spent on processes outside the bench's.
func (u cpuUse) others() float64 {
	m, ok := u[machineKey]
	if !ok {
		return 0
	}
	return max(0, m-u.total(cpuOrder...))
}

// since is the CPU time used after an earlier reading.
func (u cpuUse) since(before cpuUse) cpuUse {
	d := cpuUse{}
	for k, v := range u {
		d[k] = v - before[k]
	}
	return d
}

// cpuOrder is the order processes are reported in.
var cpuOrder = []string{"manager", "kube-apiserver", "etcd", "fake-esignet", "bench"}

func (u cpuUse) String() string {
	var parts []string
	for _, name := range cpuOrder {
		if v, ok := u[name]; ok {
			parts = append(parts, name+" "+formatSeconds(v))
		}
	}
	if _, ok := u[machineKey]; ok {
		parts = append(parts, "other processes on the machine "+formatSeconds(u.others()))
	}
	return strings.Join(parts, ", ")
}
