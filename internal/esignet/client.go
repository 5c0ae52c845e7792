package esignet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/openg2p/esignet-operator/internal/wire"

	"github.com/go-logr/logr"
)

// Config configures a Client for one eSignet deployment.
type Config struct {
	// BaseURL is the service base, e.g. https://esignet.example.org/v1/esignet.
	BaseURL    string
	APIVersion APIVersion // empty → DefaultAPIVersion
	// Token supplies the management bearer token. Nil sends no
	// Authorization header, for deployments with empty security maps.
	Token TokenSource
	// HTTPClient defaults to NewHTTPClient(nil, 0). The Client uses a copy
	// that never follows redirects, whatever CheckRedirect says.
	HTTPClient *http.Client
	// MaxConcurrent limits in-flight requests (0 → DefaultMaxConcurrent).
	MaxConcurrent int
	Now           func() time.Time // clock for requestTime; default time.Now
	UserAgent     string           // default "esignet-operator"
	// AllowInsecureHTTP permits an http:// BaseURL (in-cluster service URL,
	// tests). The decision belongs to the controller's configuration.
	AllowInsecureHTTP bool
	Log               logr.Logger // optional; V(1) request logs when the context carries no logger
	// Observe, if set, is told of every request: the operation, the outcome (the HTTP status,
	// or "transport_error") and the duration (for metrics).
	Observe func(op, outcome string, d time.Duration)
}

// Client calls eSignet's client-management API (and discovery) for one
// deployment. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	version APIVersion
	token   TokenSource
	http    *http.Client
	sem     chan struct{}
	now     func() time.Time
	ua      string
	log     logr.Logger
	obs     func(op, outcome string, d time.Duration)
	// insecure mirrors Config.AllowInsecureHTTP for metadata URLs.
	insecure bool
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.BaseURL, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	v := cfg.APIVersion
	if v == "" {
		v = DefaultAPIVersion
	}
	if !v.Valid() {
		return nil, fmt.Errorf("esignet: unsupported API version %q", v)
	}
	if cfg.MaxConcurrent < 0 {
		return nil, fmt.Errorf("esignet: MaxConcurrent must not be negative")
	}
	c := &Client{base: base, version: v, token: cfg.Token, http: cfg.HTTPClient,
		now: cfg.Now, ua: cfg.UserAgent, log: cfg.Log, obs: cfg.Observe, insecure: cfg.AllowInsecureHTTP}
	if c.http == nil {
		if c.http, err = NewHTTPClient(nil, 0); err != nil {
			return nil, err
		}
	} else {
		c.http = noRedirects(c.http)
	}
	n := cfg.MaxConcurrent
	if n == 0 {
		n = DefaultMaxConcurrent
	}
	c.sem = make(chan struct{}, n)
	if c.now == nil {
		c.now = time.Now
	}
	if c.ua == "" {
		c.ua = "esignet-operator"
	}
	return c, nil
}

// parseBaseURL accepts an absolute https (or, if allowed, http) URL (wire.ParseBaseURL).
func parseBaseURL(raw string, allowHTTP bool) (*url.URL, error) {
	return wire.ParseBaseURL("esignet", raw, allowHTTP)
}

// APIVersion returns the version the Client speaks.
func (c *Client) APIVersion() APIVersion { return c.version }

// Create registers a new client (POST). A client id that already exists
// yields KindConflict with CodeDuplicateClientID.
func (c *Client) Create(ctx context.Context, d ClientDetail) (*ClientResult, error) {
	dto, err := buildCreate(c.version, d)
	if err != nil {
		return nil, err
	}
	return c.mgmt(ctx, "create", http.MethodPost, "", dto)
}

// Update replaces the updatable fields of an existing client (PUT).
// publicKey and relyingPartyId cannot change and are not sent; a missing
// additionalConfig clears the stored one; empty Status means ACTIVE.
func (c *Client) Update(ctx context.Context, d ClientDetail) (*ClientResult, error) {
	dto, err := buildUpdate("update", c.version, d)
	if err != nil {
		return nil, err
	}
	return c.mgmt(ctx, "update", http.MethodPut, d.ClientID, dto)
}

// Patch changes only the non-nil fields of p (PATCH, v1.8+). Other versions
// return an UnsupportedError (errors.Is ErrUnsupported) without a request.
func (c *Client) Patch(ctx context.Context, clientID string, p ClientPatch) (*ClientResult, error) {
	return c.patch(ctx, "patch", clientID, p)
}

