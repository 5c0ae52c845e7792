package esignet

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/openg2p/esignet-operator/internal/wire"
)

// Fixed phrases of Describe's vocabulary (besides HTTP status codes, eSignet
// and OAuth error codes that match codePattern, and this package's limits).
const (
	classRedirect    = "eSignet " + redirectRefused
	classEmptyBody   = "empty response body"
	classNotEnvelope = "response is not an eSignet JSON envelope"
	classNotJSON     = "response is not a JSON document"
	classNeither     = "envelope has neither a response with clientId nor errors"
	classFirewall    = "eSignet's HTTP firewall rejects request paths with an encoded " +
		"'/', '%', '.', ';' or '\\' (see ClientIDPathSafe); this client id cannot be addressed"

	// Transport classes. Everything that goes wrong before a connection is
	// established (refused, unreachable, no route, unknown host, dial
	// timeout, a handshake with something that is not TLS) is one class,
	// and so is a reset or truncated answer after it.
	classConnFailed   = wire.ConnFailed
	classTimedOut     = wire.TimedOut
	classCancelled    = wire.Cancelled
	classUntrustedTLS = wire.UntrustedTLS
	classUnexpected   = "unexpected error"
)

// codePattern is the shape of eSignet's error codes (API.md §3) and of
// OAuth's (RFC 6749 §5.2, RFC 6750 §3.1): Describe keeps a code only if it
// matches, so a server cannot smuggle addresses or prose into it.
var codePattern = regexp.MustCompile(`^[a-z_]{1,64}$`)

// Describe returns a description of err for a Kubernetes status: the
// failure class in this package's fixed vocabulary, never the remote's
// words. It is what a controller should put into a condition message;
// Error() stays the detailed form for logs.
//
// Describe never contains an IP address, a port, a host name, a URL, a
// token, or text from a response body or header. What it can contain:
//   - "HTTP 503", "HTTP 401: management token rejected (invalid_token)" –
//     the status, and for 401 the RFC 6750 error code;
//   - "eSignet error codes: invalid_redirect_uri, invalid_claim" – codes
//     matching ^[a-z_]{1,64}$ only (duplicates and messages dropped; no
//     valid code → "none recognised");
//   - "response is not an eSignet JSON envelope", "empty response body",
//     "response body exceeds 1048576 bytes", "eSignet answered with a
//     redirect; refusing to follow it", and this package's hints (scopes);
//   - "token endpoint: HTTP 401: invalid_client";
//   - "discovery document: claims_supported has more than 200 entries",
//     "no usable discovery document: HTTP 404; …";
//   - transport failures: "connection failed" (refused, unreachable, no
//     route, unknown host, dial timeout, reset – deliberately one class, so
//     that a tenant pointing a namespaced provider at internal addresses
//     learns nothing about them), "timed out" (a connection was made but
//     no answer came in time), "TLS handshake failed (certificate not
//     trusted)", "cancelled".
//
// Errors that are not from this package (nor transport errors) are
// "unexpected error". Describe(nil) is "".
func Describe(err error) string {
	if err == nil {
		return ""
	}
	var own interface{ DescribeForStatus() string } // another service's error (PMS) describes itself
	if errors.As(err, &own) {
		return own.DescribeForStatus()
	}
	var (
		disc *DiscoveryError
		tok  *TokenError
		api  *APIError
		doc  *InvalidDocumentError
		req  *RequestError
		uns  *UnsupportedError
		in   *InputError
	)
	switch {
	case errors.As(err, &disc):
		return disc.describe()
	case errors.As(err, &tok):
		return tok.describe()
	case errors.As(err, &api):
		return api.describe()
	case errors.As(err, &doc):
		return doc.Document + ": " + doc.Problem
	case errors.As(err, &req):
		return describeTransport(req.Err)
	case errors.As(err, &uns):
		// Op, feature and version are ours or the spec's.
		return fmt.Sprintf("%s is %s (%s)", uns.Feature, ErrUnsupported, uns.Version)
	case errors.As(err, &in):
		return "invalid " + in.Field + ": " + in.Reason
	case isTransport(err):
		return describeTransport(err)
	}
	return classUnexpected
}

func (e *DiscoveryError) describe() string {
	parts := make([]string, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		parts = append(parts, Describe(a))
	}
	return "no usable discovery document: " + strings.Join(parts, "; ")
}

func (e *APIError) describe() string {
	parts := []string{fmt.Sprintf("HTTP %d", e.HTTPStatus)}
	if len(e.Errors) > 0 {
		parts = append(parts, "eSignet error codes: "+safeCodes(e.Errors))
	}
	switch {
	case e.class != "":
		parts = append(parts, e.class)
	case e.Malformed && len(e.Errors) == 0:
		parts = append(parts, classNotEnvelope)
	}
	return strings.Join(parts, ": ")
}

// safeCodes lists the distinct codes matching codePattern, in order, at
// most maxErrorItems of them.
func safeCodes(items []ErrorItem) string {
	var codes []string
	seen := map[string]bool{}
	more := 0
	for _, it := range items {
		if !codePattern.MatchString(it.Code) || seen[it.Code] {
			continue
		}
		seen[it.Code] = true
		if len(codes) == maxErrorItems {
			more++
			continue
		}
		codes = append(codes, it.Code)
	}
	if len(codes) == 0 {
		return "none recognised"
	}
	s := strings.Join(codes, ", ")
	if more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

func (e *TokenError) describe() string {
	parts := []string{"token endpoint"}
	if e.HTTPStatus != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if codePattern.MatchString(e.Code) {
		parts = append(parts, e.Code)
	}
	switch {
	case e.problem != "":
		parts = append(parts, e.problem)
	case e.Malformed:
		parts = append(parts, "response has no access_token")
	}
	switch {
	case errors.Is(e.Err, ErrRedirect):
		parts = append(parts, ErrRedirect.Error())
	case e.Err != nil:
		parts = append(parts, describeTransport(e.Err))
	}
	return strings.Join(parts, ": ")
}

// The transport hygiene is shared with the other clients (internal/wire).
var (
	describeTransport = wire.DescribeTransport
	isTransport       = wire.IsTransport
)
