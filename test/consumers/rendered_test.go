package consumers

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/render"
)

// renderInput is what the reconciler hands the renderers for a relying party registered with
// OpenG2P's seeds' claims and ACRs, endpoints taken from the fake's discovery document.
func renderInput(t *testing.T, p *idp, clientID, redirect string, k *keys.KeyPair) render.Input {
	t.Helper()
	pemBytes, err := k.PrivatePEM()
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := k.PrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	var claims []render.Claim
	for _, c := range []string{"name", "phone_number", "email", "gender", "birthdate", "address", "picture", "individual_id"} {
		claims = append(claims, render.Claim{Name: c, Essential: c == "name" || c == "gender" || c == "birthdate"})
	}
	return render.Input{
		ClientID: clientID,
		Endpoints: render.Endpoints{DiscoveryURL: p.fake.ServiceURL() + "/oidc/.well-known/openid-configuration",
			Issuer: p.issuer, AuthorizationEndpoint: p.authorize, TokenEndpoint: p.token,
			UserinfoEndpoint: p.userinfo, JWKSURI: p.jwks},
		Scope: render.DefaultScope, Claims: claims, ACRValues: strings.Fields(acrValues),
		RedirectURI: redirect, TokenMap: render.DefaultTokenMap, EnablePKCE: true, VerifyAtHash: true,
		Name: "eSignet", Algorithm: "RS256", KeyID: k.KeyID, PrivateKeyPEM: pemBytes, PrivateJWK: jwk,
		EnvPrefix: "SPAR_SELFSERVICE_", Odoo: render.OdooSettings{Enabled: true, IDType: "NATIONAL ID"},
	}
}

// TestRenderedOutputsLogIn is the end-to-end proof of the rendered formats: each SQL upsert is
// applied twice (and once more after a change) to the consumer's real table, leaving one
// correct row; that row is read back exactly as the app reads it, and python-jose logs in with
// it at the fake eSignet. The JSON forms log in the same way. Two eSignet lines: v1.5, which
// takes OpenG2P's assertions as they are (no jti) and issues tokens with iss .../v1/esignet, and
// v1.8 (issuer at the host root), which needs a jti OpenG2P's apps do not send yet.
func TestRenderedOutputsLogIn(t *testing.T) {
	d := StartPostgres(t)
	for _, gen := range []struct {
		name   string
		addJTI bool
	}{{"v1.5", false}, {"v1.8", true}} {
		t.Run(gen.name, func(t *testing.T) {
			p := startIDP(t, fakeesignet.Options{Generation: gen.name})
			wantIssuer := p.fake.URL()
			if gen.name != "v1.8" {
				wantIssuer = p.fake.ServiceURL()
			}
			if p.issuer != wantIssuer {
				t.Fatalf("fake %s issuer %q, want %q", gen.name, p.issuer, wantIssuer)
			}
			for _, c := range consumerCases {
				t.Run(c.consumer, func(t *testing.T) {
					db := strings.ReplaceAll(c.consumer, "-", "_") + "_" + strings.ReplaceAll(gen.name, ".", "")
					d.CreateDatabase(t, db)
					if err := d.Exec(t, db, TableDDL(c.consumer)); err != nil {
						t.Fatalf("DDL: %v", err)
					}
					if c.consumer == ConsumerOdoo {
						if err := d.Exec(t, db, `INSERT INTO g2p_id_type (name) VALUES ('NATIONAL ID');`); err != nil {
							t.Fatal(err)
						}
					}
					key := newKey(t)
					p.register(t, c.clientID, c.redirect, key)
					in := renderInput(t, p, c.clientID, c.redirect, key)
					sqlKey, doc := renderedSQL(t, c.consumer, in)

					// A stale row (old scope) is corrected, and repeated runs change nothing.
					stale := in
					stale.Scope = "openid"
					_, staleDoc := renderedSQL(t, c.consumer, stale)
					for i, script := range [][]byte{staleDoc.Data[sqlKey], doc.Data[sqlKey], doc.Data[sqlKey]} {
						if err := d.Exec(t, db, string(script)); err != nil {
							t.Fatalf("run %d of %s: %v", i+1, sqlKey, err)
						}
					}
					cc := c
					cc.consumer = db
					req := c.read(t, d, p, cc) // fails unless exactly one row
					if req.Scope != render.DefaultScope {
						t.Errorf("scope %q after re-running the upsert", req.Scope)
					}
					req.AddJTI = gen.addJTI
					assertLogin(t, req, c.clientID)

					for _, r := range jsonForms(t, c.consumer, doc, p, c.redirect) {
						r.AddJTI = gen.addJTI
						assertLogin(t, r, c.clientID)
					}
				})
			}
		})
	}
}

func renderedSQL(t *testing.T, consumer string, in render.Input) (string, render.Document) {
	t.Helper()
	doc, err := render.Render(render.Format(consumer), in)
	if err != nil {
		t.Fatal(err)
	}
	for k := range doc.Data {
		if strings.HasSuffix(k, ".sql") {
			return k, doc
		}
	}
	t.Fatalf("%s renders no SQL", consumer)
	return "", doc
}

