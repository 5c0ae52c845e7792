package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/render"
)

// showTokenExchanges logs in as the fake's demo user with every Ready relying party, the way an
// OpenG2P app does with the generated configuration: authorize, then exchange the code with a
// private_key_jwt client assertion signed by the key from the generated Secret.
func (d *demo) showTokenExchanges(ctx context.Context) {
	d.step("token exchange per relying party: authorize -> code -> private_key_jwt assertion signed with the generated key -> tokens")
	done := 0
	for _, k := range d.samples.rpKeys() {
		rp, err := d.getRP(ctx, k)
		if err != nil || !rpReady(rp) {
			d.detail(k + ": skipped (not Ready)")
			continue
		}
		if err := d.tokenExchange(ctx, rp); err != nil {
			d.failf("%s: token exchange: %v", k, err)
			continue
		}
		done++
	}
	if done == 0 {
		d.failf("no relying party completed a token exchange")
	}
}

func (d *demo) tokenExchange(ctx context.Context, rp *v1.ESignetRelyingParty) error {
	ep := rp.Status.Endpoints
	if ep == nil || ep.AuthorizationEndpoint == "" || ep.TokenEndpoint == "" || ep.JWKSURI == "" {
		return fmt.Errorf("status.endpoints are incomplete")
	}
	var secret corev1.Secret
	if err := d.k8s.Get(ctx, client.ObjectKey{Namespace: rp.Namespace, Name: rp.Status.SecretName}, &secret); err != nil {
		return fmt.Errorf("key Secret: %w", err)
	}
	d.out.red.addKey(secret.Data[keys.SecretKeyPrivatePEM], secret.Data[keys.SecretKeyPrivateJWK], string(secret.Data[keys.SecretKeyKeyID]))
	kp, err := keys.FromSecretData(secret.Data)
	if err != nil {
		return fmt.Errorf("key Secret %s: %w", secret.Name, err)
	}
	clientID := rp.Status.ClientID
	redirect := ""
	for _, r := range rp.Spec.RedirectURIs {
		if !strings.Contains(r, "*") {
			redirect = r
			break
		}
	}
	if redirect == "" {
		return fmt.Errorf("no redirect URI without wildcards")
	}
	d.detail(fmt.Sprintf("%s/%s: client %s, %s key kid %s read from Secret %s", rp.Namespace, rp.Name, clientID, kp.Algorithm, kp.KeyID, secret.Name))

	// 1. authorize: the fake signs the demo user in at once and redirects back with a code.
	verifier := randomHex(32)
	sum := sha256.Sum256([]byte(verifier))
	state, nonce := randomHex(8), randomHex(8)
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"scope": {"openid profile email"}, "state": {state}, "nonce": {nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	authURL := ep.AuthorizationEndpoint + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil) //nolint:gosec // the endpoint the operator discovered at the local fake
	if err != nil {
		return err
	}
	resp, err := d.httpc.Do(req) //nolint:gosec // the local fake eSignet
	if err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("authorize: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("authorize: Location: %w", err)
	}
	back := loc.Query()
	if e := back.Get("error"); e != "" {
		return fmt.Errorf("authorize: error %s", e)
	}
	code := back.Get("code")
	if code == "" || back.Get("state") != state {
		return fmt.Errorf("authorize: redirect without code or with another state: %s", loc.Redacted())
	}
	d.detail(fmt.Sprintf("  GET  %s?client_id=%s&redirect_uri=%s&scope=openid+profile+email&code_challenge=…(S256)&state&nonce",
		ep.AuthorizationEndpoint, clientID, redirect))
	d.detail(fmt.Sprintf("       -> 302 %s?code=%s…&state=…&iss=%s", redirect, code[:8], back.Get("iss")))

	// 2. token: the code plus a client assertion signed with the generated private key.
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(kp.Algorithm), Key: kp.Private},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kp.KeyID))
	if err != nil {
		return err
	}
	now := time.Now()
	assertion, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: clientID, Subject: clientID, Audience: jwt.Audience{ep.TokenEndpoint},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), ID: randomHex(16),
	}).Serialize()
	if err != nil {
		return err
	}
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "client_id": {clientID},
		"client_assertion_type": {render.ClientAssertionType}, "client_assertion": {assertion}, "code_verifier": {verifier},
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, ep.TokenEndpoint, strings.NewReader(form.Encode())) //nolint:gosec // the local fake eSignet
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = d.httpc.Do(req) //nolint:gosec // the local fake eSignet
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("token: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var tokens struct {
		IDToken     string `json:"id_token"`
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tokens); err != nil || tokens.IDToken == "" || tokens.AccessToken == "" {
		return fmt.Errorf("token: response without tokens: %w", err)
	}
	d.detail(fmt.Sprintf("  POST %s  client_assertion=<JWT %s kid %s, iss=sub=%s, aud=token endpoint> + code + code_verifier",
		ep.TokenEndpoint, kp.Algorithm, kp.KeyID, clientID))
	d.detail(fmt.Sprintf("       -> 200 id_token, access_token (%s, %d s)", tokens.TokenType, tokens.ExpiresIn))

	// 3. the ID token: signature checked against eSignet's JWKS, then its claims.
	claims, alg, err := d.verifyIDToken(ctx, tokens.IDToken, ep.JWKSURI)
	if err != nil {
		return fmt.Errorf("id_token: %w", err)
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: ep.Issuer, AnyAudience: jwt.Audience{clientID}, Time: time.Now()}, time.Minute); err != nil {
		return fmt.Errorf("id_token claims: %w", err)
	}
	if claims.Nonce != nonce {
		return fmt.Errorf("id_token nonce differs from the one sent")
	}
	d.detail(fmt.Sprintf("       id_token (%s, signature verified with %s): iss=%s sub=%s aud=%s acr=%s",
		alg, ep.JWKSURI, claims.Issuer, claims.Subject, strings.Join(claims.Audience, ","), claims.ACR))
	return nil
}

type idClaims struct {
	jwt.Claims
	ACR   string `json:"acr"`
	Nonce string `json:"nonce"`
}

func (d *demo) verifyIDToken(ctx context.Context, raw, jwksURI string) (*idClaims, string, error) {
	var set jose.JSONWebKeySet
	if err := d.getJSON(ctx, jwksURI, &set); err != nil {
		return nil, "", fmt.Errorf("JWKS: %w", err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256})
	if err != nil {
		return nil, "", err
	}
	h := tok.Headers[0]
	candidates := set.Keys
	if h.KeyID != "" {
		candidates = set.Key(h.KeyID)
	}
	for _, k := range candidates {
		var c idClaims
		if err := tok.Claims(k.Key, &c); err == nil {
			return &c, h.Algorithm, nil
		}
	}
	return nil, "", fmt.Errorf("no key of %s verifies the signature (kid %q)", jwksURI, h.KeyID)
}
