package esignet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-logr/logr"
)

// Discovery is the part of eSignet's OpenID Provider metadata (API.md §5.1)
// relying parties are configured from; Raw holds the whole document.
//
// Issuer is NOT checked against the discovery URL: eSignet ≤ v1.7 sets
// issuer-id to https://{host}/v1/esignet while serving discovery at
// https://{host}/.well-known/openid-configuration (v1.8: issuer = https://{host}).
// Consumers must use Issuer as given, e.g. go-oidc's InsecureIssuerURLContext.
type Discovery struct {
	Issuer                             string         `json:"issuer"`
	AuthorizationEndpoint              string         `json:"authorization_endpoint"`
	TokenEndpoint                      string         `json:"token_endpoint"`
	UserinfoEndpoint                   string         `json:"userinfo_endpoint"`
	JWKSURI                            string         `json:"jwks_uri"`
	PushedAuthorizationRequestEndpoint string         `json:"pushed_authorization_request_endpoint"`
	ScopesSupported                    []string       `json:"scopes_supported"`
	ClaimsSupported                    []string       `json:"claims_supported"`
	ACRValuesSupported                 []string       `json:"acr_values_supported"`
	TokenEndpointAuthMethodsSupported  []string       `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgValues  []string       `json:"token_endpoint_auth_signing_alg_values_supported"`
	CodeChallengeMethodsSupported      []string       `json:"code_challenge_methods_supported"`
	IDTokenSigningAlgValuesSupported   []string       `json:"id_token_signing_alg_values_supported"`
	UserinfoSigningAlgValuesSupported  []string       `json:"userinfo_signing_alg_values_supported"`
	Raw                                map[string]any `json:"-"`
	// SourceURL is where the document was fetched from.
	SourceURL string `json:"-"`
}

const wellKnown = "/.well-known/openid-configuration"

// DiscoveryURLs lists where Discover looks when no explicit URL is given:
// the public root (nginx proxies /.well-known/* there since v1.2), then the
// backend path under the service base, which works in-cluster.
func (c *Client) DiscoveryURLs() []string {
	root := url.URL{Scheme: c.base.Scheme, Host: c.base.Host, Path: wellKnown}
	svc := *c.base
	svc.Path, svc.RawPath = c.base.Path+"/oidc"+wellKnown, ""
	return []string{root.String(), svc.String()}
}

// Discover fetches and validates the discovery document from explicitURL,
// or else from the first of DiscoveryURLs that yields a valid one (the root
// may be the UI's catch-all page, so any failure moves on).
func (c *Client) Discover(ctx context.Context, explicitURL string) (*Discovery, error) {
	urls := c.DiscoveryURLs()
	if explicitURL != "" {
		urls = []string{explicitURL}
	}
	de := &DiscoveryError{}
	for _, u := range urls {
		d, err := c.discoverAt(ctx, u)
		if err == nil {
			return d, nil
		}
		de.Attempts = append(de.Attempts, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, de
}

func (c *Client) discoverAt(ctx context.Context, rawURL string) (*Discovery, error) {
	body, err := c.getJSON(ctx, "discover", rawURL)
	if err != nil {
		return nil, err
	}
	return decodeDiscovery(rawURL, body)
}

// Limits on a discovery document. Its lists and endpoints are copied into
// the provider's status and cached per provider, and a namespaced
// provider's URL is chosen by a tenant: a 256 KiB document of one-letter
// claims would otherwise become ~50k strings in memory and a status larger
// than etcd accepts. eSignet's own document has a dozen claims, a few ACRs
// and algorithms, and URLs well under 200 bytes.
const (
	// MaxDiscoveryListEntries bounds every list member (claims_supported,
	// acr_values_supported, *_alg_values_supported, scopes_supported, …).
	MaxDiscoveryListEntries = 200
	// MaxDiscoveryEntryLen bounds each entry of those lists, in bytes.
	MaxDiscoveryEntryLen = 256
	// MaxDiscoveryURLLen bounds issuer and every *_endpoint / jwks_uri.
	MaxDiscoveryURLLen = 2048
	// MaxDiscoveryValues bounds the JSON values (objects, arrays, strings,
	// numbers, …) of the whole document, i.e. what Raw holds.
	MaxDiscoveryValues = 5000
	// MaxDiscoveryDepth bounds the nesting of the document.
	MaxDiscoveryDepth = 32
	// MaxJWKSKeys bounds the keys of a JWK set.
	MaxJWKSKeys = 50
)

const docDiscovery, docJWKS = "discovery document", "JWK set"

// decodeDiscovery parses and validates a discovery document. The limits are
// checked before a Discovery is returned, so no caller ever holds (or
// copies) more than they allow. Errors name fields and limits, never values.
func decodeDiscovery(rawURL string, body []byte) (*Discovery, error) {
	invalid := func(problem string) error {
		return &InvalidDocumentError{URL: rawURL, Document: docDiscovery, Problem: problem}
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, invalid("not a JSON object")
	}
	var d Discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, invalid("fields have unexpected JSON types")
	}
	for _, l := range []struct {
		name string
		val  []string
	}{
		{"scopes_supported", d.ScopesSupported}, {"claims_supported", d.ClaimsSupported},
		{"acr_values_supported", d.ACRValuesSupported},
		{"token_endpoint_auth_methods_supported", d.TokenEndpointAuthMethodsSupported},
		{"token_endpoint_auth_signing_alg_values_supported", d.TokenEndpointAuthSigningAlgValues},
		{"code_challenge_methods_supported", d.CodeChallengeMethodsSupported},
		{"id_token_signing_alg_values_supported", d.IDTokenSigningAlgValuesSupported},
		{"userinfo_signing_alg_values_supported", d.UserinfoSigningAlgValuesSupported},
	} {
		if len(l.val) > MaxDiscoveryListEntries {
			return nil, invalid(fmt.Sprintf("%s has more than %d entries", l.name, MaxDiscoveryListEntries))
		}
		for _, v := range l.val {
			if len(v) > MaxDiscoveryEntryLen {
				return nil, invalid(fmt.Sprintf("%s has an entry longer than %d bytes", l.name, MaxDiscoveryEntryLen))
			}
		}
	}
	if problem := checkShape(raw); problem != "" {
		return nil, invalid(problem)
	}
	var missing []string
	for _, f := range []struct {
		name, val string
		required  bool
	}{
		{"issuer", d.Issuer, true}, {"authorization_endpoint", d.AuthorizationEndpoint, true},
		{"token_endpoint", d.TokenEndpoint, true}, {"userinfo_endpoint", d.UserinfoEndpoint, false},
		{"jwks_uri", d.JWKSURI, true},
		{"pushed_authorization_request_endpoint", d.PushedAuthorizationRequestEndpoint, false},
	} {
		if len(f.val) > MaxDiscoveryURLLen {
			return nil, invalid(fmt.Sprintf("%s is longer than %d bytes", f.name, MaxDiscoveryURLLen))
		}
		if !f.required {
			continue
		}
		if u, err := url.Parse(f.val); err != nil || u.Scheme == "" || u.Host == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, invalid("missing or non-absolute " + strings.Join(missing, ", "))
	}
	d.Raw = raw
	d.SourceURL = rawURL
	return &d, nil
}

// checkShape enforces MaxDiscoveryValues and MaxDiscoveryDepth on a decoded
// document ("" = fine). The decoding itself is bounded by MaxMetadataBody.
func checkShape(doc map[string]any) string {
	n := 0
	var walk func(v any, depth int) string
	walk = func(v any, depth int) string {
		n++
		switch {
		case n > MaxDiscoveryValues:
			return fmt.Sprintf("document holds more than %d JSON values", MaxDiscoveryValues)
		case depth > MaxDiscoveryDepth:
			return fmt.Sprintf("document is nested deeper than %d levels", MaxDiscoveryDepth)
		}
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				if p := walk(e, depth+1); p != "" {
					return p
				}
			}
		case []any:
			for _, e := range x {
				if p := walk(e, depth+1); p != "" {
					return p
				}
			}
		}
		return ""
	}
	return walk(doc, 1)
}

// FetchJWKS fetches a JWK set (e.g. Discovery.JWKSURI). Keys go-jose cannot
// parse are skipped: eSignet's set also carries the ID system's KYC
// certificates, and one odd entry must not hide eSignet's own keys. A set
// of more than MaxJWKSKeys entries is refused.
func (c *Client) FetchJWKS(ctx context.Context, rawURL string) (*jose.JSONWebKeySet, error) {
	body, err := c.getJSON(ctx, "fetch jwks", rawURL)
	if err != nil {
		return nil, err
	}
	return decodeJWKS(c.logger(ctx), rawURL, body)
}

func decodeJWKS(log logr.Logger, rawURL string, body []byte) (*jose.JSONWebKeySet, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, &InvalidDocumentError{URL: rawURL, Document: docJWKS, Problem: "not a JWK set"}
	}
	if len(set.Keys) > MaxJWKSKeys {
		return nil, &InvalidDocumentError{URL: rawURL, Document: docJWKS,
			Problem: fmt.Sprintf("holds more than %d keys", MaxJWKSKeys)}
	}
	out := &jose.JSONWebKeySet{}
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			log.V(1).Info("skipping unparsable JWK", "url", rawURL, "error", err.Error())
			continue
		}
		out.Keys = append(out.Keys, k)
	}
	if len(out.Keys) == 0 {
		return nil, &InvalidDocumentError{URL: rawURL, Document: docJWKS,
			Problem: fmt.Sprintf("no usable key among %d", len(set.Keys))}
	}
	return out, nil
}

// getJSON GETs a public metadata document (no token) and returns its body
// (at most MaxMetadataBody bytes). A non-200 or non-JSON answer is an
// *APIError, a redirect too (errors.Is ErrRedirect).
func (c *Client) getJSON(ctx context.Context, op, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && (u.Scheme != "http" || !c.allowHTTP())) {
		return nil, &InputError{Op: op, Field: "URL", Reason: "not an absolute https URL (or http where allowed)"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &RequestError{Op: op, Method: http.MethodGet, Path: u.EscapedPath(), Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	ex, err := c.send(ctx, op, req, MaxMetadataBody)
	if err != nil {
		return nil, err
	}
	if ex.status != http.StatusOK || ex.tooBig || !json.Valid(ex.body) {
		e := newAPIError(op, req, ex)
		e.Malformed = ex.status == http.StatusOK
		if ex.tooBig || !json.Valid(ex.body) {
			e.Detail, e.class = describeBody(ex, classNotJSON)
		} // else a JSON error body: the status says it all
		return nil, e
	}
	return ex.body, nil
}

// allowHTTP: plain http is acceptable for metadata exactly when it is for
// the service itself.
func (c *Client) allowHTTP() bool { return c.base.Scheme == "http" || c.insecure }

// InvalidDocumentError: a discovery document or JWK set that parsed but is
// unusable. Terminal: the provider's configuration must change.
type InvalidDocumentError struct {
	URL      string
	Document string // "discovery document" or "JWK set"
	// Problem is this package's text: field names and limits, never values.
	Problem string
}

func (e *InvalidDocumentError) Error() string {
	return fmt.Sprintf("esignet: document at %s: %s", e.URL, e.Problem)
}

// Kind is always KindTerminal.
func (e *InvalidDocumentError) Kind() Kind { return KindTerminal }

// DiscoveryError lists why every candidate discovery URL failed.
type DiscoveryError struct{ Attempts []error }

func (e *DiscoveryError) Error() string {
	parts := make([]string, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		parts = append(parts, a.Error())
	}
	return "esignet discover: no usable discovery document: " + strings.Join(parts, "; ")
}

func (e *DiscoveryError) Unwrap() []error { return e.Attempts }

// Kind is transient if any attempt may pass later, else terminal.
func (e *DiscoveryError) Kind() Kind {
	for _, a := range e.Attempts {
		if KindOf(a) == KindTransient {
			return KindTransient
		}
	}
	if len(e.Attempts) == 0 {
		return KindTerminal
	}
	return KindOf(e.Attempts[len(e.Attempts)-1])
}
