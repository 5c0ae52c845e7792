package fakepms

import (
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// Fault makes matching requests misbehave, exactly as the fake eSignet's faults do: Status (and
// Body) instead of handling, Delay, Reset (close without answer), LoseAnswer (handle, then close
// without answering: the effect happens, the client never learns it), Times (0 = until
// ClearFaults).
type Fault = fakeesignet.Fault

// InjectFault adds a fault; faults are tried in the order added.
func (s *Server) InjectFault(f Fault) { s.faults.Inject(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }
