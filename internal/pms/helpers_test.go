package pms_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/fakepms"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/pms"
)

var generations = []pms.Generation{pms.GenerationOIDC, pms.GenerationOAuth, pms.GenerationOIDCClients}

const (
	callerSecret      = "fake-pms-operator-secret"
	authPartnerSecret = "auth-partner-user-secret"
	noRolesSecret     = "no-roles-caller-secret"
)

// world is a fake eSignet with a fake PMS in front of it, both on loopback.
type world struct {
	t   *testing.T
	es  *fakeesignet.Server
	pms *fakepms.Server
	cfg fakepms.Config
}

// startWorld starts the fakes with fakepms.DefaultConfig, changed by edit.
func startWorld(t *testing.T, edit func(*fakepms.Config, *fakepms.Options)) *world {
	t.Helper()
	cfg := fakepms.DefaultConfig()
	cfg.Callers = append(cfg.Callers,
		// Secrets long enough not to occur by chance in a token (esignet's token source redacts
		// the secret from the token endpoint's answer).
		fakepms.Caller{ID: "auth-partner-user", Secret: authPartnerSecret, Roles: []string{"AUTH_PARTNER"}},
		fakepms.Caller{ID: "no-roles", Secret: noRolesSecret})
	opts := fakepms.Options{}
	if edit != nil {
		edit(&cfg, &opts)
	}
	es := fakeesignet.StartTest(t, fakeesignet.Options{ManagementClients: cfg.ManagementClients()})
	o := cfg.Options(es.URL(), nil)
	if edit != nil {
		edit(&cfg, &o)
	}
	return &world{t: t, es: es, pms: fakepms.StartTest(t, o), cfg: cfg}
}

// client is a PMS client for generation g with a Keycloak token of the caller.
func (w *world) client(g pms.Generation, callerID, secret string) *pms.Client {
	w.t.Helper()
	tok, err := esignet.NewClientCredentials(esignet.ClientCredentialsConfig{
		TokenURL: w.es.ManagementTokenURL(), ClientID: callerID, ClientSecret: secret})
	if err != nil {
		w.t.Fatal(err)
	}
	return w.clientWith(g, tok)
}

func (w *world) clientWith(g pms.Generation, tok esignet.TokenSource) *pms.Client {
	w.t.Helper()
	c, err := pms.New(pms.Config{BaseURL: w.pms.BaseURL(), Generation: g, Token: tok, AllowInsecureHTTP: true})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// admin is the default caller (PARTNER_ADMIN, AUTH_PARTNER).
func (w *world) admin(g pms.Generation) *pms.Client {
	return w.client(g, fakepms.DefaultCallerID, callerSecret)
}

func newKey(t *testing.T) *keys.KeyPair {
	t.Helper()
	k, err := keys.Generate(keys.RS256, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func publicJWK(t *testing.T, k *keys.KeyPair) json.RawMessage {
	t.Helper()
	pub, err := k.PublicJWK()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// detail is a valid create for the default partner and policy.
func detail(t *testing.T, k *keys.KeyPair) pms.ClientDetail {
	return pms.ClientDetail{
		Name: "OpenG2P Social Registry", AuthPartnerID: fakepms.DefaultPartnerID, PolicyID: fakepms.DefaultPolicyID,
		PublicKey: publicJWK(t, k), LogoURI: "https://openg2p.example.org/logo.png",
		RedirectURIs: []string{"https://socialregistry.example.org/auth_oauth/signin"},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
