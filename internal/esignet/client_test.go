package esignet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

func TestFormatRequestTime(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2025, 1, 31, 10, 15, 30, 0, time.UTC), "2025-01-31T10:15:30.000Z"},
		{time.Date(2025, 1, 31, 10, 15, 30, 5_000_000, time.UTC), "2025-01-31T10:15:30.005Z"},
		{time.Date(2025, 1, 31, 10, 15, 30, 50_000_000, time.UTC), "2025-01-31T10:15:30.050Z"},
		{time.Date(2025, 1, 31, 10, 15, 30, 999_999_999, time.UTC), "2025-01-31T10:15:30.999Z"}, // truncated, not rounded
		{time.Date(2025, 1, 1, 3, 0, 0, 123_000_000, ist), "2024-12-31T21:30:00.123Z"},          // UTC conversion across a day
		{fixedNow, "2025-01-31T10:15:30.007Z"},
	}
	for _, tt := range tests {
		if got := FormatRequestTime(tt.in); got != tt.want {
			t.Errorf("FormatRequestTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRequestLineAndHeaders(t *testing.T) {
	tests := []struct {
		v              APIVersion
		op, id         string
		wantMethod     string
		wantRequestURI string
	}{
		{V1_0, "create", "", "POST", "/v1/esignet/client-mgmt/oidc-client"},
		{V1_0, "update", "a#b", "PUT", "/v1/esignet/client-mgmt/oidc-client/a%23b"},
		{V1_2, "update", "a/b", "PUT", "/v1/esignet/client-mgmt/oauth-client/a%2Fb"},
		{V1_5, "setstatus", "50%", "PUT", "/v1/esignet/client-mgmt/oauth-client/50%25"},
		{V1_6, "update", "a b?c", "PUT", "/v1/esignet/client-mgmt/client/a%20b%3Fc"},
		{V1_7, "create", "", "POST", "/v1/esignet/client-mgmt/client"},
		{V1_8, "patch", "ü-é", "PATCH", "/v1/esignet/client-mgmt/client/%C3%BC-%C3%A9"},
		{V1_8, "setstatus", "x/../y", "PATCH", "/v1/esignet/client-mgmt/client/x%2F..%2Fy"},
	}
	for _, tt := range tests {
		rec := newRecorder(t)
		c := newTestClient(t, rec.srv.URL, tt.v, NewStaticToken("tok-123"))
		d := detailFor(tt.v)
		d.ClientID = tt.id
		var err error
		switch tt.op {
		case "create":
			_, err = c.Create(context.Background(), d)
		case "update":
			_, err = c.Update(context.Background(), d)
		case "setstatus":
			_, err = c.SetStatus(context.Background(), d, StatusInactive)
		case "patch":
			_, err = c.Patch(context.Background(), tt.id, ClientPatch{Status: StatusActive})
		}
		if err != nil {
			t.Fatalf("%s %s: %v", tt.v, tt.op, err)
		}
		got := rec.last()
		if got.Method != tt.wantMethod || got.RequestURI != tt.wantRequestURI {
			t.Errorf("%s %s %q: got %s %s, want %s %s", tt.v, tt.op, tt.id,
				got.Method, got.RequestURI, tt.wantMethod, tt.wantRequestURI)
		}
		for h, want := range map[string]string{"Content-Type": "application/json",
			"Authorization": "Bearer tok-123", "Accept": "application/json", "User-Agent": "esignet-operator"} {
			if g := got.Header.Get(h); g != want {
				t.Errorf("%s %s: header %s = %q, want %q", tt.v, tt.op, h, g, want)
			}
		}
		var env map[string]json.RawMessage
		_ = json.Unmarshal(got.Body, &env)
		if len(env) != 2 || string(env["requestTime"]) != `"2025-01-31T10:15:30.007Z"` {
			t.Errorf("%s %s: envelope = %s", tt.v, tt.op, got.Body)
		}
	}
}

func TestNoTokenSourceSendsNoAuthorization(t *testing.T) {
	rec := newRecorder(t)
	c := newTestClient(t, rec.srv.URL, V1_8, nil)
	if _, err := c.Create(context.Background(), detailFor(V1_8)); err != nil {
		t.Fatal(err)
	}
	if h := rec.last().Header.Get("Authorization"); h != "" {
		t.Errorf("Authorization = %q, want none", h)
	}
}

func TestSuccessResult(t *testing.T) {
	rec := newRecorder(t, reply{Status: 200, Header: map[string]string{"Content-Type": "application/json"},
		Body: `{"responseTime":"2025-01-31T10:15:31.000Z","response":{"clientId":"c1","status":"INACTIVE"},"errors":[]}`})
	c := newTestClient(t, rec.srv.URL, V1_6, nil)
	res, err := c.Update(context.Background(), detailFor(V1_6))
	if err != nil {
		t.Fatal(err)
	}
	want := ClientResult{ClientID: "c1", Status: StatusInactive, ResponseTime: "2025-01-31T10:15:31.000Z"}
	if *res != want {
		t.Errorf("result = %+v, want %+v", *res, want)
	}
}

// TestRefusedBeforeSending: requests the version cannot express or that
// would leak a private key fail without reaching the server.
func TestRefusedBeforeSending(t *testing.T) {
	privJWK := json.RawMessage(`{"kty":"RSA","n":"abc","e":"AQAB","d":"SUPERSECRETPRIVATEEXPONENT"}`)
	tests := []struct {
		name string
		v    APIVersion
		call func(*Client) error
		kind Kind
	}{
		{"patch on v1.7", V1_7, func(c *Client) error {
			_, err := c.Patch(context.Background(), "x", ClientPatch{Status: StatusActive})
			return err
		}, KindUnsupported},
		{"lang map on v1.0", V1_0, func(c *Client) error {
			d := detailFor(V1_0)
			d.ClientNameLangMap = map[string]string{"eng": "x"}
			_, err := c.Create(context.Background(), d)
			return err
		}, KindUnsupported},
		{"additionalConfig on v1.5", V1_5, func(c *Client) error {
			d := detailFor(V1_5)
			d.AdditionalConfig = json.RawMessage(`{"purpose":null}`)
			_, err := c.Update(context.Background(), d)
			return err
		}, KindUnsupported},
		{"require_pkce on v1.7", V1_7, func(c *Client) error {
			d := detailFor(V1_7)
			d.AdditionalConfig = json.RawMessage(`{"require_pkce":true}`)
			_, err := c.Create(context.Background(), d)
			return err
		}, KindUnsupported},
		{"additionalConfig not an object", V1_8, func(c *Client) error {
			d := detailFor(V1_8)
			d.AdditionalConfig = json.RawMessage(`[1]`)
			_, err := c.Create(context.Background(), d)
			return err
		}, KindTerminal},
		{"private publicKey", V1_8, func(c *Client) error {
			d := detailFor(V1_8)
			d.PublicKey = privJWK
			_, err := c.Create(context.Background(), d)
			return err
		}, KindTerminal},
		{"private encPublicKey", V1_8, func(c *Client) error {
			_, err := c.Patch(context.Background(), "x", ClientPatch{EncPublicKey: privJWK})
			return err
		}, KindTerminal},
		{"empty id on update", V1_6, func(c *Client) error {
			d := detailFor(V1_6)
			d.ClientID = ""
			_, err := c.Update(context.Background(), d)
			return err
		}, KindTerminal},
		{"dot-dot id on patch", V1_8, func(c *Client) error {
			_, err := c.Patch(context.Background(), "..", ClientPatch{Status: StatusActive})
			return err
		}, KindTerminal},
	}
	for _, tt := range tests {
		rec := newRecorder(t)
		c := newTestClient(t, rec.srv.URL, tt.v, nil)
		err := tt.call(c)
		if err == nil || KindOf(err) != tt.kind {
			t.Errorf("%s: err = %v (kind %v), want kind %v", tt.name, err, KindOf(err), tt.kind)
		}
		if tt.kind == KindUnsupported && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: not errors.Is ErrUnsupported", tt.name)
		}
		if err != nil && strings.Contains(err.Error(), "SUPERSECRET") {
			t.Errorf("%s: private key material in error: %v", tt.name, err)
		}
		if n := len(rec.requests()); n != 0 {
			t.Errorf("%s: %d requests sent", tt.name, n)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		cfg     Config
		wantErr string
	}{
		{Config{BaseURL: "https://e.example.org/v1/esignet"}, ""},
		{Config{BaseURL: "https://e.example.org/v1/esignet/", APIVersion: V1_2}, ""},
		{Config{BaseURL: "http://esignet.esignet/v1/esignet", AllowInsecureHTTP: true}, ""},
		{Config{BaseURL: "http://esignet.esignet/v1/esignet"}, "AllowInsecureHTTP"},
		{Config{BaseURL: "https://user:hunter2@e.example.org/v1/esignet"}, "user info"},
		{Config{BaseURL: "ftp://e.example.org"}, "scheme"},
		{Config{BaseURL: "/v1/esignet"}, "absolute"},
		{Config{BaseURL: "https://e.example.org/v1/esignet?x=1"}, "query"},
		{Config{BaseURL: "https://e.example.org", APIVersion: "v1.9"}, "unsupported API version"},
		{Config{BaseURL: "https://e.example.org", MaxConcurrent: -1}, "MaxConcurrent"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("New(%+v): %v", tt.cfg.BaseURL, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("New(%q): err = %v, want containing %q", tt.cfg.BaseURL, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("password in error: %v", err)
		}
	}
}

func TestTrailingSlashBaseURL(t *testing.T) {
	rec := newRecorder(t)
	c, err := New(Config{BaseURL: rec.srv.URL + "/v1/esignet/", AllowInsecureHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(context.Background(), detailFor(V1_8)); err != nil {
		t.Fatal(err)
	}
	if got := rec.last().RequestURI; got != "/v1/esignet/client-mgmt/client" {
		t.Errorf("RequestURI = %q", got)
	}
}

// TestLogsHoldNoSecrets: V(1) logs name method, path, status and codes,
// never the body, the token or the key.
func TestLogsHoldNoSecrets(t *testing.T) {
	var buf strings.Builder
	log := funcr.New(func(prefix, args string) { buf.WriteString(prefix + args + "\n") }, funcr.Options{Verbosity: 1})
	rec := newRecorder(t, reply{Status: 200, Body: errBody("invalid_claim", "request.userClaims[0]: invalid_claim")})
	c, err := New(Config{BaseURL: rec.srv.URL + "/v1/esignet", AllowInsecureHTTP: true,
		Token: NewStaticToken("tok-SECRET-1"), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Create(context.Background(), detailFor(V1_8))
	out := buf.String()
	for _, want := range []string{`"method"="POST"`, `"path"="/v1/esignet/client-mgmt/client"`, `"status"=200`, "invalid_claim", `"duration"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	for _, bad := range []string{"tok-SECRET-1", `"kty"`, "requestTime", "ABC Health"} {
		if strings.Contains(out, bad) {
			t.Errorf("log holds %q:\n%s", bad, out)
		}
	}
}

// TestLoggerFromContext: the caller's logger (the reconciler's, naming the object and step)
// carries the request lines; Config.Log is only the fallback.
func TestLoggerFromContext(t *testing.T) {
	var fromCtx, fromConfig strings.Builder
	sink := func(b *strings.Builder) logr.Logger {
		return funcr.New(func(prefix, args string) { b.WriteString(prefix + args + "\n") }, funcr.Options{Verbosity: 1})
	}
	rec := newRecorder(t, reply{Status: 200, Body: okBody})
	c, err := New(Config{BaseURL: rec.srv.URL + "/v1/esignet", AllowInsecureHTTP: true, Log: sink(&fromConfig)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := logr.NewContext(context.Background(), sink(&fromCtx).WithValues("esignetRelyingParty", "ns/sr", "step", "register"))
	if _, err := c.Update(ctx, detailFor(V1_8)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fromCtx.String(), `"step"="register"`) || !strings.Contains(fromCtx.String(), `"method"="PUT"`) {
		t.Fatalf("context logger got %q", fromCtx.String())
	}
	if fromConfig.Len() != 0 {
		t.Fatalf("Config.Log used although the context carries a logger: %q", fromConfig.String())
	}
}

// TestObserveEveryRequest: Config.Observe hears each request with its outcome (for metrics).
func TestObserveEveryRequest(t *testing.T) {
	type seen struct{ op, outcome string }
	var got []seen
	rec := newRecorder(t, reply{Status: 200, Body: okBody}, reply{Status: 503})
	c, err := New(Config{BaseURL: rec.srv.URL + "/v1/esignet", AllowInsecureHTTP: true,
		Observe: func(op, outcome string, d time.Duration) { got = append(got, seen{op, outcome}) }})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Create(context.Background(), detailFor(V1_8))
	_, _ = c.Update(context.Background(), detailFor(V1_8))
	closed := newRecorder(t, reply{Status: 200})
	closed.srv.Close()
	c2, _ := New(Config{BaseURL: closed.srv.URL + "/v1/esignet", AllowInsecureHTTP: true,
		Observe: func(op, outcome string, d time.Duration) { got = append(got, seen{op, outcome}) }})
	_, _ = c2.Create(context.Background(), detailFor(V1_8))
	want := []seen{{"create", "200"}, {"update", "503"}, {"create", "transport_error"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("observed %v, want %v", got, want)
	}
}
