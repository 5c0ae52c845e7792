package fakeesignet

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/openg2p/esignet-operator/internal/redirecturi"
)

// authCode is an issued authorization code (eSignet's OIDCTransaction).
type authCode struct {
	clientID, redirectURI, scope, nonce, acr, challenge string
	claims                                              []string
	authTime                                            int64
	expires                                             time.Time
}

const authCodeTTL = 60 * time.Second

// scopeClaims are ClaimsHelperService's scope → claims mapping.
var scopeClaims = map[string][]string{
	"profile": {"name", "address", "gender", "birthdate", "picture", "email", "phone_number",
		"phone_number_verified", "registration_type", "updated_at"},
	"email":   {"email"},
	"phone":   {"phone_number", "phone_number_verified"},
	"address": {"address"},
}

var pkceChallengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// handleAuthorize stands in for the oidc-ui + oauth-details round trip: it
// authenticates the demo user at once and redirects back with a code.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	e, ok := s.activeClient(q.Get("client_id"))
	if !ok {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_client_id", "invalid_client_id"))
		return
	}
	ru := q.Get("redirect_uri")
	// s.gen is one of v1.2 … v1.8, all of which Accepts knows: err is nil.
	if ok, err := redirecturi.Accepts(s.gen.String(), e.redirectURIs, ru); err != nil || !ok {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_redirect_uri", "invalid_redirect_uri"))
		return
	}
	code, errCode := s.newAuthCode(e, q)
	if errCode != "" {
		redirectBack(w, r, ru, "error_description", errCode, "state", q.Get("state"), "error", errCode)
		return
	}
	redirectBack(w, r, ru, "state", q.Get("state"), "code", code, "iss", s.Issuer())
}

// newAuthCode checks the request parameters and stores the transaction.
func (s *Server) newAuthCode(e *clientEntry, q url.Values) (string, string) {
	if q.Get("response_type") != "code" {
		return "", "invalid_response_type"
	}
	scopes := javaSplitTrim(q.Get("scope"), " ")
	if !slices.Contains(scopes, "openid") {
		return "", "invalid_scope"
	}
	userinfoReq, acrReq, ok := parseClaimsParam(q.Get("claims"))
	if !ok {
		return "", "invalid_claim"
	}
	acr := resolveACR(e.acrs, acrReq, q.Get("acr_values"))
	if acr == "" {
		return "", "no_acr_registered"
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method == "":
		if s.gen.atLeast(8) && configFlag(e.additionalConfig, "require_pkce") {
			return "", "use_pkce"
		}
	case method != "S256":
		return "", "unsupported_pkce_challenge_method"
	case !pkceChallengeRE.MatchString(challenge):
		return "", "invalid_pkce_challenge"
	}
	now := s.now()
	ac := &authCode{
		clientID: e.id, redirectURI: q.Get("redirect_uri"), scope: strings.Join(scopes, " "),
		nonce: q.Get("nonce"), acr: acr, challenge: challenge,
		claims: grantedClaims(e.claims, scopes, userinfoReq), authTime: now.Unix(), expires: now.Add(authCodeTTL),
	}
	code := randomID()
	s.mu.Lock()
	s.codes[code] = ac
	s.mu.Unlock()
	return code, ""
}

// redirectBack appends "?" and the pairs to the redirect URI as oidc-ui does
// (even when the URI already has a query).
func redirectBack(w http.ResponseWriter, r *http.Request, base string, kv ...string) {
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" && kv[i] == "state" {
			continue
		}
		parts = append(parts, kv[i]+"="+url.QueryEscape(kv[i+1]))
	}
	//nolint:gosec // G710: base is a redirect URI already matched against the client's registered ones.
	http.Redirect(w, r, base+"?"+strings.Join(parts, "&"), http.StatusFound)
}

// parseClaimsParam reads the "claims" request parameter: requested userinfo
// claims and id_token acr values.
func parseClaimsParam(raw string) (userinfo []string, acrs []string, ok bool) {
	if raw == "" {
		return nil, nil, true
	}
	var req struct {
		Userinfo map[string]json.RawMessage `json:"userinfo"`
		IDToken  map[string]json.RawMessage `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		return nil, nil, false
	}
	for k := range req.Userinfo {
		userinfo = append(userinfo, k)
	}
	if a, ok := req.IDToken["acr"]; ok && !isJSONNull(a) {
		var detail struct {
			Values []string `json:"values"`
		}
		if err := json.Unmarshal(a, &detail); err != nil {
			return nil, nil, false
		}
		acrs = detail.Values
	}
	return userinfo, acrs, true
}

// resolveACR: claims.id_token.acr.values ∩ registered, else acr_values ∩
// registered, else every registered ACR; "" when none is registered.
func resolveACR(registered, fromClaims []string, acrValues string) string {
	pick := func(req []string) []string {
		var out []string
		for _, a := range req {
			if slices.Contains(registered, a) && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
		return out
	}
	if got := pick(fromClaims); len(got) > 0 {
		return strings.Join(got, " ")
	}
	if got := pick(strings.Fields(acrValues)); len(got) > 0 {
		return strings.Join(got, " ")
	}
	return strings.Join(registered, " ")
}

// grantedClaims = registered userClaims ∩ (requested ∪ implied by scopes).
func grantedClaims(registered, scopes, requested []string) []string {
	want := map[string]bool{}
	for _, c := range requested {
		want[c] = true
	}
	for _, sc := range scopes {
		for _, c := range scopeClaims[sc] {
			want[c] = true
		}
	}
	var out []string
	for _, c := range registered {
		if want[c] && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// configFlag reads a boolean flag of a client's additionalConfig.
func configFlag(cfg json.RawMessage, key string) bool {
	var m map[string]any
	_ = json.Unmarshal(cfg, &m)
	b, _ := m[key].(bool)
	return b
}

func configString(cfg json.RawMessage, key string) string {
	var m map[string]any
	_ = json.Unmarshal(cfg, &m)
	v, _ := m[key].(string)
	return v
}

func sortStrings(s []string) { sort.Strings(s) }
