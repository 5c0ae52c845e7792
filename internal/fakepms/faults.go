package fakepms

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// Fault makes matching requests misbehave, exactly as the fake eSignet's faults do: Status (and
// Body) instead of handling, Delay, Reset (close without answer), LoseAnswer (handle, then close
// without answering: the effect happens, the client never learns it), Times (0 = until
// ClearFaults).
type Fault = fakeesignet.Fault

// InjectFault adds a fault; faults are tried in the order added.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns a copy of the first fault matching r, consuming one use.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method != "" && !strings.EqualFold(f.Method, r.Method)) || !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return *f, true
	}
	return Fault{}, false
}

// applyFault acts on a matching fault; true means the request is finished.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, handle func(http.ResponseWriter)) bool {
	f, ok := s.takeFault(r)
	if !ok {
		return false
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case f.LoseAnswer:
		handle(httptest.NewRecorder())
		resetConnection(w)
		return true
	case f.Reset:
		resetConnection(w)
		return true
	case f.Status != 0:
		if f.Body != "" {
			ct := "text/plain; charset=utf-8"
			if b := strings.TrimSpace(f.Body); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
				ct = "application/json"
			}
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return true
	}
	return false
}

// resetConnection closes the TCP connection with RST, or aborts the stream where the
// connection cannot be taken over.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
