package pms_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/fakepms"
	"github.com/openg2p/esignet-operator/internal/pms"
	"github.com/openg2p/esignet-operator/test/consumers"
)

// What DefaultPolicy yields with the default identity and amr-acr mappings.
var (
	policyClaims = []string{"address", "birthdate", "email", "gender", "individual_id", "name", "phone_number", "picture"}
	policyACRs   = []string{"mosip:idp:acr:biometrics", "mosip:idp:acr:generated-code", "mosip:idp:acr:linked-wallet"}
	esignetPaths = map[pms.Generation]string{
		pms.GenerationOIDC: "/v1/esignet/client-mgmt/oidc-client", pms.GenerationOAuth: "/v1/esignet/client-mgmt/oauth-client",
		pms.GenerationOIDCClients: "/v1/esignet/client-mgmt/client",
	}
)

func sorted(v []string) []string {
	out := slices.Clone(v)
	sort.Strings(out)
	return out
}

// TestLifecycleThroughPMS: create, read back (claims and ACRs from the policy), update,
// deactivate, deactivate again, update an inactive client and create the same key again, on each
// generation; the client really exists at the fake eSignet throughout.
func TestLifecycleThroughPMS(t *testing.T) {
	w := startWorld(t, nil)
	for _, g := range generations {
		t.Run(string(g), func(t *testing.T) {
			c := w.admin(g)
			k := newKey(t)
			d := detail(t, k)
			if g == pms.GenerationOIDCClients {
				d.NameLangMap = map[string]string{"eng": "OpenG2P Social Registry", "fra": "Registre social OpenG2P"}
				d.AdditionalConfig = json.RawMessage(`{"userinfo_response_type":"JWS","consent_expire_in_mins":15}`)
			}
			res, err := c.Create(ctx(t), d)
			if err != nil {
				t.Fatal(err, "\n", pms.Describe(err))
			}
			want, _ := pms.ClientID(d.PublicKey)
			if res.ClientID != want || res.DerivedClientID != want || res.Status != pms.StatusActive {
				t.Fatalf("create %+v, derived %s", res, want)
			}
			at, ok := w.es.Client(res.ClientID)
			if !ok || at.RelyingPartyID != fakepms.DefaultPartnerID || !slices.Equal(sorted(at.UserClaims), policyClaims) ||
				!slices.Equal(sorted(at.AuthContextRefs), policyACRs) || at.CreatedVia != esignetPaths[g] || at.Status != "ACTIVE" {
				t.Fatalf("at eSignet: %+v", at)
			}

			got, err := c.Get(ctx(t), res.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != d.Name || got.PolicyID != fakepms.DefaultPolicyID || got.PolicyName == "" ||
				got.AuthPartnerID != fakepms.DefaultPartnerID || !slices.Equal(sorted(got.UserClaims), policyClaims) ||
				!slices.Equal(sorted(got.AuthContextRefs), policyACRs) || got.Status != pms.StatusActive ||
				!slices.Equal(got.RedirectURIs, d.RedirectURIs) {
				t.Fatalf("read back %+v", got)
			}
			if again, _ := pms.ClientID(got.PublicKey); again != res.ClientID {
				t.Fatalf("read-back key has id %s", again)
			}
			if g != pms.GenerationOIDC && got.NameLangMap["eng"] != "OpenG2P Social Registry" {
				t.Fatalf("name map %v", got.NameLangMap)
			}
			if g == pms.GenerationOIDCClients && (got.NameLangMap["fra"] == "" || !strings.Contains(string(got.AdditionalConfig), "JWS")) {
				t.Fatalf("V2 read back %v %s", got.NameLangMap, got.AdditionalConfig)
			}

			d.ClientID, d.Name = res.ClientID, "OpenG2P SR"
			d.RedirectURIs = []string{"https://socialregistry.example.org/auth_oauth/signin", "https://sr.example.org/cb"}
			if g != pms.GenerationOIDC {
				d.NameLangMap = map[string]string{"eng": "OpenG2P SR"}
			}
			if _, err := c.Update(ctx(t), d); err != nil {
				t.Fatal(err)
			}
			got, _ = c.Get(ctx(t), res.ClientID)
			at, _ = w.es.Client(res.ClientID)
			if got.Name != "OpenG2P SR" || len(got.RedirectURIs) != 2 || len(at.RedirectURIs) != 2 || at.ClientName != "OpenG2P SR" ||
				!slices.Equal(sorted(got.UserClaims), policyClaims) {
				t.Fatalf("after update: PMS %+v, eSignet %+v", got, at)
			}

			if r, err := c.Deactivate(ctx(t), res.ClientID); err != nil || r.Status != pms.StatusInactive {
				t.Fatalf("deactivate: %+v %v", r, err)
			}
			got, _ = c.Get(ctx(t), res.ClientID)
			at, _ = w.es.Client(res.ClientID)
			if got.Status != pms.StatusInactive || at.Status != "INACTIVE" {
				t.Fatalf("after deactivate: PMS %s, eSignet %s", got.Status, at.Status)
			}
			if _, err := c.Deactivate(ctx(t), res.ClientID); err != nil {
				t.Fatalf("deactivating an inactive client: %v", err)
			}
			if _, err := c.Update(ctx(t), d); !pms.IsInactive(err) || pms.ClassOf(err) != pms.ClassTerminal {
				t.Fatalf("update of an inactive client: %v", err)
			}
			d.ClientID = ""
			if _, err := c.Create(ctx(t), d); err == nil {
				t.Fatal("second create of the same key")
			} else if id, ok := pms.AlreadyCreated(err); !ok || id != res.ClientID || pms.ClassOf(err) != pms.ClassConflict {
				t.Fatalf("second create: %v", err)
			}
		})
	}
}

// TestLostCreateAnswer: PMS creates the client but the answer never arrives; the retry's
// PMS_ESI_001 names the operator's own client, which exists once at PMS and at eSignet.
func TestLostCreateAnswer(t *testing.T) {
	w := startWorld(t, nil)
	for _, g := range generations {
		t.Run(string(g), func(t *testing.T) {
			c := w.admin(g)
			d := detail(t, newKey(t))
			w.pms.InjectFault(fakepms.Fault{Method: http.MethodPost, PathPrefix: "/v1/partnermanager/", LoseAnswer: true, Times: 1})
			_, err := c.Create(ctx(t), d)
			if err == nil || pms.ClassOf(err) != pms.ClassRetryable || pms.Describe(err) != "connection failed" {
				t.Fatalf("lost answer: %v / %s", err, pms.Describe(err))
			}
			_, err = c.Create(ctx(t), d)
			id, ok := pms.AlreadyCreated(err)
			want, _ := pms.ClientID(d.PublicKey)
			if !ok || id != want {
				t.Fatalf("retry: %v (id %q, want %q)", err, id, want)
			}
			if got, err := c.Get(ctx(t), id); err != nil || got.Status != pms.StatusActive {
				t.Fatalf("get %v %v", got, err)
			}
			if _, ok := w.es.Client(id); !ok {
				t.Fatal("not at eSignet")
			}
			n := 0
			for _, rec := range w.pms.Clients() {
				if rec.ClientID == id {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d PMS records", n)
			}
		})
	}
}

// TestRequestTimeOfAnotherDay: /oidc-clients wants today's UTC date; a client whose clock says
// yesterday gets a retryable error.
func TestRequestTimeOfAnotherDay(t *testing.T) {
	w := startWorld(t, nil)
	tok, _ := esignet.NewClientCredentials(esignet.ClientCredentialsConfig{TokenURL: w.es.ManagementTokenURL(),
		ClientID: fakepms.DefaultCallerID, ClientSecret: callerSecret})
	c, err := pms.New(pms.Config{BaseURL: w.pms.BaseURL(), Generation: pms.GenerationOIDCClients, Token: tok,
		AllowInsecureHTTP: true, Now: func() time.Time { return time.Now().Add(-48 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(ctx(t), detail(t, newKey(t)))
	if pms.ReasonOf(err) != pms.ReasonRequestTime || pms.ClassOf(err) != pms.ClassRetryable || !strings.Contains(pms.Describe(err), "PMS_REQUEST_ERROR_006") {
		t.Fatalf("%v", err)
	}
}

// TestClaimsFollowESignetsClaimsSupported: PMS keeps only the claims eSignet's discovery lists.
func TestClaimsFollowESignetsClaimsSupported(t *testing.T) {
	cfg := fakepms.DefaultConfig()
	es := fakeesignet.StartTest(t, fakeesignet.Options{ManagementClients: cfg.ManagementClients(), Claims: []string{"name", "email", "picture"}})
	fp := fakepms.StartTest(t, cfg.Options(es.URL(), nil))
	w := &world{t: t, es: es, pms: fp, cfg: cfg}
	c := w.admin(pms.GenerationOAuth)
	res, err := c.Create(ctx(t), detail(t, newKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.Get(ctx(t), res.ClientID)
	if !slices.Equal(sorted(got.UserClaims), []string{"email", "name", "picture"}) {
		t.Fatalf("claims %v", got.UserClaims)
	}
}

// TestPythonJoseLoginWithAClientCreatedThroughPMS: the client PMS created (id, claims, ACRs all
// PMS's) logs in at the fake eSignet with python-jose signing the assertion.
func TestPythonJoseLoginWithAClientCreatedThroughPMS(t *testing.T) {
	w := startWorld(t, nil)
	for _, g := range []pms.Generation{pms.GenerationOAuth, pms.GenerationOIDCClients} {
		t.Run(string(g), func(t *testing.T) {
			k := newKey(t)
			d := detail(t, k)
			res, err := w.admin(g).Create(ctx(t), d)
			if err != nil {
				t.Fatal(err)
			}
			var disc struct {
				Issuer, AuthorizationEndpoint, TokenEndpoint, JWKSURI, UserinfoEndpoint string
			}
			getDiscovery(t, w.es.ServiceURL()+"/oidc/.well-known/openid-configuration", &disc)
			jwk, err := k.PrivateJWK()
			if err != nil {
				t.Fatal(err)
			}
			out, err := consumers.Login(t, consumers.LoginRequest{
				Form: consumers.KeyJWKObject, Key: consumers.KeyJSON(consumers.KeyJWKObject, jwk), ClientID: res.ClientID,
				AuthorizeEndpoint: disc.AuthorizationEndpoint, TokenEndpoint: disc.TokenEndpoint, JWKSURI: disc.JWKSURI,
				UserinfoEndpoint: disc.UserinfoEndpoint, RedirectURI: d.RedirectURIs[0], Issuer: disc.Issuer,
				Scope: "openid profile email", ACRValues: strings.Join(policyACRs, " "), AddJTI: true,
			})
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			acr, _ := out.IDTokenClaims["acr"].(string)
			if out.IDTokenClaims["aud"] != res.ClientID || acr == "" || !slices.Contains(policyACRs, strings.Fields(acr)[0]) {
				t.Fatalf("id token %v", out.IDTokenClaims)
			}
			if out.UserinfoClaims["name"] == nil {
				t.Fatalf("userinfo %v", out.UserinfoClaims)
			}
		})
	}
}

func getDiscovery(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"Issuer": m["issuer"], "AuthorizationEndpoint": m["authorization_endpoint"],
		"TokenEndpoint": m["token_endpoint"], "JWKSURI": m["jwks_uri"], "UserinfoEndpoint": m["userinfo_endpoint"]})
	_ = json.Unmarshal(b, v)
}
