package render

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"text/template"
)

// DefaultTemplateKey is the data key a template renders into unless the output names one.
const DefaultTemplateKey = "config"

// maxTemplateOutput caps a rendered template: a Secret holds at most 1 MiB.
const maxTemplateOutput = 512 << 10

// TemplateData is what a template sees, as {{ .ClientID }} and so on (docs/openg2p.md lists it).
type TemplateData struct {
	ClientID, Name                                                  string
	Issuer, DiscoveryURL                                            string
	AuthorizationEndpoint, TokenEndpoint, UserinfoEndpoint, JWKSURI string
	Scope, ACRValues, ClaimsRequest, RedirectURI, TokenMap          string
	ClientAssertionType, CodeChallengeMethod, CodeVerifier          string
	EnablePKCE, VerifyAtHash                                        bool
	Algorithm, KeyID                                                string
	PrivateKeyPEM, PrivateJWK, PublicJWK                            string
	Claims                                                          []Claim
}

// TemplateFuncs is the function set templates may call; kept small and side-effect free.
func TemplateFuncs() template.FuncMap {
	return template.FuncMap{
		// json encodes a value as compact JSON (strings quoted and escaped).
		"json": func(v any) (string, error) {
			b, err := marshal(v, false)
			return string(b), err
		},
		// b64enc is standard base64 with padding.
		"b64enc": func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		// sqlString quotes a PostgreSQL string literal.
		"sqlString": sqlString,
		// indent prefixes every line with n spaces (for YAML blocks).
		"indent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
		},
		"join":  func(sep string, elems []string) string { return strings.Join(elems, sep) },
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		"trim":  strings.TrimSpace,
	}
}

func templateData(in Input) TemplateData {
	e := in.Endpoints
	return TemplateData{
		ClientID: in.ClientID, Name: providerName(in), Issuer: e.Issuer, DiscoveryURL: e.DiscoveryURL,
		AuthorizationEndpoint: e.AuthorizationEndpoint, TokenEndpoint: e.TokenEndpoint,
		UserinfoEndpoint: e.UserinfoEndpoint, JWKSURI: e.JWKSURI,
		Scope: in.Scope, ACRValues: strings.Join(in.ACRValues, " "), ClaimsRequest: ClaimsRequest(in.Claims),
		RedirectURI: in.RedirectURI, TokenMap: in.TokenMap,
		ClientAssertionType: ClientAssertionType, CodeChallengeMethod: CodeChallengeMethod, CodeVerifier: CodeVerifier(in),
		EnablePKCE: in.EnablePKCE, VerifyAtHash: in.VerifyAtHash,
		Algorithm: in.Algorithm, KeyID: in.KeyID,
		PrivateKeyPEM: string(in.PrivateKeyPEM), PrivateJWK: string(in.PrivateJWK), PublicJWK: string(in.PublicJWK),
		Claims: in.Claims,
	}
}

// ParseTemplate checks a user template; errors name the line, never echo data.
func ParseTemplate(text string) (*template.Template, error) {
	t, err := template.New("template").Option("missingkey=error").Funcs(TemplateFuncs()).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parsing template: %w", err)
	}
	return t, nil
}

func renderTemplate(in Input) (Document, error) {
	if strings.TrimSpace(in.Template) == "" {
		return Document{}, errors.New("template is empty")
	}
	t, err := ParseTemplate(in.Template)
	if err != nil {
		return Document{}, err
	}
	var out bytes.Buffer
	if err := t.Execute(&limitedWriter{w: &out, n: maxTemplateOutput}, templateData(in)); err != nil {
		// Errors name the template position and the failing action, never a value: the
		// functions above do not put their arguments in errors.
		return Document{}, fmt.Errorf("executing template: %w", err)
	}
	key := in.TemplateKey
	if key == "" {
		key = DefaultTemplateKey
	}
	return Document{Secret: true, Data: map[string][]byte{key: out.Bytes()}}, nil
}

type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.w.Len()+len(p) > l.n {
		return 0, fmt.Errorf("template output exceeds %d KiB", l.n>>10)
	}
	return l.w.Write(p)
}
