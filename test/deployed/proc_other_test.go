//go:build !linux

package deployed

import "syscall"

func childProcAttr() *syscall.SysProcAttr { return nil }
