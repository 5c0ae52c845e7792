package esignet

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
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
	// HTTPClient defaults to NewHTTPClient(nil, 0); a copy that never
	// follows redirects is used either way.
	HTTPClient  *http.Client
	Now         func() time.Time
	RefreshSkew time.Duration // refresh this long before expiry; default 30s
}

const (
	defaultRefreshSkew = 30 * time.Second
	// defaultTokenLifetime applies when the server omits expires_in or
	// sends something that is not a positive number (0, negative, "NaN",
	// "soon", null, …); a 401 invalidates the token sooner if needed.
	defaultTokenLifetime = 60 * time.Second
	// MinTokenLifetime and MaxTokenLifetime clamp expires_in. A token is
	// never kept longer than the server said (only a sub-second lifetime is
	// rounded up to 1 s): raising it would send expired tokens. Above 24 h a
	// lifetime is no longer plausible for a management token, and a huge
	// value (1e300, 2^63) overflowed time.Duration into the past, so every
	// call fetched a new token. Keycloak's default is 300 s.
	MinTokenLifetime = time.Second
	MaxTokenLifetime = 24 * time.Hour
	// maxTokenBody caps the token endpoint's answer and MaxAccessTokenLen
	// the token in it. Keycloak's client-credentials tokens are 1–3 KiB;
	// eSignet's Tomcat rejects request headers over 8 KiB by default, so a
	// longer token could not be used anyway.
	maxTokenBody      = 64 << 10
	MaxAccessTokenLen = 16 << 10
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
	cfg.HTTPClient = noRedirects(cfg.HTTPClient)
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
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	// ExpiresIn is parsed by tokenLifetime: a number, a numeric string, or
	// anything else (which means the default).
	ExpiresIn        json.RawMessage `json:"expires_in"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
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
	resp, err := roundTrip(s.cfg.HTTPClient, req)
	if err != nil {
		return "", 0, &TokenError{Err: err}
	}
	defer resp.Body.Close()
	if isRedirect(resp.StatusCode) {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode, Err: ErrRedirect}
	}
	body, tooBig, err := readCapped(resp.Body, maxTokenBody)
	if err != nil {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode, Err: err}
	}
	if tooBig {
		return "", 0, &TokenError{HTTPStatus: resp.StatusCode, Malformed: true,
			problem: fmt.Sprintf("response body exceeds %d bytes", maxTokenBody)}
	}
	secrets := s.secrets()
	for _, v := range secrets {
		body = bytes.ReplaceAll(body, []byte(v), []byte("[redacted]"))
	}
	return parseTokenResponse(resp.StatusCode, body, secrets...)
}

// secrets is the client secret in every encoding we sent it; they are
// removed from a token endpoint answer, raw and decoded (JSON escapes can
// spell a secret without containing its bytes), before any of it can reach
// an error string.
func (s *ClientCredentials) secrets() []string {
	if s.cfg.ClientSecret == "" {
		return nil
	}
	esc := url.QueryEscape(s.cfg.ClientSecret)
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(s.cfg.ClientID) + ":" + esc))
	return []string{s.cfg.ClientSecret, esc, basic}
}

// parseTokenResponse checks a token endpoint answer; secrets are removed
// from the server's error text before it is truncated. The token must be a
// plausible bearer token (RFC 6750 b64token is a subset of visible ASCII) of
// at most MaxAccessTokenLen bytes: it is sent in a header on every call. The
// lifetime is expires_in clamped to [MinTokenLifetime, MaxTokenLifetime].
func parseTokenResponse(status int, body []byte, secrets ...string) (string, time.Duration, error) {
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	if status != http.StatusOK {
		for _, v := range secrets {
			tr.Error = strings.ReplaceAll(tr.Error, v, "[redacted]")
			tr.ErrorDescription = strings.ReplaceAll(tr.ErrorDescription, v, "[redacted]")
		}
		return "", 0, &TokenError{HTTPStatus: status,
			Code: sanitize(tr.Error, 64), Description: sanitize(tr.ErrorDescription, maxMessageLen)}
	}
	if jsonErr != nil || tr.AccessToken == "" {
		return "", 0, &TokenError{HTTPStatus: status, Malformed: true, problem: "response has no access_token"}
	}
	if len(tr.AccessToken) > MaxAccessTokenLen {
		return "", 0, &TokenError{HTTPStatus: status, Malformed: true,
			problem: fmt.Sprintf("access_token exceeds %d bytes", MaxAccessTokenLen)}
	}
	for i := range len(tr.AccessToken) {
		if c := tr.AccessToken[i]; c < 0x21 || c > 0x7e {
			return "", 0, &TokenError{HTTPStatus: status, Malformed: true,
				problem: "access_token is not a valid bearer token"}
		}
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, &TokenError{HTTPStatus: status, problem: "token_type is not Bearer"}
	}
	return tr.AccessToken, tokenLifetime(tr.ExpiresIn), nil
}

// jsonNumber is RFC 8259's number grammar; strconv.ParseFloat alone would
// also take "NaN", "Inf", "0x1p4" and "1_000".
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// tokenLifetime interprets expires_in: a JSON number or a string holding
// one; anything else, and any value ≤ 0, means defaultTokenLifetime.
// Positive values are clamped to [MinTokenLifetime, MaxTokenLifetime] before
// they become a Duration, so nothing overflows.
func tokenLifetime(raw json.RawMessage) time.Duration {
	s := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(s, `"`) {
		if json.Unmarshal(raw, &s) != nil {
			return defaultTokenLifetime
		}
		s = strings.TrimSpace(s)
	}
	if len(s) > 1000 || !jsonNumber.MatchString(s) {
		return defaultTokenLifetime
	}
	secs, err := strconv.ParseFloat(s, 64) // ±Inf with ErrRange when too large
	switch {
	case err != nil && !math.IsInf(secs, 0):
		return defaultTokenLifetime
	case math.IsNaN(secs) || secs <= 0:
		return defaultTokenLifetime
	case secs < MinTokenLifetime.Seconds():
		return MinTokenLifetime
	case secs > MaxTokenLifetime.Seconds():
		return MaxTokenLifetime
	}
	return time.Duration(math.Round(secs*1000)) * time.Millisecond
}

// TokenError is a failed token request. It never holds the client secret
// or a token: only the status, the server's error code and description.
type TokenError struct {
	HTTPStatus  int // 0 when no response arrived
	Code        string
	Description string
	Malformed   bool
	Err         error // transport or context error, or ErrRedirect
	// problem is what was wrong with a 200 answer, in this package's words.
	problem string
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
	switch {
	case e.problem != "":
		b.WriteString(": " + e.problem)
	case e.Malformed:
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
	case errors.Is(e.Err, ErrRedirect):
		return KindTerminal // the token URL is wrong
	case e.Err != nil:
		return classifyTransport(e.Err)
	case s == 429 || s >= 500 || e.Malformed:
		return KindTransient
	}
	return KindAuth
}
