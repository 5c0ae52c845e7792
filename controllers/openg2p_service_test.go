package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/test/consumers"
)

// The running OpenG2P service follows the relying party: OpenG2P's own openg2p-fastapi-auth 1.1.2
// (from PyPI, hack/openg2p-venv.sh), which reads the login_providers table at every request,
// serves on 127.0.0.1 against a real PostgreSQL whose table the package's own migrate created.
// The operator applies the fastapi-auth row into it (apply.postgres, with a role of its own) and
// the service is started once, with the env output's ConfigMap as its environment (what envFrom
// gives a pod). A new redirect URI, a new claim set and a key rotation are each made only in the
// ESignetRelyingParty; the service's next login, a browser's five requests, uses the new value.
// Nothing is done by hand between the change and the login, and the service is not restarted.
//
// The fake speaks eSignet v1.5: the package sends client assertions without a jti, which v1.6 and
// later refuse (docs/openg2p.md).
func TestOpenG2PServiceFollowsTheRelyingParty(t *testing.T) {
	consumers.OpenG2PVenv(t) // fail fast when the packages are not installed
	f := newFixture(t, fakeesignet.Options{Generation: "v1.5"}, func(s *v1.ESignetProviderSpec) { s.APIVersion = "v1.5" })
	db := f.startServiceDatabase()

	// The service's socket is bound first: the redirect URIs name its port. The second URI
	// reaches the same socket under the name localhost (the package's callback path is fixed).
	ln, svcURL := consumers.OpenG2PListener(t)
	port := ln.Addr().(*net.TCPAddr).Port
	firstRedirect := svcURL + "/oauth2/callback"
	secondRedirect := fmt.Sprintf("http://localhost:%d/oauth2/callback", port)

	f.newRP("spar", func(r *v1.ESignetRelyingParty) {
		r.Spec.ClientName = "SPAR"
		r.Spec.RedirectURIs = []string{firstRedirect}
		r.Spec.UserClaims = []string{"name", "email"}
		r.Spec.Consumer = &v1.ConsumerSettings{Claims: []v1.RequestedClaim{{Name: "name", Essential: true}, {Name: "email"}}}
		r.Spec.Outputs = []v1.Output{
			{Format: "fastapi-auth", Name: "spar-login", RedirectURI: firstRedirect,
				Apply: &v1.OutputApply{Postgres: &v1.PostgresApply{SecretName: "app-db"}}},
			// openg2p-fastapi-common's own prefix; a SPAR chart sets SPAR_SELFSERVICE_.
			{Format: "env", Name: "spar-auth-env", EnvPrefix: "COMMON_"},
		}
	})
	rp := f.waitReady("spar")

	env := f.configMapData("spar-auth-env")
	env["COMMON_DB_DATASOURCE"] = fmt.Sprintf("postgresql+asyncpg://spar_app:%s@127.0.0.1:%d/%s", serviceDBPassword, db.d.Port(), db.database)
	svc := consumers.StartOpenG2PService(t, consumers.OpenG2PConfig{Packages: consumers.OpenG2PAuth112,
		DB: db.d, Database: db.database, Env: env, Listener: ln})
	t.Logf("openg2p-fastapi-auth 1.1.2 up in %s at %s", svc.StartupTime.Round(time.Millisecond), svc.URL)

	login := f.serviceLogin(svc, firstRedirect)
	login.expect(t, rp.Status.ClientID, firstRedirect, []string{"email", "name"}, []string{"name"})
	if login.profile["birthdate"] != nil {
		t.Fatalf("birthdate in the profile before it was registered: %v", login.profile)
	}

	// 1. A new redirect URI, in the relying party only.
	applied := rp.Status.Outputs[0].Applied.Hash
	f.update("spar", func(r *v1.ESignetRelyingParty) {
		r.Spec.RedirectURIs = []string{secondRedirect}
		r.Spec.Outputs[0].RedirectURI = secondRedirect
	})
	rp = f.waitApplied("spar", applied)
	if c, _ := f.fake.Client(rp.Status.ClientID); !slices.Equal(c.RedirectURIs, []string{secondRedirect}) {
		t.Fatalf("eSignet holds redirect URIs %v", c.RedirectURIs)
	}
	login = f.serviceLogin(svc, secondRedirect)
	login.expect(t, rp.Status.ClientID, secondRedirect, []string{"email", "name"}, []string{"name"})

	// 2. A new claim set: registered at eSignet and requested by the service.
	applied = rp.Status.Outputs[0].Applied.Hash
	f.update("spar", func(r *v1.ESignetRelyingParty) {
		r.Spec.UserClaims = []string{"name", "email", "birthdate", "gender"}
		r.Spec.Consumer.Claims = []v1.RequestedClaim{{Name: "name", Essential: true}, {Name: "email"},
			{Name: "birthdate", Essential: true}, {Name: "gender"}}
	})
	rp = f.waitApplied("spar", applied)
	login = f.serviceLogin(svc, secondRedirect)
	login.expect(t, rp.Status.ClientID, secondRedirect, []string{"birthdate", "email", "gender", "name"}, []string{"birthdate", "name"})
	if login.profile["birthdate"] == nil || login.profile["gender"] == nil {
		t.Fatalf("the profile lacks the newly requested claims: %v", login.profile)
	}

	// 3. A key rotation: a new client and key, the same row; the service logs in with the new
	// client while the old one is still ACTIVE at eSignet (its overlap).
	oldID := rp.Status.ClientID
	applied = rp.Status.Outputs[0].Applied.Hash
	f.update("spar", rotating("rotate-now", time.Hour))
	f.waitRotated("spar", 1)
	rp = f.waitApplied("spar", applied)
	if rp.Status.ClientID == oldID || f.clientStatus(oldID) != "ACTIVE" {
		t.Fatalf("after the rotation: client %s, the old one %s", rp.Status.ClientID, f.clientStatus(oldID))
	}
	login = f.serviceLogin(svc, secondRedirect)
	login.expect(t, rp.Status.ClientID, secondRedirect, []string{"birthdate", "email", "gender", "name"}, []string{"birthdate", "name"})
	if n := db.rows(t, "SELECT count(*) FROM login_providers")[0][0]; n != "1" {
		t.Fatalf("%s login_providers rows after the rotation, want the one row taken over", n)
	}
}

