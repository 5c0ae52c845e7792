package fakepms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// caller is the authenticated user of a request (kernel AuthUserDetails).
type caller struct {
	userID string // preferred_username
	roles  []string
}

func (c *caller) admin() bool { return slices.Contains(c.roles, "PARTNER_ADMIN") }

// realm is the eSignet's Keycloak realm (fakeesignet serves it at <root>/realms/mosip).
func (s *Server) realm() string { return strings.TrimRight(s.opts.ESignetURL, "/") + "/realms/mosip" }

// authenticate is the kernel auth adapter in front of PMS: the token (cookie "Authorization",
// header "Authorization: Bearer"), its signature and issuer, then the operation's roles. It
// writes the kernel's 401/403 and returns false when the request may not proceed.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, op Operation) (*caller, bool) {
	token, ok := s.credential(r)
	if !ok {
		s.writeKernelError(w, http.StatusUnauthorized, "KER-ATH-401", "Authentication Failed")
		return nil, false
	}
	claims, err := s.verify(r.Context(), token)
	if err != nil {
		s.log.Info("token rejected", "error", err.Error())
		s.writeKernelError(w, http.StatusUnauthorized, "KER-ATH-401", "Authentication Failed : Invalid Token")
		return nil, false
	}
	c := &caller{userID: stringClaim(claims, "preferred_username"), roles: realmRoles(claims)}
	need := s.opts.Roles[op]
	if !slices.ContainsFunc(need, func(role string) bool { return slices.Contains(c.roles, role) }) {
		s.writeKernelError(w, http.StatusForbidden, "KER-ATH-403", "Forbidden")
		return nil, false
	}
	return c, true
}

// credential reads the token from the cookie and the header. Unless LenientCredentials, both
// must be present and equal.
func (s *Server) credential(r *http.Request) (string, bool) {
	var cookie, bearer string
	if ck, err := r.Cookie("Authorization"); err == nil {
		cookie = ck.Value
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		bearer = strings.TrimSpace(h[7:])
	}
	switch {
	case cookie != "" && bearer != "":
		return cookie, cookie == bearer
	case s.opts.LenientCredentials && cookie != "":
		return cookie, true
	case s.opts.LenientCredentials && bearer != "":
		return bearer, true
	}
	return "", false
}

// keySet caches the realm's JWKS.
type keySet struct {
	keys    jose.JSONWebKeySet
	fetched time.Time
}

// verify checks an RS256 realm token: signature by a key of the realm's JWKS (refetched once
// for an unknown kid), iss, and exp/nbf with 60 s skew.
func (s *Server) verify(ctx context.Context, token string) (map[string]any, error) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, errors.New("not a compact RS256 JWS")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, err := s.realmKeys(ctx, kid)
	if err != nil {
		return nil, err
	}
	var payload []byte
	for _, k := range keys {
		if payload, err = jws.Verify(k.Key); err == nil {
			break
		}
	}
	if payload == nil {
		return nil, errors.New("signature does not verify")
	}
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		return nil, errors.New("claims are not a JSON object")
	}
	if iss, _ := claims["iss"].(string); iss != s.realm() {
		return nil, errors.New("issuer is not the realm")
	}
	now, skew := s.now().Unix(), int64(60)
	if exp, ok := numberClaim(claims, "exp"); !ok || now-skew > exp {
		return nil, errors.New("token expired")
	}
	if nbf, ok := numberClaim(claims, "nbf"); ok && now+skew < nbf {
		return nil, errors.New("token not yet valid")
	}
	return claims, nil
}

// realmKeys returns the keys with kid, fetching the JWKS when none is cached or kid is unknown.
func (s *Server) realmKeys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	ks := s.jwks
	s.mu.Unlock()
	if ks != nil {
		if k := ks.keys.Key(kid); len(k) > 0 {
			return k, nil
		}
		if time.Since(ks.fetched) < time.Second {
			return nil, errors.New("unknown key id")
		}
	}
	var set jose.JSONWebKeySet
	if err := s.getJSON(ctx, s.realm()+"/protocol/openid-connect/certs", &set); err != nil {
		return nil, fmt.Errorf("fetching the realm's keys: %w", err)
	}
	s.mu.Lock()
	s.jwks = &keySet{keys: set, fetched: time.Now()}
	s.mu.Unlock()
	if k := set.Key(kid); len(k) > 0 {
		return k, nil
	}
	return nil, errors.New("unknown key id")
}

