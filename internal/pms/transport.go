package pms

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/openg2p/esignet-operator/internal/wire"
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

var (
	roundTrip  = wire.RoundTrip
	readCapped = wire.ReadCapped
)

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
	classConnFailed   = wire.ConnFailed
	classTimedOut     = wire.TimedOut
	classCancelled    = wire.Cancelled
	classUntrustedTLS = wire.UntrustedTLS
	classUnexpected   = "unexpected error"
)

// The transport hygiene is eSignet's client's (internal/wire).
var (
	describeTransport = wire.DescribeTransport
	isCertError       = wire.IsCertError
	isTransport       = wire.IsTransport
)

// sanitize makes server text safe for an error string (wire.Sanitize).
var sanitize = wire.Sanitize