const serviceDBPassword = "app-pw-4711"

// startServiceDatabase is a real PostgreSQL on loopback with the login_providers table the
// openg2p-fastapi-auth 1.1.2 package's migrate creates, a role for the service and one for the
// operator (both with passwords over TCP), and the operator's connection Secret app-db.
func (f *fixture) startServiceDatabase() *dbFixture {
	f.t.Helper()
	d := consumers.StartPostgres(f.t)
	db := &dbFixture{d: d, database: "spar"}
	d.CreateDatabase(f.t, db.database)
	consumers.MigrateOpenG2P(f.t, consumers.OpenG2PAuth112, d, db.database) // as the superuser, before passwords
	grants := fmt.Sprintf(`CREATE ROLE operator LOGIN PASSWORD 's3cret-pw';
CREATE ROLE spar_app LOGIN PASSWORD '%s';
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO operator;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO operator;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO spar_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO spar_app;`, serviceDBPassword)
	if err := d.Exec(f.t, db.database, grants); err != nil {
		f.t.Fatal(err)
	}
	d.RequirePasswordOnTCP(f.t)
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "app-db"}, Data: map[string][]byte{
		"host": []byte("127.0.0.1"), "port": []byte(strconv.Itoa(d.Port())), "database": []byte(db.database),
		"user": []byte("operator"), "password": []byte("s3cret-pw"), "sslmode": []byte("disable")}})
	return db
}

// waitApplied waits until the relying party is Ready for its current generation with its first
// output's row applied anew (a hash other than before).
func (f *fixture) waitApplied(name, before string) *v1.ESignetRelyingParty {
	f.t.Helper()
	var rp *v1.ESignetRelyingParty
	f.eventually(name+" applied anew", func() (bool, string) {
		rp = f.get(name)
		if len(rp.Status.Outputs) == 0 || rp.Status.Outputs[0].Applied == nil {
			return false, fmt.Sprintf("outputs %+v", rp.Status.Outputs)
		}
		h := rp.Status.Outputs[0].Applied.Hash
		return h != before && rpReadyNow(rp), fmt.Sprintf("applied %s (was %s), conditions %+v", h, before, rp.Status.Conditions)
	})
	return rp
}

func rpReadyNow(rp *v1.ESignetRelyingParty) bool {
	for _, c := range rp.Status.Conditions {
		if c.Type == v1.ConditionReady {
			return c.Status == metav1.ConditionTrue && c.ObservedGeneration == rp.Generation && rp.Status.ObservedGeneration == rp.Generation
		}
	}
	return false
}

// configMapData is a ConfigMap's data as environment variables.
func (f *fixture) configMapData(name string) map[string]string {
	f.t.Helper()
	cm := &corev1.ConfigMap{}
	if err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name}, cm); err != nil {
		f.t.Fatalf("ConfigMap %s: %v", name, err)
	}
	env := map[string]string{}
	for k, v := range cm.Data {
		env[k] = v
	}
	return env
}

// serviceLogin is what a browser does: the provider listing, the service's redirect to eSignet's
// authorize endpoint, the fake's redirect back to the registered callback, the callback on which
// the service redeems the code with its own private_key_jwt assertion, and the profile.
type serviceLogin struct {
	authorize *url.URL
	callback  *url.URL
	profile   map[string]any
}

