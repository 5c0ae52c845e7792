package pms_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/pms"
)

// recorded is one request a stub PMS received.
type recorded struct {
	method, path string
	header       http.Header
	body         map[string]json.RawMessage
}

// stub is a PMS that records requests and answers with answer.
type stub struct {
	mu     sync.Mutex
	reqs   []recorded
	answer func(r recorded) (int, string)
	srv    *httptest.Server
}

func newStub(t *testing.T, answer func(r recorded) (int, string)) *stub {
	s := &stub{answer: answer}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		rec := recorded{method: r.Method, path: r.URL.EscapedPath(), header: r.Header.Clone()}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &rec.body); err != nil {
				t.Errorf("body is not a JSON object: %s", raw)
			}
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		s.mu.Unlock()
		status, body := s.answer(rec)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

func (s *stub) client(t *testing.T, g pms.Generation, tok esignet.TokenSource, now time.Time) *pms.Client {
	t.Helper()
	c, err := pms.New(pms.Config{BaseURL: s.srv.URL + "/v1/partnermanager/", Generation: g, Token: tok,
		AllowInsecureHTTP: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const stubID = "fm0FXlqSPLGKVjdtE6_VPmgXClq5GZlJKS6sX6_-Ibw"

func okAnswer(status string) string {
	return `{"id":null,"version":null,"responsetime":"2026-01-01T00:00:00.000Z","metadata":null,"response":{"clientId":"` +
		stubID + `","status":"` + status + `"},"errors":[]}`
}

// detailAnswer is GET's ClientDetail; on oauth PMS answers the stored name map's JSON text.
func detailAnswer(g pms.Generation, status string) string {
	name := `"Social Registry"`
	if g == pms.GenerationOAuth {
		name = `"{\"eng\":\"Social Registry\",\"@none\":\"Social Registry\"}"`
	}
	langs := `null`
	if g == pms.GenerationOIDCClients {
		langs = `{"eng":"Social Registry"}`
	}
	return `{"response":{"id":"` + stubID + `","name":` + name + `,"policyId":"pol","policyName":"Policy",` +
		`"relyingPartyId":"partner","logoUri":"https://x.example.org/l.png","redirectUris":["https://x.example.org/cb"],` +
		`"publicKey":"{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"abc\"}","claims":["name","email"],` +
		`"acrValues":["mosip:idp:acr:generated-code"],"status":"` + status + `","grantTypes":["authorization_code"],` +
		`"clientAuthMethods":["private_key_jwt"],"clientNameLangMap":` + langs + `},"errors":[]}`
}

func keysOf(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func members(t *testing.T, raw json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("request is not an object: %s", raw)
	}
	return m
}

// TestWirePerGeneration pins paths, methods, envelopes, DTO members and credentials of every
// call on every generation.
func TestWirePerGeneration(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	type want struct {
		createPath, itemPath, timeKey string
		create, update                []string
		deactivate                    []string // method sequence
	}
	v1Create := []string{"authPartnerId", "clientAuthMethods", "grantTypes", "logoUri", "name", "policyId", "publicKey", "redirectUris"}
	v1Update := []string{"clientAuthMethods", "clientName", "grantTypes", "logoUri", "redirectUris", "status"}
	wants := map[pms.Generation]want{
		pms.GenerationOIDC: {"/v1/partnermanager/oidc/client", "/v1/partnermanager/oidc/client/" + stubID, "requesttime",
			v1Create, v1Update, []string{"GET", "PUT"}},
		pms.GenerationOAuth: {"/v1/partnermanager/oauth/client", "/v1/partnermanager/oauth/client/" + stubID, "requesttime",
			append(slices.Clone(v1Create), "clientNameLangMap"), append(slices.Clone(v1Update), "clientNameLangMap"), []string{"GET", "PUT"}},
		pms.GenerationOIDCClients: {"/v1/partnermanager/oidc-clients", "/v1/partnermanager/oidc-clients/" + stubID, "requestTime",
			append(slices.Clone(v1Create), "additionalConfig", "clientNameLangMap"),
			append(slices.Clone(v1Update), "additionalConfig", "clientNameLangMap"), []string{"PATCH"}},
	}
	for _, g := range generations {
		t.Run(string(g), func(t *testing.T) {
			w := wants[g]
			s := newStub(t, func(r recorded) (int, string) {
				if r.method == http.MethodGet {
					return 200, detailAnswer(g, "ACTIVE")
				}
				return 200, okAnswer("ACTIVE")
			})
			c := s.client(t, g, esignet.NewStaticToken("tok.en-123"), now)
			d := detail(t, newKey(t))
			if g == pms.GenerationOIDCClients {
				d.AdditionalConfig = json.RawMessage(`{"userinfo_response_type":"JWS","consent_expire_in_mins":15}`)
			}
			res, err := c.Create(ctx(t), d)
			if err != nil {
				t.Fatal(err)
			}
			if res.ClientID != stubID || res.Status != pms.StatusActive || len(res.DerivedClientID) != 43 {
				t.Fatalf("create result %+v", res)
			}
			d.ClientID = stubID
			if _, err := c.Update(ctx(t), d); err != nil {
				t.Fatal(err)
			}
			got, err := c.Get(ctx(t), stubID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Social Registry" || got.AuthPartnerID != "partner" || string(got.PublicKey) != `{"kty":"RSA","e":"AQAB","n":"abc"}` ||
				!slices.Equal(got.UserClaims, []string{"name", "email"}) || got.Status != pms.StatusActive {
				t.Fatalf("read back %+v", got)
			}
			if g != pms.GenerationOIDC && got.NameLangMap["eng"] != "Social Registry" {
				t.Fatalf("name map %v", got.NameLangMap)
			}
			if _, err := c.Deactivate(ctx(t), stubID); err != nil {
				t.Fatal(err)
			}
			reqs := s.requests()
			var methods []string
			for _, r := range reqs[3:] {
				methods = append(methods, r.method)
			}
			if !slices.Equal(methods, w.deactivate) {
				t.Fatalf("deactivate sent %v, want %v", methods, w.deactivate)
			}
			checkRequest(t, reqs[0], "POST", w.createPath, w.timeKey, pms.RequestIDCreate, w.create, now)
			checkRequest(t, reqs[1], "PUT", w.itemPath, w.timeKey, pms.RequestIDUpdate, w.update, now)
			checkRequest(t, reqs[2], "GET", w.itemPath, "", "", nil, now)
			last := reqs[len(reqs)-1]
			if g == pms.GenerationOIDCClients {
				checkRequest(t, last, "PATCH", w.itemPath, w.timeKey, pms.RequestIDDeactivate, []string{"status"}, now)
			} else {
				checkRequest(t, last, "PUT", w.itemPath, w.timeKey, pms.RequestIDDeactivate,
					slices.DeleteFunc(slices.Clone(w.update), func(s string) bool { return s == "additionalConfig" }), now)
				m := members(t, last.body["request"])
				if string(m["clientName"]) != `"Social Registry"` || string(m["redirectUris"]) != `["https://x.example.org/cb"]` {
					t.Errorf("deactivating PUT is not built from the read-back: %v", m)
				}
			}
			if string(members(t, last.body["request"])["status"]) != `"INACTIVE"` {
				t.Errorf("deactivate status: %s", last.body["request"])
			}
			create := members(t, reqs[0].body["request"])
			if string(create["grantTypes"]) != `["authorization_code"]` || string(create["clientAuthMethods"]) != `["private_key_jwt"]` {
				t.Errorf("defaults: %s %s", create["grantTypes"], create["clientAuthMethods"])
			}
			if g != pms.GenerationOIDC && string(create["clientNameLangMap"]) != `{"eng":"OpenG2P Social Registry"}` {
				t.Errorf("name map default: %s", create["clientNameLangMap"])
			}
			if status := string(members(t, reqs[1].body["request"])["status"]); status != `"ACTIVE"` {
				t.Errorf("update status %s", status)
			}
		})
	}
}

var requestTimeRE = regexp.MustCompile(`^"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"$`)

func checkRequest(t *testing.T, r recorded, method, path, timeKey, id string, dto []string, now time.Time) {
	t.Helper()
	if r.method != method || r.path != path {
		t.Errorf("%s %s, want %s %s", r.method, r.path, method, path)
	}
	if r.header.Get("Authorization") != "Bearer tok.en-123" || r.header.Get("Cookie") != "Authorization=tok.en-123" {
		t.Errorf("%s %s: credentials %q / %q", method, path, r.header.Get("Authorization"), r.header.Get("Cookie"))
	}
	if method == http.MethodGet {
		if r.body != nil || r.header.Get("Content-Type") != "" {
			t.Errorf("GET with a body")
		}
		return
	}
	if r.header.Get("Content-Type") != "application/json" {
		t.Errorf("content type %q", r.header.Get("Content-Type"))
	}
	wantEnv := []string{"id", "metadata", "request", timeKey, "version"}
	sort.Strings(wantEnv)
	if got := keysOf(r.body); !slices.Equal(got, wantEnv) {
		t.Errorf("%s %s envelope %v, want %v", method, path, got, wantEnv)
	}
	if tm := string(r.body[timeKey]); !requestTimeRE.MatchString(tm) || tm != `"`+now.Format("2006-01-02T15:04:05.000Z")+`"` {
		t.Errorf("%s = %s", timeKey, tm)
	}
	if string(r.body["id"]) != `"`+id+`"` || string(r.body["version"]) != `"1.0"` || string(r.body["metadata"]) != `{}` {
		t.Errorf("id %s version %s metadata %s", r.body["id"], r.body["version"], r.body["metadata"])
	}
	want := slices.Clone(dto)
	sort.Strings(want)
	if got := keysOf(members(t, r.body["request"])); !slices.Equal(got, want) {
		t.Errorf("%s %s request members %v, want %v", method, path, got, want)
	}
}

// TestDeactivateAlreadyInactive: PMS_ESI_008 and an INACTIVE read-back both mean done.
func TestDeactivateAlreadyInactive(t *testing.T) {
	inactive := `{"response":null,"errors":[{"errorCode":"PMS_ESI_008","message":"Client already deactivated."}]}`
	for _, g := range generations {
		// The read-back says ACTIVE, PMS then says already inactive (a race with someone else).
		s := newStub(t, func(r recorded) (int, string) {
			if r.method == http.MethodGet {
				return 200, detailAnswer(g, "ACTIVE")
			}
			return 200, inactive
		})
		c := s.client(t, g, esignet.NewStaticToken("t"), time.Now())
		res, err := c.Deactivate(ctx(t), stubID)
		if err != nil || res.Status != pms.StatusInactive || res.ClientID != stubID {
			t.Fatalf("%s: %+v %v", g, res, err)
		}
		// Updating it is an error the caller can tell.
		d := detail(t, newKey(t))
		d.ClientID = stubID
		_, err = c.Update(ctx(t), d)
		if !pms.IsInactive(err) || pms.ReasonOf(err) != pms.ReasonClientInactive {
			t.Fatalf("%s update: %v", g, err)
		}
	}
	// Legacy: an INACTIVE read-back needs no PUT at all.
	s := newStub(t, func(recorded) (int, string) { return 200, detailAnswer(pms.GenerationOAuth, "INACTIVE") })
	if _, err := s.client(t, pms.GenerationOAuth, esignet.NewStaticToken("t"), time.Now()).Deactivate(ctx(t), stubID); err != nil {
		t.Fatal(err)
	}
	if n := len(s.requests()); n != 1 {
		t.Fatalf("%d requests for an inactive client", n)
	}
}

// TestRefusedBeforeAnyRequest: what a generation cannot carry, and bad input, never reach PMS.
func TestRefusedBeforeAnyRequest(t *testing.T) {
	s := newStub(t, func(recorded) (int, string) { return 200, okAnswer("ACTIVE") })
	k := newKey(t)
	priv, _ := k.PrivateJWK()
	cases := []struct {
		name string
		g    pms.Generation
		edit func(*pms.ClientDetail)
		want error
	}{
		{"name map on oidc", pms.GenerationOIDC, func(d *pms.ClientDetail) { d.NameLangMap = map[string]string{"eng": "x"} }, pms.ErrUnsupported},
		{"additionalConfig on oauth", pms.GenerationOAuth, func(d *pms.ClientDetail) { d.AdditionalConfig = json.RawMessage(`{"userinfo_response_type":"JWS"}`) }, pms.ErrUnsupported},
		{"require_pkce PMS drops", pms.GenerationOIDCClients, func(d *pms.ClientDetail) { d.AdditionalConfig = json.RawMessage(`{"require_pkce":true}`) }, pms.ErrUnsupported},
		{"additionalConfig not an object", pms.GenerationOIDCClients, func(d *pms.ClientDetail) { d.AdditionalConfig = json.RawMessage(`[1]`) }, nil},
		{"private key", pms.GenerationOAuth, func(d *pms.ClientDetail) { d.PublicKey = priv }, nil},
		{"no partner", pms.GenerationOAuth, func(d *pms.ClientDetail) { d.AuthPartnerID = "" }, nil},
		{"no policy", pms.GenerationOAuth, func(d *pms.ClientDetail) { d.PolicyID = "" }, nil},
	}
	for _, c := range cases {
		d := detail(t, k)
		c.edit(&d)
		_, err := s.client(t, c.g, esignet.NewStaticToken("t"), time.Now()).Create(ctx(t), d)
		var ie *pms.InputError
		switch {
		case err == nil:
			t.Errorf("%s: accepted", c.name)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: %v", c.name, err)
		case c.want == nil && !errors.As(err, &ie):
			t.Errorf("%s: %T %v", c.name, err, err)
		}
		if strings.Contains(err.Error(), `"d"`) && c.name == "private key" {
			t.Errorf("private key echoed: %v", err)
		}
	}
	c := s.client(t, pms.GenerationOIDCClients, esignet.NewStaticToken("t"), time.Now())
	for _, id := range []string{"", "a/b", "..", "a b", strings.Repeat("x", 101)} {
		if _, err := c.Get(ctx(t), id); err == nil {
			t.Errorf("Get(%q) accepted", id)
		}
		if _, err := c.Deactivate(ctx(t), id); err == nil {
			t.Errorf("Deactivate(%q) accepted", id)
		}
	}
	if n := len(s.requests()); n != 0 {
		t.Fatalf("%d requests reached PMS", n)
	}
}
