package harness

import "syscall"

// childProcAttr has the kernel kill the manager should the test binary die first (a test
// timeout), so no manager outlives the package.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
