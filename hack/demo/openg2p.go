package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// The login through OpenG2P's own service: openg2p-fastapi-auth 1.1.2 (with openg2p-fastapi-common
// 1.1.2), installed from PyPI at pinned versions into the venv hack/openg2p-venv.sh builds, reads
// the login_providers row at every request. The demo runs it on 127.0.0.1 against its PostgreSQL,
// with a relying party of its own whose fastapi-auth row the operator applies there and whose env
// output is the service's environment, and logs in through it as a browser does.
//
// That relying party uses a second fake eSignet, at v1.5: the package's client assertions carry
// no jti, which eSignet v1.6 and later refuse (docs/openg2p.md), and the samples' provider is v1.8.

const (
	serviceRP       = "openg2p-fastapi-auth"
	serviceProvider = "esignet-v1-5"
	serviceGen      = "v1.5"
	servicePackages = "auth-1.1.2" // the venv of openg2p-requirements-auth-1.1.2.txt
	serviceDB       = "openg2p_fastapi_auth"
	serviceDBRole   = "openg2p_app"
	// serviceLauncher starts the packages the way OpenG2P's services wire them (its migrate,
	// serve and versions commands); the consumer tests use the same file.
	serviceLauncher = "test/consumers/openg2p_service.py"
)

// openg2pService is what the service step started.
type openg2pService struct {
	fake    *child
	fakeURL string
	proc    *child
	url     string
	venv    string
	ns      string // of the relying party
}

// openg2pVenv asks hack/openg2p-venv.sh --check for the packages' venvs; it never builds them.
func (d *demo) openg2pVenv(ctx context.Context) (string, string) {
	cmd := exec.CommandContext(ctx, filepath.Join(d.cfg.root, "hack", "openg2p-venv.sh"), "--check") //nolint:gosec // the project's own script
	cmd.Dir = d.cfg.root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", strings.TrimSpace(strings.TrimPrefix(stderr.String(), "openg2p-venv: "))
	}
	dir := strings.TrimSpace(stdout.String())
	if !isExec(filepath.Join(dir, servicePackages, "bin", "python")) {
		return "", dir + " has no " + servicePackages + " venv"
	}
	return dir, ""
}

// showServiceLogin runs the service and logs in through it, where PostgreSQL and the packages
// are installed; elsewhere it says what is missing and goes on.
func (d *demo) showServiceLogin(ctx context.Context) {
	if d.pg == nil {
		d.step("login through OpenG2P's own service (openg2p-fastapi-auth): skipped, it needs the demo's PostgreSQL")
		return
	}
	venv, why := d.openg2pVenv(ctx)
	if venv == "" {
		d.step("login through OpenG2P's own service (openg2p-fastapi-auth): skipped, its packages are not installed (%s); "+
			"hack/openg2p-venv.sh installs them from PyPI (pinned, with hashes; about 30 s, once per machine)", why)
		return
	}
	d.svc = &openg2pService{venv: venv}
	if err := d.runServiceLogin(ctx); err != nil {
		d.failf("login through openg2p-fastapi-auth: %v", err)
	}
}

