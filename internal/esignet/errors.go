package esignet

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes the client-management API returns (API.md §3).
const (
	CodeInvalidRequest          = "invalid_request"
	CodeInvalidClientID         = "invalid_client_id"
	CodeDuplicateClientID       = "duplicate_client_id"
	CodeInvalidClientName       = "invalid_client_name"
	CodeInvalidLanguageCode     = "invalid_language_code"
	CodeInvalidClientNameValue  = "invalid_client_name_value"
	CodeInvalidClientNameLength = "invalid_client_name_length"
	CodeInvalidPublicKey        = "invalid_public_key"
	CodeDuplicatePublicKey      = "duplicate_public_key"
	CodeInvalidRPID             = "invalid_rp_id"
	CodeInvalidClaim            = "invalid_claim"
	CodeInvalidACR              = "invalid_acr"
	CodeInvalidURI              = "invalid_uri"
	CodeInvalidRedirectURI      = "invalid_redirect_uri"
	CodeUnsupportedGrantType    = "unsupported_grant_type" // v1.7+
	CodeInvalidGrantType        = "invalid_grant_type"     // ≤ v1.6
	CodeInvalidClientAuth       = "invalid_client_auth"
	CodeInvalidStatus           = "invalid_status"
	CodeInvalidAdditionalConfig = "invalid_additional_config"
	CodeUnknownError            = "unknown_error"
)

// Kind tells the controller what to do about an error.
type Kind int

const (
	// KindNone is KindOf(nil).
	KindNone Kind = iota
	// KindTerminal: the request is wrong (validation, our bug, bad config);
	// retrying the same request cannot succeed. Fix the spec.
	KindTerminal
	// KindConflict: the client id or public key is already registered.
	// Use HasCode to tell duplicate_client_id (switch to PUT) from
	// duplicate_public_key (the key belongs to some other client).
	KindConflict
	// KindAuth: the management token is missing, invalid or lacks a scope,
	// or the token endpoint rejected our credentials.
	KindAuth
	// KindTransient: network trouble, timeouts, 5xx/429, or a body that is
	// not eSignet's (a proxy's error page). Retry with backoff.
	KindTransient
	// KindUnsupported: the configured API version cannot express the request.
	KindUnsupported
)

func (k Kind) String() string {
	switch k {
	case KindNone:
		return "None"
	case KindTerminal:
		return "Terminal"
	case KindConflict:
		return "Conflict"
	case KindAuth:
		return "Auth"
	case KindTransient:
		return "Transient"
	case KindUnsupported:
		return "Unsupported"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ErrorItem is one entry of eSignet's errors array.
type ErrorItem struct {
	Code    string `json:"errorCode"`
	Message string `json:"errorMessage"`
}

// APIError is a failed client-management (or discovery) exchange: an HTTP
// status other than 200, or a 200 whose body carries errors or is not an
// eSignet envelope.
type APIError struct {
	Op         string // "create", "update", "patch", "set status", "discover", …
	Method     string
	Path       string // URL path only, never the query
	HTTPStatus int
	Errors     []ErrorItem
	// Detail explains failures without an errors array, e.g. the scope a 403
	// implies or "response is not JSON (text/html)". Never holds a body.
	Detail string
	// Malformed marks a response that was not an eSignet envelope.
	Malformed bool
	// class is Detail in Describe's fixed vocabulary: set only from
	// constants of this package, never from the response.
	class string
}

// Limits for text copied from the server into error strings: eSignet's own
// messages hold no secrets, but Jackson's can be long and a proxy's can be
// anything.
const (
	maxMessageLen = 200
	maxErrorItems = 10
)

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "esignet %s: %s %s: HTTP %d", e.Op, e.Method, e.Path, e.HTTPStatus)
	for i, it := range e.Errors {
		if i == maxErrorItems {
			fmt.Fprintf(&b, "; … %d more", len(e.Errors)-i)
			break
		}
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		b.WriteString(sep + sanitize(it.Code, 64))
		if it.Message != "" && it.Message != it.Code {
			b.WriteString(" (" + sanitize(it.Message, maxMessageLen) + ")")
		}
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrRedirect) true for a refused redirect.
func (e *APIError) Is(target error) bool { return target == ErrRedirect && isRedirect(e.HTTPStatus) }

// Kind classifies the failure; see the Kind constants. A redirect is
// terminal: eSignet's API never redirects, so the URL is wrong.
func (e *APIError) Kind() Kind {
	switch s := e.HTTPStatus; {
	case s == 401 || s == 403:
		return KindAuth
	case s == 408 || s == 429 || s >= 500:
		return KindTransient
	case s != 200:
		// 404/405/415 and other 4xx: wrong URL, version or our bug.
		return KindTerminal
	}
	if e.Malformed || len(e.Errors) == 0 {
		return KindTransient
	}
	return classifyItems(e.Errors)
}

// Codes returns the error codes in the order eSignet sent them.
func (e *APIError) Codes() []string {
	out := make([]string, 0, len(e.Errors))
	for _, it := range e.Errors {
		out = append(out, it.Code)
	}
	return out
}

// ErrUnsupported is matched (errors.Is) by every UnsupportedError.
var ErrUnsupported = errors.New("not supported by the configured eSignet API version")

// UnsupportedError: the request needs a feature the configured version lacks.
type UnsupportedError struct {
	Op      string
	Version APIVersion
	Feature string // e.g. "PATCH", "additionalConfig"
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("esignet %s: %s is %s (%s)", e.Op, e.Feature, ErrUnsupported, e.Version)
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// Kind is always KindUnsupported.
func (e *UnsupportedError) Kind() Kind { return KindUnsupported }

// InputError: the ClientDetail/ClientPatch cannot be sent as given (caught
// before any request, e.g. a private JWK or an empty client id).
type InputError struct {
	Op     string
	Field  string
	Reason string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("esignet %s: invalid %s: %s", e.Op, e.Field, e.Reason)
}

// Kind is always KindTerminal.
func (e *InputError) Kind() Kind { return KindTerminal }

// RequestError wraps a failure to complete the HTTP exchange (dial, TLS,
// timeout, reset, oversized body) with the operation it belonged to.
type RequestError struct {
	Op     string
	Method string
	Path   string
	Err    error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("esignet %s: %s %s: %v", e.Op, e.Method, e.Path, e.Err)
}

func (e *RequestError) Unwrap() error { return e.Err }

// Kind: the exchange did not complete, so it may succeed later — except a
// TLS verification failure, which is configuration (wrong CA bundle).
func (e *RequestError) Kind() Kind { return classifyTransport(e.Err) }

// kinded is implemented by every error type of this package.
type kinded interface{ Kind() Kind }

// KindOf classifies err (nil → KindNone). Errors of this package carry their
// kind; foreign errors are classified by type (context, net, TLS) and
// default to KindTransient, because an unrecognised failure is safer retried
// with backoff than parked until someone edits the spec.
func KindOf(err error) Kind {
	if err == nil {
		return KindNone
	}
	var k kinded
	if errors.As(err, &k) {
		return k.Kind()
	}
	return classifyTransport(err)
}

// HasCode reports whether err carries eSignet error code code.
func HasCode(err error, code string) bool {
	for _, c := range Codes(err) {
		if c == code {
			return true
		}
	}
	return false
}

// Codes returns the eSignet error codes carried by err (nil if none).
func Codes(err error) []string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Codes()
	}
	return nil
}
