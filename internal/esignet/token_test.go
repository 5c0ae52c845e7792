package esignet

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// tokenServer issues tok-1, tok-2, … with the given expires_in.
type tokenServer struct {
	srv       *httptest.Server
	fetches   atomic.Int32
	expiresIn int
	gate      chan struct{} // if non-nil, each fetch waits for it
	lastForm  url.Values
	lastAuth  string
	mu        sync.Mutex
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	ts := &tokenServer{expiresIn: expiresIn}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ts.gate != nil {
			<-ts.gate
		}
		_ = r.ParseForm()
		ts.mu.Lock()
		ts.lastForm, ts.lastAuth = r.PostForm, r.Header.Get("Authorization")
		ts.mu.Unlock()
		n := ts.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d,"scope":"add_oidc_client"}`, n, ts.expiresIn)
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

func newCC(t *testing.T, url string, clock *fakeClock) *ClientCredentials {
	t.Helper()
	cc, err := NewClientCredentials(ClientCredentialsConfig{TokenURL: url, ClientID: "mosip-pms-client",
		ClientSecret: "s3cr3t-value", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

func TestClientCredentialsCaching(t *testing.T) {
	tests := []struct {
		name      string
		expiresIn int
		steps     []time.Duration // clock advances; a Token call after each
		want      []string
	}{
		// 300 s lifetime, 30 s skew: reuse until 270 s.
		{"default skew", 300, []time.Duration{0, 269 * time.Second, 2 * time.Second}, []string{"tok-1", "tok-1", "tok-2"}},
		// 10 s lifetime: skew capped at half (5 s).
		{"short lifetime", 10, []time.Duration{0, 4 * time.Second, 2 * time.Second}, []string{"tok-1", "tok-1", "tok-2"}},
		// no expires_in: 60 s default.
		{"missing expires_in", 0, []time.Duration{0, 29 * time.Second, 2 * time.Second}, []string{"tok-1", "tok-1", "tok-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, tt.expiresIn)
			clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
			cc := newCC(t, ts.srv.URL, clock)
			for i, d := range tt.steps {
				clock.Add(d)
				got, err := cc.Token(context.Background())
				if err != nil || got != tt.want[i] {
					t.Errorf("step %d: Token = %q, %v; want %q", i, got, err, tt.want[i])
				}
			}
		})
	}
}

func TestClientCredentialsInvalidate(t *testing.T) {
	ts := newTokenServer(t, 300)
	cc := newCC(t, ts.srv.URL, &fakeClock{t: time.Unix(1_700_000_000, 0)})
	ctx := context.Background()
	t1, _ := cc.Token(ctx)
	cc.Invalidate("some-stale-token") // must not drop tok-1
	if t2, _ := cc.Token(ctx); t2 != t1 || ts.fetches.Load() != 1 {
		t.Fatalf("stale Invalidate dropped the cached token (%q, %d fetches)", t2, ts.fetches.Load())
	}
	cc.Invalidate(t1)
	if t3, _ := cc.Token(ctx); t3 != "tok-2" {
		t.Errorf("after Invalidate: Token = %q, want tok-2", t3)
	}
}

func TestClientCredentialsSingleFlight(t *testing.T) {
	ts := newTokenServer(t, 300)
	ts.gate = make(chan struct{})
	cc := newCC(t, ts.srv.URL, &fakeClock{t: time.Unix(1_700_000_000, 0)})
	var wg sync.WaitGroup
	results := make([]string, 20)
	for i := range results {
		wg.Go(func() { results[i], _ = cc.Token(context.Background()) })
	}
	// A caller whose context ends stops waiting; the shared fetch goes on.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := cc.Token(ctx); !errors.Is(err, context.DeadlineExceeded) || KindOf(err) != KindTransient {
		t.Errorf("impatient caller: err = %v", err)
	}
	close(ts.gate)
	wg.Wait()
	if n := ts.fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
	for i, r := range results {
		if r != "tok-1" {
			t.Errorf("caller %d got %q", i, r)
		}
	}
}

func TestClientCredentialsRequest(t *testing.T) {
	ts := newTokenServer(t, 300)
	cc, err := NewClientCredentials(ClientCredentialsConfig{TokenURL: ts.srv.URL,
		ClientID: "my client:1", ClientSecret: "p@ss:w%rd+x", Scopes: []string{"add_oidc_client", "update_oidc_client"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.lastForm.Get("grant_type") != "client_credentials" || ts.lastForm.Get("scope") != "add_oidc_client update_oidc_client" {
		t.Errorf("form = %v", ts.lastForm)
	}
	if ts.lastForm.Has("client_secret") || ts.lastForm.Has("client_id") {
		t.Errorf("credentials must go in the Authorization header only: %v", ts.lastForm)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(ts.lastAuth, "Basic "))
	id, secret, _ := strings.Cut(string(raw), ":")
	if id != "my+client%3A1" || secret != "p%40ss%3Aw%25rd%2Bx" {
		t.Errorf("basic credentials = %q / %q (want form-encoded)", id, secret)
	}
	if id, _ = url.QueryUnescape(id); id != "my client:1" {
		t.Errorf("decoded id = %q", id)
	}
}

func TestClientCredentialsNoScopeParam(t *testing.T) {
	ts := newTokenServer(t, 300)
	cc := newCC(t, ts.srv.URL, &fakeClock{t: time.Now()})
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.lastForm.Has("scope") {
		t.Errorf("scope sent without Scopes: %v", ts.lastForm)
	}
}

func TestClientCredentialsErrors(t *testing.T) {
	const secret = "s3cr3t-value"
	tests := []struct {
		name     string
		status   int
		body     string
		kind     Kind
		contains string
	}{
		{"keycloak 401", 401, `{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}`, KindAuth, "invalid_client (Invalid client or Invalid client credentials)"},
		{"keycloak 400", 400, `{"error":"unauthorized_client","error_description":"Client not enabled to retrieve service account"}`, KindAuth, "unauthorized_client"},
		{"echoing server", 401, `{"error":"invalid_client","error_description":"bad secret ` + secret + `"}`, KindAuth, "invalid_client"},
		{"503 html", 503, `<html>Service Unavailable</html>`, KindTransient, "HTTP 503"},
		{"200 garbage", 200, `<html>login</html>`, KindTransient, "no access_token"},
		{"200 no token", 200, `{"token_type":"Bearer"}`, KindTransient, "no access_token"},
		{"200 not bearer", 200, `{"access_token":"x","token_type":"DPoP"}`, KindAuth, "not Bearer"},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
			fmt.Fprint(w, tt.body)
		}))
		cc := newCC(t, srv.URL, &fakeClock{t: time.Now()})
		_, err := cc.Token(context.Background())
		srv.Close()
		if KindOf(err) != tt.kind || err == nil || !strings.Contains(err.Error(), tt.contains) {
			t.Errorf("%s: err = %v (kind %v), want kind %v containing %q", tt.name, err, KindOf(err), tt.kind, tt.contains)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: secret leaked: %v", tt.name, err)
		}
	}
}

func TestClientCredentialsNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	cc := newCC(t, u, &fakeClock{t: time.Now()})
	_, err := cc.Token(context.Background())
	if KindOf(err) != KindTransient || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("err = %v (kind %v)", err, KindOf(err))
	}
	// A Client surfaces it with the operation and keeps the kind.
	c := newTestClient(t, "http://127.0.0.1:1", V1_8, cc)
	_, err = c.Create(context.Background(), detailFor(V1_8))
	if KindOf(err) != KindTransient || !strings.Contains(err.Error(), "esignet create: management token") {
		t.Errorf("client err = %v", err)
	}
}

func TestNewClientCredentialsValidates(t *testing.T) {
	for _, cfg := range []ClientCredentialsConfig{
		{TokenURL: "", ClientID: "x"},
		{TokenURL: "keycloak/token", ClientID: "x"},
		{TokenURL: "https://u:pw@kc.example.org/token", ClientID: "x"},
		{TokenURL: "https://kc.example.org/token"},
	} {
		if _, err := NewClientCredentials(cfg); err == nil {
			t.Errorf("NewClientCredentials(%+v) accepted", cfg)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("password in error: %v", err)
		}
	}
}
