package pms_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/pms"
)

const longToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcGVyYXRvciJ9.c2lnbmF0dXJlLWJ5dGVz"

// rotatingToken yields a new token after each Invalidate.
type rotatingToken struct {
	mu          sync.Mutex
	n           int
	invalidated []string
}

func (r *rotatingToken) Token(context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return longToken + strings.Repeat("x", r.n), nil
}

func (r *rotatingToken) Invalidate(t string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invalidated = append(r.invalidated, t)
	r.n++
}

func TestRetriesOnceWithAFreshTokenAfter401(t *testing.T) {
	var calls atomic.Int32
	s := newStub(t, func(r recorded) (int, string) {
		if calls.Add(1) == 1 {
			return 401, `{"errors":[{"errorCode":"KER-ATH-401","message":"Authentication Failed"}]}`
		}
		return 200, okAnswer("ACTIVE")
	})
	tok := &rotatingToken{}
	if _, err := s.client(t, pms.GenerationOAuth, tok, time.Now()).Create(ctx(t), detail(t, newKey(t))); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 2 || reqs[0].header.Get("Authorization") == reqs[1].header.Get("Authorization") ||
		reqs[1].header.Get("Cookie") != "Authorization="+longToken+"x" || len(tok.invalidated) != 1 {
		t.Fatalf("retry: %d requests, invalidated %v", len(reqs), tok.invalidated)
	}

	// A static token that is rejected is not retried with itself.
	calls.Store(0)
	s2 := newStub(t, func(recorded) (int, string) {
		return 401, `{"errors":[{"errorCode":"KER-ATH-401","message":"Authentication Failed"}]}`
	})
	_, err := s2.client(t, pms.GenerationOAuth, esignet.NewStaticToken(longToken), time.Now()).Get(ctx(t), stubID)
	if pms.ReasonOf(err) != pms.ReasonUnauthenticated || pms.ClassOf(err) != pms.ClassAuth || len(s2.requests()) != 1 {
		t.Fatalf("static 401: %v (%d requests)", err, len(s2.requests()))
	}
	if !strings.Contains(pms.Describe(err), "HTTP 401") {
		t.Fatalf("describe: %s", pms.Describe(err))
	}
}

func TestRedirectIsNeverFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	for _, hc := range []*http.Client{nil, {}} { // a caller's client that would follow is overridden
		c, err := pms.New(pms.Config{BaseURL: redirect.URL, Token: esignet.NewStaticToken(longToken), HTTPClient: hc, AllowInsecureHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Create(ctx(t), detail(t, newKey(t)))
		if !errors.Is(err, pms.ErrRedirect) || pms.ClassOf(err) != pms.ClassTerminal || strings.Contains(pms.Describe(err), target.URL) {
			t.Fatalf("redirect: %v / %s", err, pms.Describe(err))
		}
	}
	if elsewhere.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

// TestAnswersThatAreNotPMSs: proxies' pages, empty and oversized bodies, envelopes without a
// client; the token echoed by a proxy never reaches an error.
func TestAnswersThatAreNotPMSs(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		reason pms.Reason
		class  pms.Class
		detail string
	}{
		{"proxy page", 502, "<html>Bad Gateway " + longToken + " 127.9.8.7</html>", pms.ReasonPMSUnavailable, pms.ClassRetryable, "response is not PMS's JSON envelope"},
		{"html with 200", 200, "<html>login " + longToken + "</html>", pms.ReasonPMSUnavailable, pms.ClassRetryable, "response is not PMS's JSON envelope"},
		{"empty 400 (unreadable request)", 400, "", pms.ReasonInvalidRequest, pms.ClassTerminal, "empty response body"},
		{"null response", 200, `{"response":null,"errors":[]}`, pms.ReasonPMSUnavailable, pms.ClassRetryable, "envelope has neither a response nor errors"},
		{"no client id", 200, `{"response":{"status":"ACTIVE"},"errors":[]}`, pms.ReasonPMSUnavailable, pms.ClassRetryable, "neither"},
		{"oversized", 200, `{"response":"` + strings.Repeat("a", 1<<20) + `"}`, pms.ReasonPMSUnavailable, pms.ClassRetryable, "exceeds 1048576 bytes"},
		{"404 (PMS 1.2 has no /oidc-clients)", 404, `{"status":404,"error":"Not Found","path":"/v1/partnermanager/oidc-clients"}`, pms.ReasonEndpointNotFound, pms.ClassTerminal, ""},
		{"403 with kernel code", 403, `{"errors":[{"errorCode":"KER-ATH-403","message":"Forbidden"}]}`, pms.ReasonForbidden, pms.ClassAuth, ""},
		{"token echoed in a message", 200, `{"errors":[{"errorCode":"PMS_PRT_058","message":"bad ` + longToken + `"}]}`, pms.ReasonPartnerNotFound, pms.ClassRetryable, ""},
	}
	for _, c := range cases {
		s := newStub(t, func(recorded) (int, string) { return c.status, c.body })
		_, err := s.client(t, pms.GenerationOIDCClients, esignet.NewStaticToken(longToken), time.Now()).Create(ctx(t), detail(t, newKey(t)))
		if pms.ReasonOf(err) != c.reason || pms.ClassOf(err) != c.class {
			t.Errorf("%s: %s/%v: %v", c.name, pms.ReasonOf(err), pms.ClassOf(err), err)
			continue
		}
		d := pms.Describe(err)
		if !strings.Contains(d, c.detail) {
			t.Errorf("%s: Describe %q lacks %q", c.name, d, c.detail)
		}
		for _, leak := range []string{longToken, "eyJhbGci", "127.9.8.7", "<html>", s.srv.Listener.Addr().String()} {
			if strings.Contains(err.Error(), leak) && leak != s.srv.Listener.Addr().String() || strings.Contains(d, leak) {
				t.Errorf("%s: leaks %q: %v / %s", c.name, leak, err, d)
			}
		}
	}
}

func TestTransportFailuresAreOneClass(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var outcomes []string
	c, err := pms.New(pms.Config{BaseURL: "http://" + addr + "/v1/partnermanager", Token: esignet.NewStaticToken(longToken),
		AllowInsecureHTTP: true, Observe: func(op, outcome string, _ time.Duration) { outcomes = append(outcomes, op+":"+outcome) }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(ctx(t), stubID)
	if pms.ClassOf(err) != pms.ClassRetryable || pms.Describe(err) != "connection failed" || pms.ReasonOf(err) != pms.ReasonPMSUnavailable {
		t.Fatalf("refused: %v / %s", err, pms.Describe(err))
	}
	if len(outcomes) != 1 || outcomes[0] != "get:transport_error" {
		t.Fatalf("observe: %v", outcomes)
	}
	// A stalled answer after the connection was made is "timed out".
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(2 * time.Second) }))
	defer slow.Close()
	c, _ = pms.New(pms.Config{BaseURL: slow.URL, Token: esignet.NewStaticToken(longToken), AllowInsecureHTTP: true,
		HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
	_, err = c.Get(ctx(t), stubID)
	if pms.Describe(err) != "timed out" || pms.ClassOf(err) != pms.ClassRetryable {
		t.Fatalf("slow: %v / %s", err, pms.Describe(err))
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tok := esignet.NewStaticToken(longToken)
	for name, cfg := range map[string]pms.Config{
		"no token":       {BaseURL: "https://pms.example.org/v1/partnermanager"},
		"http":           {BaseURL: "http://pms.example.org", Token: tok},
		"user info":      {BaseURL: "https://u:p@pms.example.org", Token: tok},
		"query":          {BaseURL: "https://pms.example.org?x=1", Token: tok},
		"relative":       {BaseURL: "/v1/partnermanager", Token: tok},
		"ftp":            {BaseURL: "ftp://pms.example.org", Token: tok},
		"generation":     {BaseURL: "https://pms.example.org", Token: tok, Generation: "v2"},
		"negative limit": {BaseURL: "https://pms.example.org", Token: tok, MaxConcurrent: -1},
	} {
		if _, err := pms.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := pms.New(pms.Config{BaseURL: "https://pms.example.org/v1/partnermanager/", Token: tok})
	if err != nil || c.Generation() != pms.DefaultGeneration {
		t.Fatalf("%v %v", c, err)
	}
	for in, want := range map[string]pms.Generation{"oidc": pms.GenerationOIDC, " OAuth ": pms.GenerationOAuth, "oidc-clients": pms.GenerationOIDCClients} {
		if g, err := pms.ParseGeneration(in); err != nil || g != want {
			t.Errorf("ParseGeneration(%q) = %q %v", in, g, err)
		}
	}
	if _, err := pms.ParseGeneration("v1.3"); err == nil {
		t.Error("ParseGeneration accepted v1.3")
	}
}