func assertLogin(t *testing.T, req LoginRequest, clientID string) {
	t.Helper()
	res, err := Login(t, req)
	if err != nil {
		t.Fatalf("login with the rendered %s configuration: %v", req.Form, err)
	}
	if res.IDTokenClaims["aud"] != clientID || res.IDTokenClaims["iss"] != req.Issuer || res.UserinfoClaims["name"] == nil {
		t.Errorf("login result %v / %v", res.IDTokenClaims, res.UserinfoClaims)
	}
}

// jsonForms are login requests built from the rendered JSON documents as each app reads them.
func jsonForms(t *testing.T, consumer string, doc render.Document, p *idp, redirect string) []LoginRequest {
	t.Helper()
	switch consumer {
	case ConsumerOdoo:
		var rec struct {
			ClientID, AuthEndpoint, TokenEndpoint, ValidationEndpoint, JWKSURI, Scope, CodeVerifier, Extra, Key string
		}
		unmarshalFields(t, doc.Data["auth_oauth_provider.json"], map[string]any{"client_id": &rec.ClientID,
			"auth_endpoint": &rec.AuthEndpoint, "token_endpoint": &rec.TokenEndpoint, "validation_endpoint": &rec.ValidationEndpoint,
			"jwks_uri": &rec.JWKSURI, "scope": &rec.Scope, "code_verifier": &rec.CodeVerifier,
			"extra_authorize_params": &rec.Extra, "client_private_key": &rec.Key})
		var extra map[string]string
		if err := json.Unmarshal([]byte(rec.Extra), &extra); err != nil {
			t.Fatal(err)
		}
		return []LoginRequest{{Form: KeyOdooBase64PEM, Key: KeyJSON(KeyOdooBase64PEM, []byte(rec.Key)), ClientID: rec.ClientID,
			AuthorizeEndpoint: rec.AuthEndpoint, TokenEndpoint: rec.TokenEndpoint, UserinfoEndpoint: rec.ValidationEndpoint,
			JWKSURI: rec.JWKSURI, Scope: rec.Scope, CodeVerifier: rec.CodeVerifier, ACRValues: extra["acr_values"],
			ClaimsJSON: extra["claims"], RedirectURI: redirect, Issuer: p.issuer}}
	case ConsumerFastAPIAuth:
		var list []struct {
			Iss    string          `json:"iss"`
			Params json.RawMessage `json:"authorization_parameters"`
		}
		if err := json.Unmarshal(doc.Data["SPAR_SELFSERVICE_LOGIN_PROVIDERS_LIST"], &list); err != nil || len(list) != 1 {
			t.Fatalf("LOGIN_PROVIDERS_LIST: %v", err)
		}
		if list[0].Iss != p.issuer {
			t.Errorf("LOGIN_PROVIDERS_LIST iss %q, want %q", list[0].Iss, p.issuer)
		}
		return []LoginRequest{FastAPIRequest(t, doc.Data["authorization_parameters.json"], p.issuer),
			FastAPIRequest(t, list[0].Params, p.issuer)}
	case ConsumerIAM:
		var row struct {
			ClientID, Key, Authorize, Token, Userinfo, JWKS, Scope, Issuer, Callback, Extra, Audiences, Metadata string
		}
		unmarshalFields(t, doc.Data["login_provider.json"], map[string]any{"client_id": &row.ClientID,
			"client_private_key": &row.Key, "authorization_endpoint": &row.Authorize, "token_endpoint": &row.Token,
			"userinfo_endpoint": &row.Userinfo, "jwks_uri": &row.JWKS, "scope": &row.Scope, "issuer": &row.Issuer,
			"oauth_callback_url": &row.Callback, "extra_authorize_params": &row.Extra, "audiences": &row.Audiences,
			"server_metadata_url": &row.Metadata})
		var auds []string
		if err := json.Unmarshal([]byte(row.Audiences), &auds); err != nil || !slices.Equal(auds, []string{row.ClientID}) {
			t.Errorf("audiences %q", row.Audiences)
		}
		var meta struct {
			Issuer string `json:"issuer"`
		}
		getJSON(t, row.Metadata, &meta)
		if meta.Issuer != row.Issuer {
			t.Errorf("server_metadata_url serves issuer %q, row has %q", meta.Issuer, row.Issuer)
		}
		var extra struct {
			ACR    string          `json:"acr_values"`
			Claims json.RawMessage `json:"claims"`
		}
		if err := json.Unmarshal([]byte(row.Extra), &extra); err != nil {
			t.Fatal(err)
		}
		return []LoginRequest{{Form: KeyPEMBytes, Key: KeyJSON(KeyPEMBytes, []byte(row.Key)), ClientID: row.ClientID,
			AuthorizeEndpoint: row.Authorize, TokenEndpoint: row.Token, UserinfoEndpoint: row.Userinfo, JWKSURI: row.JWKS,
			Scope: row.Scope, ACRValues: extra.ACR, ClaimsJSON: string(extra.Claims), Issuer: row.Issuer, RedirectURI: row.Callback}}
	}
	t.Fatalf("unknown consumer %s", consumer)
	return nil
}

func unmarshalFields(t *testing.T, raw []byte, fields map[string]any) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for k, dst := range fields {
		if err := json.Unmarshal(m[k], dst); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
}
