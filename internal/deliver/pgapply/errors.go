package pgapply

import (
	"errors"
	"fmt"
)

// Reason classifies a failed delivery, for a condition's reason and for the controller's
// choice between retrying soon and waiting for someone to act.
type Reason string

// Reasons. Retryable ones pass by themselves (back off and retry); the others need a person to
// change the Secret, the database or the spec, though the controller may still look again now
// and then (an app's chart may create a table a little later).
const (
	// SecretInvalid: the connection Secret lacks a key or holds a bad value. Not retryable.
	SecretInvalid Reason = "ConnectionSecretInvalid"
	// TargetInvalid: the rendered output cannot be delivered (format, shape). Not retryable.
	TargetInvalid Reason = "TargetInvalid"
	// DatabaseUnavailable: no connection (refused, unreachable, unknown host, no answer within
	// the connect timeout, not PostgreSQL), the server starting, stopping or out of connections,
	// or the connection lost mid-way. Retryable.
	DatabaseUnavailable Reason = "DatabaseUnavailable"
	// TLSFailed: TLS was required but the server offers none, or its certificate is not trusted
	// or not valid for the host name. Not retryable.
	TLSFailed Reason = "TLSFailed"
	// AuthFailed: the server refused the login (wrong user or password, no pg_hba.conf entry).
	// Not retryable.
	AuthFailed Reason = "AuthFailed"
	// DatabaseMissing: the database named in the Secret does not exist. Not retryable.
	DatabaseMissing Reason = "DatabaseMissing"
	// PermissionDenied: the user may not read or write what the upsert needs. Not retryable.
	PermissionDenied Reason = "PermissionDenied"
	// SchemaMissing: a table, column or type the upsert writes does not exist: the app (or the
	// version of it) this output is for has not set up its schema in this database. Not retryable.
	SchemaMissing Reason = "SchemaMissing"
	// SchemaMismatch: the table exists but rejects the row (a column type, enum value, NOT NULL
	// or unique constraint the app's schema as the operator knows it does not have). Not retryable.
	SchemaMismatch Reason = "SchemaMismatch"
	// IDTypeMissing: an odoo output's idType names no g2p.id.type in Odoo. Not retryable.
	IDTypeMissing Reason = "IDTypeMissing"
	// Timeout: a statement outlived the statement timeout, a lock the lock timeout, or the
	// server stopped answering within the call's time limit. Retryable.
	Timeout Reason = "Timeout"
	// Conflict: a deadlock or serialization failure with a concurrent transaction. Retryable.
	Conflict Reason = "Conflict"
	// ReadOnly: the server (a standby) or the user's session is read-only. Retryable: a
	// failover may make the host a primary again.
	ReadOnly Reason = "ReadOnly"
	// Canceled: the caller's context was cancelled. Retryable.
	Canceled Reason = "Canceled"
	// ApplyFailed: anything else the database rejected, or a row that did not read back as
	// written. Not retryable.
	ApplyFailed Reason = "ApplyFailed"
)

var retryable = map[Reason]bool{
	DatabaseUnavailable: true, Timeout: true, Conflict: true, ReadOnly: true, Canceled: true,
}

// Error is a failed delivery. Message is built from this package's own phrases, names from the
// Secret (database, user) and identifiers (tables, columns, types) the server reported; never a
// password, DSN, host, port, server-supplied prose or any value of the rendered SQL.
type Error struct {
	Reason Reason
	// Message says what happened and what to do, in a form fit for a status condition.
	Message string
	// Retryable is true when the condition may pass by itself: retry with backoff.
	Retryable bool
	// SQLState is the server's error code, when it sent one.
	SQLState string

	cause error // only context.Canceled or context.DeadlineExceeded, for errors.Is
}

func (e *Error) Error() string {
	if e.SQLState != "" {
		return fmt.Sprintf("postgres delivery: %s: %s (SQLSTATE %s)", e.Reason, e.Message, e.SQLState)
	}
	return fmt.Sprintf("postgres delivery: %s: %s", e.Reason, e.Message)
}

// Unwrap exposes context cancellation and deadline errors, nothing else.
func (e *Error) Unwrap() error { return e.cause }

// ReasonOf is err's Reason, "" for nil and ApplyFailed for an error not from this package.
func ReasonOf(err error) Reason {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ApplyFailed
}

// IsRetryable reports whether err may pass by itself.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

func newError(r Reason, sqlState string, format string, a ...any) *Error {
	return &Error{Reason: r, Message: fmt.Sprintf(format, a...), Retryable: retryable[r], SQLState: sqlState}
}