func (f *fixture) serviceLogin(svc *consumers.OpenG2PService, wantCallback string) *serviceLogin {
	f.t.Helper()
	t := f.t
	hc := loopbackBrowser()
	defer hc.CloseIdleConnections()
	get := func(stage, u string, cookies ...*http.Cookie) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return resp, string(b)
	}
	location := func(stage string, resp *http.Response, body string, status int) *url.URL {
		t.Helper()
		if resp.StatusCode != status {
			t.Fatalf("%s: HTTP %d, want %d: %s\nservice log:\n%s", stage, resp.StatusCode, status, body, svc.Log())
		}
		u, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatalf("%s: Location: %v", stage, err)
		}
		return u
	}

	resp, body := get("providers", svc.URL+"/auth/getLoginProviders")
	var listing struct {
		LoginProviders []struct {
			ID int `json:"id"`
		} `json:"loginProviders"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &listing) != nil || len(listing.LoginProviders) != 1 {
		t.Fatalf("providers: HTTP %d: %s", resp.StatusCode, body)
	}
	l := &serviceLogin{}
	resp, body = get("redirect", fmt.Sprintf("%s/auth/getLoginProviderRedirect/%d?redirect_uri=%%2Fafter-login", svc.URL, listing.LoginProviders[0].ID))
	l.authorize = location("redirect", resp, body, http.StatusTemporaryRedirect)
	resp, body = get("authorize", l.authorize.String())
	l.callback = location("authorize", resp, body, http.StatusFound)
	if e := l.callback.Query().Get("error"); e != "" || l.callback.Scheme+"://"+l.callback.Host+l.callback.Path != wantCallback {
		t.Fatalf("eSignet redirected to %s://%s%s (error %q), want %s", l.callback.Scheme, l.callback.Host, l.callback.Path, e, wantCallback)
	}
	resp, body = get("callback", l.callback.String())
	if loc := location("callback", resp, body, http.StatusTemporaryRedirect); loc.String() != "/after-login" {
		t.Fatalf("callback redirected to %s", loc)
	}
	var session []*http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "X-Access-Token" || c.Name == "X-ID-Token" {
			session = append(session, c)
		}
	}
	if len(session) != 2 {
		t.Fatalf("callback set cookies %v", resp.Cookies())
	}
	resp, body = get("profile", svc.URL+"/auth/profile", session...)
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &l.profile) != nil {
		t.Fatalf("profile: HTTP %d: %s\nservice log:\n%s", resp.StatusCode, body, svc.Log())
	}
	return l
}

// expect checks the service's authorize request and the tokens it got: the client, the redirect
// URI, the requested claims (and which are essential), and the access token's audience.
func (l *serviceLogin) expect(t *testing.T, clientID, redirect string, claims, essential []string) {
	t.Helper()
	q := l.authorize.Query()
	if q.Get("client_id") != clientID || q.Get("redirect_uri") != redirect {
		t.Fatalf("the service asked eSignet for client %q, redirect_uri %q; want %q, %q", q.Get("client_id"), q.Get("redirect_uri"), clientID, redirect)
	}
	var req struct {
		Userinfo map[string]*struct {
			Essential bool `json:"essential"`
		} `json:"userinfo"`
	}
	if err := json.Unmarshal([]byte(q.Get("claims")), &req); err != nil {
		t.Fatalf("claims %q: %v", q.Get("claims"), err)
	}
	var names, ess []string
	for n, c := range req.Userinfo {
		names = append(names, n)
		if c != nil && c.Essential {
			ess = append(ess, n)
		}
	}
	slices.Sort(names)
	slices.Sort(ess)
	if !slices.Equal(names, claims) || !slices.Equal(ess, essential) {
		t.Fatalf("the service requested claims %v (essential %v), want %v (essential %v)", names, ess, claims, essential)
	}
	if l.profile["aud"] != clientID || l.profile["client_id"] != clientID {
		t.Fatalf("the service's tokens are for %v/%v, want %s", l.profile["aud"], l.profile["client_id"], clientID)
	}
	if l.profile["name"] == nil || l.profile["email"] == nil || l.profile["sub"] == nil {
		t.Fatalf("profile %v", l.profile)
	}
	var got []string
	for k, v := range l.profile {
		if v != nil && k != "credentials" {
			got = append(got, k)
		}
	}
	slices.Sort(got)
	t.Logf("logged in through the service: client_id=%s redirect_uri=%s claims=%s; profile holds %v",
		clientID, redirect, q.Get("claims"), got)
}

// loopbackBrowser is an HTTP client that follows no redirect and dials loopback only: localhost
// is 127.0.0.1, and any other name or address is refused.
func loopbackBrowser() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if strings.EqualFold(host, "localhost") {
				host = "127.0.0.1"
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("refusing to dial %s: not a loopback address", addr)
			}
			return dialer.DialContext(ctx, network, net.JoinHostPort(host, port))
		}}}
}
