package pms_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/fakepms"
	"github.com/openg2p/esignet-operator/internal/pms"
)

const amPath = "POST /v1/authmanager/authenticate/clientidsecretkey"

// TestAuthManagerAgainstTheFake: the kernel auth manager's cookie token works for PMS, is cached,
// and refreshed after Invalidate; bad credentials are an auth error without the secret.
func TestAuthManagerAgainstTheFake(t *testing.T) {
	w := startWorld(t, func(_ *fakepms.Config, o *fakepms.Options) { o.AppIDs = []string{"partner"} })
	am, err := pms.NewAuthManager(pms.AuthManagerConfig{URL: w.pms.AuthManagerURL(), AppID: "partner",
		ClientID: fakepms.DefaultCallerID, SecretKey: callerSecret})
	if err != nil {
		t.Fatal(err)
	}
	c := w.clientWith(pms.GenerationOIDCClients, am)
	res, err := c.Create(ctx(t), detail(t, newKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx(t), res.ClientID); err != nil {
		t.Fatal(err)
	}
	if n := w.pms.Counters()[amPath]; n != 1 {
		t.Fatalf("%d logins for two calls", n)
	}
	tok, _ := am.Token(ctx(t))
	am.Invalidate(tok)
	if _, err := am.Token(ctx(t)); err != nil || w.pms.Counters()[amPath] != 2 {
		t.Fatalf("refresh after Invalidate: %v, %d logins", err, w.pms.Counters()[amPath])
	}

	for name, cfg := range map[string]pms.AuthManagerConfig{
		"wrong secret": {URL: w.pms.AuthManagerURL(), AppID: "partner", ClientID: fakepms.DefaultCallerID, SecretKey: "wrong-secret-value"},
		"wrong app id": {URL: w.pms.AuthManagerURL() + "/authenticate/clientidsecretkey", AppID: "ida", ClientID: fakepms.DefaultCallerID, SecretKey: callerSecret},
	} {
		bad, err := pms.NewAuthManager(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.clientWith(pms.GenerationOAuth, bad).Get(ctx(t), res.ClientID)
		var te *pms.TokenError
		if !errors.As(err, &te) || pms.ClassOf(err) != pms.ClassAuth || pms.ReasonOf(err) != pms.ReasonTokenFailed || !strings.HasPrefix(te.Code, "KER-ATH-") {
			t.Fatalf("%s: %T %v", name, err, err)
		}
		if strings.Contains(err.Error(), "wrong-secret-value") || !strings.Contains(pms.Describe(err), "auth manager: HTTP 200: KER-ATH-") {
			t.Fatalf("%s: %v / %s", name, err, pms.Describe(err))
		}
	}
}

func TestAuthManagerConfig(t *testing.T) {
	for name, cfg := range map[string]pms.AuthManagerConfig{
		"relative":  {URL: "/v1/authmanager", AppID: "a", ClientID: "c"},
		"user info": {URL: "https://u:p@am.example.org", AppID: "a", ClientID: "c"},
		"no app":    {URL: "https://am.example.org", ClientID: "c"},
		"no client": {URL: "https://am.example.org", AppID: "a"},
	} {
		if _, err := pms.NewAuthManager(cfg); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// amStub is an auth manager answering with answer; it records request bodies.
func amStub(t *testing.T, answer func(w http.ResponseWriter)) (*httptest.Server, *[]map[string]json.RawMessage) {
	var mu sync.Mutex
	var bodies []map[string]json.RawMessage
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/authmanager/authenticate/clientidsecretkey" || r.Method != http.MethodPost {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]json.RawMessage
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		bodies = append(bodies, m)
		mu.Unlock()
		answer(w)
	}))
	t.Cleanup(s.Close)
	return s, &bodies
}

func TestAuthManagerAnswers(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	ok := func(w http.ResponseWriter) {
		http.SetCookie(w, &http.Cookie{Name: "Authorization", Value: longToken, MaxAge: 100, Path: "/"})
		_, _ = io.WriteString(w, `{"response":{"status":"Success","message":"ok"},"errors":null}`)
	}
	s, bodies := amStub(t, ok)
	am, err := pms.NewAuthManager(pms.AuthManagerConfig{URL: s.URL + "/v1/authmanager/", AppID: "partner",
		ClientID: "mosip-pms-client", SecretKey: "s3cr3t", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if tok, err := am.Token(ctx(t)); err != nil || tok != longToken {
			t.Fatalf("%q %v", tok, err)
		}
	}
	now.Add(71) // MaxAge 100 minus the 30 s skew
	if _, err := am.Token(ctx(t)); err != nil || len(*bodies) != 2 {
		t.Fatalf("refresh: %v, %d calls", err, len(*bodies))
	}
	b := (*bodies)[0]
	var req map[string]string
	_ = json.Unmarshal(b["request"], &req)
	if req["clientId"] != "mosip-pms-client" || req["secretKey"] != "s3cr3t" || req["appId"] != "partner" ||
		!requestTimeRE.MatchString(string(b["requesttime"])) {
		t.Fatalf("request %v", b)
	}

	for name, c := range map[string]struct {
		answer func(http.ResponseWriter)
		class  pms.Class
		want   string
	}{
		"no cookie":   {func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"response":{"status":"Success"}}`) }, pms.ClassRetryable, "no Authorization cookie"},
		"unavailable": {func(w http.ResponseWriter) { w.WriteHeader(503) }, pms.ClassRetryable, "HTTP 503"},
		"redirect": {func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://elsewhere.example.org/")
			w.WriteHeader(302)
		}, pms.ClassTerminal, "redirect"},
		"rejected": {func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `{"errors":[{"errorCode":"KER-ATH-401","message":"bad s3cr3t"}]}`)
		}, pms.ClassAuth, "KER-ATH-401"},
		"garbage cookie": {func(w http.ResponseWriter) {
			w.Header().Add("Set-Cookie", "Authorization=abc!def; Path=/")
			_, _ = io.WriteString(w, `{}`)
		}, pms.ClassRetryable, "not a bearer token"},
	} {
		s, _ := amStub(t, c.answer)
		am, _ := pms.NewAuthManager(pms.AuthManagerConfig{URL: s.URL + "/v1/authmanager", AppID: "partner", ClientID: "c", SecretKey: "s3cr3t"})
		_, err := am.Token(ctx(t))
		if err == nil || pms.ClassOf(err) != c.class || !strings.Contains(pms.Describe(err), c.want) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: %v (%v) / %s", name, err, pms.ClassOf(err), pms.Describe(err))
		}
	}
}
