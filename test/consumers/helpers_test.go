package consumers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

const (
	mgmtID     = "mosip-pms-client"
	mgmtSecret = "pms-secret"
	// acrValues and claimsJSON are what OpenG2P's seeds send (CONSUMERS.md §4).
	acrValues  = "mosip:idp:acr:generated-code mosip:idp:acr:biometrics mosip:idp:acr:linked-wallet"
	claimsJSON = `{"userinfo":{"name":{"essential":true},"phone_number":{"essential":false},` +
		`"email":{"essential":false},"gender":{"essential":true},"birthdate":{"essential":true},` +
		`"address":{"essential":false},"picture":{"essential":false},"individual_id":{"essential":false}},"id_token":{}}`
)

// fakeAPI pairs a fake generation with the client-management API it speaks.
var fakeAPI = map[string]esignet.APIVersion{
	"v1.5": esignet.V1_5, "v1.6": esignet.V1_6, "v1.7": esignet.V1_7, "v1.8": esignet.V1_8,
}

// idp is a started fake eSignet with its endpoints as discovery states them.
type idp struct {
	fake                                     *fakeesignet.Server
	api                                      esignet.APIVersion
	issuer, authorize, token, jwks, userinfo string
}

func startIDP(t *testing.T, opts fakeesignet.Options) *idp {
	t.Helper()
	opts.ManagementClients = []fakeesignet.ManagementClient{
		{ID: mgmtID, Secret: mgmtSecret, Scopes: []string{"add_oidc_client", "update_oidc_client"}}}
	gen := opts.Generation
	if gen == "" {
		gen = "v1.8"
	}
	api, ok := fakeAPI[gen]
	if !ok {
		t.Fatalf("no API version for fake %s", gen)
	}
	s := fakeesignet.StartTest(t, opts)
	var d struct {
		Issuer    string `json:"issuer"`
		Authorize string `json:"authorization_endpoint"`
		Token     string `json:"token_endpoint"`
		JWKS      string `json:"jwks_uri"`
		Userinfo  string `json:"userinfo_endpoint"`
	}
	getJSON(t, s.ServiceURL()+"/oidc/.well-known/openid-configuration", &d)
	if d.Issuer == "" || d.Token == "" || d.Authorize == "" || d.JWKS == "" || d.Userinfo == "" {
		t.Fatalf("incomplete discovery: %+v", d)
	}
	return &idp{fake: s, api: api, issuer: d.Issuer, authorize: d.Authorize, token: d.Token,
		jwks: d.JWKS, userinfo: d.Userinfo}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// register creates the client at the fake with the typed eSignet client,
// as the operator does, with the key's public JWK.
func (p *idp) register(t *testing.T, clientID, redirectURI string, key *keys.KeyPair) {
	t.Helper()
	cc, err := esignet.NewClientCredentials(esignet.ClientCredentialsConfig{
		TokenURL: p.fake.ManagementTokenURL(), ClientID: mgmtID, ClientSecret: mgmtSecret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := esignet.New(esignet.Config{BaseURL: p.fake.ServiceURL(), APIVersion: p.api, Token: cc,
		AllowInsecureHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicJWK()
	if err != nil {
		t.Fatal(err)
	}
	d := esignet.ClientDetail{
		ClientID: clientID, ClientName: "OpenG2P " + clientID, RelyingPartyID: "openg2p-auth-partner",
		LogoURI:      "https://openg2p.example.org/logo.png",
		RedirectURIs: []string{redirectURI},
		UserClaims: []string{"birthdate", "address", "gender", "name", "phone_number", "picture",
			"email", "individual_id"},
		AuthContextRefs: []string{"mosip:idp:acr:biometrics", "mosip:idp:acr:generated-code",
			"mosip:idp:acr:linked-wallet"},
		GrantTypes:        []string{"authorization_code"},
		ClientAuthMethods: []string{"private_key_jwt"},
		PublicKey:         pub,
	}
	if p.api.SupportsClientNameLangMap() {
		d.ClientNameLangMap = map[string]string{"eng": d.ClientName}
	}
	if p.api.SupportsAdditionalConfig() {
		d.AdditionalConfig = json.RawMessage(`{"userinfo_response_type":"JWS","consent_expire_in_mins":15}`)
	}
	if _, err := c.Create(context.Background(), d); err != nil {
		t.Fatalf("registering %s: %v", clientID, err)
	}
}

// request is a LoginRequest as a consumer configured from discovery sends it.
func (p *idp) request(clientID, redirectURI string, form KeyForm, key json.RawMessage) LoginRequest {
	return LoginRequest{
		Form: form, Key: key, ClientID: clientID,
		AuthorizeEndpoint: p.authorize, TokenEndpoint: p.token, JWKSURI: p.jwks,
		UserinfoEndpoint: p.userinfo, RedirectURI: redirectURI, Issuer: p.issuer,
		Scope: "openid profile email", ACRValues: acrValues, ClaimsJSON: claimsJSON,
	}
}

// newKey returns a fresh RSA-2048 key from internal/keys (each registered
// client needs its own: eSignet keys are globally unique).
func newKey(t *testing.T) *keys.KeyPair {
	t.Helper()
	k, err := keys.Generate(keys.RS256, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyIn encodes the key pair in the form the consumer holds it.
func keyIn(t *testing.T, form KeyForm, k *keys.KeyPair) json.RawMessage {
	t.Helper()
	switch form {
	case KeyOdooBase64PEM, KeyPEMBytes:
		pem, err := k.PrivatePEM()
		if err != nil {
			t.Fatal(err)
		}
		if form == KeyOdooBase64PEM {
			return KeyJSON(form, OdooKeyText(pem))
		}
		return KeyJSON(form, pem)
	case KeyJWKObject:
		jwk, err := k.PrivateJWK()
		if err != nil {
			t.Fatal(err)
		}
		return KeyJSON(form, jwk)
	}
	t.Fatalf("unknown form %s", form)
	return nil
}

func mustLoginError(t *testing.T, err error) *LoginError {
	t.Helper()
	var le *LoginError
	if !errors.As(err, &le) {
		t.Fatalf("want *LoginError, got %T: %v", err, err)
	}
	return le
}
