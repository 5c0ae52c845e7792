package esignet_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestFakeTokenRefreshAfterRotation: a token the server stops accepting
// (401) is replaced once and the call retried; the caller sees success.
func TestFakeTokenRefreshAfterRotation(t *testing.T) {
	for _, g := range generations {
		t.Run(g.name(), func(t *testing.T) {
			e := newEnv(t, fakeOptions(g.fake), g.v, nil)
			ctx := context.Background()
			if _, err := e.client.Create(ctx, detail(t, "a", g.v)); err != nil {
				t.Fatal(err)
			}
			e.fake.RotateManagementKey()
			e.fake.ResetCounters()
			if _, err := e.client.Create(ctx, detail(t, "b", g.v)); err != nil {
				t.Fatalf("create after rotation: %v", err)
			}
			if n := e.fake.Counters()[tokenKey]; n != 1 {
				t.Errorf("token fetches = %d, want 1", n)
			}
			if n := counted(e.fake, "POST", g.ep, false); n != 2 {
				t.Errorf("POSTs = %d, want 2 (401 + retry)", n)
			}
		})
	}
}

// TestFakeTokenExpiry: with a short token lifetime the source refreshes
// before the server would reject the token, so no 401 happens at all.
func TestFakeTokenExpiry(t *testing.T) {
	clk := &clock{t: time.Now()}
	opts := fakeOptions("v1.8")
	opts.ManagementTokenTTL, opts.Now = 60*time.Second, clk.Now
	e := newEnv(t, opts, esignet.V1_8, clk.Now)
	ctx := context.Background()
	for i, id := range []string{"e1", "e2", "e3"} {
		if _, err := e.client.Create(ctx, detail(t, id, esignet.V1_8)); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		clk.Add(45 * time.Second) // past lifetime minus skew (30 s) each time
	}
	if n := e.fake.Counters()[tokenKey]; n != 3 {
		t.Errorf("token fetches = %d, want 3", n)
	}
	if n := e.fake.ClientMgmtCalls(); n != 3 {
		t.Errorf("client-mgmt calls = %d, want 3 (no 401 retries)", n)
	}
}

func TestFakeStaticTokenRejected(t *testing.T) {
	s := fakeesignet.StartTest(t, fakeOptions("v1.8"))
	tok := s.IssueManagementToken([]string{"add_oidc_client", "update_oidc_client"}, time.Hour)
	c := newStaticClient(t, s, esignet.V1_8, tok)
	s.RotateManagementKey()
	_, err := c.Create(context.Background(), detail(t, "s1", esignet.V1_8))
	if esignet.KindOf(err) != esignet.KindAuth || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("err = %v", err)
	}
	if n := s.ClientMgmtCalls(); n != 1 {
		t.Errorf("client-mgmt calls = %d, want 1 (static token: no retry)", n)
	}
	if strings.Contains(err.Error(), tok) {
		t.Errorf("token in error: %v", err)
	}
}

// TestFakeScopes: POST needs add_oidc_client, PUT update_oidc_client, PATCH
// no scope (API.md §4.1); 403 is never retried.
func TestFakeScopes(t *testing.T) {
	s := fakeesignet.StartTest(t, fakeOptions("v1.8"))
	addOnly := newStaticClient(t, s, esignet.V1_8, s.IssueManagementToken([]string{"add_oidc_client"}, time.Hour))
	noScope := newStaticClient(t, s, esignet.V1_8, s.IssueManagementToken(nil, time.Hour))
	ctx := context.Background()
	d := detail(t, "scoped", esignet.V1_8)

	if _, err := noScope.Create(ctx, d); esignet.KindOf(err) != esignet.KindAuth || !strings.Contains(err.Error(), "add_oidc_client") {
		t.Errorf("create without scope: %v", err)
	}
	if _, err := addOnly.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	s.ResetCounters()
	if _, err := addOnly.Update(ctx, d); esignet.KindOf(err) != esignet.KindAuth || !strings.Contains(err.Error(), "update_oidc_client") {
		t.Errorf("update without scope: %v", err)
	}
	if n := s.ClientMgmtCalls(); n != 1 {
		t.Errorf("403 retried: %d calls", n)
	}
	if _, err := noScope.SetStatus(ctx, d, esignet.StatusInactive); err != nil {
		t.Errorf("PATCH needs no scope, got %v", err)
	}
}

