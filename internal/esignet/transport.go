package esignet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

const (
	// DefaultTimeout bounds one HTTP exchange made by NewHTTPClient clients.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxConcurrent is the per-Client limit of in-flight requests:
	// eSignet is one Spring service, and a controller resyncing many
	// relying parties must not stampede it.
	DefaultMaxConcurrent = 4
	// maxBody caps what is read from any response; eSignet's answers are a
	// few hundred bytes and discovery/JWKS a few KiB.
	maxBody = 1 << 20
)

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
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// exchange is one completed HTTP round trip.
type exchange struct {
	status int
	header http.Header
	body   []byte
	tooBig bool
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

// send performs req within the concurrency limit and reads the body (capped).
// Errors are RequestErrors naming op; the request URL in them is ours and
// holds no credentials (New rejects user-info in BaseURL).
func (c *Client) send(ctx context.Context, op string, req *http.Request) (*exchange, error) {
	path := req.URL.EscapedPath()
	if err := c.acquire(ctx); err != nil {
		return nil, &RequestError{Op: op, Method: req.Method, Path: path,
			Err: fmt.Errorf("waiting for a free connection slot: %w", err)}
	}
	defer c.release()
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.logger(ctx).V(1).Info("esignet request failed", "op", op, "method", req.Method, "path", path,
			"duration", time.Since(start), "error", err.Error())
		return nil, &RequestError{Op: op, Method: req.Method, Path: path, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, &RequestError{Op: op, Method: req.Method, Path: path,
			Err: fmt.Errorf("reading response (HTTP %d): %w", resp.StatusCode, err)}
	}
	ex := &exchange{status: resp.StatusCode, header: resp.Header, body: body}
	if len(body) > maxBody {
		ex.body, ex.tooBig = nil, true
	}
	c.logger(ctx).V(1).Info("esignet request", "op", op, "method", req.Method, "path", path,
		"status", resp.StatusCode, "duration", time.Since(start))
	return ex, nil
}

// newAPIError starts an APIError for a response to req.
func newAPIError(op string, req *http.Request, ex *exchange) *APIError {
	return &APIError{Op: op, Method: req.Method, Path: req.URL.EscapedPath(), HTTPStatus: ex.status}
}

// describeBody says what a non-JSON body was, without quoting it: a proxy's
// error page can reflect request headers.
func describeBody(ex *exchange) string {
	if ex.tooBig {
		return fmt.Sprintf("response body exceeds %d bytes", maxBody)
	}
	ct := ex.header.Get("Content-Type")
	if ct == "" {
		ct = "no content-type"
	}
	if len(ex.body) == 0 {
		return "empty response body (" + sanitize(ct, 80) + ")"
	}
	return "response is not an eSignet JSON envelope (" + sanitize(ct, 80) + ")"
}
