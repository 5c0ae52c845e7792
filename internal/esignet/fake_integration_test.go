package esignet_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// generation pairs a fake eSignet release line with the client's APIVersion
// and the endpoint family that version must use.
type generation struct {
	fake string
	v    esignet.APIVersion
	ep   string
}

// generations: every fake release line with its own API version, plus the
// oldest API (/oidc-client) spoken to the oldest and newest fake, since
// /oidc-client still exists in v1.8.
var generations = []generation{
	{"v1.2", esignet.V1_2, "oauth-client"},
	{"v1.5", esignet.V1_5, "oauth-client"},
	{"v1.6", esignet.V1_6, "client"},
	{"v1.7", esignet.V1_7, "client"},
	{"v1.8", esignet.V1_8, "client"},
	{"v1.2", esignet.V1_0, "oidc-client"},
	{"v1.8", esignet.V1_0, "oidc-client"},
}

func (g generation) name() string { return "fake" + g.fake + "/api" + string(g.v) }

const (
	mgmtID     = "mosip-pms-client"
	mgmtSecret = "pms-s3cret:%+value"
	mgmtPrefix = "/v1/esignet/client-mgmt/"
	tokenKey   = "POST /realms/mosip/protocol/openid-connect/token"
)

var (
	keyOnce sync.Once
	keyPool []*rsa.PrivateKey
	keyNext int
	keyMu   sync.Mutex
)

