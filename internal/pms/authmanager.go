package pms

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/openg2p/esignet-operator/internal/esignet"
)

// AuthManagerConfig configures a token source backed by MOSIP's kernel auth manager, the way
// MOSIP services (PMS itself) get their tokens: POST /v1/authmanager/authenticate/clientidsecretkey
// with a Keycloak client's id and secret and an app id; the token comes back as the
// "Authorization" cookie.
type AuthManagerConfig struct {
	// URL is the auth manager's base, e.g. https://api-internal.example.org/v1/authmanager, or
	// the full …/authenticate/clientidsecretkey URL.
	URL       string
	AppID     string // e.g. "partner" or "pms"
	ClientID  string // a Keycloak client of realm mosip, e.g. mosip-pms-client
	SecretKey string
	// HTTPClient defaults to esignet.NewHTTPClient(nil, 0); a copy that never follows redirects
	// is used either way.
	HTTPClient  *http.Client
	Now         func() time.Time
	RefreshSkew time.Duration // refresh this long before expiry; default 30 s
}

// clientIDSecretKeyPath is the auth manager endpoint under its base.
const clientIDSecretKeyPath = "/authenticate/clientidsecretkey"

// Token limits, as esignet's token source applies them.
const (
	maxTokenBody         = 64 << 10
	defaultTokenLifetime = 60 * time.Second
	defaultRefreshSkew   = 30 * time.Second
)

// AuthManager is a caching esignet.TokenSource. Concurrent callers share one fetch (the mutex
// is held while fetching; each caller's context still bounds the request it makes).
type AuthManager struct {
	cfg AuthManagerConfig
	url string

	mu     sync.Mutex
	token  string
	expiry time.Time
}

var _ esignet.TokenSource = (*AuthManager)(nil)

// NewAuthManager validates cfg.
func NewAuthManager(cfg AuthManagerConfig) (*AuthManager, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("pms: auth manager URL %q is not an absolute http(s) URL", cfg.URL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("pms: auth manager URL %q must not have user info, a query or a fragment", u.Redacted())
	}
	switch {
	case cfg.ClientID == "":
		return nil, errors.New("pms: auth manager needs a client id")
	case cfg.AppID == "":
		return nil, errors.New("pms: auth manager needs an app id")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(u.Path, clientIDSecretKeyPath) {
		u.Path += clientIDSecretKeyPath
	}
	u.RawPath = ""
	if cfg.HTTPClient == nil {
		if cfg.HTTPClient, err = esignet.NewHTTPClient(nil, 0); err != nil {
			return nil, err
		}
	}
	cfg.HTTPClient = noRedirects(cfg.HTTPClient)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RefreshSkew <= 0 {
		cfg.RefreshSkew = defaultRefreshSkew
	}
	return &AuthManager{cfg: cfg, url: u.String()}, nil
}

// Token returns the cached token or fetches one.
func (a *AuthManager) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && a.cfg.Now().Before(a.expiry) {
		return a.token, nil
	}
	tok, lifetime, err := a.fetch(ctx)
	if err != nil {
		return "", err
	}
	skew := min(a.cfg.RefreshSkew, lifetime/2)
	a.token, a.expiry = tok, a.cfg.Now().Add(lifetime-skew)
	return tok, nil
}

// Invalidate drops the cached token if it is the rejected one.
func (a *AuthManager) Invalidate(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if token != "" && token == a.token {
		a.token, a.expiry = "", time.Time{}
	}
}

type clientSecretRequest struct {
	ClientID  string `json:"clientId"`
	SecretKey string `json:"secretKey"`
	AppID     string `json:"appId"`
}

// fetch performs one clientidsecretkey call. The body is the kernel's RequestWrapper, as PMS's
// RestUtil sends it.
func (a *AuthManager) fetch(ctx context.Context) (string, time.Duration, error) {
	body, _ := json.Marshal(map[string]any{ // strings and a struct of strings cannot fail
		"id": "mosip.io.clientId.pwd", "version": RequestVersion, "requesttime": FormatRequestTime(a.cfg.Now()),
		"metadata": map[string]any{},
		"request":  clientSecretRequest{ClientID: a.cfg.ClientID, SecretKey: a.cfg.SecretKey, AppID: a.cfg.AppID},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return "", 0, &TokenError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := roundTrip(a.cfg.HTTPClient, req)
	if err != nil {
		return "", 0, &TokenError{Err: err}
	}
	defer resp.Body.Close()
	if isRedirect(resp.StatusCode) {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode, Err: ErrRedirect}
	}
	raw, tooBig, err := readCapped(resp.Body, maxTokenBody)
	if err != nil {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode, Err: err}
	}
	if tooBig {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode, Malformed: true,
			problem: fmt.Sprintf("response body exceeds %d bytes", maxTokenBody)}
	}
	return a.parse(resp, raw)
}

