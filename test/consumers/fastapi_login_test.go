package consumers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/render"
)

const (
	// openg2pEnvPrefix is openg2p-fastapi-common's and openg2p-fastapi-auth's env_prefix
	// ("common_"; pydantic-settings matches it case-insensitively). An ESignetRelyingParty
	// output for this service sets envPrefix to it.
	openg2pEnvPrefix = "COMMON_"
	openg2pClientID  = "openg2p-fastapi-auth-login"
	// openg2pAfterLogin is where the UI asks the service to send the browser after login.
	openg2pAfterLogin = "/after-login"
	// openg2pCallbackPath is the package's OAuthController route (no root path configured).
	openg2pCallbackPath = "/oauth2/callback"
	// jtiNoteText is the ConfigRendered note the operator adds for eSignet v1.6 and later
	// (controllers/relyingparty_render.go, jtiNote).
	jtiNoteText = "OpenG2P's apps send client assertions without a jti, which eSignet v1.6 and later refuse"
)

// TestOpenG2PFastAPILogin proves the fastapi-auth and env outputs with OpenG2P's own code:
// openg2p-fastapi-auth's login service (from PyPI, hack/openg2p-venv.sh) runs under uvicorn on
// 127.0.0.1 against a real PostgreSQL, configured only by what internal/render wrote for a key
// from internal/keys: the login_providers row through the rendered SQL (in the table the
// package's own model creates) or the env-only LOGIN_PROVIDERS_LIST, and the issuer and JWKS
// variables of the env output. A test client plays the browser: the provider listing, the
// service's redirect to the fake eSignet's authorize endpoint, the callback on which the service
// redeems the code with its own private_key_jwt assertion, and the profile endpoint, which
// validates the tokens against the JWKS the env output names.
//
// Two releases: openg2p-fastapi-auth 1.1.2 reads the table row; 1.1.3, the last release with a
// login flow, never reads the table (BaseORMModel.table_exists_cached is always False) and logs
// in only with the env-only variant. eSignet v1.5 takes the packages' assertion as it is; v1.8
// refuses it for want of a jti, the documented limit the operator's ConfigRendered condition
// states.
func TestOpenG2PFastAPILogin(t *testing.T) {
	OpenG2PVenv(t) // fail fast, before PostgreSQL starts, when the venvs are missing
	for set, want := range map[string]map[string]string{
		OpenG2PAuth112: {"openg2p-fastapi-auth": "1.1.2", "openg2p-fastapi-common": "1.1.2"},
		OpenG2PAuth113: {"openg2p-fastapi-auth": "1.1.3", "openg2p-fastapi-common": "1.1.6", "openg2p-fastapi-auth-models": "1.1.6"},
	} {
		got := OpenG2PVersions(t, set)
		for dist, v := range want {
			if got[dist] != v {
				t.Fatalf("%s: %s %s, want %s", set, dist, got[dist], v)
			}
		}
		t.Logf("%s: %v", set, got)
	}
	d := StartPostgres(t)

	t.Run("auth 1.1.2 table row, v1.5", func(t *testing.T) {
		t.Parallel()
		s := newOpenG2PScenario(t, d, scenario{packages: OpenG2PAuth112, gen: "v1.5"})
		s.loginOK(t)
	})

	t.Run("auth 1.1.3 env-only variant, v1.5", func(t *testing.T) {
		t.Parallel()
		s := newOpenG2PScenario(t, d, scenario{packages: OpenG2PAuth113, gen: "v1.5", envList: true})
		s.loginOK(t)
	})

	t.Run("auth 1.1.3 ignores the table row", func(t *testing.T) {
		t.Parallel()
		// openg2p-fastapi-common 1.1.3+ models.py BaseORMModel.table_exists_cached starts with
		// "if cls.__abstract__: return False", and LoginProvider inherits __abstract__ = True from
		// BaseORMModelWithTimes; past it, inspect() of an AsyncConnection would raise anyway.
		s := newOpenG2PScenario(t, d, scenario{packages: OpenG2PAuth113, gen: "v1.5"})
		_, err := s.login(t)
		se := mustStage(t, err, "providers", http.StatusOK)
		if se.Body != `{"loginProviders":[]}` {
			t.Fatalf("providers: %v", se)
		}
	})

	t.Run("v1.8 refuses the assertion without jti", func(t *testing.T) {
		if !esignet.V1_8.RequiresAssertionJTI() || esignet.V1_5.RequiresAssertionJTI() {
			t.Fatal("internal/esignet no longer says v1.8, and not v1.5, requires the jti")
		}
		src, err := os.ReadFile("../../controllers/relyingparty_render.go")
		if err != nil || !bytes.Contains(src, []byte(jtiNoteText)) {
			t.Fatalf("the operator's ConfigRendered jti note changed (%v); update jtiNoteText and this test", err)
		}
		for _, set := range []string{OpenG2PAuth112, OpenG2PAuth113} {
			t.Run(set, func(t *testing.T) {
				t.Parallel()
				s := newOpenG2PScenario(t, d, scenario{packages: set, gen: "v1.8", envList: set == OpenG2PAuth113})
				s.jtiRefused(t)
			})
		}
	})

	// The rendered values matter: each wrong one stops the login.
	t.Run("broken", func(t *testing.T) {
		t.Run("key form: JWK as JSON text", func(t *testing.T) {
			t.Parallel()
			// client_assertion_jwk holding the JWK's JSON text instead of the object: python-jose
			// cannot sign with it, so the callback fails before any token request.
			s := newOpenG2PScenario(t, d, scenario{packages: OpenG2PAuth112, gen: "v1.5", afterSQL: `UPDATE login_providers SET
  authorization_parameters = jsonb_set(authorization_parameters::jsonb, '{client_assertion_jwk}',
    to_jsonb((authorization_parameters->'client_assertion_jwk')::text))::json`})
			_, err := s.login(t)
			mustStage(t, err, "callback", http.StatusInternalServerError)
			if n := len(s.p.requests(http.MethodPost, pathOf(t, s.in.Endpoints.TokenEndpoint))); n != 0 {
				t.Errorf("%d token requests, want none", n)
			}
			if !s.svc.LogContains(5*time.Second, "JWKError") {
				t.Errorf("the service log does not show python-jose's JWKError:\n%s", s.svc.Log())
			}
		})
		t.Run("issuer: host root against v1.5", func(t *testing.T) {
			t.Parallel()
			// The env output naming the host root (v1.8's form) while v1.5 signs with
			// .../v1/esignet: the code is redeemed, the profile is refused.
			s := newOpenG2PScenario(t, d, scenario{packages: OpenG2PAuth112, gen: "v1.5", render: func(in *render.Input, p *recordedIDP) {
				in.Endpoints.Issuer = p.fake.URL()
			}})
			_, err := s.login(t)
			se := mustStage(t, err, "profile", http.StatusUnauthorized)
			if !strings.Contains(se.Body, "Unknown Issuer") {
				t.Fatalf("profile: %v", se)
			}
		})
		t.Run("redirect URI: not the registered one", func(t *testing.T) {
			t.Parallel()
			// The SPAR path (/api/selfservice/oauth2/callback) instead of the registered callback.
			s := newOpenG2PScenario(t, d, scenario{packages: OpenG2PAuth112, gen: "v1.5", render: func(in *render.Input, _ *recordedIDP) {
				in.RedirectURI = strings.TrimSuffix(in.RedirectURI, openg2pCallbackPath) + "/api/selfservice" + openg2pCallbackPath
			}})
			_, err := s.login(t)
			se := mustStage(t, err, "authorize", http.StatusBadRequest)
			if !strings.Contains(se.Body, "invalid_redirect_uri") {
				t.Fatalf("authorize: %v", se)
			}
		})
		t.Run("auth 1.1.3 clock east of UTC", func(t *testing.T) {
			t.Parallel()
			// Not a rendered value: 1.1.3 takes iat and exp from a naive UTC datetime's
			// .timestamp(), which Python reads as local time, so at UTC+05:30 its assertion
			// expired 4.5 h ago (controllers/oauth_controller.py lines 132-133 and 140-141; 1.1.2
			// passed the datetimes to python-jose, which converts them as UTC).
			s := newOpenG2PScenario(t, d, scenario{packages: OpenG2PAuth113, gen: "v1.5", envList: true,
				env: map[string]string{"TZ": "IST-5:30"}})
			_, err := s.login(t)
			mustStage(t, err, "callback", http.StatusUnauthorized)
			claims := s.assertionClaims(t, s.tokenRequest(t))
			iat, _ := claims["iat"].(float64)
			if skew := time.Since(time.Unix(int64(iat), 0)); skew < 5*time.Hour || skew > 6*time.Hour {
				t.Errorf("iat %v is %s before now, want about 5.5 h", claims["iat"], skew)
			}
		})
	})
}

