package consumers

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// consumerCase stores one eSignet login provider in a consumer's table, reads
// it back the way the consumer reads it and logs in with what was read.
type consumerCase struct {
	consumer string
	table    string
	clientID string
	redirect string
	form     KeyForm
	// insert returns SQL storing the provider for client id with key k.
	insert func(t *testing.T, p *idp, c consumerCase, k *keys.KeyPair) string
	// read turns the stored row into the consumer's login request.
	read func(t *testing.T, d *DB, p *idp, c consumerCase) LoginRequest
	// missing is an INSERT leaving out a NOT NULL column, and that column.
	missing, missingColumn string
}

var consumerCases = []consumerCase{
	{
		consumer: ConsumerOdoo, table: "auth_oauth_provider", clientID: "openg2p-sr-esignet",
		redirect: odooRedirect, form: KeyOdooBase64PEM,
		insert: func(t *testing.T, p *idp, c consumerCase, k *keys.KeyPair) string {
			pem, err := k.PrivatePEM()
			if err != nil {
				t.Fatal(err)
			}
			extra, _ := json.Marshal(map[string]string{"acr_values": acrValues, "claims": claimsJSON})
			return fmt.Sprintf(`
INSERT INTO g2p_id_type (name, create_uid, create_date, write_uid, write_date)
VALUES ('NATIONAL ID', 1, now(), 1, now());
INSERT INTO auth_oauth_provider (name, body, flow, client_id, client_authentication_method,
    client_private_key, auth_endpoint, token_endpoint, validation_endpoint, jwks_uri, scope,
    enable_pkce, code_verifier, verify_at_hash, extra_authorize_params, token_map, date_format,
    allow_signup, sync_user_groups, company_id, enabled, css_class, sequence, g2p_id_type,
    g2p_self_service_allowed, g2p_service_provider_allowed, g2p_portal_oauth_callback_url,
    create_uid, create_date, write_uid, write_date)
VALUES ('eSignet', '{"en_US": "Login with eSignet"}', 'oidc_auth_code', %s, 'private_key_jwt',
    convert_to(%s, 'UTF8'), %s, %s, %s, %s, 'openid profile email',
    true, %s, true, %s, %s, '%%Y/%%m/%%d',
    'no', 'never', 1, true, 'fa fa-fw fa-sign-in text-primary', 10,
    (SELECT id FROM g2p_id_type WHERE name = 'NATIONAL ID'),
    false, false, NULL, 1, now(), 1, now());
UPDATE g2p_id_type SET auth_oauth_provider_id = currval('auth_oauth_provider_id_seq') WHERE name = 'NATIONAL ID';`,
				QuoteLiteral(c.clientID), QuoteLiteral(string(OdooKeyText(pem))), QuoteLiteral(p.authorize),
				QuoteLiteral(p.token), QuoteLiteral(p.userinfo), QuoteLiteral(p.jwks),
				QuoteLiteral(strings.Repeat("o", odooVerifierLen)), QuoteLiteral(string(extra)),
				QuoteLiteral("individual_id:user_id name:name email:email phone_number:phone birthdate:birthdate gender:gender address:address picture:picture"))
		},
		read: func(t *testing.T, d *DB, p *idp, c consumerCase) LoginRequest {
			row := queryOne(t, d, c.consumer, `SELECT convert_from(p.client_private_key, 'UTF8'), p.auth_endpoint,
    p.token_endpoint, p.validation_endpoint, p.jwks_uri, p.scope, p.code_verifier, p.extra_authorize_params,
    coalesce(p.jwt_assertion_aud, ''), t.name
FROM auth_oauth_provider p JOIN g2p_id_type t ON t.auth_oauth_provider_id = p.id
WHERE p.client_id = `+QuoteLiteral(c.clientID)+` AND p.enabled AND p.flow = 'oidc_auth_code'`)
			var extra map[string]string
			if err := json.Unmarshal([]byte(row[7]), &extra); err != nil {
				t.Fatal(err)
			}
			if row[9] != "NATIONAL ID" {
				t.Errorf("g2p_id_type link: %q", row[9])
			}
			return LoginRequest{Form: KeyOdooBase64PEM, Key: KeyJSON(KeyOdooBase64PEM, []byte(row[0])),
				ClientID: c.clientID, AuthorizeEndpoint: row[1], TokenEndpoint: row[2], UserinfoEndpoint: row[3],
				JWKSURI: row[4], Scope: row[5], CodeVerifier: row[6], ACRValues: extra["acr_values"],
				ClaimsJSON: extra["claims"], Audience: row[8], RedirectURI: c.redirect, Issuer: p.issuer}
		},
		missing:       `INSERT INTO auth_oauth_provider (name, flow, auth_endpoint, client_authentication_method) VALUES ('x', 'oidc_auth_code', 'https://x', 'private_key_jwt')`,
		missingColumn: "body",
	},
	{
		consumer: ConsumerFastAPIAuth, table: "login_providers", clientID: "openg2p-spar-esignet",
		redirect: sparRedirect, form: KeyJWKObject,
		insert: func(t *testing.T, p *idp, c consumerCase, k *keys.KeyPair) string {
			jwk, err := k.PrivateJWK()
			if err != nil {
				t.Fatal(err)
			}
			params, _ := json.Marshal(map[string]any{
				"authorize_endpoint":         p.authorize,
				"token_endpoint":             p.token,
				"validate_endpoint":          p.userinfo,
				"jwks_endpoint":              p.jwks,
				"client_id":                  c.clientID,
				"client_assertion_type":      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
				"client_assertion_jwk":       json.RawMessage(jwk),
				"response_type":              "code",
				"scope":                      "openid profile email",
				"redirect_uri":               c.redirect,
				"code_verifier":              strings.Repeat("s", 43),
				"extra_authorize_parameters": map[string]string{"acr_values": acrValues, "claims": claimsJSON},
			})
			return fmt.Sprintf(`
INSERT INTO strategy (description, strategy_type, deconstruct_strategy, construct_strategy, created_at, updated_at, active)
VALUES ('Account number', 'ID', '^token:(?P<token>.*)$', 'token:{token}', now(), now(), true);
INSERT INTO login_providers (name, type, description, login_button_text, login_button_image_url,
    authorization_parameters, created_at, updated_at, active, strategy_id)
VALUES ('E Signet', 'oauth2_auth_code', 'e-signet', 'PROCEED WITH NATIONAL ID', 'https://login.url',
    %s, now(), now(), true, (SELECT max(id) FROM strategy));`, QuoteLiteral(string(params)))
		},
		read: func(t *testing.T, d *DB, p *idp, c consumerCase) LoginRequest {
			row := queryOne(t, d, c.consumer, `SELECT authorization_parameters::text FROM login_providers
WHERE active AND type = 'oauth2_auth_code' AND authorization_parameters->>'client_id' = `+QuoteLiteral(c.clientID))
			return FastAPIRequest(t, []byte(row[0]), p.issuer)
		},
		missing:       `INSERT INTO login_providers (name, type, authorization_parameters, created_at) VALUES ('x', 'oauth2_auth_code', '{}', now())`,
		missingColumn: "active",
	},
	{
		consumer: ConsumerIAM, table: "login_providers", clientID: "openg2p-bene-esignet",
		redirect: iamRedirect, form: KeyPEMBytes,
		insert: func(t *testing.T, p *idp, c consumerCase, k *keys.KeyPair) string {
			pem, err := k.PrivatePEM()
			if err != nil {
				t.Fatal(err)
			}
			extra, _ := json.Marshal(map[string]any{"acr_values": acrValues, "claims": json.RawMessage(claimsJSON)})
			return fmt.Sprintf(`
INSERT INTO login_providers (provider_name, description, client_id, client_private_key,
    token_endpoint_auth_method, authorization_endpoint, userinfo_endpoint, token_endpoint,
    server_metadata_url, adapter_name, jwks_uri, scope, enable_pkce, extra_authorize_params,
    issuer, audiences, oauth_callback_url, active, created_at, updated_at)
VALUES ('eSignet', 'National ID', %s, convert_to(%s, 'UTF8'),
    'private_key_jwt', %s, %s, %s,
    %s, 'esignet', %s, 'openid profile email', true, %s,
    %s, %s, %s, true, now(), now());`,
				QuoteLiteral(c.clientID), QuoteLiteral(string(pem)), QuoteLiteral(p.authorize),
				QuoteLiteral(p.userinfo), QuoteLiteral(p.token), QuoteLiteral(p.issuer+"/.well-known/openid-configuration"),
				QuoteLiteral(p.jwks), QuoteLiteral(string(extra)), QuoteLiteral(p.issuer),
				QuoteLiteral(`["`+c.clientID+`"]`), QuoteLiteral(c.redirect))
		},
		read: func(t *testing.T, d *DB, p *idp, c consumerCase) LoginRequest {
			row := queryOne(t, d, c.consumer, `SELECT convert_from(client_private_key, 'UTF8'),
    authorization_endpoint, token_endpoint, userinfo_endpoint, jwks_uri, scope, extra_authorize_params,
    issuer, oauth_callback_url, token_endpoint_auth_method::text
FROM login_providers WHERE active AND issuer = `+QuoteLiteral(p.issuer))
			if row[9] != "private_key_jwt" {
				t.Errorf("token_endpoint_auth_method %q", row[9])
			}
			var extra struct {
				ACR    string          `json:"acr_values"`
				Claims json.RawMessage `json:"claims"`
			}
			if err := json.Unmarshal([]byte(row[6]), &extra); err != nil {
				t.Fatal(err)
			}
			// IAM's eSignet adapter JSON-encodes a claims dict.
			return LoginRequest{Form: KeyPEMBytes, Key: KeyJSON(KeyPEMBytes, []byte(row[0])), ClientID: c.clientID,
				AuthorizeEndpoint: row[1], TokenEndpoint: row[2], UserinfoEndpoint: row[3], JWKSURI: row[4],
				Scope: row[5], ACRValues: extra.ACR, ClaimsJSON: string(extra.Claims), Issuer: row[7],
				RedirectURI: row[8]}
		},
		missing: `INSERT INTO login_providers (provider_name, client_id, token_endpoint_auth_method, oauth_callback_url, active, created_at)
VALUES ('x', 'x', 'private_key_jwt', 'https://x', true, now())`,
		missingColumn: "issuer",
	},
}

