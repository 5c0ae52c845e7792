package esignet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// redirectTarget is the second server: it records every request that reaches
// it. A redirect-following client would be sending it our token and body.
type redirectTarget struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string // "METHOD path Authorization=…"
}

func newRedirectTarget(t *testing.T) *redirectTarget {
	t.Helper()
	rt := &redirectTarget{}
	rt.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rt.mu.Lock()
		rt.hits = append(rt.hits, fmt.Sprintf("%s %s Authorization=%q body=%dB", r.Method, r.URL.Path, r.Header.Get("Authorization"), len(body)))
		rt.mu.Unlock()
		// Answer as well as eSignet/Keycloak would, so that following the
		// redirect "works" and only the recorder notices.
		switch {
		case strings.Contains(r.URL.Path, "token"):
			fmt.Fprint(w, `{"access_token":"tok-from-target","token_type":"Bearer","expires_in":300}`)
		case strings.Contains(r.URL.Path, "jwks"):
			fmt.Fprint(w, `{"keys":[`+sampleJWK+`]}`)
		case strings.Contains(r.URL.Path, "openid-configuration"):
			fmt.Fprint(w, discoveryDoc("https://target"))
		default:
			fmt.Fprint(w, okBody)
		}
	}))
	t.Cleanup(rt.srv.Close)
	return rt
}

func (rt *redirectTarget) contacted() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.hits...)
}

// redirector answers every request with status, Location = target + path.
func redirector(target string, status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", target+r.URL.Path)
		w.WriteHeader(status)
		fmt.Fprint(w, `{"responseTime":"x","response":{"clientId":"c1","status":"ACTIVE"},"errors":[]}`)
	})
}

const redirectToken = "opaque-mgmt-token-0123456789"

// redirectCalls is every kind of request the package makes, against base.
func redirectCalls(base string, hc *http.Client, insecure bool) map[string]func() error {
	newClient := func(ts TokenSource) (*Client, error) {
		return New(Config{BaseURL: base + "/v1/esignet", APIVersion: V1_8, Token: ts, HTTPClient: hc,
			AllowInsecureHTTP: insecure, Now: func() time.Time { return fixedNow }})
	}
	mgmt := func(call func(*Client) error) func() error {
		return func() error {
			c, err := newClient(NewStaticToken(redirectToken))
			if err != nil {
				return err
			}
			return call(c)
		}
	}
	ctx := context.Background()
	return map[string]func() error{
		"create": mgmt(func(c *Client) error { _, err := c.Create(ctx, detailFor(V1_8)); return err }),
		"update": mgmt(func(c *Client) error { _, err := c.Update(ctx, detailFor(V1_8)); return err }),
		"patch": mgmt(func(c *Client) error {
			_, err := c.Patch(ctx, "c1", ClientPatch{Status: StatusInactive})
			return err
		}),
		"set status": mgmt(func(c *Client) error {
			_, err := c.SetStatus(ctx, detailFor(V1_8), StatusInactive)
			return err
		}),
		"discover default URLs": mgmt(func(c *Client) error { _, err := c.Discover(ctx, ""); return err }),
		"discover explicit URL": mgmt(func(c *Client) error {
			_, err := c.Discover(ctx, base+"/.well-known/openid-configuration")
			return err
		}),
		"jwks": mgmt(func(c *Client) error { _, err := c.FetchJWKS(ctx, base+"/.well-known/jwks.json"); return err }),
		"token": func() error {
			cc, err := NewClientCredentials(ClientCredentialsConfig{TokenURL: base + "/realms/mosip/protocol/openid-connect/token",
				ClientID: "mosip-pms-client", ClientSecret: "s3cr3t-value", HTTPClient: hc})
			if err != nil {
				return err
			}
			_, err = cc.Token(ctx)
			return err
		},
	}
}

// TestRedirectsAreNeverFollowed: eSignet's and Keycloak's APIs never
// redirect; a redirect is refused for every kind of request, and neither the
// token, the client secret nor the body reaches the redirect target.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		target := newRedirectTarget(t)
		first := httptest.NewServer(redirector(target.srv.URL, status))
		t.Cleanup(first.Close)
		for name, call := range redirectCalls(first.URL, nil, true) {
			t.Run(fmt.Sprintf("%d/%s", status, name), func(t *testing.T) {
				err := call()
				if err == nil {
					t.Fatal("redirect followed: call succeeded")
				}
				checkRedirectError(t, err, target.srv.URL)
			})
		}
		if hits := target.contacted(); len(hits) > 0 {
			t.Errorf("HTTP %d: redirect target contacted %d times: %v", status, len(hits), hits)
		}
	}
}

