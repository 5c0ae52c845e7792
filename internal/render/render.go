// Package render turns a relying party's registration into the documents its consumers read.
// Renderers are pure: the same input gives byte-identical output, so the reconciler can compare
// bytes and skip writes. Endpoints come only from eSignet's discovery document.
package render

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Format names one output shape.
type Format string

// Formats the operator renders.
const (
	FormatOIDC Format = "oidc"
	FormatEnv  Format = "env"
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

// EnvSettings configures the env format.
type EnvSettings struct {
	// Prefix of the variable names, e.g. SPAR_SELFSERVICE_.
	Prefix string
}

// Input is everything a renderer may use.
type Input struct {
	ClientID      string
	Endpoints     Endpoints
	Scope         string
	Claims        []Claim
	ACRValues     []string
	RedirectURI   string
	Algorithm     string
	KeyID         string
	PrivateKeyPEM []byte
	PrivateJWK    []byte
	Name          string
	Env           *EnvSettings
	Template      string
}

// Document is a rendered output: data keys and whether it holds anything secret.
type Document struct {
	Data   map[string][]byte
	Secret bool
}

// ClientAssertionType is the private_key_jwt assertion type eSignet requires.
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

var renderers = map[Format]func(Input) (Document, error){
	FormatOIDC: renderOIDC,
	FormatEnv:  renderEnv,
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
	if in.ClientID == "" || in.Endpoints.Issuer == "" || in.Endpoints.TokenEndpoint == "" {
		return Document{}, fmt.Errorf("client id, issuer and token endpoint are required")
	}
	return r(in)
}

// ClaimsRequest is the OIDC claims parameter: {"userinfo":{name:{"essential":bool}},"id_token":{}}.
func ClaimsRequest(claims []Claim) string {
	userinfo := map[string]map[string]bool{}
	for _, c := range claims {
		userinfo[c.Name] = map[string]bool{"essential": c.Essential}
	}
	b, _ := json.Marshal(map[string]any{"userinfo": userinfo, "id_token": map[string]any{}}) // maps of bools cannot fail
	return string(b)
}
