package render

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Odoo stores the provider in auth_oauth_provider (auth_oauth plus OpenG2P's g2p_auth_oidc,
// g2p_auth_id_oidc and g2p_portal_auth). g2p_auth_oidc reads client_private_key as the base64
// of an uploaded PEM file and signs with python-jose, RS256.
const (
	odooTable    = "auth_oauth_provider"
	odooJSONKey  = "auth_oauth_provider.json"
	odooSQLKey   = "auth_oauth_provider.sql"
	odooFlow     = "oidc_auth_code"
	odooDateFmt  = "%Y/%m/%d"
	odooCSSClass = "fa fa-fw fa-sign-in text-primary"
	odooNow      = "(now() at time zone 'utc')" // Odoo keeps naive UTC timestamps
	dollarTag    = "$esignet_operator$"
)

func renderOdoo(in Input) (Document, error) {
	keyB64 := base64.StdEncoding.EncodeToString(in.PrivateKeyPEM)
	extra, err := marshal(extraAuthorizeParams(in), false)
	if err != nil {
		return Document{}, fmt.Errorf("encoding extra_authorize_params: %w", err)
	}
	name := providerName(in)
	record := map[string]any{
		"name":                         name,
		"body":                         name,
		"flow":                         odooFlow,
		"enabled":                      in.Odoo.Enabled,
		"client_id":                    in.ClientID,
		"client_authentication_method": TokenEndpointAuthMethod,
		"client_private_key":           keyB64,
		"auth_endpoint":                in.Endpoints.AuthorizationEndpoint,
		"token_endpoint":               in.Endpoints.TokenEndpoint,
		"validation_endpoint":          in.Endpoints.UserinfoEndpoint,
		"jwks_uri":                     in.Endpoints.JWKSURI,
		"scope":                        in.Scope,
		"extra_authorize_params":       string(extra),
		"enable_pkce":                  in.EnablePKCE,
		"code_verifier":                CodeVerifier(in),
		"verify_at_hash":               in.VerifyAtHash,
		"token_map":                    in.TokenMap,
		"date_format":                  odooDateFmt,
		"redirect_uri":                 in.RedirectURI, // informational: Odoo computes its own
	}
	if in.Odoo.IDType != "" {
		record["g2p_id_type"] = in.Odoo.IDType
	}
	if in.Odoo.SelfServicePortal {
		record["g2p_self_service_allowed"] = true
		record["g2p_portal_oauth_callback_url"] = in.RedirectURI
	}
	js, err := marshal(record, true)
	if err != nil {
		return Document{}, fmt.Errorf("encoding %s: %w", odooJSONKey, err)
	}
	sql, err := odooSQL(in, name, keyB64, string(extra))
	if err != nil {
		return Document{}, err
	}
	return Document{Secret: true, Data: map[string][]byte{odooJSONKey: js, odooSQLKey: []byte(sql)}}, nil
}

func odooSQL(in Input, name, keyB64, extra string) (string, error) {
	var q sqlLiterals
	cols := []column{
		{name: "name", expr: q.str(name)},
		{name: "body", expr: "jsonb_build_object('en_US', " + q.str(name) + ")"},
		{name: "flow", expr: q.str(odooFlow)},
		{name: "enabled", expr: sqlBool(in.Odoo.Enabled)},
		{name: "client_id", expr: q.str(in.ClientID)},
		{name: "client_authentication_method", expr: q.str(TokenEndpointAuthMethod)},
		// bytea holding the base64 text, as Odoo's Binary(attachment=False) stores an upload.
		{name: "client_private_key", expr: "convert_to(" + q.str(keyB64) + ", 'UTF8')"},
		{name: "auth_endpoint", expr: q.str(in.Endpoints.AuthorizationEndpoint)},
		{name: "token_endpoint", expr: q.str(in.Endpoints.TokenEndpoint)},
		{name: "validation_endpoint", expr: q.str(in.Endpoints.UserinfoEndpoint)},
		{name: "jwks_uri", expr: q.str(in.Endpoints.JWKSURI)},
		{name: "scope", expr: q.str(in.Scope)},
		{name: "extra_authorize_params", expr: q.str(extra)},
		{name: "enable_pkce", expr: sqlBool(in.EnablePKCE)},
		{name: "code_verifier", expr: q.str(CodeVerifier(in))},
		{name: "verify_at_hash", expr: sqlBool(in.VerifyAtHash)},
		{name: "token_map", expr: q.str(in.TokenMap)},
		{name: "date_format", expr: q.str(odooDateFmt), insertOnly: true},
		{name: "css_class", expr: q.str(odooCSSClass), insertOnly: true},
		{name: "sequence", expr: "10", insertOnly: true},
		// OpenG2P's guides: invitation only, groups managed in Odoo. A person may change these.
		{name: "allow_signup", expr: "'no'", insertOnly: true},
		{name: "sync_user_groups", expr: "'never'", insertOnly: true},
		{name: "company_id", expr: "(SELECT min(id) FROM res_company)", insertOnly: true},
		{name: "create_date", expr: odooNow, insertOnly: true},
		{name: "write_date", expr: odooNow},
	}
	var pre, post []string
	if t := in.Odoo.IDType; t != "" {
		lit := q.str(t)
		cols = append(cols, column{name: "g2p_id_type", expr: "(SELECT id FROM g2p_id_type WHERE name = " + lit + " ORDER BY id LIMIT 1)"})
		// A missing ID type would silently leave the provider unlinked; stop instead.
		if strings.Contains(t, dollarTag) {
			return "", fmt.Errorf("rendering %s: idType must not contain %s", odooSQLKey, dollarTag)
		}
		pre = append(pre, fmt.Sprintf(
			"DO %[1]s BEGIN IF NOT EXISTS (SELECT 1 FROM g2p_id_type WHERE name = %[2]s) THEN RAISE EXCEPTION 'g2p_id_type %%: no such ID type; create it in Odoo first', %[2]s; END IF; END %[1]s;",
			dollarTag, lit))
		// g2p_auth_id_oidc links both ways: the ID type names the provider that verifies it.
		post = append(post, fmt.Sprintf(
			"UPDATE g2p_id_type SET auth_oauth_provider_id = (SELECT id FROM %s WHERE client_id = %s ORDER BY id LIMIT 1) WHERE name = %s;",
			odooTable, q.str(in.ClientID), lit))
	}
	if in.Odoo.SelfServicePortal {
		cols = append(cols,
			column{name: "g2p_self_service_allowed", expr: "true"},
			column{name: "g2p_portal_oauth_callback_url", expr: q.str(in.RedirectURI)})
	}
	cond := keyCondition("client_id", &q, in.ClientID, in.FormerClientIDs)
	if q.err != nil {
		return "", fmt.Errorf("rendering %s: %w", odooSQLKey, q.err)
	}
	header := fmt.Sprintf("Odoo %s record for eSignet client %s, rendered by esignet-operator.\nIdempotent: run it after every change (e.g. from a Helm hook); it updates the row with this client_id or inserts one.", odooTable, in.ClientID)
	return upsertSQL(header, odooTable, cond, cols, pre, post), nil
}

func providerName(in Input) string {
	if in.Name != "" {
		return in.Name
	}
	return in.ClientID
}
