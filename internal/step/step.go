// Package step holds the one error type of the relying-party reconciler: a step could not
// finish, and this is why.
package step

import "time"

// Stop says why a reconcile step stopped. Its condition and Ready go False with the reason;
// the conditions of later steps go Unknown; Stalled is True when Terminal, Reconciling otherwise.
type Stop struct {
	// Condition of the step; "" when only Ready tells (provider, desired state).
	Condition string
	Reason    string
	Message   string
	// Terminal: only a person can fix it (Stalled).
	Terminal bool
	// Requeue: check again after this long (waiting on something else).
	Requeue time.Duration
	// Err: transient; retried with controller-runtime's exponential backoff.
	Err error
	// Quiet: the pass is only put off, nothing about the resource changed (a worker slot taken
	// for a moment, a provider whose connection is being rebuilt): status is not rewritten.
	Quiet bool
}

func (s *Stop) Error() string { return s.Reason + ": " + s.Message }

// Unwrap exposes the transient cause.
func (s *Stop) Unwrap() error { return s.Err }

// ReasonOf is the stop's reason, "" for nil.
func ReasonOf(s *Stop) string {
	if s == nil {
		return ""
	}
	return s.Reason
}
