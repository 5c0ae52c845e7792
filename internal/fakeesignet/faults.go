package fakeesignet

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Fault makes matching requests misbehave; it is checked before routing.
type Fault struct {
	Method     string        // match this method; "" = any
	PathPrefix string        // match paths with this prefix; "" = any
	Status     int           // answer with this status (and Body) instead of handling
	Body       string        // optional body sent with Status
	Delay      time.Duration // sleep before handling (cut short if the client goes away)
	Reset      bool          // close the connection without any response
	// LoseAnswer handles the request, then closes the connection instead of answering: the
	// effect happens, the client never learns it (a crash or a cut right after the call).
	LoseAnswer bool
	Times      int // requests it applies to; 0 = until ClearFaults
}

// Faults is the list of faults a fake server applies to the requests it serves, shared by the
// fakes of this project (the fake PMS uses it too).
type Faults struct {
	mu     sync.Mutex
	faults []*Fault
}

// Inject adds a fault; faults are tried in the order added.
func (fs *Faults) Inject(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = append(fs.faults, &f)
}

// Clear removes every fault.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = nil
}

// InjectFault adds a fault; faults are tried in the order added.
func (s *Server) InjectFault(f Fault) { s.faults.Inject(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// take returns a copy of the first fault matching r, consuming one use.
func (fs *Faults) take(r *http.Request) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.faults {
		if (f.Method != "" && !strings.EqualFold(f.Method, r.Method)) || !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				fs.faults = append(fs.faults[:i:i], fs.faults[i+1:]...)
			}
		}
		return *f, true
	}
	return Fault{}, false
}

// Apply acts on a matching fault; true means the request is finished. handle serves the
// request normally (for LoseAnswer).
func (fs *Faults) Apply(w http.ResponseWriter, r *http.Request, handle func(http.ResponseWriter)) bool {
	f, ok := fs.take(r)
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

// resetConnection closes the TCP connection with RST, or aborts the stream
// where the connection cannot be taken over (HTTP/2).
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