func queryOne(t *testing.T, d *DB, db, sql string) []string {
	t.Helper()
	rows, err := d.Query(t, db, sql)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("want one row, got %d: %q", len(rows), rows)
	}
	return rows[0]
}

// TestPostgres applies each consumer's DDL to a real PostgreSQL, stores an
// eSignet provider row the way the consumer's docs/seeds do, reads it back
// the way the consumer reads it and logs in at the fake with python-jose.
func TestPostgres(t *testing.T) {
	d := StartPostgres(t)
	t.Logf("postgres started in %s on 127.0.0.1:%d", d.StartupTime, d.Port())

	if err := d.Exec(t, "postgres", "SELECT 1; SELEC 2;"); err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Fatalf("Exec must report SQL errors, got %v", err)
	}
	if _, err := d.Query(t, "no_such_db", "SELECT 1"); err == nil {
		t.Fatal("Query on a missing database must fail")
	}

	p := startIDP(t, fakeesignet.Options{Generation: "v1.8"})
	for _, c := range consumerCases {
		t.Run(c.consumer, func(t *testing.T) {
			t.Parallel()
			d.CreateDatabase(t, c.consumer)
			if err := d.Exec(t, c.consumer, TableDDL(c.consumer)); err != nil {
				t.Fatalf("DDL: %v", err)
			}

			// Only the primary key is unique: idempotent upserts cannot use ON CONFLICT.
			uniq, err := d.Query(t, c.consumer, `SELECT i.relname FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = `+QuoteLiteral(c.table)+`::regclass AND x.indisunique ORDER BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			if want := [][]string{{c.table + "_pkey"}}; !slices.EqualFunc(uniq, want, slices.Equal) {
				t.Errorf("unique indexes on %s: %q, want %q", c.table, uniq, want)
			}

			if err := d.Exec(t, c.consumer, c.missing); err == nil ||
				!strings.Contains(err.Error(), fmt.Sprintf("null value in column %q", c.missingColumn)) {
				t.Errorf("insert without %s: want a NOT NULL violation, got %v", c.missingColumn, err)
			}

			key := newKey(t)
			p.register(t, c.clientID, c.redirect, key)
			if err := d.Exec(t, c.consumer, c.insert(t, p, c, key)); err != nil {
				t.Fatalf("insert: %v", err)
			}
			req := c.read(t, d, p, c)
			if req.Form != c.form {
				t.Fatalf("form %s", req.Form)
			}
			req.AddJTI = true // eSignet ≥ v1.6 requires it; see TestOpenG2PAssertionJTI
			res, err := Login(t, req)
			if err != nil {
				t.Fatal(err)
			}
			if res.IDTokenClaims["aud"] != c.clientID || res.UserinfoClaims["name"] == nil {
				t.Errorf("login result %v / %v", res.IDTokenClaims, res.UserinfoClaims)
			}
		})
	}
}