func (d *demo) runServiceLogin(ctx context.Context) error {
	s := d.svc
	d.step("login through OpenG2P's own service: openg2p-fastapi-auth 1.1.2 from %s/%s, which reads the login_providers row at every request",
		s.venv, servicePackages)
	dir := filepath.Join(d.tmp, "openg2p")
	if err := os.MkdirAll(filepath.Join(dir, "service"), 0o700); err != nil { //nolint:gosec // inside the demo's own temp dir
		return err
	}
	launcher, err := os.ReadFile(filepath.Join(d.cfg.root, serviceLauncher)) //nolint:gosec // the project's own launcher
	if err != nil {
		return err
	}
	script := filepath.Join(dir, "service", "openg2p_service.py")
	if err := os.WriteFile(script, launcher, 0o600); err != nil { //nolint:gosec // inside the demo's own temp dir
		return err
	}
	python := filepath.Join(s.venv, servicePackages, "bin", "python")

	// 1. eSignet v1.5, which takes the package's assertions (no jti).
	secret := randomHex(24)
	d.out.red.addSecret(secret, "management client secret")
	var issuer string
	s.fake, s.fakeURL, issuer, err = d.runFake(ctx, "fake-esignet-"+serviceGen, serviceGen, secret)
	if err != nil {
		return err
	}
	d.step("fake eSignet %s pid %d listening on %s (TLS verified against the demo CA; issuer %s): the package sends client assertions without a jti, which v1.6 and later refuse",
		serviceGen, s.fake.pid(), s.fakeURL, issuer)

	// 2. The app's database: its own role owns it, and the package's migrate creates the table.
	appPW := randomHex(16)
	d.out.red.addSecret(appPW, "database password")
	opPW, err := d.ensureOperatorRole(ctx)
	if err != nil {
		return err
	}
	if err := d.pg.exec(ctx, "postgres", fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s", serviceDBRole, sqlLiteral(appPW))); err != nil {
		return err
	}
	if err := d.pg.exec(ctx, "postgres", fmt.Sprintf("CREATE DATABASE %s OWNER %s", serviceDB, serviceDBRole)); err != nil {
		return err
	}
	datasource := fmt.Sprintf("postgresql+asyncpg://%s:%s@127.0.0.1:%d/%s", serviceDBRole, appPW, d.pg.port, serviceDB)
	migrate := d.serviceCommand(ctx, python, script, "migrate", map[string]string{"COMMON_DB_DATASOURCE": datasource})
	if out, err := migrate.CombinedOutput(); err != nil {
		return fmt.Errorf("the package's migrate: %w\n%s", err, tailText(string(out), 20))
	}
	grants := fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON login_providers TO %[1]s;\nGRANT USAGE ON SEQUENCE login_providers_id_seq TO %[1]s;", operatorRole)
	if err := d.pg.exec(ctx, serviceDB, grants); err != nil {
		return err
	}
	d.step("database %s owned by role %s; its login_providers table made by the package's own migrate (SQLAlchemy create_all of its LoginProvider model); role %s may only:",
		serviceDB, serviceDBRole, operatorRole)
	d.detail(grants)

	// 3. The service's socket first: the redirect URI names its port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.url = "http://" + ln.Addr().String()
	redirect := s.url + "/oauth2/callback"

	// 4. A provider for the v1.5 fake, the operator's connection Secret and the relying party.
	manifests, rpYAML, err := d.serviceManifests(s.fakeURL, secret, redirect, opPW)
	if err != nil {
		_ = ln.Close()
		return err
	}
	file := filepath.Join(dir, "openg2p-fastapi-auth.yaml")
	if err := os.WriteFile(file, manifests, 0o600); err != nil { //nolint:gosec // inside the demo's own temp dir
		_ = ln.Close()
		return err
	}
	d.step("the relying party of the service (with an ESignetProvider %s for the v1.5 fake, its credentials Secret and the operator's connection Secret %s-db in %s):",
		serviceProvider, serviceRP, file)
	d.detail(strings.TrimSpace(string(rpYAML)))
	if _, err := d.runKubectl(ctx, "apply", "-f", file); err != nil {
		_ = ln.Close()
		return err
	}
	ns := d.samples.provider.GetNamespace()
	if ns == "" {
		ns = d.samples.rps[0].GetNamespace()
	}
	s.ns = ns
	key := ns + "/" + serviceRP
	rp, err := d.waitRPReady(ctx, key)
	if err != nil {
		_ = ln.Close()
		return err
	}
	d.step("%s Ready: clientID %s, keyID %s; the operator applied its login_providers row into %s (%s)",
		key, rp.Status.ClientID, rp.Status.KeyID, serviceDB, conditionMessage(rp.Status.Conditions, v1.ConditionApplied))
	var keySecret corev1.Secret
	if err := d.k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: rp.Status.SecretName}, &keySecret); err == nil {
		d.out.red.addKey(keySecret.Data[keys.SecretKeyPrivatePEM], keySecret.Data[keys.SecretKeyPrivateJWK], string(keySecret.Data[keys.SecretKeyKeyID]))
	}

	// 5. The service, its environment from the env output's ConfigMap (what envFrom gives a pod).
	var cm corev1.ConfigMap
	if err := d.k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: serviceRP + "-env"}, &cm); err != nil {
		_ = ln.Close()
		return fmt.Errorf("env output: %w", err)
	}
	env := map[string]string{"COMMON_DB_DATASOURCE": datasource,
		// httpx, which the package calls eSignet with, trusts this CA file only.
		"SSL_CERT_FILE": d.ca.caPath}
	names := make([]string, 0, len(cm.Data))
	for k, v := range cm.Data {
		env[k] = v
		names = append(names, k)
	}
	sort.Strings(names)
	if err := d.startService(ctx, python, script, ln, env); err != nil {
		return err
	}
	d.step("openg2p-fastapi-auth pid %d serving %s; environment: ConfigMap %s/%s-env (%s), COMMON_DB_DATASOURCE (role %s), SSL_CERT_FILE=%s; log %s",
		s.proc.pid(), s.url, ns, serviceRP, strings.Join(names, ", "), serviceDBRole, d.ca.caPath, s.proc.logPath)

	// 6. A browser's login.
	return d.browserLogin(ctx, rp.Status.ClientID, redirect)
}