// TestRedirectDowngradeRefused: an https eSignet (AllowInsecureHTTP false)
// redirecting to plain http must not make the client speak http.
func TestRedirectDowngradeRefused(t *testing.T) {
	caPEM, cert := newCA(t)
	target := newRedirectTarget(t) // http://127.0.0.1:…
	first := httptest.NewUnstartedServer(redirector(target.srv.URL, http.StatusTemporaryRedirect))
	first.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	first.Config.ErrorLog = log.New(io.Discard, "", 0)
	first.StartTLS()
	t.Cleanup(first.Close)
	hc, err := NewHTTPClient(caPEM, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range redirectCalls(first.URL, hc, false) {
		t.Run(name, func(t *testing.T) {
			err := call()
			if err == nil {
				t.Fatal("https → http redirect followed")
			}
			checkRedirectError(t, err, target.srv.URL)
		})
	}
	if hits := target.contacted(); len(hits) > 0 {
		t.Errorf("plain-http target contacted: %v", hits)
	}
}

// TestRedirectRefusedWithCallerHTTPClient: a caller's http.Client that
// follows redirects (the zero value does) is not allowed to.
func TestRedirectRefusedWithCallerHTTPClient(t *testing.T) {
	target := newRedirectTarget(t)
	first := httptest.NewServer(redirector(target.srv.URL, http.StatusPermanentRedirect))
	t.Cleanup(first.Close)
	hc := &http.Client{Timeout: 5 * time.Second}
	for name, call := range redirectCalls(first.URL, hc, true) {
		if err := call(); err == nil {
			t.Errorf("%s: redirect followed with the caller's client", name)
		}
	}
	if hits := target.contacted(); len(hits) > 0 {
		t.Errorf("target contacted: %v", hits)
	}
	if hc.CheckRedirect != nil {
		t.Error("the caller's http.Client was modified")
	}
}

func checkRedirectError(t *testing.T, err error, target string) {
	t.Helper()
	msg := err.Error()
	for _, leak := range []string{redirectToken, "s3cr3t-value", "tok-from-target", target, "Location"} {
		if strings.Contains(msg, leak) {
			t.Errorf("error leaks %q: %v", leak, err)
		}
	}
	if !strings.Contains(msg, "redirect; refusing to follow it") {
		t.Errorf("error does not say a redirect was refused: %v", err)
	}
	if !errors.Is(err, ErrRedirect) {
		t.Errorf("errors.Is(err, ErrRedirect) = false: %v", err)
	}
	if k := KindOf(err); k != KindTerminal {
		t.Errorf("kind = %v, want Terminal (the URL is wrong)", k)
	}
}

// jsonEscapeAll spells every byte of s as a \u escape: the raw body then
// does not contain s, but the decoded JSON string does.
func jsonEscapeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// TestEscapedSecretsAreRedacted: a server echoing the client secret or the
// bearer token inside a JSON string with escapes must not get it into an
// error string (logs) either.
func TestEscapedSecretsAreRedacted(t *testing.T) {
	const secret = "s3cr3t-value"
	kc := newRecorder(t, reply{Status: 401, Body: `{"error":"invalid_client","error_description":"bad ` + jsonEscapeAll(secret) + `"}`})
	_, err := newCC(t, kc.srv.URL, &fakeClock{}).Token(context.Background())
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("token endpoint: secret leaked: %v", err)
	}
	const tok = "opaque-token-value"
	for _, rp := range []reply{
		{Status: 200, Body: errBody("unknown_error", "x") + strings.Repeat(" ", 0)},
		{Status: 500, Body: `{"title":"t","detail":"header ` + jsonEscapeAll(tok) + `"}`},
	} {
		rp.Body = strings.Replace(rp.Body, `"errorMessage":"x"`, `"errorMessage":"bad header `+jsonEscapeAll(tok)+`"`, 1)
		rec := newRecorder(t, rp)
		c := newTestClient(t, rec.srv.URL, V1_8, NewStaticToken(tok))
		_, err := c.Create(context.Background(), detailFor(V1_8))
		if err == nil || strings.Contains(err.Error(), tok) {
			t.Errorf("HTTP %d: token leaked: %v", rp.Status, err)
		}
	}
}