func (s *Server) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

func stringClaim(claims map[string]any, name string) string {
	v, _ := claims[name].(string)
	return v
}

// realmRoles reads realm_access.roles.
func realmRoles(claims map[string]any) []string {
	ra, _ := claims["realm_access"].(map[string]any)
	list, _ := ra["roles"].([]any)
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func numberClaim(claims map[string]any, name string) (int64, bool) {
	n, ok := claims[name].(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	return int64(f), err == nil
}

// realmToken is a client-credentials grant at the realm (HTTP Basic, form-encoded parts).
func (s *Server) realmToken(ctx context.Context, id, secret string) (token string, ttl time.Duration, status int, err error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.realm()+"/protocol/openid-connect/token",
		strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, 0, err
	}
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", 0, 0, err
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&tr); err != nil || resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		return "", 0, resp.StatusCode, fmt.Errorf("realm token: HTTP %d", resp.StatusCode)
	}
	return tr.AccessToken, time.Duration(tr.ExpiresIn) * time.Second, http.StatusOK, nil
}

// esignetToken is PMS's own token for eSignet (RestUtil.getToken), cached until 10 s before
// expiry.
func (s *Server) esignetToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	tok, exp := s.eToken, s.eTokenExp
	s.mu.Unlock()
	if tok != "" && time.Now().Before(exp) {
		return tok, nil
	}
	tok, ttl, _, err := s.realmToken(ctx, s.opts.ESignetClientID, s.opts.ESignetClientSecret)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.eToken, s.eTokenExp = tok, time.Now().Add(ttl-10*time.Second)
	s.mu.Unlock()
	return tok, nil
}

// handleAuthManager is the kernel auth manager's POST /authenticate/clientidsecretkey: it
// exchanges the client id and secret key for a realm token (as the auth manager does with
// Keycloak) and answers it as the Authorization cookie.
func (s *Server) handleAuthManager(w http.ResponseWriter, r *http.Request, _ string) {
	var body struct {
		RequestTime *string `json:"requesttime"`
		Request     *struct {
			ClientID  string `json:"clientId"`
			SecretKey string `json:"secretKey"`
			AppID     string `json:"appId"`
		} `json:"request"`
	}
	if !mediaTypeIs(r.Header.Get("Content-Type"), "application/json") {
		writeBootError(w, http.StatusUnsupportedMediaType, r.URL.Path)
		return
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body); err != nil ||
		(body.RequestTime != nil && !requestTimeFormat.MatchString(*body.RequestTime)) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	fail := func(code, msg string) {
		writeJSON(w, http.StatusOK, map[string]any{"id": nil, "version": nil, "responsetime": s.stamp(),
			"metadata": nil, "response": nil, "errors": []errorItem{{ErrorCode: code, Message: msg}}})
	}
	switch {
	case body.Request == nil || body.Request.ClientID == "" || body.Request.SecretKey == "":
		fail("KER-ATH-001", "clientId and secretKey are required")
		return
	case strings.TrimSpace(body.Request.AppID) == "" ||
		(s.opts.AppIDs != nil && !slices.Contains(s.opts.AppIDs, body.Request.AppID)):
		fail("KER-ATH-007", "invalid appId")
		return
	}
	tok, ttl, _, err := s.realmToken(r.Context(), body.Request.ClientID, body.Request.SecretKey)
	if err != nil {
		fail("KER-ATH-401", "Authentication Failed")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "Authorization", Value: tok, MaxAge: int(ttl.Seconds()), Path: "/",
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]any{"id": nil, "version": nil, "responsetime": s.stamp(), "metadata": nil,
		"response": map[string]string{"status": "Success", "message": "Clientid and Token combination had been validated successfully"},
		"errors":   nil})
}
