// Package wire is the HTTP hygiene the operator's clients of remote services (eSignet, Partner
// Management) share: a round trip that remembers whether it connected, capped reads, one
// status-safe description per class of transport failure, and server text made safe to quote.
package wire

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// Descriptions of transport failures, the only words of a failed exchange a status may show.
const (
	ConnFailed   = "connection failed"
	TimedOut     = "timed out"
	Cancelled    = "cancelled"
	UntrustedTLS = "TLS handshake failed (certificate not trusted)"
)

// ConnError is a failed round trip, remembering whether a connection (TCP and, for https, TLS)
// had been established. DescribeTransport uses it to give every failure before that point one
// description: whether an address refused, was unreachable, had no route, did not resolve or
// silently dropped the SYN must not be visible to whoever chose the URL.
type ConnError struct {
	Err       error
	Connected bool
}

func (e *ConnError) Error() string { return e.Err.Error() }
func (e *ConnError) Unwrap() error { return e.Err }

// RoundTrip sends req with hc (whose CheckRedirect must refuse redirects) and notes whether a
// connection was obtained. Transport errors come back as *ConnError.
func RoundTrip(hc *http.Client, req *http.Request) (*http.Response, error) {
	var connected atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }}
	// The URL is a provider's configuration: whoever may write it chooses where it points, and
	// what a failure says about the address is reduced to one class (docs/security.md §7).
	resp, err := hc.Do(req.WithContext(httptrace.WithClientTrace(req.Context(), trace))) //nolint:gosec // G704, see above
	if err != nil {
		return nil, &ConnError{Err: err, Connected: connected.Load()}
	}
	return resp, nil
}

// ReadCapped reads at most limit bytes of body; tooBig reports more.
func ReadCapped(body io.Reader, limit int) (b []byte, tooBig bool, err error) {
	b, err = io.ReadAll(io.LimitReader(body, int64(limit)+1))
	if err != nil {
		return nil, false, &ConnError{Err: err, Connected: true}
	}
	if len(b) > limit {
		return nil, true, nil
	}
	return b, false, nil
}

// DescribeTransport classifies a failed exchange. Certificate errors are named (only a CA
// bundle fixes them); otherwise, unless a connection was established, every failure is
// ConnFailed, even a timeout, since a dial timeout (filtered port) must read like a refusal.
func DescribeTransport(err error) string {
	switch {
	case IsCertError(err):
		return UntrustedTLS
	case errors.Is(err, context.Canceled):
		return Cancelled
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		if ce.Connected && IsTimeout(err) {
			return TimedOut
		}
		return ConnFailed
	}
	// Not from a round trip (a context that ended while waiting for a connection slot or a
	// shared token fetch, or a foreign error).
	if IsTimeout(err) {
		return TimedOut
	}
	return ConnFailed
}

// IsCertError reports a certificate the client does not trust.
func IsCertError(err error) bool {
	var (
		unknownCA   x509.UnknownAuthorityError
		invalidCert x509.CertificateInvalidError
		hostname    x509.HostnameError
		verify      *tls.CertificateVerificationError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &invalidCert) ||
		errors.As(err, &hostname) || errors.As(err, &verify)
}

// IsTimeout reports a deadline that passed.
func IsTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &t) && t.Timeout())
}

// IsTransport recognises foreign errors that a failed exchange produces.
func IsTransport(err error) bool {
	var (
		ne net.Error
		ue *url.Error
		se syscall.Errno
		ce *ConnError
	)
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.As(err, &ue) || errors.As(err, &se) ||
		IsCertError(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// jwtLike matches compact JWS/JWE serialisations (bearer tokens): a proxy echoing our
// Authorization header or cookie must not leak it into an error.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}(\.[A-Za-z0-9_-]*){1,4}`)

// Sanitize makes server-supplied text safe for an error string: tokens redacted, control
// characters replaced, length capped at max runes.
func Sanitize(s string, max int) string {
	s = jwtLike.ReplaceAllString(s, "[redacted]")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}

// ParseBaseURL accepts an absolute https (or, if allowed, http) URL without credentials (they
// would end up in every error string), query or fragment; the trailing slash is dropped. who
// prefixes the errors.
func ParseBaseURL(who, raw string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s: BaseURL %q is not an absolute URL", who, raw)
	}
	switch {
	case u.Scheme == "http" && !allowHTTP:
		return nil, fmt.Errorf("%s: BaseURL %q uses http:// but AllowInsecureHTTP is not set", who, u.Redacted())
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("%s: BaseURL scheme %q is not https", who, u.Scheme)
	case u.User != nil:
		return nil, fmt.Errorf("%s: BaseURL %q must not contain user info", who, u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%s: BaseURL %q must not have a query or fragment", who, raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}
