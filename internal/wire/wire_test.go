package wire

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestDescribeTransport(t *testing.T) {
	refused := &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"refused before connecting", &ConnError{Err: refused}, ConnFailed},
		{"dial timeout reads like a refusal", &ConnError{Err: context.DeadlineExceeded}, ConnFailed},
		{"timeout after connecting", &ConnError{Err: context.DeadlineExceeded, Connected: true}, TimedOut},
		{"cancelled", &ConnError{Err: context.Canceled}, Cancelled},
		{"foreign timeout", os.ErrDeadlineExceeded, TimedOut},
		{"anything else", errors.New("boom"), ConnFailed},
	} {
		if got := DescribeTransport(tc.err); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if !IsTransport(&ConnError{Err: refused}) || IsTransport(errors.New("x")) {
		t.Error("IsTransport")
	}
}

func TestSanitize(t *testing.T) {
	got := Sanitize("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\x00and more text", 40)
	if strings.Contains(got, "eyJ") || strings.ContainsRune(got, 0) || !strings.Contains(got, "[redacted]") {
		t.Fatalf("%q", got)
	}
	if got := Sanitize(strings.Repeat("é", 10), 3); got != "ééé…" {
		t.Fatalf("%q", got)
	}
}
