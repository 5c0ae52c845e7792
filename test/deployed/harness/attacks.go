package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// attackScene is what every attack of EveryOtherAttack shares: the victim's relying party on a
// ClusterESignetProvider, served throughout, and mallory, who administers her own namespace.
type attackScene struct {
	e        *Env
	shared   *sharedProvider
	victim   string
	vc       client.Client
	victimID string
	mallory  string
	mc       client.Client
	updates  int
}

// EveryOtherAttack: the hostile-tenant attacks TenantsCannotReachEachOther leaves out, each as
// the impersonated tenant mallory, while a victim's relying party on a shared
// ClusterESignetProvider keeps being served: templates that never end, exhaust memory or try to
// print the private key; an output named like the key Secret; providers of her own that
// redirect to an internal service, probe a closed port, serve a huge discovery document or
// answer slowly; names over 63 characters; and a namespace-style teardown. Each attack must fail
// safely; after each, a change to the victim's relying party reaches its eSignet promptly, the
// manager still runs and was refused nothing. Every server is a loopback listener.
func (e *Env) EveryOtherAttack(t *testing.T) {
	ctx := context.Background()
	mark := e.logMark()
	s := &attackScene{e: e}
	s.victim, s.vc = e.newTenant(t, "victim")
	s.mallory, s.mc = e.newTenant(t, "mallory")
	s.shared = e.newSharedProvider(t)
	s.shared.createSecret(t)
	cp := &v1.ClusterESignetProvider{}
	e.eventually(t, "the shared provider Ready", func() (bool, string) {
		if err := e.Admin.Get(ctx, client.ObjectKey{Name: s.shared.name}, cp); err != nil {
			return false, err.Error()
		}
		return providerReady(cp, &cp.Status)
	})
	create(t, s.vc, s.shared.rp(s.victim, "app"))
	s.victimID = e.waitReady(t, s.vc, s.victim, "app").Status.ClientID
	t.Cleanup(func() { s.deleteRPs(t, s.vc, s.victim, "app") })

	t.Run("TemplatesThatNeverEnd", func(t *testing.T) { s.templates(t) })
	t.Run("OutputNamedLikeTheKeySecret", func(t *testing.T) { s.outputOverKey(t) })
	t.Run("Redirects", func(t *testing.T) { s.redirects(t) })
	t.Run("PortScanOracle", func(t *testing.T) { s.closedPort(t) })
	t.Run("HugeDiscoveryDocument", func(t *testing.T) { s.hugeDiscovery(t) })
	// Its relying parties are deleted at the end of the whole test: the calls it delays end
	// meanwhile, so their deletion waits for none of them.
	whole := t
	t.Run("HeadOfLine", func(t *testing.T) { s.headOfLine(t, whole) })
	t.Run("NamesOver63Characters", func(t *testing.T) { s.longName(t) })
	t.Run("NamespaceStyleTeardown", func(t *testing.T) { s.teardown(t) })
	e.assertManagerClean(t, mark)
}