// loginOK logs in and checks every step against the rendered configuration.
func (s *openg2pScenario) loginOK(t *testing.T) {
	t.Helper()
	res, err := s.login(t)
	if err != nil {
		t.Fatal(err)
	}
	s.checkAssertion(t, s.tokenRequest(t))
	if ex := s.tokenExchange(t); ex.Status != http.StatusOK {
		t.Fatalf("token endpoint answered %d: %s", ex.Status, ex.Body)
	}
	p := res.profile
	if p["iss"] != s.in.Endpoints.Issuer || p["sub"] == nil || p["sub"] == "" || p["name"] == nil ||
		p["email"] == nil || p["birthdate"] == nil {
		t.Errorf("profile %v", redactedProfile(p))
	}
	if jwks := s.p.requests(http.MethodGet, pathOf(t, s.jwksURL())); len(jwks) == 0 {
		t.Error("the service never fetched the JWKS the env output names")
	}
	if ui := s.p.requests(http.MethodGet, pathOf(t, s.in.Endpoints.UserinfoEndpoint)); len(ui) != 1 || ui[0].Status != http.StatusOK {
		t.Errorf("userinfo calls %+v, want one answered 200", ui)
	}
	t.Logf("service up in %s; logged in as %v (%v)", s.svc.StartupTime.Round(time.Millisecond), p["sub"], p["name"])
}

