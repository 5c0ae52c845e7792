package esignet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/openg2p/esignet-operator/internal/wire"
)

const (
	// DefaultTimeout bounds one HTTP exchange made by NewHTTPClient clients.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxConcurrent is the per-Client limit of in-flight requests:
	// eSignet is one Spring service, and a controller resyncing many
	// relying parties must not stampede it.
	DefaultMaxConcurrent = 4
	// maxBody caps what is read from a client-management response;
	// eSignet's answers are a few hundred bytes.
	maxBody = 1 << 20
	// MaxMetadataBody caps a discovery document or JWK set. eSignet's
	// discovery document is about 3 KiB and its JWK set holds a handful of
	// keys (its own plus the ID system's KYC certificates, a few KiB each
	// with x5c), so 256 KiB is generous; a namespaced provider's URL is
	// chosen by a tenant, and everything read is parsed, and some of it
	// kept per provider, by the operator.
	MaxMetadataBody = 256 << 10
)

// ErrRedirect is matched (errors.Is) by every error that reports a refused
// redirect. eSignet's and Keycloak's APIs never redirect, and following one
// would hand the bearer token, the client secret or the request body to
// whatever the Location names (Go's http.Client re-sends Authorization on
// same-host redirects and the body on 307/308, also from https to http),
// so no request of this package follows one. The Location is never quoted.
var ErrRedirect = errors.New(redirectRefused)

const redirectRefused = "answered with a redirect; refusing to follow it"

// refuseRedirect is every http.Client's CheckRedirect in this package: the
// 3xx itself is returned, unfollowed, and turned into an error.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// noRedirects returns a shallow copy of hc that never follows a redirect;
// the caller's client is left as it is.
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = refuseRedirect
	return &c
}

func isRedirect(status int) bool { return status >= 300 && status < 400 }

// NewHTTPClient returns an HTTP client for eSignet and Keycloak: TLS 1.2 or
// newer, timeout (0 → DefaultTimeout). A non-empty caBundlePEM becomes the
// ONLY trusted roots, like cert-manager's caBundle: a private CA should not
// widen trust to every public CA, nor should a public one be needed. A
// bundle without any certificate is an error, not a silent fallback to the
// system roots.
func NewHTTPClient(caBundlePEM []byte, timeout time.Duration) (*http.Client, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caBundlePEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caBundlePEM) {
			return nil, errors.New("esignet: CA bundle contains no PEM certificate")
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: refuseRedirect}, nil
}

var (
	roundTrip  = wire.RoundTrip
	readCapped = wire.ReadCapped
)

// exchange is one completed HTTP round trip.
type exchange struct {
	status int
	header http.Header
	body   []byte
	tooBig bool
	limit  int // the cap body was read with
}

// acquire takes a slot of the concurrency limit, giving up when ctx ends.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.sem }

// send performs req within the concurrency limit and reads the body (at
// most limit bytes). Errors are RequestErrors naming op; the request URL in
// them is ours and holds no credentials (New rejects user-info in BaseURL).
// A redirect is not followed: it is an *APIError (errors.Is ErrRedirect).
func (c *Client) send(ctx context.Context, op string, req *http.Request, limit int) (*exchange, error) {
	path := req.URL.EscapedPath()
	if err := c.acquire(ctx); err != nil {
		return nil, &RequestError{Op: op, Method: req.Method, Path: path,
			Err: fmt.Errorf("waiting for a free connection slot: %w", err)}
	}
	defer c.release()
	start := time.Now()
	resp, err := roundTrip(c.http, req)
	if err != nil {
		c.logger(ctx).V(1).Info("esignet request failed", "op", op, "method", req.Method, "path", path,
			"duration", time.Since(start), "error", err.Error())
		c.observe(op, "transport_error", time.Since(start))
		return nil, &RequestError{Op: op, Method: req.Method, Path: path, Err: err}
	}
	c.observe(op, strconv.Itoa(resp.StatusCode), time.Since(start))
	defer resp.Body.Close()
	if isRedirect(resp.StatusCode) {
		c.logger(ctx).V(1).Info("esignet request redirected; not following", "op", op, "method", req.Method,
			"path", path, "status", resp.StatusCode, "duration", time.Since(start))
		e := &APIError{Op: op, Method: req.Method, Path: path, HTTPStatus: resp.StatusCode}
		e.Detail, e.class = classRedirect, classRedirect
		return nil, e
	}
	body, tooBig, err := readCapped(resp.Body, limit)
	if err != nil {
		return nil, &RequestError{Op: op, Method: req.Method, Path: path,
			Err: fmt.Errorf("reading response (HTTP %d): %w", resp.StatusCode, err)}
	}
	ex := &exchange{status: resp.StatusCode, header: resp.Header, body: body, tooBig: tooBig, limit: limit}
	c.logger(ctx).V(1).Info("esignet request", "op", op, "method", req.Method, "path", path,
		"status", resp.StatusCode, "duration", time.Since(start))
	return ex, nil
}

// observe reports one request to Config.Observe, if set.
func (c *Client) observe(op, outcome string, d time.Duration) {
	if c.obs != nil {
		c.obs(op, outcome, d)
	}
}

// newAPIError starts an APIError for a response to req.
func newAPIError(op string, req *http.Request, ex *exchange) *APIError {
	return &APIError{Op: op, Method: req.Method, Path: req.URL.EscapedPath(), HTTPStatus: ex.status}
}

// describeBody says what a non-JSON body was, without quoting it: a proxy's
// error page can reflect request headers. notJSON is the class of a
// non-empty body (classNotEnvelope or classNotJSON). It returns the log
// detail (with the content type) and the class (without: the content type is
// the server's word).
func describeBody(ex *exchange, notJSON string) (detail, class string) {
	if ex.tooBig {
		s := fmt.Sprintf("response body exceeds %d bytes", ex.limit)
		return s, s
	}
	ct := ex.header.Get("Content-Type")
	if ct == "" {
		ct = "no content-type"
	}
	class = notJSON
	if len(ex.body) == 0 {
		class = classEmptyBody
	}
	return class + " (" + sanitize(ct, 80) + ")", class
}
