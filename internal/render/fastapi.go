package render

import (
	"fmt"
)

// openg2p-fastapi-auth 1.x (SPAR self-service) keeps a login_providers row whose
// authorization_parameters JSON holds the endpoints and the private key as a JWK object, which
// it passes to python-jose as is. The env-only variant reads the same rows as a JSON list from
// <PREFIX>LOGIN_PROVIDERS_LIST.
const (
	fastapiTable      = "login_providers"
	fastapiType       = "oauth2_auth_code"
	fastapiRowKey     = "login_provider.json"
	fastapiParamsKey  = "authorization_parameters.json"
	fastapiSQLKey     = "login_provider.sql"
	fastapiListSuffix = "LOGIN_PROVIDERS_LIST"
)

func renderFastAPIAuth(in Input) (Document, error) {
	jwk, err := privateJWKObject(in)
	if err != nil {
		return Document{}, err
	}
	params := map[string]any{
		"authorize_endpoint":         in.Endpoints.AuthorizationEndpoint,
		"token_endpoint":             in.Endpoints.TokenEndpoint,
		"validate_endpoint":          in.Endpoints.UserinfoEndpoint,
		"jwks_endpoint":              in.Endpoints.JWKSURI,
		"client_id":                  in.ClientID,
		"client_assertion_type":      ClientAssertionType,
		"client_assertion_jwk":       jwk,
		"response_type":              "code",
		"redirect_uri":               in.RedirectURI,
		"scope":                      in.Scope,
		"enable_pkce":                in.EnablePKCE,
		"code_verifier":              CodeVerifier(in),
		"code_challenge_method":      CodeChallengeMethod,
		"extra_authorize_parameters": extraAuthorizeParams(in),
	}
	name := providerName(in)
	description, button := "eSignet client "+in.ClientID, "Login with "+name
	row := map[string]any{
		"name":              name,
		"type":              fastapiType,
		"description":       description,
		"login_button_text": button,
		// The app lists providers as LoginProviderResponse, whose displayIconUrl is a str: a
		// NULL here fails GET /auth/getLoginProviders with HTTP 500 (openg2p-fastapi-auth 1.1.2
		// and 1.1.3, models/login_provider.py). There is no icon to name, so it is empty.
		"login_button_image_url":   "",
		"active":                   true,
		"authorization_parameters": params,
	}
	paramsJSON, err := marshal(params, true)
	if err != nil {
		return Document{}, fmt.Errorf("encoding %s: %w", fastapiParamsKey, err)
	}
	rowJSON, err := marshal(row, true)
	if err != nil {
		return Document{}, fmt.Errorf("encoding %s: %w", fastapiRowKey, err)
	}
	// The env form carries what the table row would, plus the issuer and JWKS URL the app
	// uses to find the provider of a token and to default its validation settings.
	listEntry := map[string]any{"id": 1, "iss": in.Endpoints.Issuer, "jwks_url": in.Endpoints.JWKSURI}
	for k, v := range row {
		listEntry[k] = v
	}
	list, err := marshal([]any{listEntry}, false)
	if err != nil {
		return Document{}, fmt.Errorf("encoding %s: %w", fastapiListSuffix, err)
	}
	compactParams, err := marshal(params, false)
	if err != nil {
		return Document{}, fmt.Errorf("encoding %s: %w", fastapiParamsKey, err)
	}
	sql, err := fastapiSQL(in, name, description, button, string(compactParams))
	if err != nil {
		return Document{}, err
	}
	return Document{Secret: true, Data: map[string][]byte{
		fastapiRowKey:                    rowJSON,
		fastapiParamsKey:                 paramsJSON,
		fastapiSQLKey:                    []byte(sql),
		in.EnvPrefix + fastapiListSuffix: list,
		in.EnvPrefix + fastapiListSuffix + "_PKCE_CODE_VERIFIER": []byte(CodeVerifier(in)),
	}}, nil
}

func fastapiSQL(in Input, name, description, button, params string) (string, error) {
	var q sqlLiterals
	cols := []column{
		{name: "name", expr: q.str(name)},
		{name: "type", expr: q.str(fastapiType)},
		{name: "description", expr: q.str(description)},
		{name: "login_button_text", expr: q.str(button)},
		{name: "login_button_image_url", expr: q.str("")},
		{name: "authorization_parameters", expr: q.str(params)},
		{name: "active", expr: "true"},
		{name: "created_at", expr: "now()", insertOnly: true},
		{name: "updated_at", expr: "now()"},
	}
	cond := keyCondition("authorization_parameters->>'client_id'", &q, in.ClientID, in.FormerClientIDs)
	if q.err != nil {
		return "", fmt.Errorf("rendering %s: %w", fastapiSQLKey, q.err)
	}
	header := fmt.Sprintf("openg2p-fastapi-auth %s row for eSignet client %s, rendered by esignet-operator.\nIdempotent: it updates the row whose authorization_parameters hold this client_id or inserts one.", fastapiTable, in.ClientID)
	return upsertSQL(header, fastapiTable, cond, cols, nil, nil), nil
}
