package fakeesignet

import (
	"encoding/pem"
	"net/http/httptest"
	"testing"
)

// StartTest serves a new fake over plain HTTP on a loopback port for the
// duration of the test.
func StartTest(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	s.attach(tb, ts)
	return s
}

// StartTestTLS is StartTest over HTTPS. It returns the PEM of the server's
// self-signed certificate so callers can trust only that CA.
func StartTestTLS(tb testing.TB, opts Options) (*Server, []byte) {
	tb.Helper()
	s := New(opts)
	ts := httptest.NewTLSServer(s)
	s.attach(tb, ts)
	return s, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
}

func (s *Server) attach(tb testing.TB, ts *httptest.Server) {
	s.SetURL(ts.URL)
	s.mu.Lock()
	s.ts = ts
	s.mu.Unlock()
	tb.Cleanup(s.Close)
}

// Close stops a server started by StartTest/StartTestTLS; otherwise no-op.
func (s *Server) Close() {
	s.mu.Lock()
	ts := s.ts
	s.ts = nil
	s.mu.Unlock()
	if ts != nil {
		ts.Close()
	}
}
