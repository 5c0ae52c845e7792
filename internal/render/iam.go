package render

import (
	"fmt"
	"strings"
)

// The gen-2 openg2p-iam-service keeps one flat login_providers row per provider; it decodes
// client_private_key (bytea) as UTF-8 PEM for python-jose and requires the token's iss to equal
// the issuer column exactly, so the issuer is eSignet's discovered one, never a guess.
const (
	iamTable  = "login_providers"
	iamRowKey = "login_provider.json"
	iamSQLKey = "login_provider.sql"
	iamPEMKey = "client_private_key.pem"
)

func renderIAM(in Input) (Document, error) {
	audiences := in.IAM.Audiences
	if len(audiences) == 0 {
		audiences = []string{in.ClientID}
	}
	audJSON, err := marshal(audiences, false)
	if err != nil {
		return Document{}, fmt.Errorf("encoding audiences: %w", err)
	}
	// The IAM esignet adapter takes claims as an object and encodes it itself.
	extra := map[string]any{"claims": claimsObject(in.Claims)}
	if len(in.ACRValues) > 0 {
		extra["acr_values"] = strings.Join(in.ACRValues, " ")
	}
	extraJSON, err := marshal(extra, false)
	if err != nil {
		return Document{}, fmt.Errorf("encoding extra_authorize_params: %w", err)
	}
	name, description := providerName(in), "eSignet client "+in.ClientID
	row := map[string]any{
		"provider_name":              name,
		"description":                description,
		"client_id":                  in.ClientID,
		"client_private_key":         string(in.PrivateKeyPEM),
		"token_endpoint_auth_method": TokenEndpointAuthMethod,
		"authorization_endpoint":     in.Endpoints.AuthorizationEndpoint,
		"token_endpoint":             in.Endpoints.TokenEndpoint,
		"userinfo_endpoint":          in.Endpoints.UserinfoEndpoint,
		"jwks_uri":                   in.Endpoints.JWKSURI,
		"server_metadata_url":        in.Endpoints.DiscoveryURL,
		"adapter_name":               "esignet",
		"scope":                      in.Scope,
		"enable_pkce":                in.EnablePKCE,
		"extra_authorize_params":     string(extraJSON),
		"issuer":                     in.Endpoints.Issuer,
		"audiences":                  string(audJSON),
		"oauth_callback_url":         in.RedirectURI,
		"active":                     true,
	}
	if in.IAM.DefaultRedirectURI != "" {
		row["default_redirect_uri"] = in.IAM.DefaultRedirectURI
	}
	rowJSON, err := marshal(row, true)
	if err != nil {
		return Document{}, fmt.Errorf("encoding %s: %w", iamRowKey, err)
	}
	sql, err := iamSQL(in, name, description, string(extraJSON), string(audJSON))
	if err != nil {
		return Document{}, err
	}
	return Document{Secret: true, Data: map[string][]byte{
		iamRowKey: rowJSON, iamSQLKey: []byte(sql), iamPEMKey: in.PrivateKeyPEM,
	}}, nil
}

func iamSQL(in Input, name, description, extra, audiences string) (string, error) {
	var q sqlLiterals
	e := in.Endpoints
	cols := []column{
		{name: "provider_name", expr: q.str(name)},
		{name: "description", expr: q.str(description)},
		{name: "client_id", expr: q.str(in.ClientID)},
		{name: "client_private_key", expr: "convert_to(" + q.str(string(in.PrivateKeyPEM)) + ", 'UTF8')"},
		{name: "token_endpoint_auth_method", expr: q.str(TokenEndpointAuthMethod)},
		{name: "authorization_endpoint", expr: q.nullable(e.AuthorizationEndpoint)},
		{name: "token_endpoint", expr: q.nullable(e.TokenEndpoint)},
		{name: "userinfo_endpoint", expr: q.nullable(e.UserinfoEndpoint)},
		{name: "jwks_uri", expr: q.nullable(e.JWKSURI)},
		{name: "server_metadata_url", expr: q.nullable(e.DiscoveryURL)},
		{name: "adapter_name", expr: q.str("esignet")},
		{name: "scope", expr: q.nullable(in.Scope)},
		{name: "enable_pkce", expr: sqlBool(in.EnablePKCE)},
		{name: "extra_authorize_params", expr: q.str(extra)},
		{name: "issuer", expr: q.str(e.Issuer)},
		{name: "audiences", expr: q.str(audiences)},
		{name: "oauth_callback_url", expr: q.nullable(in.RedirectURI)},
		{name: "default_redirect_uri", expr: q.nullable(in.IAM.DefaultRedirectURI)},
		{name: "active", expr: "true"},
		{name: "created_at", expr: "now()", insertOnly: true},
		{name: "updated_at", expr: "now()"},
	}
	cond := keyCondition("client_id", &q, in.ClientID, in.FormerClientIDs)
	if q.err != nil {
		return "", fmt.Errorf("rendering %s: %w", iamSQLKey, q.err)
	}
	header := fmt.Sprintf("openg2p-iam-service %s row for eSignet client %s, rendered by esignet-operator.\nIdempotent: it updates the row with this client_id or inserts one.", iamTable, in.ClientID)
	return upsertSQL(header, iamTable, cond, cols, nil, nil), nil
}
