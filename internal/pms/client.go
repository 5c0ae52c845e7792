package pms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/openg2p/esignet-operator/internal/wire"

	"github.com/go-logr/logr"

	"github.com/openg2p/esignet-operator/internal/esignet"
)

// Config configures a Client for one PMS.
type Config struct {
	// BaseURL is PMS's context path, e.g. https://api-internal.example.org/v1/partnermanager.
	BaseURL    string
	Generation Generation // empty → DefaultGeneration
	// Token supplies the PMS token: NewAuthManager (kernel auth manager, client id and secret
	// key) or esignet.NewClientCredentials (Keycloak). It is sent as "Authorization: Bearer" and
	// as the "Authorization" cookie, as MOSIP services do (PMS's kernel auth adapter reads either).
	Token esignet.TokenSource
	// HTTPClient defaults to esignet.NewHTTPClient(nil, 0). A copy that never follows redirects
	// is used either way.
	HTTPClient *http.Client
	// MaxConcurrent limits in-flight requests (0 → DefaultMaxConcurrent).
	MaxConcurrent int
	Now           func() time.Time // clock for requesttime; default time.Now
	UserAgent     string           // default "esignet-operator"
	// AllowInsecureHTTP permits an http:// BaseURL (in-cluster service URL, tests).
	AllowInsecureHTTP bool
	Log               logr.Logger // V(1) request lines when the context carries no logger
	// Observe, if set, is told of every request: the operation, the outcome (the HTTP status or
	// "transport_error") and the duration.
	Observe func(op, outcome string, d time.Duration)
}

// Client calls PMS's OIDC-client API. It is safe for concurrent use.
type Client struct {
	base *url.URL
	gen  Generation
	tok  esignet.TokenSource
	http *http.Client
	sem  chan struct{}
	now  func() time.Time
	ua   string
	log  logr.Logger
	obs  func(op, outcome string, d time.Duration)
}

// Operation names (Config.Observe, errors).
const (
	opCreate     = "create"
	opUpdate     = "update"
	opGet        = "get"
	opDeactivate = "deactivate"
)

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.BaseURL, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	g := cfg.Generation
	if g == "" {
		g = DefaultGeneration
	}
	if !g.Valid() {
		return nil, fmt.Errorf("pms: unknown generation %q", g)
	}
	if cfg.Token == nil {
		return nil, errors.New("pms: a token source is required (PMS authenticates every call)")
	}
	if cfg.MaxConcurrent < 0 {
		return nil, errors.New("pms: MaxConcurrent must not be negative")
	}
	c := &Client{base: base, gen: g, tok: cfg.Token, now: cfg.Now, ua: cfg.UserAgent, log: cfg.Log, obs: cfg.Observe}
	if cfg.HTTPClient == nil {
		if c.http, err = esignet.NewHTTPClient(nil, 0); err != nil {
			return nil, err
		}
	} else {
		c.http = noRedirects(cfg.HTTPClient)
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
	return wire.ParseBaseURL("pms", raw, allowHTTP)
}

// Generation returns the generation the Client speaks.
func (c *Client) Generation() Generation { return c.gen }

// Create registers a new client and returns the id PMS computed. The id is known before the
// call (ClientID): if PMS already holds a client for the key (a create whose answer was lost),
// the error satisfies AlreadyCreated.
func (c *Client) Create(ctx context.Context, d ClientDetail) (*Result, error) {
	derived, err := ClientID(d.PublicKey)
	if err != nil {
		return nil, err
	}
	dto, err := buildCreate(c.gen, d)
	if err != nil {
		return nil, err
	}
	res, err := c.call(ctx, opCreate, http.MethodPost, "", RequestIDCreate, dto)
	var ae *APIError
	if errors.As(err, &ae) {
		ae.ClientID = derived
	}
	if err != nil {
		return nil, err
	}
	res.DerivedClientID = derived
	return res, nil
}

// Update replaces the updatable fields (name, name map, logo, redirect URIs, grant types, auth
// methods; additionalConfig on oidc-clients). Public key, partner, policy, claims and ACRs
// cannot change. An INACTIVE client cannot be updated (PMS_ESI_008, IsInactive).
func (c *Client) Update(ctx context.Context, d ClientDetail) (*Result, error) {
	dto, err := buildUpdate(opUpdate, c.gen, d, StatusActive)
	if err != nil {
		return nil, err
	}
	return c.call(ctx, opUpdate, http.MethodPut, d.ClientID, RequestIDUpdate, dto)
}

// Get reads the client as PMS holds it, including the claims and ACRs PMS derived from the
// policy.
func (c *Client) Get(ctx context.Context, clientID string) (*OIDCClient, error) {
	return c.get(ctx, clientID)
}

// Deactivate sets the client INACTIVE. On oidc-clients it is a PATCH; older generations need a
// full PUT, whose fields are first read back with Get (PMS ignores them for a status change but
// validates them). A client that is already INACTIVE (PMS_ESI_008) counts as deactivated; an
// unknown one is an error (IsNotFound).
func (c *Client) Deactivate(ctx context.Context, clientID string) (*Result, error) {
	if err := checkPathID(opDeactivate, clientID); err != nil {
		return nil, err
	}
	var (
		res *Result
		err error
	)
	if c.gen == GenerationOIDCClients {
		res, err = c.call(ctx, opDeactivate, http.MethodPatch, clientID, RequestIDDeactivate,
			deactivateRequest{Status: StatusInactive})
	} else {
		res, err = c.deactivateByPut(ctx, clientID)
	}
	if IsInactive(err) {
		return &Result{ClientID: clientID, Status: StatusInactive}, nil
	}
	return res, err
}