func TestFakeMissingToken(t *testing.T) {
	s := fakeesignet.StartTest(t, fakeOptions("v1.8"))
	c, err := esignet.New(esignet.Config{BaseURL: s.ServiceURL(), AllowInsecureHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(context.Background(), detail(t, "anon", esignet.V1_8))
	if esignet.KindOf(err) != esignet.KindAuth || !esignet.HasCode(err, esignet.CodeUnknownError) {
		t.Errorf("err = %v (kind %v)", err, esignet.KindOf(err))
	}
	// With security maps empty (auth disabled) no token is needed.
	opts := fakeOptions("v1.8")
	opts.AuthDisabled = true
	open := fakeesignet.StartTest(t, opts)
	c, _ = esignet.New(esignet.Config{BaseURL: open.ServiceURL(), AllowInsecureHTTP: true})
	if _, err := c.Create(context.Background(), detail(t, "anon", esignet.V1_8)); err != nil {
		t.Errorf("auth disabled: %v", err)
	}
}

func TestFakeBadCredentials(t *testing.T) {
	s := fakeesignet.StartTest(t, fakeOptions("v1.8"))
	cc, _ := esignet.NewClientCredentials(esignet.ClientCredentialsConfig{TokenURL: s.ManagementTokenURL(),
		ClientID: mgmtID, ClientSecret: "wrong-secret-value"})
	c, _ := esignet.New(esignet.Config{BaseURL: s.ServiceURL(), Token: cc, AllowInsecureHTTP: true})
	_, err := c.Create(context.Background(), detail(t, "x", esignet.V1_8))
	if esignet.KindOf(err) != esignet.KindAuth || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") || s.ClientMgmtCalls() != 0 {
		t.Errorf("secret leaked or request sent: %v", err)
	}
}

func newStaticClient(t *testing.T, s *fakeesignet.Server, v esignet.APIVersion, tok string) *esignet.Client {
	t.Helper()
	c, err := esignet.New(esignet.Config{BaseURL: s.ServiceURL(), APIVersion: v,
		Token: esignet.NewStaticToken(tok), AllowInsecureHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFakeDiscovery(t *testing.T) {
	for _, tt := range []struct {
		gen, issuerSuffix string
	}{{"v1.8", ""}, {"v1.7", "/v1/esignet"}, {"v1.6", "/v1/esignet"}} {
		t.Run(tt.gen, func(t *testing.T) {
			e := newEnv(t, fakeOptions(tt.gen), esignet.V1_8, nil)
			d, err := e.client.Discover(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			root := strings.TrimSuffix(e.fake.ServiceURL(), "/v1/esignet")
			if d.Issuer != root+tt.issuerSuffix || d.SourceURL != root+"/.well-known/openid-configuration" {
				t.Errorf("issuer %q from %q", d.Issuer, d.SourceURL)
			}
			if len(d.ClaimsSupported) == 0 || d.TokenEndpoint == "" {
				t.Errorf("document incomplete: %+v", d)
			}
			set, err := e.client.FetchJWKS(context.Background(), d.JWKSURI)
			if err != nil || len(set.Keys) == 0 {
				t.Errorf("jwks: %v", err)
			}
		})
	}
}

func TestFakeTLS(t *testing.T) {
	s, caPEM := fakeesignet.StartTestTLS(t, fakeOptions("v1.8"))
	hc, err := esignet.NewHTTPClient(caPEM, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cc, _ := esignet.NewClientCredentials(esignet.ClientCredentialsConfig{TokenURL: s.ManagementTokenURL(),
		ClientID: mgmtID, ClientSecret: mgmtSecret, HTTPClient: hc})
	c, err := esignet.New(esignet.Config{BaseURL: s.ServiceURL(), Token: cc, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(context.Background(), detail(t, "tls", esignet.V1_8)); err != nil {
		t.Fatalf("with the fake's CA: %v", err)
	}
	if _, err := c.Discover(context.Background(), ""); err != nil {
		t.Errorf("discovery over TLS: %v", err)
	}
	untrusting, _ := esignet.New(esignet.Config{BaseURL: s.ServiceURL(), Token: cc})
	_, err = untrusting.Update(context.Background(), detail(t, "tls", esignet.V1_8))
	if esignet.KindOf(err) != esignet.KindTerminal {
		t.Errorf("system roots only: err = %v (kind %v)", err, esignet.KindOf(err))
	}
}

func TestFakeFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault fakeesignet.Fault
	}{
		{"503", fakeesignet.Fault{Method: "POST", PathPrefix: mgmtPrefix, Status: 503, Body: "<html>busy</html>"}},
		{"reset", fakeesignet.Fault{PathPrefix: mgmtPrefix, Reset: true}},
		{"slow", fakeesignet.Fault{PathPrefix: mgmtPrefix, Delay: time.Second}},
		{"proxy html 200", fakeesignet.Fault{PathPrefix: mgmtPrefix, Status: 200, Body: "<html>login</html>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeesignet.StartTest(t, fakeOptions("v1.8"))
			hc, _ := esignet.NewHTTPClient(nil, 300*time.Millisecond)
			cc, _ := esignet.NewClientCredentials(esignet.ClientCredentialsConfig{TokenURL: s.ManagementTokenURL(),
				ClientID: mgmtID, ClientSecret: mgmtSecret, HTTPClient: hc})
			c, _ := esignet.New(esignet.Config{BaseURL: s.ServiceURL(), Token: cc, HTTPClient: hc, AllowInsecureHTTP: true})
			s.InjectFault(tt.fault)
			_, err := c.Create(context.Background(), detail(t, "f", esignet.V1_8))
			if esignet.KindOf(err) != esignet.KindTransient || !strings.Contains(err.Error(), "esignet create") {
				t.Errorf("err = %v (kind %v)", err, esignet.KindOf(err))
			}
			s.ClearFaults()
			if _, err := c.Create(context.Background(), detail(t, "f", esignet.V1_8)); err != nil {
				t.Errorf("after ClearFaults: %v", err)
			}
		})
	}
}
