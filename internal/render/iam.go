package render

import (
	"fmt"
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
	if p := extraAuthorizeParams(in); p["acr_values"] != "" {
		extra["acr_values"] = p["acr_values"]
	}
	extraJSON, err := marshal(extra, false)
	if err != nil {
		return Document{}, fmt.Errorf("encoding extra_authorize_params: %w", err)
	}
	name := providerName(in)
	row := map[string]any{
		"provider_name":              name,
		"description":                "eSignet client " + in.ClientID,
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
	sql, err := iamSQL(in, row)
	if err != nil {
		return Document{}, err
	}
	return Document{Secret: true, Data: map[string][]byte{
		iamRowKey: rowJSON, iamSQLKey: []byte(sql), iamPEMKey: in.PrivateKeyPEM,
	}}, nil
}

func iamSQL(in Input, row map[string]any) (string, error) {
	var q sqlLiterals
	str := func(k string) string { return q.nullable(fmt.Sprint(row[k])) }
	cols := []column{{name: "provider_name", expr: str("provider_name")}, {name: "description", expr: str("description")},
		{name: "client_id", expr: str("client_id")},
		{name: "client_private_key", expr: "convert_to(" + q.str(string(in.PrivateKeyPEM)) + ", 'UTF8')"},
		{name: "token_endpoint_auth_method", expr: str("token_endpoint_auth_method")}}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
		"server_metadata_url", "adapter_name", "scope"} {
		cols = append(cols, column{name: k, expr: str(k)})
	}
	cols = append(cols,
		column{name: "enable_pkce", expr: sqlBool(in.EnablePKCE)},
		column{name: "extra_authorize_params", expr: str("extra_authorize_params")},
		column{name: "issuer", expr: str("issuer")},
		column{name: "audiences", expr: str("audiences")},
		column{name: "oauth_callback_url", expr: str("oauth_callback_url")},
		column{name: "default_redirect_uri", expr: q.nullable(in.IAM.DefaultRedirectURI)},
		column{name: "active", expr: "true"},
		column{name: "created_at", expr: "now()", insertOnly: true},
		column{name: "updated_at", expr: "now()"},
	)
	if q.err != nil {
		return "", fmt.Errorf("rendering %s: %w", iamSQLKey, q.err)
	}
	header := fmt.Sprintf("openg2p-iam-service %s row for eSignet client %s, rendered by esignet-operator.\nIdempotent: it updates the row with this client_id or inserts one.", iamTable, in.ClientID)
	return upsertSQL(header, iamTable, "client_id", q.str(in.ClientID), cols, nil, nil), nil
}