// within polls cond every 100 ms until it holds, failing after d; it fails at once should the
// manager have exited.
func (s *attackScene) within(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, desc := cond()
		if ok {
			return
		}
		if s.e.Manager.Exited() {
			t.Fatalf("waiting for %s: the manager exited: %v\n%s", what, s.e.Manager.Err(), s.e.Manager.Tail(30))
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last: %s\n%s", d, what, desc, s.e.Manager.Tail(15))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// victimServed changes the victim's client name and requires the change at its eSignet within
// d; then the manager must still run and have been refused nothing since mark.
func (s *attackScene) victimServed(t *testing.T, d time.Duration, mark int) {
	t.Helper()
	s.updates++
	want := fmt.Sprintf("Victim app change %s", strings.Repeat("I", s.updates)) // no digits in names
	start := time.Now()
	updateRP(t, s.vc, s.victim, "app", func(r *v1.ESignetRelyingParty) { r.Spec.ClientName = want })
	s.within(t, d, "the victim's new client name at its eSignet", func() (bool, string) {
		c, ok := s.shared.fake.Client(s.victimID)
		return ok && c.ClientName == want && c.Status == "ACTIVE", fmt.Sprintf("%q %s", c.ClientName, c.Status)
	})
	t.Logf("victim's change reached its eSignet in %s", time.Since(start).Round(10*time.Millisecond))
	s.e.assertManagerClean(t, mark)
}

// deleteRPs deletes relying parties through c and waits until they are gone.
func (s *attackScene) deleteRPs(t *testing.T, c client.Client, ns string, names ...string) {
	t.Helper()
	var rps []*v1.ESignetRelyingParty
	for _, name := range names {
		rp := &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if err := c.Delete(context.Background(), rp); err == nil {
			rps = append(rps, rp)
		} else if !apierrors.IsNotFound(err) {
			t.Errorf("deleting %s/%s: %v", ns, name, err)
		}
	}
	for _, rp := range rps {
		s.e.waitGone(t, c, rp)
	}
}

// condition is a relying party's condition of type ct, read through mallory's client, when
// observed at the current generation.
func (s *attackScene) condition(t testing.TB, name, ct string) (*v1.ESignetRelyingParty, *metav1.Condition) {
	t.Helper()
	rp := getRP(t, s.mc, s.mallory, name)
	c := meta.FindStatusCondition(rp.Status.Conditions, ct)
	if c == nil || c.ObservedGeneration != rp.Generation || rp.Status.ObservedGeneration != rp.Generation {
		return rp, nil
	}
	return rp, c
}

// 1. Templates that never end, exhaust memory or try to reach the private key: each output
// fails with RenderFailed and the relying party is Stalled within 15 s; the messages hold
// nothing of the key.
func (s *attackScene) templates(t *testing.T) {
	mark := s.e.logMark()
	tmpls := []struct{ name, text string }{
		{"tmpl-loop", "{{range 100000000000000}}{{end}}"},
		{"tmpl-memory", `{{indent 200000000 "x"}}`},
		{"exfil-a", "{{index .Claims (index .PrivateKeyPEM 60)}}"},
		{"exfil-b", "{{index .Claims (index .PrivateKeyPEM 60)}}"},
	}
	start := time.Now()
	var names []string
	for _, tm := range tmpls {
		create(t, s.mc, s.shared.rp(s.mallory, tm.name, func(r *v1.ESignetRelyingParty) {
			r.Spec.Outputs = []v1.Output{{Format: "template", Name: tm.name + "-out", Template: tm.text}}
		}))
		names = append(names, tm.name)
	}
	t.Cleanup(func() { s.deleteRPs(t, s.mc, s.mallory, names...) })
	msgs := map[string]string{}
	for _, tm := range tmpls {
		s.within(t, 15*time.Second-time.Since(start), tm.name+" ConfigRendered=False/RenderFailed and Stalled", func() (bool, string) {
			_, cr := s.condition(t, tm.name, v1.ConditionConfigRendered)
			_, st := s.condition(t, tm.name, v1.ConditionStalled)
			if cr == nil || st == nil {
				return false, fmt.Sprintf("ConfigRendered %+v Stalled %+v", cr, st)
			}
			msgs[tm.name] = cr.Message
			return cr.Status == metav1.ConditionFalse && cr.Reason == v1.ReasonRenderFailed && st.Status == metav1.ConditionTrue,
				fmt.Sprintf("ConfigRendered %s/%s %q, Stalled %s/%s", cr.Status, cr.Reason, cr.Message, st.Status, st.Reason)
		})
		t.Logf("%s after %s: %s", tm.name, time.Since(start).Round(10*time.Millisecond), msgs[tm.name])
		if out := (&corev1.Secret{}); s.mc.Get(context.Background(), client.ObjectKey{Namespace: s.mallory, Name: tm.name + "-out"}, out) == nil {
			t.Errorf("%s: output Secret %s was written although the template failed", tm.name, out.Name)
		}
	}
	// The exfiltration try: no decimal number but the template location, and no fragment of 4
	// or more characters of mallory's private key (the other exfiltration resource, with its
	// own key, shows which words are the message's own).
	for _, pair := range [][2]string{{"exfil-a", "exfil-b"}, {"exfil-b", "exfil-a"}} {
		s.checkNoKeyInMessages(t, pair[0], pair[1])
	}
	s.victimServed(t, 10*time.Second, mark)
}

var (
	lineCol = regexp.MustCompile(`\b\d+:\d+\b`)
	digits  = regexp.MustCompile(`\d+`)
)

// checkNoKeyInMessages checks the condition messages of mallory's relying party name against
// its private key (read with the admin client); other is a resource with the same template and
// another key.
func (s *attackScene) checkNoKeyInMessages(t *testing.T, name, other string) {
	t.Helper()
	rp := getRP(t, s.mc, s.mallory, name)
	key := &corev1.Secret{}
	if err := s.e.Admin.Get(context.Background(), client.ObjectKey{Namespace: s.mallory, Name: rp.Status.SecretName}, key); err != nil {
		t.Fatalf("%s's key Secret: %v", name, err)
	}
	pem := string(key.Data[keys.SecretKeyPrivatePEM])
	if len(pem) < 100 {
		t.Fatalf("%s's key Secret holds no PEM private key", name)
	}
	// What a message may name: the resource, its namespace, client and key id.
	scrub := func(rp *v1.ESignetRelyingParty, msg string) string {
		for _, known := range []string{rp.Status.ClientID, rp.Status.KeyID, rp.Namespace, rp.Name} {
			if known != "" {
				msg = strings.ReplaceAll(msg, known, "⟨⟩")
			}
		}
		return msg
	}
	otherRP := getRP(t, s.mc, s.mallory, other)
	var otherText strings.Builder
	for _, c := range otherRP.Status.Conditions {
		otherText.WriteString(scrub(otherRP, c.Message) + "\n")
	}
	for _, c := range rp.Status.Conditions {
		msg := scrub(rp, c.Message)
		if c.Type == v1.ConditionConfigRendered || c.Reason == v1.ReasonRenderFailed {
			if n := digits.FindAllString(lineCol.ReplaceAllString(msg, ""), -1); len(n) > 0 {
				t.Errorf("%s: condition %s holds numbers %v besides the template location: %q", name, c.Type, n, c.Message)
			}
		}
		for i := 0; i+4 <= len(msg); i++ {
			frag := msg[i : i+4]
			if strings.Contains(pem, frag) && !strings.Contains(otherText.String(), frag) {
				t.Errorf("%s: condition %s holds %q, a fragment of its private key: %q", name, c.Type, frag, c.Message)
			}
		}
	}
}

// 2. An output named like the key Secret is refused at admission; one named like the key
// Secret of another of her relying parties is refused by the operator, and that key stays.
func (s *attackScene) outputOverKey(t *testing.T) {
	ctx := context.Background()
	mark := s.e.logMark()
	const rule = "an output cannot be named like the key Secret"
	for _, c := range []struct {
		name, secretName, output, format string
	}{
		{"keyclash", "", "keyclash-esignet-client", "oidc"},
		{"keyclash", "", "keyclash-esignet-client", "template"},
		{"keyclash", "custom-key", "custom-key", "odoo"},
	} {
		rp := s.shared.rp(s.mallory, c.name, func(r *v1.ESignetRelyingParty) {
			r.Spec.SecretName = c.secretName
			o := v1.Output{Format: c.format, Name: c.output}
			if c.format == "template" {
				o.Template = "{{ .PrivateKeyPEM }}"
			}
			r.Spec.Outputs = []v1.Output{o}
		})
		err := s.mc.Create(ctx, rp)
		if err == nil {
			t.Cleanup(func() { s.deleteRPs(t, s.mc, s.mallory, c.name) })
			t.Fatalf("an output %s (%s) named like the key Secret was admitted", c.output, c.format)
		}
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), rule) {
			t.Errorf("output %s (%s): got %v, want Invalid naming the rule %q", c.output, c.format, err, rule)
		}
	}

	// Beyond admission: another relying party's key Secret, which no rule can see.
	create(t, s.mc, s.shared.rp(s.mallory, "keyholder"))
	t.Cleanup(func() { s.deleteRPs(t, s.mc, s.mallory, "keyholder", "squatter") })
	holder := s.e.waitReady(t, s.mc, s.mallory, "keyholder")
	before := &corev1.Secret{}
	if err := s.e.Admin.Get(ctx, client.ObjectKey{Namespace: s.mallory, Name: holder.Status.SecretName}, before); err != nil {
		t.Fatal(err)
	}
	create(t, s.mc, s.shared.rp(s.mallory, "squatter", func(r *v1.ESignetRelyingParty) {
		r.Spec.Outputs = []v1.Output{{Format: "template", Name: holder.Status.SecretName, Template: "private.pem: stolen\n"}}
	}))
	rp := s.e.waitCondition(t, s.mc, s.mallory, "squatter", v1.ConditionConfigRendered, metav1.ConditionFalse, "")
	t.Logf("squatter: %s", meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionConfigRendered).Message)
	after := &corev1.Secret{}
	if err := s.e.Admin.Get(ctx, client.ObjectKeyFromObject(before), after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion || string(after.Data[keys.SecretKeyPrivatePEM]) != string(before.Data[keys.SecretKeyPrivatePEM]) {
		t.Errorf("keyholder's key Secret was changed by the squatter's output")
	}
	if c := meta.FindStatusCondition(getRP(t, s.mc, s.mallory, "keyholder").Status.Conditions, v1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("keyholder is no longer Ready: %+v", c)
	}
	s.victimServed(t, 10*time.Second, mark)
}