// publicJWK returns a fresh RSA public JWK (eSignet keys are globally
// unique, so every client needs its own). Keys come from a pool generated
// once: RSA generation dominates the test time on two cores.
func publicJWK(t *testing.T) json.RawMessage {
	t.Helper()
	keyOnce.Do(func() {
		for range 48 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keyPool = append(keyPool, k)
		}
	})
	keyMu.Lock()
	k := keyPool[keyNext%len(keyPool)]
	keyNext++
	keyMu.Unlock()
	b, err := json.Marshal(jose.JSONWebKey{Key: &k.PublicKey, KeyID: "k", Algorithm: "RS256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type env struct {
	fake   *fakeesignet.Server
	client *esignet.Client
	tokens *esignet.ClientCredentials
}

func fakeOptions(gen string) fakeesignet.Options {
	return fakeesignet.Options{Generation: gen, ManagementClients: []fakeesignet.ManagementClient{
		{ID: mgmtID, Secret: mgmtSecret, Scopes: []string{"add_oidc_client", "update_oidc_client"}},
	}}
}

// newEnv starts a fake and a Client using client credentials against it.
func newEnv(t *testing.T, opts fakeesignet.Options, v esignet.APIVersion, now func() time.Time) *env {
	t.Helper()
	s := fakeesignet.StartTest(t, opts)
	cc, err := esignet.NewClientCredentials(esignet.ClientCredentialsConfig{
		TokenURL: s.ManagementTokenURL(), ClientID: mgmtID, ClientSecret: mgmtSecret, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	c, err := esignet.New(esignet.Config{BaseURL: s.ServiceURL(), APIVersion: v, Token: cc,
		AllowInsecureHTTP: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: s, client: c, tokens: cc}
}

func detail(t *testing.T, id string, v esignet.APIVersion) esignet.ClientDetail {
	d := esignet.ClientDetail{
		ClientID: id, ClientName: "Health Portal", RelyingPartyID: "rp-" + id,
		LogoURI:           "https://rp.example.org/logo.png",
		RedirectURIs:      []string{"https://rp.example.org/auth/callback", "http://localhost:5000/**"},
		UserClaims:        []string{"name", "email", "phone_number"},
		AuthContextRefs:   []string{"mosip:idp:acr:generated-code", "mosip:idp:acr:biometrics"},
		GrantTypes:        []string{"authorization_code"},
		ClientAuthMethods: []string{"private_key_jwt"},
		PublicKey:         publicJWK(t),
	}
	if v.SupportsClientNameLangMap() {
		d.ClientNameLangMap = map[string]string{"eng": "Health Portal", "fra": "Portail santé"}
	}
	if v.SupportsAdditionalConfig() {
		d.AdditionalConfig = json.RawMessage(`{"userinfo_response_type":"JWS","consent_expire_in_mins":15}`)
	}
	return d
}

// counted returns how often the fake saw method on the client endpoint.
func counted(s *fakeesignet.Server, method, ep string, withID bool) int {
	p := "/v1/esignet/client-mgmt/" + ep
	if withID {
		p += "/{id}"
	}
	return s.Counters()[method+" "+p]
}

func TestFakeLifecycle(t *testing.T) {
	for _, g := range generations {
		t.Run(g.name(), func(t *testing.T) {
			e := newEnv(t, fakeOptions(g.fake), g.v, nil)
			ctx := context.Background()
			d := detail(t, "client-id-#12c", g.v)

			res, err := e.client.Create(ctx, d)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if res.ClientID != d.ClientID || res.Status != esignet.StatusActive || counted(e.fake, "POST", g.ep, false) != 1 {
				t.Fatalf("create: %+v, counters %v", res, e.fake.Counters())
			}
			rec, ok := e.fake.Client(d.ClientID)
			if !ok || rec.CreatedVia != mgmtPrefix+g.ep || !slices.Equal(rec.UserClaims, d.UserClaims) {
				t.Fatalf("stored %+v", rec)
			}
			if g.v.SupportsClientNameLangMap() && rec.ClientNameLangMap["fra"] != "Portail santé" {
				t.Errorf("lang map not stored: %v", rec.ClientNameLangMap)
			}

			d.LogoURI, d.UserClaims = "https://rp.example.org/logo2.png", []string{"name"}
			if _, err := e.client.Update(ctx, d); err != nil {
				t.Fatalf("update: %v", err)
			}
			rec, _ = e.fake.Client(d.ClientID)
			if rec.LogoURI != d.LogoURI || !slices.Equal(rec.UserClaims, []string{"name"}) || counted(e.fake, "PUT", g.ep, true) != 1 {
				t.Fatalf("after update %+v, counters %v", rec, e.fake.Counters())
			}
			if g.v.SupportsAdditionalConfig() && len(rec.AdditionalConfig) == 0 {
				t.Errorf("additionalConfig lost on PUT")
			}

			checkPatch(t, e, g, d.ClientID)
			checkSetStatus(t, e, g, d)
		})
	}
}

func checkPatch(t *testing.T, e *env, g generation, id string) {
	t.Helper()
	before := e.fake.ClientMgmtCalls()
	name := "Renamed Portal"
	_, err := e.client.Patch(context.Background(), id, esignet.ClientPatch{ClientName: &name,
		RedirectURIs: []string{"https://rp.example.org/cb3"}})
	if !g.v.SupportsPatch() {
		if !errors.Is(err, esignet.ErrUnsupported) || esignet.KindOf(err) != esignet.KindUnsupported ||
			e.fake.ClientMgmtCalls() != before {
			t.Errorf("patch on %s: err = %v, calls %d→%d", g.v, err, before, e.fake.ClientMgmtCalls())
		}
		return
	}
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	rec, _ := e.fake.Client(id)
	if rec.ClientName != name || !slices.Equal(rec.RedirectURIs, []string{"https://rp.example.org/cb3"}) ||
		!slices.Equal(rec.UserClaims, []string{"name"}) || counted(e.fake, "PATCH", g.ep, true) != 1 {
		t.Errorf("after patch %+v, counters %v", rec, e.fake.Counters())
	}
}

func checkSetStatus(t *testing.T, e *env, g generation, d esignet.ClientDetail) {
	t.Helper()
	method := "PUT"
	if g.v.SupportsPatch() {
		method = "PATCH"
	}
	for _, st := range []esignet.Status{esignet.StatusInactive, esignet.StatusActive} {
		before := counted(e.fake, method, g.ep, true)
		res, err := e.client.SetStatus(context.Background(), d, st)
		if err != nil {
			t.Fatalf("set status %s: %v", st, err)
		}
		rec, _ := e.fake.Client(d.ClientID)
		if res.Status != st || rec.Status != string(st) || counted(e.fake, method, g.ep, true) != before+1 {
			t.Errorf("set status %s: result %+v, stored %q, counters %v", st, res, rec.Status, e.fake.Counters())
		}
	}
}

func TestFakeConflicts(t *testing.T) {
	for _, g := range generations {
		t.Run(g.name(), func(t *testing.T) {
			e := newEnv(t, fakeOptions(g.fake), g.v, nil)
			ctx := context.Background()
			d := detail(t, "dup", g.v)
			if _, err := e.client.Create(ctx, d); err != nil {
				t.Fatal(err)
			}
			again := detail(t, "dup", g.v)
			_, err := e.client.Create(ctx, again)
			if esignet.KindOf(err) != esignet.KindConflict || !esignet.HasCode(err, esignet.CodeDuplicateClientID) {
				t.Errorf("same id: err = %v (kind %v)", err, esignet.KindOf(err))
			}
			// Same key, new id: duplicate_public_key, except /oauth-client,
			// which leaks the constraint violation as unknown_error (API.md §2.7).
			other := detail(t, "other", g.v)
			other.PublicKey = d.PublicKey
			_, err = e.client.Create(ctx, other)
			if esignet.KindOf(err) != esignet.KindConflict {
				t.Errorf("same key: err = %v (kind %v, codes %v)", err, esignet.KindOf(err), esignet.Codes(err))
			}
		})
	}
}

func TestFakeValidationErrors(t *testing.T) {
	for _, g := range generations {
		t.Run(g.name(), func(t *testing.T) {
			e := newEnv(t, fakeOptions(g.fake), g.v, nil)
			d := detail(t, "has space", g.v)
			d.RedirectURIs = []string{"not a uri"}
			d.UserClaims = []string{"shoe_size"}
			d.AuthContextRefs = nil
			d.GrantTypes = []string{"implicit"}
			_, err := e.client.Create(context.Background(), d)
			want := []string{esignet.CodeInvalidClientID, esignet.CodeInvalidRedirectURI, esignet.CodeInvalidClaim,
				esignet.CodeInvalidACR, grantCodeOfFake(g.fake)}
			if esignet.KindOf(err) != esignet.KindTerminal {
				t.Fatalf("err = %v (kind %v)", err, esignet.KindOf(err))
			}
			for _, c := range want {
				if !esignet.HasCode(err, c) {
					t.Errorf("missing %s in %v", c, esignet.Codes(err))
				}
			}
		})
	}
}

// grantCodeOfFake: the grant-type code follows the server's release, not the
// API version the client speaks.
func grantCodeOfFake(gen string) string {
	v, _ := esignet.ParseAPIVersion(gen)
	return v.GrantTypeErrorCode()
}

func TestFakeUpdateEmptyUserClaims(t *testing.T) {
	for _, g := range generations {
		t.Run(g.name(), func(t *testing.T) {
			e := newEnv(t, fakeOptions(g.fake), g.v, nil)
			d := detail(t, "claims", g.v)
			if _, err := e.client.Create(context.Background(), d); err != nil {
				t.Fatal(err)
			}
			d.UserClaims = nil
			_, err := e.client.Update(context.Background(), d)
			server, _ := esignet.ParseAPIVersion(g.fake)
			if server.AllowsEmptyUserClaimsOnUpdate() {
				if err != nil {
					t.Errorf("empty userClaims rejected by %s: %v", g.fake, err)
				}
			} else if !esignet.HasCode(err, esignet.CodeInvalidClaim) || esignet.KindOf(err) != esignet.KindTerminal {
				t.Errorf("empty userClaims on %s: err = %v", g.fake, err)
			}
		})
	}
}

func TestFakeUnknownClientOnUpdate(t *testing.T) {
	e := newEnv(t, fakeOptions("v1.8"), esignet.V1_8, nil)
	_, err := e.client.Update(context.Background(), detail(t, "never-created", esignet.V1_8))
	if !esignet.HasCode(err, esignet.CodeInvalidClientID) || esignet.KindOf(err) != esignet.KindTerminal {
		t.Errorf("err = %v", err)
	}
}

// TestFakeFirewallUnsafeID: eSignet accepts "/" and "%" in a client id on
// create, but Spring's firewall refuses the escaped id in a PUT path.
func TestFakeFirewallUnsafeID(t *testing.T) {
	e := newEnv(t, fakeOptions("v1.8"), esignet.V1_6, nil)
	d := detail(t, "team/a%b", esignet.V1_6)
	if esignet.ClientIDPathSafe(d.ClientID) || !esignet.ClientIDPathSafe("client-id-#12c") {
		t.Fatal("ClientIDPathSafe disagrees with the firewall rules")
	}
	if _, err := e.client.Create(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Update(context.Background(), d)
	var ae *esignet.APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 400 || esignet.KindOf(err) != esignet.KindTerminal ||
		!strings.Contains(err.Error(), "firewall") {
		t.Errorf("err = %v", err)
	}
}
