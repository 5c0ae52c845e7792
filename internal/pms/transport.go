package pms

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
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// DefaultMaxConcurrent limits in-flight requests per Client: PMS is one Spring service, and
	// every create also calls eSignet, the key manager and websub.
	DefaultMaxConcurrent = 4
	// maxBody caps a PMS answer; a client detail is a few KiB.
	maxBody = 1 << 20
)

// refuseRedirect is every http.Client's CheckRedirect here: the 3xx comes back unfollowed.
// Following one would hand the token (header and cookie) and the body to whatever the Location
// names.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// noRedirects returns a shallow copy of hc that never follows a redirect.
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = refuseRedirect
	return &c
}

func isRedirect(status int) bool { return status >= 300 && status < 400 }

// connError is a failed round trip, remembering whether a connection had been made, so that
// Describe gives every failure before that point one description (a tenant choosing the URL
// must not learn whether an address refused, had no route or dropped the SYN).
type connError struct {
	err       error
	connected bool
}

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// roundTrip sends req with hc, noting whether a connection was obtained.
func roundTrip(hc *http.Client, req *http.Request) (*http.Response, error) {
	var connected atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }}
	resp, err := hc.Do(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		return nil, &connError{err: err, connected: connected.Load()}
	}
	return resp, nil
}

// readCapped reads at most limit bytes; tooBig reports more.
func readCapped(body io.Reader, limit int) (b []byte, tooBig bool, err error) {
	b, err = io.ReadAll(io.LimitReader(body, int64(limit)+1))
	if err != nil {
		return nil, false, &connError{err: err, connected: true}
	}
	if len(b) > limit {
		return nil, true, nil
	}
	return b, false, nil
}

// exchange is one completed round trip.
type exchange struct {
	status int
	header http.Header
	body   []byte
	tooBig bool
}

// send performs req within the concurrency limit and reads the body. Transport failures are
// RequestErrors; a redirect is an *APIError with ReasonRedirect (never followed).
func (c *Client) send(ctx context.Context, op string, req *http.Request) (*exchange, error) {
	path := req.URL.EscapedPath()
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &RequestError{Op: op, Method: req.Method, Path: path,
			Err: fmt.Errorf("waiting for a free connection slot: %w", ctx.Err())}
	}
	defer func() { <-c.sem }()
	start := time.Now()
	resp, err := roundTrip(c.http, req)
	if err != nil {
		c.observe(op, "transport_error", time.Since(start))
		c.logger(ctx).V(1).Info("pms request failed", "op", op, "method", req.Method, "path", path,
			"duration", time.Since(start), "error", err.Error())
		return nil, &RequestError{Op: op, Method: req.Method, Path: path, Err: err}
	}
	defer resp.Body.Close()
	c.observe(op, strconv.Itoa(resp.StatusCode), time.Since(start))
	if isRedirect(resp.StatusCode) {
		e := &APIError{Op: op, Method: req.Method, Path: path, HTTPStatus: resp.StatusCode, Detail: "PMS " + ErrRedirect.Error()}
		e.classify(ReasonRedirect)
		return nil, e
	}
	body, tooBig, err := readCapped(resp.Body, maxBody)
	if err != nil {
		return nil, &RequestError{Op: op, Method: req.Method, Path: path,
			Err: fmt.Errorf("reading response (HTTP %d): %w", resp.StatusCode, err)}
	}
	c.logger(ctx).V(1).Info("pms request", "op", op, "method", req.Method, "path", path,
		"status", resp.StatusCode, "duration", time.Since(start))
	return &exchange{status: resp.StatusCode, header: resp.Header, body: body, tooBig: tooBig}, nil
}

// observe reports one request to Config.Observe.
func (c *Client) observe(op, outcome string, d time.Duration) {
	if c.obs != nil {
		c.obs(op, outcome, d)
	}
}

// Transport classes of Describe's vocabulary.
const (
	classConnFailed   = "connection failed"
	classTimedOut     = "timed out"
	classCancelled    = "cancelled"
	classUntrustedTLS = "TLS handshake failed (certificate not trusted)"
	classUnexpected   = "unexpected error"
)

// describeTransport: certificate errors are named; otherwise, unless a connection was made,
// every failure is "connection failed" (even a dial timeout).
func describeTransport(err error) string {
	switch {
	case isCertError(err):
		return classUntrustedTLS
	case errors.Is(err, context.Canceled):
		return classCancelled
	}
	var ce *connError
	if errors.As(err, &ce) {
		if ce.connected && isTimeout(err) {
			return classTimedOut
		}
		return classConnFailed
	}
	if isTimeout(err) {
		return classTimedOut
	}
	return classConnFailed
}

func isCertError(err error) bool {
	var (
		unknownCA   x509.UnknownAuthorityError
		invalidCert x509.CertificateInvalidError
		hostname    x509.HostnameError
		verify      *tls.CertificateVerificationError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &invalidCert) ||
		errors.As(err, &hostname) || errors.As(err, &verify)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &t) && t.Timeout())
}

// isTransport recognises foreign errors a failed exchange produces.
func isTransport(err error) bool {
	var (
		ne net.Error
		ue *url.Error
		se syscall.Errno
		ce *connError
	)
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.As(err, &ue) || errors.As(err, &se) ||
		isCertError(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// jwtLike matches compact JWS/JWE (bearer tokens): a proxy echoing our Authorization header or
// cookie must not leak it into an error.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}(\.[A-Za-z0-9_-]*){1,4}`)

// sanitize makes server text safe for an error string: tokens redacted, control characters
// replaced, at most max runes.
func sanitize(s string, max int) string {
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
