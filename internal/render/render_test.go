package render

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openg2p/esignet-operator/internal/keys"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// testKey is a fixed key (testdata/rsa2048.pem, generated for these tests only) so golden
// files are stable.
func testKey(t testing.TB) *keys.KeyPair {
	t.Helper()
	pemBytes, err := os.ReadFile("testdata/rsa2048.pem")
	if err != nil {
		t.Fatal(err)
	}
	kp, err := keys.ParsePrivatePEM(pemBytes, keys.RS256)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// v18Endpoints are what eSignet v1.8's discovery advertises (issuer at the host root).
var v18Endpoints = Endpoints{
	DiscoveryURL:          "https://esignet.example.org/.well-known/openid-configuration",
	Issuer:                "https://esignet.example.org",
	AuthorizationEndpoint: "https://esignet.example.org/authorize",
	TokenEndpoint:         "https://esignet.example.org/v1/esignet/oauth/v2/token",
	UserinfoEndpoint:      "https://esignet.example.org/v1/esignet/oidc/userinfo",
	JWKSURI:               "https://esignet.example.org/.well-known/jwks.json",
}

func testInput(t testing.TB) Input {
	t.Helper()
	kp := testKey(t)
	pemBytes, _ := kp.PrivatePEM()
	jwk, _ := kp.PrivateJWK()
	pub, _ := kp.PublicJWK()
	return Input{
		ClientID:  "openg2p-social-registry",
		Endpoints: v18Endpoints,
		Scope:     DefaultScope,
		Claims: []Claim{{Name: "name", Essential: true}, {Name: "email"}, {Name: "gender", Essential: true},
			{Name: "birthdate", Essential: true}, {Name: "individual_id"}},
		ACRValues:     []string{"mosip:idp:acr:generated-code", "mosip:idp:acr:biometrics"},
		RedirectURI:   "https://socialregistry.example.org/auth_oauth/signin",
		TokenMap:      DefaultTokenMap,
		EnablePKCE:    true,
		VerifyAtHash:  true,
		Name:          "eSignet",
		Algorithm:     "RS256",
		KeyID:         kp.KeyID,
		PrivateKeyPEM: pemBytes,
		PrivateJWK:    jwk,
		PublicJWK:     pub,
		EnvPrefix:     "SPAR_SELFSERVICE_",
		Odoo:          OdooSettings{Enabled: true},
	}
}

const goldenTemplate = `# {{ .Name }}
issuer: {{ .Issuer }}
client_id: {{ .ClientID }}
token_endpoint: {{ .TokenEndpoint }}
acr_values: {{ json .ACRValues }}
claims: {{ json .ClaimsRequest }}
kid: {{ .KeyID }}
key_b64_prefix: {{ printf "%.8s" (b64enc .PrivateKeyPEM) }}
sql: {{ sqlString "it's" }}
{{- range .Claims }}
claim: {{ .Name }}{{ if .Essential }} (essential){{ end }}
{{- end }}
`

// TestGolden pins every format's bytes. Run with -update after an intended change and read the
// diff: these files are what consumers receive.
func TestGolden(t *testing.T) {
	cases := []struct {
		format Format
		mutate func(*Input)
		name   string
	}{
		{FormatOIDC, nil, "oidc"},
		{FormatOdoo, nil, "odoo"},
		{FormatOdoo, func(in *Input) {
			in.Odoo = OdooSettings{Enabled: false, IDType: "NATIONAL ID", SelfServicePortal: true}
			in.RedirectURI = "https://portal.example.org/v1/selfservice/oauth2/callback"
		}, "odoo-id-portal"},
		{FormatFastAPIAuth, nil, "fastapi-auth"},
		{FormatIAM, func(in *Input) { in.IAM = IAMSettings{DefaultRedirectURI: "https://iam.example.org/ui"} }, "iam"},
		{FormatEnv, nil, "env"},
		{FormatTemplate, func(in *Input) { in.Template = goldenTemplate; in.TemplateKey = "app.yaml" }, "template"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := testInput(t)
			if c.mutate != nil {
				c.mutate(&in)
			}
			doc, err := Render(c.format, in)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", "golden", c.name)
			if *update {
				_ = os.RemoveAll(dir)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range doc.Data {
				path := filepath.Join(dir, k)
				if isKeyMaterial(k) {
					// The key files are the input's bytes; pin that instead of storing them twice.
					if string(v) != string(in.PrivateKeyPEM) && string(v) != string(in.PrivateJWK) {
						t.Errorf("%s: key file differs from the input key", k)
					}
					continue
				}
				if *update {
					if err := os.WriteFile(path, v, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("%s: no golden file (run go test ./internal/render -update): %v", k, err)
					continue
				}
				if string(want) != string(v) {
					t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", k, path, v, want)
				}
			}
			if !*update {
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if _, ok := doc.Data[e.Name()]; !ok {
						t.Errorf("golden file %s is no longer rendered", e.Name())
					}
				}
			}
		})
	}
}

func isKeyMaterial(k string) bool {
	return k == "private.pem" || k == "private.jwk.json" || k == "client_private_key.pem"
}

// TestSecretness: only env may go to a ConfigMap, and it must hold nothing of the key.
func TestSecretness(t *testing.T) {
	in := testInput(t)
	in.Template = "{{ .ClientID }}"
	secrets := [][]byte{in.PrivateKeyPEM, in.PrivateJWK, []byte(base64.StdEncoding.EncodeToString(in.PrivateKeyPEM))}
	var d struct {
		D string `json:"d"`
	}
	if err := json.Unmarshal(in.PrivateJWK, &d); err != nil || d.D == "" {
		t.Fatal("test key has no d")
	}
	for _, f := range Formats() {
		doc, err := Render(f, in)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if f == FormatEnv {
			if doc.Secret {
				t.Errorf("env should be a ConfigMap")
			}
			for k, v := range doc.Data {
				for _, s := range secrets {
					if strings.Contains(string(v), string(s)) {
						t.Errorf("env %s holds key material", k)
					}
				}
				if strings.Contains(string(v), d.D) {
					t.Errorf("env %s holds the private exponent", k)
				}
			}
		} else if !doc.Secret {
			t.Errorf("%s must be rendered into a Secret", f)
		}
	}
}

// The private key reaches each consumer in the one form it can sign with (CONSUMERS.md §4).
func TestKeyFormsPerConsumer(t *testing.T) {
	in := testInput(t)
	odoo, _ := Render(FormatOdoo, in)
	var rec map[string]any
	mustJSON(t, odoo.Data[odooJSONKey], &rec)
	pemBytes, err := base64.StdEncoding.DecodeString(rec["client_private_key"].(string))
	if err != nil || string(pemBytes) != string(in.PrivateKeyPEM) {
		t.Errorf("odoo client_private_key is not base64 of the PEM")
	}
	if !strings.Contains(string(odoo.Data[odooSQLKey]), "convert_to('"+base64.StdEncoding.EncodeToString(in.PrivateKeyPEM)+"', 'UTF8')") {
		t.Errorf("odoo SQL does not store the base64 text as bytea")
	}

	fa, _ := Render(FormatFastAPIAuth, in)
	var params map[string]any
	mustJSON(t, fa.Data[fastapiParamsKey], &params)
	jwk, ok := params["client_assertion_jwk"].(map[string]any)
	if !ok || jwk["d"] == nil || jwk["kty"] != "RSA" {
		t.Errorf("fastapi-auth client_assertion_jwk is not a private JWK object: %T", params["client_assertion_jwk"])
	}
	var list []map[string]any
	mustJSON(t, fa.Data["SPAR_SELFSERVICE_LOGIN_PROVIDERS_LIST"], &list)
	if len(list) != 1 || list[0]["iss"] != in.Endpoints.Issuer || list[0]["type"] != "oauth2_auth_code" {
		t.Errorf("LOGIN_PROVIDERS_LIST = %v", list)
	}

	iam, _ := Render(FormatIAM, in)
	var row map[string]any
	mustJSON(t, iam.Data[iamRowKey], &row)
	if row["client_private_key"] != string(in.PrivateKeyPEM) || row["issuer"] != in.Endpoints.Issuer {
		t.Errorf("iam row key/issuer wrong")
	}
	if row["audiences"] != `["openg2p-social-registry"]` {
		t.Errorf("iam audiences = %v", row["audiences"])
	}
}

// The issuer is copied from discovery whatever its shape: v1.5-v1.7 use .../v1/esignet.
func TestIssuerFromDiscovery(t *testing.T) {
	in := testInput(t)
	in.Endpoints.Issuer = "https://esignet.example.org/v1/esignet"
	for _, f := range []Format{FormatOIDC, FormatIAM, FormatEnv, FormatFastAPIAuth} {
		doc, err := Render(f, in)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, v := range doc.Data {
			if strings.Contains(string(v), `"https://esignet.example.org/v1/esignet"`) || string(v) == in.Endpoints.Issuer {
				found = true
			}
		}
		if !found {
			t.Errorf("%s does not carry the discovered issuer", f)
		}
	}
}

func TestMissingEndpoints(t *testing.T) {
	tests := []struct {
		format Format
		clear  func(*Endpoints)
		want   string
	}{
		{FormatOdoo, func(e *Endpoints) { e.JWKSURI = "" }, "jwks_uri"},
		{FormatIAM, func(e *Endpoints) { e.Issuer = "" }, "issuer"},
		{FormatFastAPIAuth, func(e *Endpoints) { e.UserinfoEndpoint, e.AuthorizationEndpoint = "", "" }, "authorization_endpoint, userinfo_endpoint"},
		{FormatOIDC, func(e *Endpoints) { e.TokenEndpoint = "" }, "token_endpoint"},
	}
	for _, tt := range tests {
		in := testInput(t)
		tt.clear(&in.Endpoints)
		_, err := Render(tt.format, in)
		if err == nil || !strings.Contains(err.Error(), "lacks "+tt.want) {
			t.Errorf("%s: err = %v, want it to name %s", tt.format, err, tt.want)
		}
	}
	if _, err := Render("saml", testInput(t)); err == nil {
		t.Error("unknown format rendered")
	}
}

func TestCodeVerifier(t *testing.T) {
	in := testInput(t)
	v := CodeVerifier(in)
	if len(v) != 43 || strings.ContainsAny(v, "+/=") {
		t.Errorf("verifier %q: want 43 base64url characters", v)
	}
	if CodeVerifier(in) != v {
		t.Error("verifier is not deterministic")
	}
	other := in
	other.ClientID = "other"
	if CodeVerifier(other) == v {
		t.Error("verifier does not depend on the client id")
	}
	other = in
	kp, _ := keys.Generate(keys.RS256, 2048)
	other.PrivateKeyPEM, _ = kp.PrivatePEM()
	if CodeVerifier(other) == v {
		t.Error("verifier does not change with the key")
	}
}

func TestSQLString(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"plain", "'plain'", ""},
		{"it's", "'it''s'", ""},
		{`back\slash`, `'back\slash'`, ""},
		{"line\nbreak", "'line\nbreak'", ""},
		{"nul\x00", "", "NUL"},
	}
	for _, tt := range tests {
		got, err := sqlString(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	in := testInput(t)
	in.Name = "bad\x00name"
	if _, err := Render(FormatOdoo, in); err == nil {
		t.Error("NUL in a value reached the SQL")
	}
	in = testInput(t)
	in.Odoo.IDType = "x$esignet_operator$y"
	if _, err := Render(FormatOdoo, in); err == nil {
		t.Error("dollar tag in idType reached the SQL")
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{"{{ .Nope }}", "can't evaluate field Nope"},
		{"{{ .ClientID ", "parsing template"},
		{"{{ sqlString .ClientID | nosuch }}", `function "nosuch" not defined`},
		{"  ", "template is empty"},
		{`{{ range $i := until 1 }}{{ end }}`, `function "until" not defined`},
	}
	for _, tt := range tests {
		in := testInput(t)
		in.Template = tt.tmpl
		_, err := Render(FormatTemplate, in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.tmpl, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("%q: error holds key material", tt.tmpl)
		}
	}
	in := testInput(t)
	in.Template = `{{ range .Claims }}{{ $.PrivateKeyPEM }}{{ $.PrivateKeyPEM }}{{ $.PrivateKeyPEM }}{{ $.PrivateKeyPEM }}{{ $.PrivateKeyPEM }}{{ $.PrivateKeyPEM }}{{ $.PrivateKeyPEM }}{{ $.PrivateKeyPEM }}{{ end }}{{ range .Claims }}{{ range $.Claims }}{{ range $.Claims }}{{ range $.Claims }}{{ $.PrivateJWK }}{{ end }}{{ end }}{{ end }}{{ end }}`
	if _, err := Render(FormatTemplate, in); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("oversized output: err = %v", err)
	}
}

func TestFormatsListed(t *testing.T) {
	want := []Format{FormatEnv, FormatFastAPIAuth, FormatIAM, FormatOdoo, FormatOIDC, FormatTemplate}
	if got := Formats(); !slices.Equal(got, want) {
		t.Errorf("Formats() = %v", got)
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
}

// BenchmarkRender measures one output per format, as each reconcile that renders pays it.
func BenchmarkRender(b *testing.B) {
	in := testInput(b)
	in.Template = goldenTemplate
	for _, f := range Formats() {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Render(f, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
