package pms

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/openg2p/esignet-operator/internal/esignet"
)

// ErrorItem is one entry of PMS's errors array. PMS's items carry "message"; eSignet's codes
// that PMS re-throws arrive in the same shape.
type ErrorItem struct {
	Code    string `json:"errorCode"`
	Message string `json:"message"`
}

// Sentinels matched with errors.Is.
var (
	// ErrAlreadyCreated: PMS already holds a client for the public key of a Create
	// (PMS_ESI_001). AlreadyCreated returns its id.
	ErrAlreadyCreated = errors.New("PMS already holds a client for this public key")
	// ErrNotFound: PMS does not know the client id (PMS_ESI_004).
	ErrNotFound = errors.New("PMS does not know this client")
	// ErrInactive: the client is INACTIVE in PMS (PMS_ESI_008); Deactivate treats it as done.
	ErrInactive = errors.New("the client is already INACTIVE in PMS")
	// ErrRedirect: PMS or the auth manager answered with a redirect, which is never followed.
	ErrRedirect = errors.New("answered with a redirect; refusing to follow it")
	// ErrUnsupported: the configured generation cannot express the request.
	ErrUnsupported = errors.New("not supported by the configured PMS generation")
)

// APIError is a failed PMS exchange: an HTTP status other than 200, or a 200 whose body carries
// errors or is not PMS's envelope.
type APIError struct {
	Op         string // "create", "update", "get", "deactivate"
	Method     string
	Path       string // URL path only
	HTTPStatus int
	Errors     []ErrorItem
	// Detail explains failures without an errors array ("response is not JSON (text/html)"),
	// in this package's words.
	Detail string
	// ClientID is the client the call was about: for a create, ClientID(publicKey), computed
	// before the call.
	ClientID string
	reason   Reason
	class    Class
}

// Limits for server text copied into Error().
const (
	maxMessageLen = 200
	maxErrorItems = 10
)

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pms %s: %s %s: HTTP %d", e.Op, e.Method, e.Path, e.HTTPStatus)
	for i, it := range e.Errors {
		if i == maxErrorItems {
			fmt.Fprintf(&b, "; … %d more", len(e.Errors)-i)
			break
		}
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		code := sanitize(it.Code, 64)
		if code == "" {
			code = "(no code)"
		}
		b.WriteString(sep + code)
		if it.Message != "" && it.Message != it.Code {
			b.WriteString(" (" + sanitize(it.Message, maxMessageLen) + ")")
		}
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

// Reason is the failure's reason: the first error item's, else the HTTP status's.
func (e *APIError) Reason() Reason { return e.reason }

// Class is what to do about it (see the Class constants).
func (e *APIError) Class() Class { return e.class }

// Kind makes esignet.KindOf classify PMS errors.
func (e *APIError) Kind() esignet.Kind { return e.class.Kind() }

// Codes returns the error codes in the order PMS sent them.
func (e *APIError) Codes() []string {
	out := make([]string, 0, len(e.Errors))
	for _, it := range e.Errors {
		out = append(out, it.Code)
	}
	return out
}

// Is matches ErrAlreadyCreated (a create's PMS_ESI_001), ErrNotFound, ErrInactive and
// ErrRedirect.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrAlreadyCreated:
		return e.Op == opCreate && e.has(CodeKeyExists)
	case ErrNotFound:
		return e.has(CodeClientNotFound)
	case ErrInactive:
		return e.has(CodeAlreadyInactive)
	case ErrRedirect:
		return e.reason == ReasonRedirect
	}
	return false
}

func (e *APIError) has(code string) bool {
	for _, it := range e.Errors {
		if it.Code == code {
			return true
		}
	}
	return false
}

// classify sets reason and class from the items or, without items, from the status (set by
// the decoder for bodies it could not read).
func (e *APIError) classify(fallback Reason) {
	if len(e.Errors) > 0 {
		it := e.Errors[0]
		e.reason = reasonForItem(it)
		e.class = classForItem(e.reason, it)
		return
	}
	e.reason = fallback
	e.class = reasons[fallback].class
}

// AlreadyCreated reports whether err is a Create's PMS_ESI_001 ("Client public key already
// exists") and returns the client's id, ClientID(publicKey) as computed before the call. PMS
// derives client ids from the key and the key is the operator's own, so this is the operator's
// client: a create whose answer was lost (a crash, a cut connection) succeeded. Follow with Get
// or Update.
func AlreadyCreated(err error) (clientID string, ok bool) {
	var ae *APIError
	if errors.As(err, &ae) && errors.Is(ae, ErrAlreadyCreated) {
		return ae.ClientID, true
	}
	return "", false
}