// jtiRefused checks a v1.8 login fails at the token request for the missing jti alone.
func (s *openg2pScenario) jtiRefused(t *testing.T) {
	t.Helper()
	_, err := s.login(t)
	se := mustStage(t, err, "callback", http.StatusUnauthorized)
	if !strings.Contains(se.Body, "Failed to get token from Oauth Server") {
		t.Fatalf("callback: %v", se)
	}
	form := maps.Clone(s.tokenRequest(t))
	claims := s.checkAssertion(t, form)
	names := slices.Sorted(maps.Keys(claims))
	if _, ok := claims["jti"]; ok {
		t.Fatal("the package now sends a jti: update docs/openg2p.md, the operator's note and this test")
	}
	ex := s.tokenExchange(t)
	if ex.Status != http.StatusBadRequest || !strings.Contains(ex.Body, `"error":"invalid_client"`) {
		t.Fatalf("token endpoint answered %d %s, want 400 invalid_client", ex.Status, ex.Body)
	}
	if !s.svc.LogContains(5*time.Second, "Error while fetching token from token endpoint", "400 Bad Request") {
		t.Errorf("the service did not log the token endpoint's 400:\n%s", s.svc.Log())
	}
	// The jti is the only thing missing: the same claims plus a jti, signed with the same key,
	// redeem the same code.
	claims["jti"] = "jti-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	form.Set("client_assertion", signClaims(t, s.key, claims))
	resp, body := postForm(t, s.in.Endpoints.TokenEndpoint, form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"id_token"`) {
		t.Fatalf("the package's assertion plus a jti: %s %s", resp.Status, body)
	}
	t.Logf("v1.8: the package's assertion (claims %v) gets 400 invalid_client, the same plus a jti 200; "+
		"the operator's condition says: %s", names, jtiNoteText)
}

// TestRenderedParametersAgainstOpenG2PSchemas validates the rendered authorization_parameters
// with the packages' own pydantic models: openg2p-fastapi-auth 1.1.2's and 1.1.3's, which the
// login flow reads, accept them; openg2p-fastapi-auth-models 1.1.4+ renamed the fields
// (auth_endpoint, validation_endpoint, jwks_uri, oauth_callback_url, extra_authorize_params) for
// a flat, Odoo-like login_providers table, and no published package logs in from that table.
func TestRenderedParametersAgainstOpenG2PSchemas(t *testing.T) {
	p := startIDP(t, fakeesignet.Options{Generation: "v1.5"})
	key := newKey(t)
	in := renderInput(t, p, openg2pClientID, "http://127.0.0.1:8000"+openg2pCallbackPath, key)
	doc, err := render.Render(render.FormatFastAPIAuth, in)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		OK                  bool     `json:"ok"`
		Errors              []string `json:"errors"`
		ClientAssertionType string   `json:"client_assertion_type"`
		Ignored             []string `json:"ignored"`
	}
	schemas := func(set string) map[string]result {
		var got map[string]result
		if err := json.Unmarshal(OpenG2PRun(t, set, "schemas", doc.Data["authorization_parameters.json"]), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	// The rendered URN is the value of private_key_jwt in 1.1.2 and of private_key_jwt_legacy
	// ("Left of backward compat") in 1.1.3; "private_key_jwt" would fail 1.1.2's enum.
	for set, wantType := range map[string]string{OpenG2PAuth112: "private_key_jwt", OpenG2PAuth113: "private_key_jwt_legacy"} {
		if auth := schemas(set)["openg2p_fastapi_auth"]; !auth.OK || len(auth.Ignored) != 0 || auth.ClientAssertionType != wantType {
			t.Errorf("openg2p-fastapi-auth of %s: %+v", set, auth)
		}
	}
	models := schemas(OpenG2PAuth113)["openg2p_fastapi_auth_models"]
	wantErrs := []string{"auth_endpoint: missing", "jwks_uri: missing", "oauth_callback_url: missing", "validation_endpoint: missing"}
	if models.OK || !slices.Equal(models.Errors, wantErrs) {
		t.Errorf("openg2p-fastapi-auth-models 1.1.6: %+v, want errors %v", models, wantErrs)
	}
}

// scenario is one service set up from rendered outputs.
type scenario struct {
	packages string // OpenG2PAuth112 or OpenG2PAuth113
	gen      string
	// render changes the render input after registration: a wrong rendered value.
	render func(in *render.Input, p *recordedIDP)
	// afterSQL runs after the rendered upsert: a row changed by hand.
	afterSQL string
	// envList configures the provider through <prefix>LOGIN_PROVIDERS_LIST instead of the table.
	envList bool
	// env is added to the service's environment.
	env map[string]string
}

type openg2pScenario struct {
	p   *recordedIDP
	key *keys.KeyPair
	in  render.Input
	env render.Document // the env output
	svc *OpenG2PService
}

var dbSeq struct {
	sync.Mutex
	n int
}

func newOpenG2PScenario(t *testing.T, d *DB, sc scenario) *openg2pScenario {
	t.Helper()
	s := &openg2pScenario{p: startRecordedIDP(t, sc.gen), key: newKey(t)}
	ln, svcURL := OpenG2PListener(t)
	redirect := svcURL + openg2pCallbackPath
	s.p.register(t, openg2pClientID, redirect, s.key)
	s.in = renderInput(t, s.p.idp, openg2pClientID, redirect, s.key)
	s.in.EnvPrefix = openg2pEnvPrefix
	if sc.render != nil {
		sc.render(&s.in, s.p)
	}
	fastapi, err := render.Render(render.FormatFastAPIAuth, s.in)
	if err != nil {
		t.Fatal(err)
	}
	if s.env, err = render.Render(render.FormatEnv, s.in); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range s.env.Data {
		env[k] = string(v)
	}
	dbSeq.Lock()
	dbSeq.n++
	db := fmt.Sprintf("openg2p_auth_%d", dbSeq.n)
	dbSeq.Unlock()
	d.CreateDatabase(t, db)
	if sc.envList {
		for _, k := range []string{"LOGIN_PROVIDERS_LIST", "LOGIN_PROVIDERS_LIST_PKCE_CODE_VERIFIER"} {
			v, ok := fastapi.Data[openg2pEnvPrefix+k]
			if !ok {
				t.Fatalf("fastapi-auth output has no %s%s", openg2pEnvPrefix, k)
			}
			env[openg2pEnvPrefix+k] = string(v)
		}
		// The database stays empty (no table): the service must not need it.
	} else {
		MigrateOpenG2P(t, sc.packages, d, db)
		if err := d.Exec(t, db, string(fastapi.Data["login_provider.sql"])); err != nil {
			t.Fatalf("rendered login_provider.sql: %v", err)
		}
		if sc.afterSQL != "" {
			if err := d.Exec(t, db, sc.afterSQL); err != nil {
				t.Fatal(err)
			}
		}
	}
	maps.Copy(env, sc.env)
	s.svc = StartOpenG2PService(t, OpenG2PConfig{Packages: sc.packages, DB: d, Database: db, Env: env, Listener: ln})
	return s
}

func (s *openg2pScenario) jwksURL() string {
	var urls []string
	_ = json.Unmarshal(s.env.Data[openg2pEnvPrefix+"AUTH_DEFAULT_JWKS_URLS"], &urls)
	if len(urls) != 1 {
		return ""
	}
	return urls[0]
}

// stageError is a login step that did not go as a browser needs it to.
type stageError struct {
	Stage  string
	Status int
	Body   string
}

func (e *stageError) Error() string {
	return fmt.Sprintf("login failed at %s: HTTP %d: %s", e.Stage, e.Status, e.Body)
}

func mustStage(t *testing.T, err error, stage string, status int) *stageError {
	t.Helper()
	var se *stageError
	if !errors.As(err, &se) || se.Stage != stage || se.Status != status {
		t.Fatalf("want the login to fail at %s with HTTP %d, got %v", stage, status, err)
	}
	return se
}

type openg2pLoginResult struct {
	profile map[string]any
}

// login plays the browser. Every step a browser cannot go on from is a *stageError; a step
// that answers but not as the rendered configuration says fails the test.
func (s *openg2pScenario) login(t *testing.T) (*openg2pLoginResult, error) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	// get sends what a browser sends (no redirect followed) and returns the answer.
	get := func(stage, u string, cookies ...*http.Cookie) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return resp, string(b)
	}

	// 1. The login-provider listing shows the rendered provider.
	resp, body := get("providers", s.svc.URL+"/auth/getLoginProviders")
	if resp.StatusCode != http.StatusOK {
		return nil, &stageError{"providers", resp.StatusCode, body}
	}
	var listing struct {
		LoginProviders []struct {
			ID             int    `json:"id"`
			Name           string `json:"name"`
			Type           string `json:"type"`
			DisplayName    any    `json:"displayName"`
			DisplayIconURL string `json:"displayIconUrl"`
		} `json:"loginProviders"`
	}
	if err := json.Unmarshal([]byte(body), &listing); err != nil {
		t.Fatalf("provider listing %s: %v", body, err)
	}
	if len(listing.LoginProviders) != 1 {
		return nil, &stageError{"providers", resp.StatusCode, body}
	}
	lp := listing.LoginProviders[0]
	if lp.Name != s.in.Name || lp.Type != "oauth2_auth_code" || lp.DisplayName != "Login with "+s.in.Name {
		t.Fatalf("listed provider %+v", lp)
	}

	// 2. The service redirects to the authorize endpoint with the rendered parameters.
	resp, body = get("redirect", fmt.Sprintf("%s/auth/getLoginProviderRedirect/%d?redirect_uri=%s",
		s.svc.URL, lp.ID, url.QueryEscape(openg2pAfterLogin)))
	if resp.StatusCode != http.StatusTemporaryRedirect {
		return nil, &stageError{"redirect", resp.StatusCode, body}
	}
	authz, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	s.checkAuthorize(t, authz, lp.ID)

	// 3. The fake eSignet authenticates its demo user and sends the browser to the callback.
	resp, body = get("authorize", authz.String())
	if resp.StatusCode != http.StatusFound {
		return nil, &stageError{"authorize", resp.StatusCode, body}
	}
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if q := cb.Query(); q.Get("error") != "" {
		return nil, &stageError{"authorize", resp.StatusCode, "redirected with error=" + q.Get("error")}
	}
	if cb.Scheme+"://"+cb.Host+cb.Path != s.in.RedirectURI || cb.Query().Get("state") != authz.Query().Get("state") {
		t.Fatalf("authorize redirected to %s", redactQuery(cb))
	}

	// 4. The callback: the service redeems the code and sets its session cookies.
	resp, body = get("callback", cb.String())
	if resp.StatusCode != http.StatusTemporaryRedirect {
		return nil, &stageError{"callback", resp.StatusCode, body}
	}
	if loc := resp.Header.Get("Location"); loc != openg2pAfterLogin {
		t.Fatalf("callback redirected to %q, want %q", loc, openg2pAfterLogin)
	}
	session := map[string]*http.Cookie{}
	for _, c := range resp.Cookies() {
		session[c.Name] = c
	}
	for _, name := range []string{"X-Access-Token", "X-ID-Token"} {
		c := session[name]
		if c == nil || c.Value == "" || !c.HttpOnly || !c.Secure || c.Path != "/" {
			t.Fatalf("callback cookie %s: %+v", name, c)
		}
	}

	// 5. The profile endpoint validates the tokens against the env output's JWKS.
	resp, body = get("profile", s.svc.URL+"/auth/profile", session["X-Access-Token"], session["X-ID-Token"])
	if resp.StatusCode != http.StatusOK {
		return nil, &stageError{"profile", resp.StatusCode, body}
	}
	res := &openg2pLoginResult{}
	if err := json.Unmarshal([]byte(body), &res.profile); err != nil {
		t.Fatalf("profile: %v", err)
	}
	return res, nil
}

// checkAuthorize compares the service's authorize request with the rendered configuration.
func (s *openg2pScenario) checkAuthorize(t *testing.T, authz *url.URL, providerID int) {
	t.Helper()
	q := authz.Query()
	sum := sha256.Sum256([]byte(render.CodeVerifier(s.in)))
	want := map[string]string{
		"client_id":             s.in.ClientID,
		"response_type":         "code",
		"redirect_uri":          s.in.RedirectURI,
		"scope":                 s.in.Scope,
		"acr_values":            strings.Join(s.in.ACRValues, " "),
		"claims":                render.ClaimsRequest(s.in.Claims),
		"code_challenge":        base64.RawURLEncoding.EncodeToString(sum[:]),
		"code_challenge_method": render.CodeChallengeMethod,
		"state":                 fmt.Sprintf(`{"p":%d,"r":%q}`, providerID, openg2pAfterLogin),
	}
	if base := authz.Scheme + "://" + authz.Host + authz.Path; base != s.in.Endpoints.AuthorizationEndpoint {
		t.Errorf("redirect to %s, want the rendered authorize endpoint %s", base, s.in.Endpoints.AuthorizationEndpoint)
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("authorize %s = %q, want %q", k, got, v)
		}
	}
	if q.Get("nonce") == "" {
		t.Error("authorize request without nonce")
	}
	var extra []string
	for k := range q {
		if _, ok := want[k]; !ok && k != "nonce" {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		t.Errorf("unexpected authorize parameters %v", extra)
	}
}

// tokenRequest is the one form the service POSTed to the token endpoint.
func (s *openg2pScenario) tokenRequest(t *testing.T) url.Values {
	t.Helper()
	return s.tokenExchange(t).Form
}

func (s *openg2pScenario) tokenExchange(t *testing.T) exchange {
	t.Helper()
	ex := s.p.requests(http.MethodPost, pathOf(t, s.in.Endpoints.TokenEndpoint))
	if len(ex) != 1 {
		t.Fatalf("%d token requests, want 1", len(ex))
	}
	return ex[0]
}

// checkAssertion checks the token request and its client assertion against what the package
// is known to send (CONSUMERS.md §4) and returns the assertion's claims.
func (s *openg2pScenario) checkAssertion(t *testing.T, form url.Values) map[string]any {
	t.Helper()
	want := map[string]string{
		"grant_type": "authorization_code", "client_id": s.in.ClientID, "redirect_uri": s.in.RedirectURI,
		"code_verifier": render.CodeVerifier(s.in), "client_assertion_type": render.ClientAssertionType,
	}
	for k, v := range want {
		if got := form.Get(k); got != v {
			t.Errorf("token request %s = %q, want %q", k, got, v)
		}
	}
	if got := slices.Sorted(maps.Keys(form)); !slices.Equal(got, []string{"client_assertion", "client_assertion_type",
		"client_id", "code", "code_verifier", "grant_type", "redirect_uri"}) {
		t.Errorf("token request fields %v", got)
	}
	claims := s.assertionClaims(t, form)
	if got := slices.Sorted(maps.Keys(claims)); !slices.Equal(got, []string{"aud", "exp", "iat", "iss", "sub"}) {
		t.Errorf("assertion claims %v, want exactly aud exp iat iss sub", got)
	}
	iat, _ := claims["iat"].(float64)
	exp, _ := claims["exp"].(float64)
	if claims["iss"] != s.in.ClientID || claims["sub"] != s.in.ClientID || claims["aud"] != s.in.Endpoints.TokenEndpoint ||
		exp-iat < 3599 || exp-iat > 3600 || time.Since(time.Unix(int64(iat), 0)).Abs() > time.Minute {
		t.Errorf("assertion claims %v", claims)
	}
	return claims
}

// assertionClaims verifies the client assertion with the generated key's public half and
// checks its header: RS256, typ JWT, no kid.
func (s *openg2pScenario) assertionClaims(t *testing.T, form url.Values) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("client assertion: %v", err)
	}
	payload, err := jws.Verify(s.key.Public())
	if err != nil {
		t.Fatalf("the client assertion is not signed with the generated key: %v", err)
	}
	h := jws.Signatures[0].Header
	if h.Algorithm != "RS256" || h.KeyID != "" || fmt.Sprint(h.ExtraHeaders[jose.HeaderType]) != "JWT" {
		t.Errorf("assertion header alg %q kid %q typ %v", h.Algorithm, h.KeyID, h.ExtraHeaders[jose.HeaderType])
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func signClaims(t *testing.T, k *keys.KeyPair, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.Private},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func postForm(t *testing.T, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := http.PostForm(u, form) //nolint:noctx // the fake's loopback token endpoint
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp, string(b)
}

// recordedIDP is a fake eSignet served behind a recorder of every request that reaches it.
type recordedIDP struct {
	*idp
	mu  sync.Mutex
	log []exchange
}

// exchange is one request to the fake and its answer.
type exchange struct {
	Method, Path string
	Form         url.Values // the form of a form-encoded POST
	Status       int
	Body         string // the answer, at most 4 KiB
}

func startRecordedIDP(t *testing.T, gen string) *recordedIDP {
	t.Helper()
	api, ok := fakeAPI[gen]
	if !ok {
		t.Fatalf("no API version for fake %s", gen)
	}
	fake := fakeesignet.New(fakeesignet.Options{Generation: gen, ManagementClients: []fakeesignet.ManagementClient{
		{ID: mgmtID, Secret: mgmtSecret, Scopes: []string{"add_oidc_client", "update_oidc_client"}}}})
	r := &recordedIDP{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ex := exchange{Method: req.Method, Path: req.URL.Path}
		if req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			b, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
			req.Body = io.NopCloser(bytes.NewReader(b))
			ex.Form, _ = url.ParseQuery(string(b))
		}
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, req)
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		ex.Status, ex.Body = rec.Code, rec.Body.String()
		if len(ex.Body) > 4096 {
			ex.Body = ex.Body[:4096]
		}
		r.mu.Lock()
		r.log = append(r.log, ex)
		r.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	fake.SetURL(ts.URL)
	var d struct {
		Issuer    string `json:"issuer"`
		Authorize string `json:"authorization_endpoint"`
		Token     string `json:"token_endpoint"`
		JWKS      string `json:"jwks_uri"`
		Userinfo  string `json:"userinfo_endpoint"`
	}
	getJSON(t, fake.ServiceURL()+"/oidc/.well-known/openid-configuration", &d)
	r.idp = &idp{fake: fake, api: api, issuer: d.Issuer, authorize: d.Authorize, token: d.Token, jwks: d.JWKS, userinfo: d.Userinfo}
	return r
}

// requests are the recorded exchanges with this method and path.
func (r *recordedIDP) requests(method, path string) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []exchange
	for _, ex := range r.log {
		if ex.Method == method && ex.Path == path {
			out = append(out, ex)
		}
	}
	return out
}

func pathOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Path
}

func redactQuery(u *url.URL) string {
	c := *u
	c.RawQuery = "…"
	return c.String()
}

// redactedProfile keeps the profile's field names and the non-token values.
func redactedProfile(p map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range p {
		if k == "credentials" {
			v = "[token]"
		}
		out[k] = v
	}
	return out
}