// parse reads the Authorization cookie, or the error the body carries. The secret is removed
// from any server text first.
func (a *AuthManager) parse(resp *http.Response, raw []byte) (string, time.Duration, error) {
	secrets := a.secrets()
	for _, s := range secrets {
		raw = bytes.ReplaceAll(raw, []byte(s), []byte("[redacted]"))
	}
	var env responseEnvelope
	_ = json.Unmarshal(raw, &env)
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "Authorization" && ck.Value != "" {
			cookie = ck
			break
		}
	}
	if resp.StatusCode != http.StatusOK || cookie == nil {
		te := &TokenError{HTTPStatus: resp.StatusCode}
		if it := items(env.Errors, ""); len(it) > 0 {
			te.Code, te.Description = sanitize(it[0].Code, 64), sanitize(redactAll(it[0].Message, secrets), maxMessageLen)
		}
		if resp.StatusCode == http.StatusOK && te.Code == "" {
			te.Malformed, te.problem = true, "no Authorization cookie in the answer"
		}
		return "", 0, te
	}
	tok := cookie.Value
	if len(tok) > esignet.MaxAccessTokenLen || !b64token.MatchString(tok) {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode, Malformed: true, problem: "the Authorization cookie is not a bearer token"}
	}
	return tok, a.lifetime(cookie, tok), nil
}

// lifetime is the shorter of the cookie's and the JWT's (exp, read unverified: only for
// caching) lifetimes, clamped to [1 s, 24 h]; 60 s when neither says.
func (a *AuthManager) lifetime(ck *http.Cookie, tok string) time.Duration {
	now := a.cfg.Now()
	var d time.Duration
	pick := func(v time.Duration) {
		if v > 0 && (d == 0 || v < d) {
			d = v
		}
	}
	if ck.MaxAge > 0 {
		pick(time.Duration(ck.MaxAge) * time.Second)
	} else if !ck.Expires.IsZero() {
		pick(ck.Expires.Sub(now))
	}
	if exp, ok := jwtExpiry(tok); ok {
		pick(exp.Sub(now))
	}
	switch {
	case d == 0:
		return defaultTokenLifetime
	case d < time.Second:
		return time.Second
	case d > esignet.MaxTokenLifetime:
		return esignet.MaxTokenLifetime
	}
	return d
}

// jwtExpiry reads exp from a compact JWS payload without verifying it.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var c struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return time.Time{}, false
	}
	f, err := c.Exp.Float64()
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

func (a *AuthManager) secrets() []string {
	if a.cfg.SecretKey == "" {
		return nil
	}
	return []string{a.cfg.SecretKey}
}

func redactAll(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}

// TokenError is a failed auth manager call. It never holds the secret key or a token.
type TokenError struct {
	HTTPStatus  int    // 0 when no response arrived
	Code        string // the kernel's error code, e.g. KER-ATH-401
	Description string
	Malformed   bool
	Err         error // transport or context error, or ErrRedirect
	problem     string
}

func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("pms token request failed")
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(" (" + e.Description + ")")
	}
	if e.problem != "" {
		b.WriteString(": " + e.problem)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *TokenError) Unwrap() error { return e.Err }

// Class: credentials (auth) unless the failure is transport, 5xx/429 or a garbled answer
// (retryable), or a redirect or an untrusted certificate (terminal: the URL or CA bundle).
func (e *TokenError) Class() Class {
	switch s := e.HTTPStatus; {
	case errors.Is(e.Err, ErrRedirect), e.Err != nil && isCertError(e.Err):
		return ClassTerminal
	case e.Err != nil:
		return ClassRetryable
	case s == http.StatusTooManyRequests || s >= 500 || (e.Malformed && e.Code == ""):
		return ClassRetryable
	}
	return ClassAuth
}

// Kind maps Class.
func (e *TokenError) Kind() esignet.Kind { return e.Class().Kind() }

func (e *TokenError) describe() string {
	parts := []string{"auth manager"}
	if e.HTTPStatus != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if pmsCode.MatchString(e.Code) {
		parts = append(parts, e.Code)
	}
	if e.problem != "" {
		parts = append(parts, e.problem)
	}
	switch {
	case errors.Is(e.Err, ErrRedirect):
		parts = append(parts, ErrRedirect.Error())
	case e.Err != nil:
		parts = append(parts, describeTransport(e.Err))
	}
	if e.Class() == ClassAuth {
		parts = append(parts, "check the auth manager URL, app id, client id and secret key")
	}
	return strings.Join(parts, ": ")
}
