package fakepms

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

func TestDerivation(t *testing.T) {
	h := start(t, func(o *Options) {
		o.ClaimsMapping = map[string][]string{"name": {"fullName"}, "email": {"EMAIL"}, "nickname": {"alias"}}
		o.AuthFactors = map[string][]string{"mosip:idp:acr:generated-code": {"otp"}, "mosip:idp:acr:knowledge": {"KBI"}}
		o.Policies = []Policy{{ID: DefaultPolicyID, KycAttributes: []string{"FULLNAME", "email", "alias"},
			AuthTypes: []AuthType{{AuthType: "OTP"}, {AuthType: "kbi"}, {AuthType: "bio"}}}}
	})
	id := clientIDOf(t, h.send(http.MethodPost, genV3.path(), createBody(t, genV3), nil))
	rec, _ := h.pms.Client(id)
	// nickname is not in eSignet's claims_supported: PMS drops it.
	if !slices.Equal(rec.UserClaims, []string{"email", "name"}) ||
		!slices.Equal(rec.AuthContextRefs, []string{"mosip:idp:acr:generated-code", "mosip:idp:acr:knowledge"}) {
		t.Fatalf("derived %v %v", rec.UserClaims, rec.AuthContextRefs)
	}
	at, _ := h.es.Client(id)
	if !slices.Equal(at.UserClaims, rec.UserClaims) || at.RelyingPartyID != DefaultPartnerID {
		t.Fatalf("eSignet %+v", at)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(rec.PublicKey); err != nil {
		t.Fatal(err)
	}
	if again, _ := clientID(rec.PublicKey); again != id || len(id) != 43 {
		t.Fatalf("id %s vs %s", id, again)
	}
}

// TestLegacyStatusChange: a legacy PUT that changes the status changes nothing else, and
// eSignet gets the stored name (for a name map, its JSON text), as PMS does.
func TestLegacyStatusChange(t *testing.T) {
	h := start(t, nil)
	id := clientIDOf(t, h.send(http.MethodPost, genOAuth.path(), createBody(t, genOAuth), nil))
	put := map[string]any{"id": idUpdate, "version": "1.0", "requesttime": today(), "metadata": nil, "request": map[string]any{
		"logoUri": "https://other.example.org/l.png", "redirectUris": []string{"https://other.example.org/cb"}, "status": "inactive",
		"grantTypes": []string{"authorization_code"}, "clientName": "Other", "clientAuthMethods": []string{"private_key_jwt"},
		"clientNameLangMap": map[string]string{"eng": "Other"}}}
	a := h.send(http.MethodPut, genOAuth.path()+"/"+id, put, nil)
	if a.status != 200 || a.code() != "" || !strings.Contains(string(a.body["response"]), "INACTIVE") {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	rec, _ := h.pms.Client(id)
	at, _ := h.es.Client(id)
	if rec.Status != "INACTIVE" || rec.LogoURI != "https://openg2p.example.org/logo.png" || at.Status != "INACTIVE" ||
		!strings.Contains(at.ClientName, `"@none"`) {
		t.Fatalf("PMS %+v\neSignet %+v", rec, at)
	}
	if a := h.send(http.MethodPut, genOAuth.path()+"/"+id, put, nil); a.code() != "PMS_ESI_008" {
		t.Fatalf("second PUT: %s", a.raw)
	}
}

// TestUpdateIgnoresESignetErrors: PMS does not look at eSignet's answer to an update, so PMS
// records what eSignet refused.
func TestUpdateIgnoresESignetErrors(t *testing.T) {
	h := start(t, nil)
	id := clientIDOf(t, h.send(http.MethodPost, genV3.path(), createBody(t, genV3), nil))
	put := map[string]any{"id": idUpdate, "version": "1.0", "requestTime": today(), "request": map[string]any{
		"logoUri": "https://openg2p.example.org/logo.png", "redirectUris": []string{"https://app.internal/cb"}, "status": "ACTIVE",
		"grantTypes": []string{"authorization_code"}, "clientName": "OpenG2P", "clientAuthMethods": []string{"private_key_jwt"},
		"clientNameLangMap": map[string]string{"eng": "OpenG2P"}}}
	if a := h.send(http.MethodPut, genV3.path()+"/"+id, put, nil); a.status != 200 || a.code() != "" {
		t.Fatalf("%s", a.raw)
	}
	rec, _ := h.pms.Client(id)
	at, _ := h.es.Client(id)
	if rec.RedirectURIs[0] != "https://app.internal/cb" || at.RedirectURIs[0] != "https://openg2p.example.org/cb" {
		t.Fatalf("PMS %v, eSignet %v", rec.RedirectURIs, at.RedirectURIs)
	}
}

// TestCreateWithoutNameMapOnOIDCClients: PMS 1.3 fails after eSignet created the client; the
// retry then meets eSignet's duplicate.
func TestCreateWithoutNameMapOnOIDCClients(t *testing.T) {
	h := start(t, nil)
	body := createBody(t, genV3)
	delete(body["request"].(map[string]any), "clientNameLangMap")
	if a := h.send(http.MethodPost, genV3.path(), body, nil); a.code() != "PMS_POLICY_ERROR_013" {
		t.Fatalf("%s", a.raw)
	}
	if len(h.pms.Clients()) != 0 || len(h.es.Clients()) != 1 {
		t.Fatalf("PMS %d, eSignet %d", len(h.pms.Clients()), len(h.es.Clients()))
	}
	if a := h.send(http.MethodPost, genV3.path(), body, nil); a.code() != "duplicate_client_id" {
		t.Fatalf("retry: %s", a.raw)
	}
}

func TestDeactivatePatch(t *testing.T) {
	h := start(t, nil)
	id := clientIDOf(t, h.send(http.MethodPost, genV3.path(), createBody(t, genV3), nil))
	patch := func(status string) answer {
		return h.send(http.MethodPatch, genV3.path()+"/"+id, map[string]any{"id": idDeactivate, "version": "1.0",
			"requestTime": today(), "request": map[string]any{"status": status}}, nil)
	}
	if a := patch("ACTIVE"); a.code() != "PMS_POLICY_ERROR_024" {
		t.Fatalf("%s", a.raw)
	}
	if a := patch("inactive"); a.code() != "" || string(a.body["id"]) != `"`+idDeactivate+`"` {
		t.Fatalf("%s", a.raw)
	}
	if at, _ := h.es.Client(id); at.Status != "INACTIVE" || at.ClientName != "OpenG2P" {
		t.Fatalf("eSignet %+v", at)
	}
	if a := patch("INACTIVE"); a.code() != "PMS_ESI_008" {
		t.Fatalf("%s", a.raw)
	}
}

func TestFaultsAndInspection(t *testing.T) {
	h := start(t, nil)
	h.pms.InjectFault(Fault{Method: http.MethodPost, PathPrefix: basePath, LoseAnswer: true, Times: 1})
	raw, _ := json.Marshal(createBody(t, genV3))
	req, _ := http.NewRequest(http.MethodPost, h.pms.BaseURL()+"/oidc-clients", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Cookie", "Authorization="+h.token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the answer was not lost")
	}
	if len(h.pms.Clients()) != 1 || len(h.es.Clients()) != 1 {
		t.Fatal("a lost answer must still create the client")
	}
	h.pms.InjectFault(Fault{PathPrefix: basePath, Status: 502, Body: "<html>bad gateway</html>"})
	if a := h.send(http.MethodGet, genV3.path()+"/x", nil, nil); a.status != 502 {
		t.Fatalf("status fault: %d", a.status)
	}
	h.pms.ClearFaults()
	a := h.send(http.MethodGet, fakePath+"/clients", nil, nil)
	var list []ClientRecord
	if err := json.Unmarshal(a.raw, &list); err != nil || len(list) != 1 {
		t.Fatalf("inspection: %s", a.raw)
	}
	if a := h.send(http.MethodGet, fakePath+"/clients/"+list[0].ClientID, nil, nil); a.status != 200 {
		t.Fatal("one client")
	}
	if a := h.send(http.MethodGet, fakePath+"/clients/nope", nil, nil); a.status != 404 {
		t.Fatal("unknown client")
	}
	if h.pms.Counters()["POST "+basePath+"/oidc-clients"] != 1 {
		t.Fatalf("counters %v", h.pms.Counters())
	}
}

func TestAuthManagerEndpoint(t *testing.T) {
	h := start(t, func(o *Options) { o.AppIDs = []string{"partner"} })
	login := func(secret, app, rt string) answer {
		return h.send(http.MethodPost, authManagerPath+"/authenticate/clientidsecretkey", map[string]any{
			"requesttime": rt, "metadata": map[string]any{},
			"request": map[string]string{"clientId": DefaultCallerID, "secretKey": secret, "appId": app}},
			func(r *http.Request) { r.Header.Del("Authorization"); r.Header.Del("Cookie") })
	}
	a := login("fake-pms-operator-secret", "partner", today())
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == "Authorization" {
			cookie = c
		}
	}
	if a.status != 200 || cookie == nil || cookie.MaxAge <= 0 || !strings.Contains(string(a.body["response"]), "Success") {
		t.Fatalf("login: %d %s %v", a.status, a.raw, a.header)
	}
	h.token = cookie.Value
	if a := h.send(http.MethodPost, genV3.path(), createBody(t, genV3), nil); a.status != 200 || a.code() != "" {
		t.Fatalf("the cookie token is refused: %s", a.raw)
	}
	for name, c := range map[string]struct{ secret, app, rt, code string }{
		"wrong secret": {"nope", "partner", today(), "KER-ATH-401"},
		"wrong app":    {"fake-pms-operator-secret", "ida", today(), "KER-ATH-007"},
		"blank app":    {"fake-pms-operator-secret", " ", today(), "KER-ATH-007"},
	} {
		if a := login(c.secret, c.app, c.rt); a.code() != c.code || a.header.Get("Set-Cookie") != "" {
			t.Errorf("%s: %s", name, a.raw)
		}
	}
	if a := login("x", "partner", "yesterday"); a.status != 400 {
		t.Errorf("bad requesttime: %d", a.status)
	}
}

