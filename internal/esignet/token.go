package esignet

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// TokenSource supplies the bearer token for client-management calls.
type TokenSource interface {
	// Token returns a token valid for at least a little while.
	Token(ctx context.Context) (string, error)
	// Invalidate reports that token was rejected (HTTP 401); a source that
	// can refresh must not hand it out again.
	Invalidate(token string)
}

// NewStaticToken returns a TokenSource that always yields token. It cannot
// refresh, so a 401 is final.
func NewStaticToken(token string) TokenSource { return staticToken(token) }

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }
func (s staticToken) Invalidate(string)                     {}

// ClientCredentialsConfig configures an OAuth2 client-credentials source,
// normally Keycloak realm mosip with client mosip-pms-client (API.md §4.3).
type ClientCredentialsConfig struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scopes       []string // optional; Keycloak's defaults already carry the scopes
	HTTPClient   *http.Client
	Now          func() time.Time
	RefreshSkew  time.Duration // refresh this long before expiry; default 30s
}

const (
	defaultRefreshSkew = 30 * time.Second
	// defaultTokenLifetime applies when the server omits expires_in;
	// a 401 invalidates the token sooner if needed.
	defaultTokenLifetime = 60 * time.Second
	// fetchTimeout bounds a token fetch that was started on behalf of
	// several callers and so runs detached from any one caller's context.
	fetchTimeout = 30 * time.Second
)

// ClientCredentials is a caching, single-flight client-credentials source.
type ClientCredentials struct {
	cfg ClientCredentialsConfig

	mu       sync.Mutex
	token    string
	expiry   time.Time // when to stop using token (expiry minus skew)
	inflight *tokenFetch
}

// tokenFetch is one shared fetch; done closes when token/err are set.
type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

// NewClientCredentials validates cfg and returns the source.
func NewClientCredentials(cfg ClientCredentialsConfig) (*ClientCredentials, error) {
	u, err := url.Parse(cfg.TokenURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("esignet: token URL %q is not an absolute http(s) URL", cfg.TokenURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("esignet: token URL %q must not contain user info", u.Redacted())
	}
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("esignet: client credentials need a client id")
	}
	if cfg.HTTPClient == nil {
		if cfg.HTTPClient, err = NewHTTPClient(nil, 0); err != nil {
			return nil, err
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RefreshSkew <= 0 {
		cfg.RefreshSkew = defaultRefreshSkew
	}
	return &ClientCredentials{cfg: cfg}, nil
}

// Token returns the cached token or fetches one. Concurrent callers share a
// single fetch; each still gives up when its own ctx ends.
func (s *ClientCredentials) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" && s.cfg.Now().Before(s.expiry) {
		t := s.token
		s.mu.Unlock()
		return t, nil
	}
	f := s.inflight
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		s.inflight = f
		// Detached from ctx: other callers wait on this fetch too.
		go s.run(context.WithoutCancel(ctx), f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", &TokenError{Err: ctx.Err()}
	}
}

func (s *ClientCredentials) run(ctx context.Context, f *tokenFetch) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	tok, lifetime, err := s.fetch(ctx)
	s.mu.Lock()
	if err == nil {
		skew := min(s.cfg.RefreshSkew, lifetime/2)
		s.token, s.expiry = tok, s.cfg.Now().Add(lifetime-skew)
	}
	s.inflight = nil
	s.mu.Unlock()
	f.token, f.err = tok, err
	close(f.done)
}

// Invalidate drops the cached token if it is the rejected one (a stale
// report must not discard a newer token).
func (s *ClientCredentials) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token != "" && token == s.token {
		s.token, s.expiry = "", time.Time{}
	}
}

type tokenResponse struct {
	AccessToken      string      `json:"access_token"`
	TokenType        string      `json:"token_type"`
	ExpiresIn        json.Number `json:"expires_in"`
	Error            string      `json:"error"`
	ErrorDescription string      `json:"error_description"`
}

// fetch performs the client-credentials grant (RFC 6749 §4.4) with HTTP
// Basic authentication; id and secret are form-encoded first as §2.3.1
// requires, so secrets with ':' or '%' survive.
func (s *ClientCredentials) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(s.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(s.cfg.Scopes, " "))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &TokenError{Err: err}
	}
	req.SetBasicAuth(url.QueryEscape(s.cfg.ClientID), url.QueryEscape(s.cfg.ClientSecret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", 0, &TokenError{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode, Err: err}
	}
	return parseTokenResponse(resp.StatusCode, s.redact(body))
}

// redact removes the client secret, in every encoding we sent it, from a
// token endpoint answer before any of it can reach an error string.
func (s *ClientCredentials) redact(body []byte) []byte {
	if s.cfg.ClientSecret == "" {
		return body
	}
	esc := url.QueryEscape(s.cfg.ClientSecret)
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(s.cfg.ClientID) + ":" + esc))
	for _, v := range []string{s.cfg.ClientSecret, esc, basic} {
		body = bytes.ReplaceAll(body, []byte(v), []byte("[redacted]"))
	}
	return body
}

func parseTokenResponse(status int, body []byte) (string, time.Duration, error) {
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	if status != http.StatusOK {
		return "", 0, &TokenError{HTTPStatus: status,
			Code: sanitize(tr.Error, 64), Description: sanitize(tr.ErrorDescription, maxMessageLen)}
	}
	if jsonErr != nil || tr.AccessToken == "" {
		return "", 0, &TokenError{HTTPStatus: status, Malformed: true}
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, &TokenError{HTTPStatus: status,
			Description: fmt.Sprintf("token_type %q is not Bearer", sanitize(tr.TokenType, 32))}
	}
	lifetime := defaultTokenLifetime
	if secs, err := tr.ExpiresIn.Float64(); err == nil && secs > 0 {
		lifetime = time.Duration(secs * float64(time.Second))
	}
	return tr.AccessToken, lifetime, nil
}

// TokenError is a failed token request. It never holds the client secret
// or a token: only the status, the server's error code and description.
type TokenError struct {
	HTTPStatus  int // 0 when no response arrived
	Code        string
	Description string
	Malformed   bool
	Err         error // transport or context error, if any
}

func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("token request failed")
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(" (" + e.Description + ")")
	}
	if e.Malformed {
		b.WriteString(": response has no access_token")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *TokenError) Unwrap() error { return e.Err }

// Kind: Keycloak answers bad credentials with 400 (invalid_client,
// unauthorized_client) or 401; 5xx, 429, garbage bodies and transport
// trouble may pass.
func (e *TokenError) Kind() Kind {
	switch s := e.HTTPStatus; {
	case e.Err != nil:
		return classifyTransport(e.Err)
	case s == 429 || s >= 500 || e.Malformed:
		return KindTransient
	}
	return KindAuth
}
