package esignet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
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
	var d Discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, &InvalidDocumentError{URL: rawURL, Problem: "fields have unexpected JSON types"}
	}
	if err := json.Unmarshal(body, &d.Raw); err != nil {
		return nil, &InvalidDocumentError{URL: rawURL, Problem: "not a JSON object"}
	}
	var missing []string
	for _, f := range []struct{ name, val string }{
		{"issuer", d.Issuer}, {"authorization_endpoint", d.AuthorizationEndpoint},
		{"token_endpoint", d.TokenEndpoint}, {"jwks_uri", d.JWKSURI},
	} {
		if u, err := url.Parse(f.val); err != nil || u.Scheme == "" || u.Host == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, &InvalidDocumentError{URL: rawURL,
			Problem: "missing or non-absolute " + strings.Join(missing, ", ")}
	}
	d.SourceURL = rawURL
	return &d, nil
}

// FetchJWKS fetches a JWK set (e.g. Discovery.JWKSURI). Keys go-jose cannot
// parse are skipped: eSignet's set also carries the ID system's KYC
// certificates, and one odd entry must not hide eSignet's own keys.
func (c *Client) FetchJWKS(ctx context.Context, rawURL string) (*jose.JSONWebKeySet, error) {
	body, err := c.getJSON(ctx, "fetch jwks", rawURL)
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, &InvalidDocumentError{URL: rawURL, Problem: "not a JWK set"}
	}
	out := &jose.JSONWebKeySet{}
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			c.logger(ctx).V(1).Info("skipping unparsable JWK", "url", rawURL, "error", err.Error())
			continue
		}
		out.Keys = append(out.Keys, k)
	}
	if len(out.Keys) == 0 {
		return nil, &InvalidDocumentError{URL: rawURL,
			Problem: fmt.Sprintf("no usable key among %d", len(set.Keys))}
	}
	return out, nil
}

// getJSON GETs a public metadata document (no token) and returns its body.
// A non-200 or non-JSON answer is an *APIError.
func (c *Client) getJSON(ctx context.Context, op, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && (u.Scheme != "http" || !c.allowHTTP())) {
		return nil, &InputError{Op: op, Field: "URL", Reason: fmt.Sprintf("%q is not an allowed absolute URL", rawURL)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &RequestError{Op: op, Method: http.MethodGet, Path: u.EscapedPath(), Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	ex, err := c.send(ctx, op, req)
	if err != nil {
		return nil, err
	}
	if ex.status != http.StatusOK || ex.tooBig || !json.Valid(ex.body) {
		e := newAPIError(op, req, ex)
		e.Malformed, e.Detail = ex.status == http.StatusOK, describeBody(ex)
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
	URL     string
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