// serviceManifests are the objects the service's relying party needs, as one YAML stream, and
// the relying party alone, to show.
func (d *demo) serviceManifests(fakeURL, mgmtSecret, redirect, operatorPW string) ([]byte, []byte, error) {
	p := d.samples.provider.DeepCopy()
	ns := p.GetNamespace()
	if ns == "" {
		ns = d.samples.rps[0].GetNamespace()
	}
	p.SetKind(kindProvider)
	p.SetName(serviceProvider)
	p.SetNamespace(ns)
	unstructured.RemoveNestedField(p.Object, "metadata", "annotations")
	newURL, err := rehost(fmt.Sprint(p.Object["spec"].(map[string]any)["url"]), fakeURL)
	if err != nil {
		return nil, nil, err
	}
	_ = unstructured.SetNestedField(p.Object, newURL, "spec", "url")
	_ = unstructured.SetNestedField(p.Object, serviceGen, "spec", "apiVersion")
	unstructured.RemoveNestedField(p.Object, "spec", "discoveryURL")
	unstructured.RemoveNestedField(p.Object, "spec", "caBundleSecretRef")
	_ = unstructured.SetNestedField(p.Object, base64.StdEncoding.EncodeToString(d.ca.caPEM), "spec", "caBundle")
	docs := []map[string]any{}
	if d.samples.mgmtClientID != "" {
		secretName := serviceProvider + "-mgmt-credentials"
		_ = unstructured.SetNestedField(p.Object, fakeURL+"/realms/mosip/protocol/openid-connect/token", "spec", "auth", "clientCredentials", "tokenURL")
		_ = unstructured.SetNestedField(p.Object, secretName, "spec", "auth", "clientCredentials", "clientSecretRef", "name")
		_ = unstructured.SetNestedField(p.Object, "client-secret", "spec", "auth", "clientCredentials", "clientSecretRef", "key")
		docs = append(docs, map[string]any{"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": secretName, "namespace": ns}, "stringData": map[string]any{"client-secret": mgmtSecret}})
	}
	docs = append(docs, p.Object, map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": serviceRP + "-db", "namespace": ns},
		"stringData": d.pg.connSecret(serviceDB, operatorRole, operatorPW)})
	rp := map[string]any{
		"apiVersion": "esignet.openg2p.org/v1alpha1", "kind": kindRelyingParty,
		"metadata": map[string]any{"name": serviceRP, "namespace": ns},
		"spec": map[string]any{
			"providerRef":  map[string]any{"name": serviceProvider},
			"clientName":   "OpenG2P FastAPI service (demo)",
			"redirectURIs": []any{redirect},
			"outputs": []any{
				map[string]any{"format": "fastapi-auth", "name": serviceRP + "-login-provider",
					"apply": map[string]any{"postgres": map[string]any{"secretName": serviceRP + "-db"}}},
				// COMMON_ is openg2p-fastapi-common's own prefix; a SPAR chart would use SPAR_SELFSERVICE_.
				map[string]any{"format": "env", "name": serviceRP + "-env", "envPrefix": "COMMON_"},
			},
		},
	}
	docs = append(docs, rp)
	var stream bytes.Buffer
	stream.WriteString("# written by hack/demo: the relying party of the OpenG2P service it runs\n")
	for i, doc := range docs {
		if i > 0 {
			stream.WriteString("---\n")
		}
		b, err := yaml.Marshal(doc)
		if err != nil {
			return nil, nil, err
		}
		stream.Write(b)
	}
	rpYAML, err := yaml.Marshal(rp)
	return stream.Bytes(), rpYAML, err
}