func (c *Client) patch(ctx context.Context, op, id string, p ClientPatch) (*ClientResult, error) {
	if !c.version.SupportsPatch() {
		return nil, &UnsupportedError{Op: op, Version: c.version, Feature: "PATCH"}
	}
	dto, err := buildPatch(op, c.version, id, p)
	if err != nil {
		return nil, err
	}
	return c.mgmt(ctx, op, http.MethodPatch, id, dto)
}

// SetStatus activates or deactivates a client. With PATCH (v1.8) only the
// status is sent; earlier versions have no partial update, so d must hold
// the complete current state, which a PUT then rewrites with status s.
func (c *Client) SetStatus(ctx context.Context, d ClientDetail, s Status) (*ClientResult, error) {
	const op = "set status"
	if c.version.SupportsPatch() {
		return c.patch(ctx, op, d.ClientID, ClientPatch{Status: s})
	}
	d.Status = s
	dto, err := buildUpdate(op, c.version, d)
	if err != nil {
		return nil, err
	}
	return c.mgmt(ctx, op, http.MethodPut, d.ClientID, dto)
}

// mgmtURL is <base>/client-mgmt/<endpoint>[/<escaped id>]. RawPath keeps the
// id one segment even when it holds '/', '#' or '%'.
func (c *Client) mgmtURL(id string) *url.URL {
	u := *c.base
	seg := "/client-mgmt/" + string(c.version.Endpoint())
	u.Path = c.base.Path + seg
	u.RawPath = c.base.EscapedPath() + seg
	if id != "" {
		u.Path += "/" + id
		u.RawPath += "/" + url.PathEscape(id)
	}
	return &u
}

// mgmt sends one client-management request. A 401 triggers one retry with a
// fresh token, but only if the token source actually yields a different
// token (a static token would just fail again).
func (c *Client) mgmt(ctx context.Context, op, method, id string, dto any) (*ClientResult, error) {
	token, err := c.bearer(ctx, op)
	if err != nil {
		return nil, err
	}
	res, err := c.mgmtOnce(ctx, op, method, id, dto, token)
	var ae *APIError
	if c.token == nil || !errors.As(err, &ae) || ae.HTTPStatus != http.StatusUnauthorized {
		return res, err
	}
	c.token.Invalidate(token)
	fresh, terr := c.bearer(ctx, op)
	if terr != nil {
		return nil, terr
	}
	if fresh == token {
		return nil, err
	}
	c.logger(ctx).V(1).Info("esignet retrying with a fresh token after 401", "op", op)
	return c.mgmtOnce(ctx, op, method, id, dto, fresh)
}

func (c *Client) bearer(ctx context.Context, op string) (string, error) {
	if c.token == nil {
		return "", nil
	}
	t, err := c.token.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("esignet %s: management token: %w", op, err)
	}
	return t, nil
}

// requestTimeLayout is eSignet's UTC_DATETIME_PATTERN: exactly three
// fractional digits and a literal Z (API.md §1.1).
const requestTimeLayout = "2006-01-02T15:04:05.000Z"

// FormatRequestTime renders t as eSignet's requestTime.
func FormatRequestTime(t time.Time) string { return t.UTC().Format(requestTimeLayout) }

type envelope struct {
	RequestTime string `json:"requestTime"`
	Request     any    `json:"request"`
}

// mgmtOnce builds a fresh envelope (so requestTime is current on a retry),
// sends it and decodes the answer.
func (c *Client) mgmtOnce(ctx context.Context, op, method, id string, dto any, token string) (*ClientResult, error) {
	body, err := json.Marshal(envelope{RequestTime: FormatRequestTime(c.now()), Request: dto})
	if err != nil {
		// Only a RawMessage can fail; its bytes are not quoted back.
		return nil, &InputError{Op: op, Field: "request",
			Reason: "publicKey, encPublicKey or additionalConfig is not valid JSON"}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.mgmtURL(id).String(), bytes.NewReader(body))
	if err != nil {
		return nil, &RequestError{Op: op, Method: method, Path: c.mgmtURL(id).EscapedPath(), Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	ex, err := c.send(ctx, op, req, maxBody)
	if err != nil {
		return nil, err
	}
	res, err := decodeClientResponse(op, req, ex, token)
	if err != nil {
		c.logger(ctx).V(1).Info("esignet request rejected", "op", op, "method", method,
			"path", req.URL.EscapedPath(), "status", ex.status, "codes", Codes(err))
	}
	return res, err
}

// logger is the caller's logger when the context carries one (the reconciler's, with the
// object and step), else Config.Log. Request lines are V(1): method, path, status, duration;
// never a body or a token.
func (c *Client) logger(ctx context.Context) logr.Logger {
	if l, err := logr.FromContext(ctx); err == nil {
		return l
	}
	return c.log
}
