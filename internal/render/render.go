// Package render turns a relying party's registration into the documents its consumers read.
// Renderers are pure: the same input gives byte-identical output, so the reconciler can compare
// bytes and skip writes. Endpoints come only from eSignet's discovery document.
package render

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Format names one output shape.
type Format string

// Formats the operator renders.
const (
	FormatOIDC        Format = "oidc"
	FormatOdoo        Format = "odoo"
	FormatFastAPIAuth Format = "fastapi-auth"
	FormatIAM         Format = "iam"
	FormatEnv         Format = "env"
	FormatTemplate    Format = "template"
)

// Endpoints are read from eSignet's discovery document, never typed by hand.
type Endpoints struct {
	DiscoveryURL, Issuer, AuthorizationEndpoint, TokenEndpoint, UserinfoEndpoint, JWKSURI string
}

// Claim is one requested userinfo claim.
type Claim struct {
	Name      string
	Essential bool
}

// OdooSettings tune the auth_oauth_provider record.
type OdooSettings struct {
	Enabled           bool
	IDType            string
	SelfServicePortal bool
}

// IAMSettings tune the openg2p-iam-service row.
type IAMSettings struct {
	Audiences          []string
	DefaultRedirectURI string
}

// Input is everything a renderer may use.
type Input struct {
	ClientID string
	// FormerClientIDs are clients this one replaced whose rows a consumer's database may still
	// hold (a key rotation's previous client): the upserts take that row over rather than add a
	// second login provider beside it.
	FormerClientIDs []string
	Endpoints       Endpoints
	Scope           string
	Claims          []Claim
	ACRValues       []string
	RedirectURI     string
	TokenMap        string
	EnablePKCE      bool
	VerifyAtHash    bool
	// Name is the login provider's display name in the consumer.
	Name          string
	Algorithm     string
	KeyID         string
	PrivateKeyPEM []byte
	PrivateJWK    []byte
	PublicJWK     []byte
	EnvPrefix     string
	Template      string
	TemplateKey   string
	// Deadline bounds the execution of Template; zero means DefaultTemplateTimeout from the
	// start of Render. Templates are also bounded in steps, depth and memory (template_funcs.go).
	Deadline time.Time
	Odoo     OdooSettings
	IAM      IAMSettings
}

// Document is a rendered output: data keys and whether it holds anything secret.
type Document struct {
	Data   map[string][]byte
	Secret bool
}

// Constants every private_key_jwt consumer of eSignet uses.
const (
	ClientAssertionType     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	TokenEndpointAuthMethod = "private_key_jwt"
	CodeChallengeMethod     = "S256"
	// DefaultScope is what every OpenG2P app requests.
	DefaultScope = "openid profile email"
	// DefaultTokenMap is Odoo's default mapping without groups:groups, which eSignet never sends.
	DefaultTokenMap = "sub:user_id name:name email:email phone_number:phone birthdate:birthdate gender:gender address:address picture:picture"
)

type renderer struct {
	render func(Input) (Document, error)
	// needs lists the discovered endpoints the format cannot do without.
	needs []string
}

var renderers = map[Format]renderer{
	FormatOIDC:        {renderOIDC, []string{"issuer", "token_endpoint"}},
	FormatOdoo:        {renderOdoo, []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"}},
	FormatFastAPIAuth: {renderFastAPIAuth, []string{"issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"}},
	FormatIAM:         {renderIAM, []string{"issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"}},
	FormatEnv:         {renderEnv, []string{"issuer", "jwks_uri"}},
	FormatTemplate:    {renderTemplate, nil},
}

// Formats lists the formats this build renders, sorted.
func Formats() []Format {
	out := make([]Format, 0, len(renderers))
	for f := range renderers {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Render renders one format.
func Render(f Format, in Input) (Document, error) {
	r, ok := renderers[f]
	if !ok {
		return Document{}, fmt.Errorf("format %q is not rendered by this version (available: %v)", f, Formats())
	}
	if in.ClientID == "" {
		return Document{}, errors.New("client id is required")
	}
	if missing := in.Endpoints.missing(r.needs); len(missing) > 0 {
		return Document{}, fmt.Errorf("eSignet's discovery document lacks %s, which format %s needs", strings.Join(missing, ", "), f)
	}
	return r.render(in)
}

func (e Endpoints) missing(names []string) []string {
	have := map[string]string{"issuer": e.Issuer, "authorization_endpoint": e.AuthorizationEndpoint,
		"token_endpoint": e.TokenEndpoint, "userinfo_endpoint": e.UserinfoEndpoint, "jwks_uri": e.JWKSURI}
	var out []string
	for _, n := range names {
		if have[n] == "" {
			out = append(out, n)
		}
	}
	return out
}

// ClaimsRequest is the OIDC claims parameter: {"userinfo":{name:{"essential":bool}},"id_token":{}}.
func ClaimsRequest(claims []Claim) string {
	b, _ := json.Marshal(claimsObject(claims)) // maps of bools cannot fail
	return string(b)
}

func claimsObject(claims []Claim) map[string]any {
	userinfo := map[string]map[string]bool{}
	for _, c := range claims {
		userinfo[c.Name] = map[string]bool{"essential": c.Essential}
	}
	return map[string]any{"userinfo": userinfo, "id_token": map[string]any{}}
}

// CodeVerifier is the static PKCE verifier consumers that keep one per provider (Odoo,
// openg2p-fastapi-auth) need. It is derived from the private key and client id rather than
// drawn at random, so re-rendering gives the same bytes; it changes when the key does. HMAC
// keeps the key itself unrecoverable from it. 32 bytes give the 43 characters RFC 7636 asks for.
func CodeVerifier(in Input) string {
	m := hmac.New(sha256.New, in.PrivateKeyPEM)
	m.Write([]byte("esignet-operator/pkce-code-verifier/v1\x00" + in.ClientID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// extraAuthorizeParams are the query parameters OpenG2P consumers add to the authorize request.
// claims is a JSON string, since the consumers URL-encode each value as it stands.
func extraAuthorizeParams(in Input) map[string]string {
	p := map[string]string{"claims": ClaimsRequest(in.Claims)}
	if len(in.ACRValues) > 0 {
		p["acr_values"] = strings.Join(in.ACRValues, " ")
	}
	return p
}

// marshal is json.Marshal with sorted keys (maps) and no HTML escaping, so URLs stay readable.
func marshal(v any, indent bool) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := []byte(b.String())
	if !indent {
		out = out[:len(out)-1] // Encode appends a newline
	}
	return out, nil
}

func privateJWKObject(in Input) (map[string]any, error) {
	var jwk map[string]any
	if err := json.Unmarshal(in.PrivateJWK, &jwk); err != nil {
		return nil, errors.New("private JWK is not a JSON object") // never echo key bytes
	}
	return jwk, nil
}