// serviceCommand is the launcher under the venv's interpreter, in isolated mode, in a fresh
// directory (the packages read a .env from the working directory), with no COMMON_ variable of
// the caller's environment.
func (d *demo) serviceCommand(ctx context.Context, python, script, command string, env map[string]string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, python, "-I", script, command) //nolint:gosec // the pinned venv's interpreter, the project's launcher
	cmd.Dir = filepath.Dir(script)
	base := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(strings.ToUpper(kv), "COMMON_") || strings.HasPrefix(kv, "TZ=") ||
			strings.HasPrefix(kv, "SSL_CERT_") || strings.HasPrefix(strings.ToLower(kv), "no_proxy=")
	})
	noProxy := "127.0.0.1,localhost,::1"
	// TZ=UTC: the packages compute the assertion's iat and exp from naive UTC datetimes, right
	// only where local time is UTC, as in OpenG2P's containers.
	base = append(base, "no_proxy="+noProxy, "NO_PROXY="+noProxy, "PYTHONDONTWRITEBYTECODE=1", "TZ=UTC")
	for k, v := range env {
		base = append(base, k+"="+v)
	}
	cmd.Env = base
	return cmd
}

// startService serves the package on the bound socket (fd 3) and waits until it answers.
func (d *demo) startService(ctx context.Context, python, script string, ln net.Listener, env map[string]string) error {
	s := d.svc
	f, err := ln.(*net.TCPListener).File()
	_ = ln.Close()
	if err != nil {
		return err
	}
	// Not bound to the demo's context: tear-down stops it, after the manager.
	cmd := d.serviceCommand(context.Background(), python, script, "serve", env)
	cmd.ExtraFiles = []*os.File{f}
	s.proc, err = spawnCmd("openg2p-fastapi-auth", filepath.Join(d.tmp, "logs", "openg2p-fastapi-auth.log"), nil, cmd)
	_ = f.Close()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(45 * time.Second)
	for !probe(ctx, s.url+"/openapi.json") {
		if s.proc.exited() || time.Now().After(deadline) {
			return fmt.Errorf("the service did not answer at %s (%s); log:\n%s", s.url, exitText(s.proc.err), tail(s.proc.logPath, 20))
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// browserLogin plays the browser: the service's provider listing, its redirect to eSignet's
// authorize endpoint, eSignet's redirect back to the service's callback, where the service
// redeems the code with its own private_key_jwt assertion, and the profile.
func (d *demo) browserLogin(ctx context.Context, clientID, redirect string) error {
	s := d.svc
	get := func(u string, cookies ...*http.Cookie) (*answer, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := d.httpc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return &answer{status: resp.StatusCode, location: resp.Header.Get("Location"), cookies: resp.Cookies(), body: string(b)}, nil
	}
	fail := func(stage string, a *answer) error {
		return fmt.Errorf("%s: HTTP %d: %s; service log:\n%s", stage, a.status, cut(a.body, 300), tail(s.proc.logPath, 15))
	}
	d.step("a browser's login through the service (client %s):", clientID)

	a, err := get(s.url + "/auth/getLoginProviders")
	if err != nil {
		return err
	}
	var listing struct {
		LoginProviders []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"loginProviders"`
	}
	if a.status != http.StatusOK || json.Unmarshal([]byte(a.body), &listing) != nil || len(listing.LoginProviders) != 1 {
		return fail("provider listing", a)
	}
	lp := listing.LoginProviders[0]
	d.detail(fmt.Sprintf("  GET  %s/auth/getLoginProviders -> 200: provider %d %q (the row the operator applied)", s.url, lp.ID, lp.Name))

	a, err = get(fmt.Sprintf("%s/auth/getLoginProviderRedirect/%d?redirect_uri=/after-login", s.url, lp.ID))
	if err != nil {
		return err
	}
	if a.status != http.StatusTemporaryRedirect {
		return fail("redirect", a)
	}
	authz, err := url.Parse(a.location)
	if err != nil {
		return err
	}
	q := authz.Query()
	if q.Get("client_id") != clientID || q.Get("redirect_uri") != redirect {
		return fmt.Errorf("the service asked eSignet for client %q, redirect_uri %q; want %q, %q", q.Get("client_id"), q.Get("redirect_uri"), clientID, redirect)
	}
	d.detail(fmt.Sprintf("  GET  %s/auth/getLoginProviderRedirect/%d?redirect_uri=/after-login", s.url, lp.ID))
	d.detail(fmt.Sprintf("       -> 307 %s://%s%s?client_id=%s&redirect_uri=%s&scope=%s&acr_values=%s&claims=%s&code_challenge=…(%s)&state&nonce",
		authz.Scheme, authz.Host, authz.Path, q.Get("client_id"), q.Get("redirect_uri"), strings.ReplaceAll(q.Get("scope"), " ", "+"),
		strings.ReplaceAll(q.Get("acr_values"), " ", "+"), q.Get("claims"), q.Get("code_challenge_method")))

	a, err = get(authz.String())
	if err != nil {
		return err
	}
	if a.status != http.StatusFound {
		return fail("authorize", a)
	}
	cb, err := url.Parse(a.location)
	if err != nil {
		return err
	}
	if e := cb.Query().Get("error"); e != "" || cb.Scheme+"://"+cb.Host+cb.Path != redirect {
		return fmt.Errorf("eSignet redirected to %s://%s%s (error %q)", cb.Scheme, cb.Host, cb.Path, e)
	}
	d.detail(fmt.Sprintf("  GET  %s://%s%s?… -> 302 %s?code=%.8s…&state=…", authz.Scheme, authz.Host, authz.Path, redirect, cb.Query().Get("code")))

	a, err = get(cb.String())
	if err != nil {
		return err
	}
	if a.status != http.StatusTemporaryRedirect {
		return fail("callback", a)
	}
	var session []*http.Cookie
	for _, c := range a.cookies {
		if c.Name == "X-Access-Token" || c.Name == "X-ID-Token" {
			session = append(session, c)
		}
	}
	if len(session) != 2 {
		return errors.New("the callback set no X-Access-Token and X-ID-Token cookies")
	}
	d.detail(fmt.Sprintf("  GET  %s?code=…&state=… -> 307 %s, cookies X-Access-Token, X-ID-Token", redirect, a.location))
	d.detail("       (the service redeemed the code at the token endpoint with a private_key_jwt assertion it signed with the key of the row)")

	a, err = get(s.url+"/auth/profile", session...)
	if err != nil {
		return err
	}
	var profile map[string]any
	if a.status != http.StatusOK || json.Unmarshal([]byte(a.body), &profile) != nil {
		return fail("profile", a)
	}
	if profile["aud"] != clientID || profile["name"] == nil {
		return fmt.Errorf("profile for %v, name %v; want client %s", profile["aud"], profile["name"], clientID)
	}
	d.detail(fmt.Sprintf("  GET  %s/auth/profile -> 200 (tokens validated with the env output's issuer and JWKS): iss=%v aud=%v sub=%v name=%v email=%v",
		s.url, profile["iss"], profile["aud"], profile["sub"], profile["name"], profile["email"]))
	d.step("logged in through openg2p-fastapi-auth as client %s", clientID)
	return nil
}

// answer is what the browser keeps of a response.
type answer struct {
	status   int
	location string
	cookies  []*http.Cookie
	body     string
}

// waitRPReady waits until one relying party is Ready for its current generation.
func (d *demo) waitRPReady(ctx context.Context, key string) (*v1.ESignetRelyingParty, error) {
	deadline := time.Now().Add(d.cfg.readyTimeout)
	for {
		rp, err := d.getRP(ctx, key)
		if err == nil && rpReady(rp) {
			return rp, nil
		}
		if time.Now().After(deadline) {
			desc := fmt.Sprint(err)
			if err == nil {
				desc = conditionsText(rp.Status.Conditions)
			}
			return nil, fmt.Errorf("%s not Ready after %s: %s", key, d.cfg.readyTimeout, desc)
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// conditionMessage is a condition's reason and message.
func conditionMessage(conds []metav1.Condition, t string) string {
	if c := meta.FindStatusCondition(conds, t); c != nil {
		return c.Reason + ": " + c.Message
	}
	return "no " + t + " condition"
}

func tailText(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