// IsNotFound reports PMS_ESI_004: PMS does not know the client (create it).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsInactive reports PMS_ESI_008: the client is INACTIVE in PMS.
func IsInactive(err error) bool { return errors.Is(err, ErrInactive) }

// ReasonOf returns err's reason ("" for nil or a foreign error that is no transport failure).
func ReasonOf(err error) Reason {
	var (
		ae  *APIError
		re  *RequestError
		te  *TokenError
		ue  *UnsupportedError
		ie  *InputError
		ete *esignet.TokenError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return ae.reason
	case errors.As(err, &ue):
		return ReasonUnsupported
	case errors.As(err, &ie):
		return ReasonInvalidInput
	case errors.As(err, &te), errors.As(err, &ete):
		return ReasonTokenFailed
	case errors.As(err, &re), isTransport(err):
		return ReasonPMSUnavailable
	}
	return ""
}

// kinded is implemented by esignet's errors and by this package's.
type kinded interface{ Kind() esignet.Kind }

// ClassOf classifies err (nil → ClassNone). Errors of this package carry their class; errors of
// internal/esignet (a Keycloak token source) are mapped from their Kind; anything else is
// retryable, as an unrecognised failure is safer retried with backoff than parked.
func ClassOf(err error) Class {
	var (
		ae *APIError
		c  interface{ Class() Class }
		k  kinded
	)
	switch {
	case err == nil:
		return ClassNone
	case errors.As(err, &ae):
		return ae.class
	case errors.As(err, &c):
		return c.Class()
	case errors.As(err, &k):
		return classOfKind(k.Kind())
	}
	return ClassRetryable
}

func classOfKind(k esignet.Kind) Class {
	switch k {
	case esignet.KindTerminal:
		return ClassTerminal
	case esignet.KindAuth:
		return ClassAuth
	case esignet.KindConflict:
		return ClassConflict
	case esignet.KindUnsupported:
		return ClassUnsupported
	case esignet.KindNone:
		return ClassNone
	}
	return ClassRetryable
}

// RetryAfter suggests when to try again: a set-up reason a PMS administrator fixes (partner
// inactive, mapping not approved, feature disabled, …) 5 minutes; 0 otherwise (use the
// caller's own backoff for retryable errors; terminal ones wait for a spec change).
func RetryAfter(err error) time.Duration {
	if reasons[ReasonOf(err)].setup {
		return setupRetry
	}
	return 0
}

// UnsupportedError: the request needs what the configured generation lacks.
type UnsupportedError struct {
	Op         string
	Generation Generation
	Feature    string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("pms %s: %s is %s (%s)", e.Op, e.Feature, ErrUnsupported, e.Generation)
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// Class is ClassUnsupported.
func (e *UnsupportedError) Class() Class { return ClassUnsupported }

// Kind is esignet.KindUnsupported.
func (e *UnsupportedError) Kind() esignet.Kind { return esignet.KindUnsupported }

// InputError: the detail cannot be sent as given (caught before any request). Field and Reason
// are this package's words and never quote the value.
type InputError struct {
	Op     string
	Field  string
	Reason string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("pms %s: invalid %s: %s", e.Op, e.Field, e.Reason)
}

// Class is ClassTerminal.
func (e *InputError) Class() Class { return ClassTerminal }

// Kind is esignet.KindTerminal.
func (e *InputError) Kind() esignet.Kind { return esignet.KindTerminal }

// RequestError is a failure to complete the HTTP exchange (dial, TLS, timeout, reset, a body
// that could not be read).
type RequestError struct {
	Op     string
	Method string
	Path   string
	Err    error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("pms %s: %s %s: %v", e.Op, e.Method, e.Path, e.Err)
}

func (e *RequestError) Unwrap() error { return e.Err }

// Class: retryable, except a certificate that does not verify (only a CA bundle fixes it).
func (e *RequestError) Class() Class {
	if isCertError(e.Err) {
		return ClassTerminal
	}
	return ClassRetryable
}

// Kind maps Class.
func (e *RequestError) Kind() esignet.Kind { return e.Class().Kind() }

// esignetCode is the shape of eSignet's codes (API.md §3).
var esignetCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// pmsCode is the shape of PMS's and the kernel's codes (PMS_ESI_001, KER-ATH-401); Describe
// keeps only codes of either shape.
var pmsCode = regexp.MustCompile(`^[A-Z][A-Z0-9_-]{1,63}$`)