func (c *Client) deactivateByPut(ctx context.Context, clientID string) (*Result, error) {
	cur, err := c.get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if cur.Status == StatusInactive {
		return &Result{ClientID: clientID, Status: StatusInactive}, nil
	}
	d := ClientDetail{ClientID: clientID, Name: cur.Name, LogoURI: cur.LogoURI, RedirectURIs: cur.RedirectURIs,
		GrantTypes: cur.GrantTypes, ClientAuthMethods: cur.ClientAuthMethods}
	if c.gen.SupportsClientNameLangMap() {
		d.NameLangMap = cur.NameLangMap
	}
	dto, err := buildUpdate(opDeactivate, c.gen, d, StatusInactive)
	if err != nil {
		return nil, err
	}
	return c.call(ctx, opDeactivate, http.MethodPut, clientID, RequestIDDeactivate, dto)
}

// clientURL is <base><collection>[/<id>].
func (c *Client) clientURL(id string) *url.URL {
	u := *c.base
	u.Path = c.base.Path + c.gen.collection()
	if id != "" {
		u.Path += "/" + id
	}
	return &u
}

// call sends one request with a body and decodes {clientId, status}. A 401 is retried once
// with a fresh token, if the source yields a different one.
func (c *Client) call(ctx context.Context, op, method, id, requestID string, dto any) (*Result, error) {
	if id != "" {
		if err := checkPathID(op, id); err != nil {
			return nil, err
		}
	}
	var out clientResponse
	err := c.withToken(ctx, op, func(token string) error {
		body, err := c.envelope(requestID, dto)
		if err != nil {
			return &InputError{Op: op, Field: "request", Reason: "publicKey or additionalConfig is not valid JSON"}
		}
		return c.do(ctx, op, method, c.clientURL(id), body, token, &out)
	})
	if err != nil {
		return nil, err
	}
	return &Result{ClientID: out.ClientID, Status: Status(strings.ToUpper(out.Status))}, nil
}

// withToken runs attempt with the current token and, after a 401, once more with a fresh one.
func (c *Client) withToken(ctx context.Context, op string, attempt func(token string) error) error {
	token, err := c.bearer(ctx, op)
	if err != nil {
		return err
	}
	err = attempt(token)
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusUnauthorized {
		return err
	}
	c.tok.Invalidate(token)
	fresh, terr := c.bearer(ctx, op)
	if terr != nil {
		return terr
	}
	if fresh == token {
		return err
	}
	c.logger(ctx).V(1).Info("pms retrying with a fresh token after 401", "op", op)
	return attempt(fresh)
}

// b64token is RFC 6750's token68: also a valid cookie value, so the same token can go in the
// Authorization header and the Authorization cookie.
var b64token = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

func (c *Client) bearer(ctx context.Context, op string) (string, error) {
	t, err := c.tok.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("pms %s: token: %w", op, err)
	}
	if !b64token.MatchString(t) {
		return "", &TokenError{Malformed: true, problem: "token is not a bearer token (RFC 6750 b64token)"}
	}
	return t, nil
}

// requestTimeLayout is yyyy-MM-dd'T'HH:mm:ss.SSS'Z' (PMS's RequestWrapper @JsonFormat).
const requestTimeLayout = "2006-01-02T15:04:05.000Z"

// FormatRequestTime renders t as PMS's requesttime.
func FormatRequestTime(t time.Time) string { return t.UTC().Format(requestTimeLayout) }

// requestEnvelope is RequestWrapper (requesttime) and RequestWrapperV2 (requestTime): only one
// of the two time members is set.
type requestEnvelope struct {
	ID          string          `json:"id"`
	Version     string          `json:"version"`
	RequestTime string          `json:"requesttime,omitempty"`
	RequestTmV2 string          `json:"requestTime,omitempty"`
	Metadata    json.RawMessage `json:"metadata"`
	Request     any             `json:"request"`
}

// envelope builds a fresh envelope, so the time is current on a retry.
func (c *Client) envelope(requestID string, dto any) ([]byte, error) {
	env := requestEnvelope{ID: requestID, Version: RequestVersion, Metadata: json.RawMessage("{}"), Request: dto}
	if c.gen.wrapperV2() {
		env.RequestTmV2 = FormatRequestTime(c.now())
	} else {
		env.RequestTime = FormatRequestTime(c.now())
	}
	return json.Marshal(env)
}

// do sends one request (body nil for GET) and decodes the envelope's response into out.
func (c *Client) do(ctx context.Context, op, method string, u *url.URL, body []byte, token string, out any) error {
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequestWithContext(ctx, method, u.String(), rd)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, u.String(), nil)
	}
	if err != nil {
		return &RequestError{Op: op, Method: method, Path: u.EscapedPath(), Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Cookie", "Authorization="+token)
	ex, err := c.send(ctx, op, req)
	if err != nil {
		return err
	}
	if err := decode(op, req, ex, token, out); err != nil {
		c.logger(ctx).V(1).Info("pms request rejected", "op", op, "method", method,
			"path", req.URL.EscapedPath(), "status", ex.status, "reason", ReasonOf(err))
		return err
	}
	return nil
}

// logger is the caller's logger when the context carries one, else Config.Log.
func (c *Client) logger(ctx context.Context) logr.Logger {
	if l, err := logr.FromContext(ctx); err == nil {
		return l
	}
	return c.log
}