// loopbackServer is an httptest server on 127.0.0.1 recording every request it is sent.
type loopbackServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func startLoopback(t *testing.T, h http.HandlerFunc) *loopbackServer {
	t.Helper()
	ls := &loopbackServer{}
	ls.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.mu.Lock()
		auth := ""
		if r.Header.Get("Authorization") != "" {
			auth = " (with Authorization)"
		}
		ls.seen = append(ls.seen, r.Method+" "+r.URL.RequestURI()+auth)
		ls.mu.Unlock()
		h(w, r)
	}))
	if host, _, _ := net.SplitHostPort(ls.Listener.Addr().String()); host != "127.0.0.1" {
		ls.Close()
		t.Fatalf("test server listens on %s, not loopback", ls.Listener.Addr())
	}
	t.Cleanup(ls.Close)
	return ls
}

func (ls *loopbackServer) requests() []string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return append([]string(nil), ls.seen...)
}

// tenantProvider creates, as mallory, a credentials Secret and a namespaced ESignetProvider
// (plain HTTP allowed) with those addresses; a cleanup of owner (t, or a test t runs in) deletes
// both.
func (s *attackScene) tenantProvider(t, owner *testing.T, name, url, tokenURL, discoveryURL, clientID, secret string) {
	t.Helper()
	ctx := context.Background()
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.mallory, Name: name + "-mgmt"},
		Data: map[string][]byte{"client-secret": []byte(secret)}}
	create(t, s.mc, sec)
	p := &v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: s.mallory, Name: name}, Spec: v1.ESignetProviderSpec{
		URL: url, DiscoveryURL: discoveryURL, APIVersion: "v1.8", AllowInsecureHTTP: true,
		Auth: v1.ProviderAuth{ClientCredentials: &v1.ClientCredentialsAuth{TokenURL: tokenURL, ClientID: clientID,
			ClientSecretRef: v1.SecretKeySelector{Name: sec.Name, Key: "client-secret"}}},
		RelyingPartyDefaults: &v1.RelyingPartyDefaults{LogoURI: "https://openg2p.org/logo.png", UserClaims: []string{"name", "email"}, AuthContextRefs: []string{"mosip:idp:acr:generated-code"}},
	}}
	create(t, s.mc, p)
	owner.Cleanup(func() {
		if err := s.mc.Delete(ctx, p); err != nil && !apierrors.IsNotFound(err) {
			owner.Errorf("deleting provider %s: %v", name, err)
		}
		if err := s.mc.Delete(ctx, sec); err != nil && !apierrors.IsNotFound(err) {
			owner.Errorf("deleting Secret %s: %v", sec.Name, err)
		}
		if !owner.Failed() {
			s.e.waitGone(owner, s.mc, p)
		}
	})
}