func TestConfig(t *testing.T) {
	c, err := LoadConfig("default")
	if err != nil || c.Validate() != nil {
		t.Fatal(err)
	}
	mcs := c.ManagementClients()
	if len(mcs) != 2 || !slices.Contains(mcs[0].Scopes, "add_oidc_client") || !slices.Contains(mcs[1].Roles, "PARTNER_ADMIN") {
		t.Fatalf("%+v", mcs)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"esignetClient":{"id":"a","secret":"b"},"partnerz":[]}`), 0o600)
	if _, err := LoadConfig(bad); err == nil {
		t.Fatal("unknown member accepted")
	}
	good := filepath.Join(dir, "good.json")
	raw, _ := json.Marshal(DefaultConfig())
	_ = os.WriteFile(good, raw, 0o600)
	if got, err := LoadConfig(good); err != nil || len(got.Policies) != 1 || len(got.Policies[0].AuthTypes) != 4 {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []Config{{ESignetClient: Credentials{ID: "a"}}, {Release: "2.0", ESignetClient: Credentials{ID: "a", Secret: "b"}},
		{ESignetClient: Credentials{ID: "a", Secret: "b"}, Callers: []Caller{{ID: "x"}}}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestInProcessESignet: HandlerClient reaches a fake eSignet without a network, as
// cmd/fake-esignet --pms serves both.
func TestInProcessESignet(t *testing.T) {
	cfg := DefaultConfig()
	es := fakeesignet.New(fakeesignet.Options{ManagementClients: cfg.ManagementClients()})
	es.SetURL("https://127.0.0.1:1") // never dialled
	h := &harness{t: t, es: es, cfg: cfg, pms: StartTest(t, cfg.Options(es.URL(), HandlerClient(es)))}
	h.token = h.tokenWith("PARTNER_ADMIN", "AUTH_PARTNER")
	id := clientIDOf(t, h.send(http.MethodPost, genV3.path(), createBody(t, genV3), nil))
	if _, ok := es.Client(id); !ok {
		t.Fatal("not forwarded")
	}
}