// providerNotReady waits until mallory's provider has reported, at its generation, that it is
// not Ready, and returns that condition.
func (s *attackScene) providerNotReady(t *testing.T, name string, d time.Duration) metav1.Condition {
	t.Helper()
	var cond metav1.Condition
	s.within(t, d, "provider "+name+" reporting it is not Ready", func() (bool, string) {
		p := &v1.ESignetProvider{}
		if err := s.mc.Get(context.Background(), client.ObjectKey{Namespace: s.mallory, Name: name}, p); err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(p.Status.Conditions, v1.ConditionReady)
		if c == nil || c.ObservedGeneration != p.Generation || p.Status.ObservedGeneration != p.Generation {
			return false, fmt.Sprintf("%+v", c)
		}
		cond = *c
		return c.Status == metav1.ConditionFalse, c.Reason + ": " + c.Message
	})
	return cond
}

// 3. Her provider's eSignet and token endpoint answer with redirects to an internal service:
// nothing follows them, so the internal service receives no request, no token and no secret.
func (s *attackScene) redirects(t *testing.T) {
	mark := s.e.logMark()
	internal := startLoopback(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"internal","token_type":"Bearer","expires_in":300}`))
	})
	redirector := startLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		//nolint:gosec // the attack itself: a loopback server redirecting to another loopback server
		http.Redirect(w, r, internal.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
	// Discovery from a genuine eSignet, so the token request is made too.
	genuine := fakeesignet.StartTest(t, fakeesignet.Options{})
	secret := randomHex(16)
	s.tenantProvider(t, t, "redirect-all", redirector.URL+"/v1/esignet", redirector.URL+"/token", "", "mosip-pms-client", secret)
	s.tenantProvider(t, t, "redirect-token", redirector.URL+"/v1/esignet", redirector.URL+"/token",
		genuine.URL()+"/.well-known/openid-configuration", "mosip-pms-client", secret)
	_, internalPort, _ := net.SplitHostPort(internal.Listener.Addr().String())
	for name, reason := range map[string]string{"redirect-all": v1.ReasonDiscoveryFailed, "redirect-token": v1.ReasonTokenFailed} {
		c := s.providerNotReady(t, name, 10*time.Second)
		t.Logf("%s: %s: %s", name, c.Reason, c.Message)
		if c.Reason != reason {
			t.Errorf("%s: Ready reason %s, want %s (%s)", name, c.Reason, reason, c.Message)
		}
		if strings.Contains(c.Message, internalPort) || strings.Contains(c.Message, "127.0.0.1") {
			t.Errorf("%s: Ready message names the redirect's target: %q", name, c.Message)
		}
	}
	if got := redirector.requests(); !containsPrefix(got, "POST /token") {
		t.Errorf("the token endpoint was never asked (requests %v): the token redirect went untested", got)
	}
	if got := internal.requests(); len(got) > 0 {
		t.Errorf("FINDING: a redirect was followed to the internal service, which received %v", got)
	}
	s.victimServed(t, 10*time.Second, mark)
	if got := internal.requests(); len(got) > 0 {
		t.Errorf("FINDING: a redirect was followed to the internal service, which received %v", got)
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// 4. Her provider at a closed loopback port: "connection failed", and nothing that tells one
// address or port from another.
func (s *attackScene) closedPort(t *testing.T) {
	mark := s.e.logMark()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + port
	s.tenantProvider(t, t, "closed-port", base+"/v1/esignet", base+"/token", "", "mosip-pms-client", randomHex(16))
	c := s.providerNotReady(t, "closed-port", 10*time.Second)
	t.Logf("closed-port: %s: %s", c.Reason, c.Message)
	if !strings.Contains(c.Message, "connection failed") {
		t.Errorf("Ready message %q does not say connection failed", c.Message)
	}
	if strings.Contains(c.Message, "127.0.0.1") || strings.Contains(c.Message, port) {
		t.Errorf("Ready message %q names the address or port", c.Message)
	}
	s.victimServed(t, 10*time.Second, mark)
}

// 5. A discovery document with 100,000 claims (and one under the body limit with too many):
// refused naming the limit; the manager stays up.
func (s *attackScene) hugeDiscovery(t *testing.T) {
	mark := s.e.logMark()
	doc := func(claims int) []byte {
		list := make([]string, claims)
		for i := range list {
			list[i] = string(rune('a' + i%26))
		}
		b, err := json.Marshal(map[string]any{
			"issuer": "http://127.0.0.1/", "authorization_endpoint": "http://127.0.0.1/authorize",
			"token_endpoint": "http://127.0.0.1/token", "jwks_uri": "http://127.0.0.1/jwks.json",
			"claims_supported": list,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	docs := map[string][]byte{"/huge": doc(100_000), "/wide": doc(5_000)}
	srv := startLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		b, ok := docs[strings.TrimSuffix(r.URL.Path, "/.well-known/openid-configuration")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	for name, limit := range map[string]*regexp.Regexp{
		"huge": regexp.MustCompile(`exceeds \d+ bytes`),
		"wide": regexp.MustCompile(`claims_supported has more than \d+ entries`),
	} {
		s.tenantProvider(t, t, name+"-discovery", srv.URL+"/"+name, srv.URL+"/token",
			srv.URL+"/"+name+"/.well-known/openid-configuration", "mosip-pms-client", randomHex(16))
		c := s.providerNotReady(t, name+"-discovery", 10*time.Second)
		t.Logf("%s-discovery (%d bytes): %s: %s", name, len(docs["/"+name]), c.Reason, c.Message)
		if !limit.MatchString(c.Message) {
			t.Errorf("%s-discovery: Ready message %q does not name the limit (want %s)", name, c.Message, limit)
		}
	}
	if s.e.Manager.Exited() {
		t.Fatalf("the manager exited: %v\n%s", s.e.Manager.Err(), s.e.Manager.Tail(30))
	}
	s.victimServed(t, 10*time.Second, mark)
}

// 6. Her provider's eSignet answers client management after 15 s, and she creates 6 relying
// parties on it: they hold at most that provider's share of the workers, and the victim's
// change still reaches its eSignet within 8 s. whole is the test at whose end her relying
// parties are deleted.
func (s *attackScene) headOfLine(t, whole *testing.T) {
	mark := s.e.logMark()
	secret := randomHex(16)
	slow := fakeesignet.StartTest(whole, fakeesignet.Options{ManagementClients: []fakeesignet.ManagementClient{
		{ID: "mosip-pms-client", Secret: secret, Scopes: []string{"add_oidc_client", "update_oidc_client"}}}})
	slow.InjectFault(fakeesignet.Fault{PathPrefix: "/v1/esignet/client-mgmt/", Delay: 15 * time.Second})
	s.tenantProvider(t, whole, "slow", slow.ServiceURL(), slow.ManagementTokenURL(), "", "mosip-pms-client", secret)
	s.within(t, 15*time.Second, "her slow provider Ready", func() (bool, string) {
		p := &v1.ESignetProvider{}
		if err := s.mc.Get(context.Background(), client.ObjectKey{Namespace: s.mallory, Name: "slow"}, p); err != nil {
			return false, err.Error()
		}
		return providerReady(p, &p.Status)
	})
	var names []string
	for _, n := range []string{"one", "two", "three", "four", "five", "six"} {
		name := "slow-" + n
		create(t, s.mc, &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Namespace: s.mallory, Name: name},
			Spec: v1.ESignetRelyingPartySpec{ProviderRef: v1.ProviderReference{Name: "slow"}, ClientName: "Slow " + n,
				RedirectURIs: []string{"https://mallory.example.org/" + n}}})
		names = append(names, name)
	}
	whole.Cleanup(func() {
		slow.ClearFaults()
		s.deleteRPs(whole, s.mc, s.mallory, names...)
	})
	// The attack is in place once her calls hang at her eSignet.
	s.within(t, 15*time.Second, "her client-management calls hanging", func() (bool, string) {
		n := slow.ClientMgmtCalls()
		return n >= 2, fmt.Sprintf("%d calls", n)
	})
	s.victimServed(t, 8*time.Second, mark)
	busy := 0
	for _, name := range names {
		if c := meta.FindStatusCondition(getRP(t, s.mc, s.mallory, name).Status.Conditions, v1.ConditionRegistered); c != nil && c.Reason == v1.ReasonESignetBusy {
			busy++
		}
	}
	t.Logf("while her eSignet hung: %d client-management calls made, %d of her relying parties told %s", slow.ClientMgmtCalls(), busy, v1.ReasonESignetBusy)
	// From now on her eSignet answers at once; the calls already made end within 15 s.
	slow.ClearFaults()
}

// 7. A relying party whose name is longer than a label value may be (70 characters) works.
func (s *attackScene) longName(t *testing.T) {
	mark := s.e.logMark()
	name := "long-" + strings.Repeat("n", 65)
	if len(name) != 70 {
		t.Fatalf("name of %d characters", len(name))
	}
	create(t, s.mc, s.shared.rp(s.mallory, name))
	t.Cleanup(func() { s.deleteRPs(t, s.mc, s.mallory, name) })
	rp := s.e.waitReady(t, s.mc, s.mallory, name)
	if c, ok := s.shared.fake.Client(rp.Status.ClientID); !ok || c.Status != "ACTIVE" {
		t.Errorf("client %s at eSignet: %+v (found %v)", rp.Status.ClientID, c, ok)
	}
	for _, o := range rp.Status.Outputs {
		if err := s.mc.Get(context.Background(), client.ObjectKey{Namespace: s.mallory, Name: o.Name}, &corev1.Secret{}); err != nil {
			t.Errorf("output %s: %v", o.Name, err)
		}
	}
	s.victimServed(t, 10*time.Second, mark)
}

// 8. As a namespace's deletion does, she deletes her working provider, its credentials Secret
// and two Ready relying parties at once: all are gone within 30 s, their clients INACTIVE.
func (s *attackScene) teardown(t *testing.T) {
	ctx := context.Background()
	mark := s.e.logMark()
	secret := randomHex(16)
	fake := fakeesignet.StartTest(t, fakeesignet.Options{ManagementClients: []fakeesignet.ManagementClient{
		{ID: "mosip-pms-client", Secret: secret, Scopes: []string{"add_oidc_client", "update_oidc_client"}}}})
	s.tenantProvider(t, t, "doomed", fake.ServiceURL(), fake.ManagementTokenURL(), "", "mosip-pms-client", secret)
	names := []string{"doomed-a", "doomed-b"}
	for _, name := range names {
		create(t, s.mc, &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Namespace: s.mallory, Name: name},
			Spec: v1.ESignetRelyingPartySpec{ProviderRef: v1.ProviderReference{Name: "doomed"}, ClientName: "Doomed",
				RedirectURIs: []string{"https://mallory.example.org/doomed"}}})
	}
	t.Cleanup(func() { s.deleteRPs(t, s.mc, s.mallory, names...) })
	var ids []string
	for _, name := range names {
		ids = append(ids, s.e.waitReady(t, s.mc, s.mallory, name).Status.ClientID)
	}
	objs := []client.Object{
		&v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: s.mallory, Name: "doomed"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.mallory, Name: "doomed-mgmt"}},
	}
	for _, name := range names {
		objs = append(objs, &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Namespace: s.mallory, Name: name}})
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(objs))
	for i, o := range objs {
		wg.Go(func() { errs[i] = s.mc.Delete(ctx, o) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("deleting %T %s: %v", objs[i], objs[i].GetName(), err)
		}
	}
	s.within(t, 30*time.Second, "her provider, Secret and relying parties gone", func() (bool, string) {
		var left []string
		for _, o := range objs {
			if err := s.mc.Get(ctx, client.ObjectKeyFromObject(o), o); !apierrors.IsNotFound(err) {
				left = append(left, fmt.Sprintf("%T %s (err=%v finalizers=%v)", o, o.GetName(), err, o.GetFinalizers()))
			}
		}
		return len(left) == 0, strings.Join(left, "; ")
	})
	t.Logf("teardown done in %s", time.Since(start).Round(10*time.Millisecond))
	// A namespace's deletion removes its Secrets, providers and relying parties in no set order.
	// Known to fail intermittently (FINDING): when the credentials Secret's deletion is
	// reconciled before the provider's, the provider reconciler's failed connect (CredentialsMissing)
	// unpublishes the connection, and the relying parties' finalizers, finding the provider going
	// without one, abandon the deactivation: the clients stay ACTIVE at eSignet.
	for i, id := range ids {
		if c, _ := fake.Client(id); c.Status != "INACTIVE" {
			t.Errorf("FINDING: client %s is left %q at her eSignet after a namespace-style teardown, want INACTIVE; events: %v",
				id, c.Status, events(t, s.mc, s.mallory, names[i]))
		}
	}
	for _, name := range names {
		if evs := events(t, s.mc, s.mallory, name); hasEvent(evs, v1.EventDeactivationAbandoned) {
			t.Errorf("FINDING: %s: deactivation abandoned during a namespace-style teardown (the provider's connection "+
				"was dropped when its credentials Secret went first)", name)
		}
	}
	s.victimServed(t, 10*time.Second, mark)
}
