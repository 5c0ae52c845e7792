package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// rpReady reports whether the relying party is Ready for its current generation.
func rpReady(rp *v1.ESignetRelyingParty) bool {
	c := meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == rp.Generation &&
		rp.Status.ObservedGeneration == rp.Generation
}

func conditionsText(conds []metav1.Condition) string {
	if len(conds) == 0 {
		return "no conditions yet"
	}
	var parts []string
	for _, c := range conds {
		s := fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason)
		if c.Status != metav1.ConditionTrue && c.Message != "" {
			s += " (" + c.Message + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// getProvider reads the sample's provider, namespaced or cluster-scoped.
func (d *demo) getProvider(ctx context.Context) (*v1.ESignetProviderStatus, int64, error) {
	p := d.samples.provider
	if p.GetKind() == kindClusterProvider {
		var cp v1.ClusterESignetProvider
		err := d.k8s.Get(ctx, client.ObjectKey{Name: p.GetName()}, &cp)
		return &cp.Status, cp.Generation, err
	}
	var ep v1.ESignetProvider
	err := d.k8s.Get(ctx, client.ObjectKey{Namespace: p.GetNamespace(), Name: p.GetName()}, &ep)
	return &ep.Status, ep.Generation, err
}

// waitReady waits for the provider, then for every relying party, printing each as it becomes
// Ready; what is still not Ready at the deadline is a failed step with its conditions.
func (d *demo) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(d.cfg.readyTimeout)
	p := d.samples.provider
	d.step("waiting for %s %s and %d relying parties to become Ready (up to %s)",
		p.GetKind(), p.GetName(), len(d.samples.rps), d.cfg.readyTimeout)
	for {
		st, gen, err := d.getProvider(ctx)
		c := (*metav1.Condition)(nil)
		if err == nil {
			c = meta.FindStatusCondition(st.Conditions, v1.ConditionReady)
		}
		if c != nil && c.Status == metav1.ConditionTrue && st.ObservedGeneration == gen {
			issuer := ""
			if st.Endpoints != nil {
				issuer = st.Endpoints.Issuer
			}
			d.step("%s %s Ready: issuer %s, %d claims and %d ACRs supported", p.GetKind(), p.GetName(),
				issuer, len(st.ClaimsSupported), len(st.ACRValuesSupported))
			break
		}
		if time.Now().After(deadline) {
			desc := fmt.Sprint(err)
			if err == nil {
				desc = conditionsText(st.Conditions)
			}
			d.failf("%s %s not Ready after %s: %s", p.GetKind(), p.GetName(), d.cfg.readyTimeout, desc)
			d.detail("manager log (last lines):\n" + tail(d.manager.logPath, 15))
			return nil
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	pending := d.samples.rpKeys()
	for len(pending) > 0 {
		var still []string
		for _, k := range pending {
			rp, err := d.getRP(ctx, k)
			if err == nil && rpReady(rp) {
				match := "registered key = Secret's key"
				if reg := rp.Status.Registration; reg == nil || reg.KeyID != rp.Status.KeyID {
					match = "registered key differs"
					if reg != nil {
						match = "registered key " + reg.KeyID + " differs"
					}
				}
				d.step("%s Ready: clientID %s, keyID %s (%s)", k, rp.Status.ClientID, rp.Status.KeyID, match)
				continue
			}
			still = append(still, k)
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, k := range pending {
				rp, err := d.getRP(ctx, k)
				desc := fmt.Sprint(err)
				if err == nil {
					desc = conditionsText(rp.Status.Conditions)
				}
				d.failf("%s not Ready after %s: %s", k, d.cfg.readyTimeout, desc)
			}
			return nil
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) getRP(ctx context.Context, key string) (*v1.ESignetRelyingParty, error) {
	ns, name := splitKey(key)
	rp := &v1.ESignetRelyingParty{}
	err := d.k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, rp)
	return rp, err
}

// show prints what the operator did; failed checks are recorded, not fatal.
func (d *demo) show(ctx context.Context) {
	if _, err := d.runKubectl(ctx, "get", "esignetproviders,esignetrelyingparties", "-A", "-o", "wide"); err != nil {
		d.failf("%v", err)
	}
	d.showFakeClients(ctx)
	d.showSecrets(ctx)
	d.showTokenExchanges(ctx)
	d.showOdooRow(ctx)
	d.showServiceLogin(ctx)
}

// fakeClient is the part of the fake's /_fake/clients records the demo shows.
type fakeClient struct {
	ClientID     string          `json:"clientId"`
	ClientName   string          `json:"clientName"`
	Status       string          `json:"status"`
	RedirectURIs []string        `json:"redirectUris"`
	PublicKey    json.RawMessage `json:"publicKey"`
	CreatedVia   string          `json:"createdVia"`
}

func (d *demo) showFakeClients(ctx context.Context) {
	u := d.fakeURL + "/_fake/clients"
	d.step("clients registered at the fake eSignet (GET %s; by hand: curl --cacert %s %s)", u, d.ca.caPath, u)
	var clients []fakeClient
	if err := d.getJSON(ctx, u, &clients); err != nil {
		d.failf("reading %s: %v", u, err)
		return
	}
	byID := map[string]fakeClient{}
	for _, c := range clients {
		byID[c.ClientID] = c
		var jwk struct {
			Kid string `json:"kid"`
			Alg string `json:"alg"`
		}
		_ = json.Unmarshal(c.PublicKey, &jwk)
		d.detail(fmt.Sprintf("%-32s %-8s %q  public key %s kid=%s", c.ClientID, c.Status, c.ClientName, jwk.Alg, jwk.Kid))
		d.detail(fmt.Sprintf("%-32s redirect URIs %s (created with POST %s)", "", strings.Join(c.RedirectURIs, ", "), c.CreatedVia))
	}
	for _, k := range d.samples.rpKeys() {
		rp, err := d.getRP(ctx, k)
		if err != nil || !rpReady(rp) {
			continue
		}
		c, ok := byID[rp.Status.ClientID]
		if !ok {
			d.failf("%s is Ready but client %s is not registered at the fake eSignet", k, rp.Status.ClientID)
			continue
		}
		if !strings.Contains(string(c.PublicKey), rp.Status.KeyID) {
			d.failf("%s: the fake holds a different public key for %s than status.keyID %s", k, c.ClientID, rp.Status.KeyID)
		}
	}
}

func (d *demo) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil) //nolint:gosec // the local fake eSignet
	if err != nil {
		return err
	}
	resp, err := d.httpc.Do(req) //nolint:gosec // the local fake eSignet, trusted through the demo CA only
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, v)
}

// showSecrets lists the Secrets and ConfigMaps with kubectl, then prints each relying party's key
// Secret and rendered outputs with key material redacted.
func (d *demo) showSecrets(ctx context.Context) {
	for _, ns := range d.samples.namespaces {
		if _, err := d.runKubectl(ctx, "get", "secrets,configmaps", "-n", ns); err != nil {
			d.failf("%v", err)
		}
	}
	d.step("what the operator wrote (key material redacted and named by its kid; long values cut, see them with kubectl get secret NAME -o yaml):")
	for _, k := range d.samples.rpKeys() {
		rp, err := d.getRP(ctx, k)
		if err != nil {
			d.failf("reading %s: %v", k, err)
			continue
		}
		ns := rp.Namespace
		if rp.Status.SecretName == "" {
			d.detail(k + ": no key Secret yet")
			continue
		}
		var key corev1.Secret
		if err := d.k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: rp.Status.SecretName}, &key); err != nil {
			d.failf("%s: key Secret %s: %v", k, rp.Status.SecretName, err)
			continue
		}
		kid := string(key.Data[keys.SecretKeyKeyID])
		d.out.red.addKey(key.Data[keys.SecretKeyPrivatePEM], key.Data[keys.SecretKeyPrivateJWK], kid)
		d.detail(fmt.Sprintf("%s -> Secret %s/%s (the key pair, kid %s)", k, ns, key.Name, kid))
		d.printData(key.Data)
		for _, out := range outputsOf(rp) {
			kind, data, err := d.readOutput(ctx, ns, out.Name)
			if err != nil {
				d.detail(fmt.Sprintf("%s -> %s output %s: not written (%v)", k, out.Format, out.Name, err))
				continue
			}
			d.detail(fmt.Sprintf("%s -> %s %s/%s (format %s)", k, kind, ns, out.Name, out.Format))
			d.printData(data)
		}
	}
}

func outputsOf(rp *v1.ESignetRelyingParty) []v1.Output {
	if len(rp.Spec.Outputs) > 0 {
		return rp.Spec.Outputs
	}
	return []v1.Output{{Format: "oidc", Name: rp.Name + "-oidc"}}
}

// readOutput reads an output as a Secret, else as a ConfigMap.
func (d *demo) readOutput(ctx context.Context, ns, name string) (string, map[string][]byte, error) {
	var s corev1.Secret
	err := d.k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s)
	if err == nil {
		return "Secret", s.Data, nil
	}
	if !apierrors.IsNotFound(err) {
		return "", nil, err
	}
	var cm corev1.ConfigMap
	if err := d.k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm); err != nil {
		return "", nil, err
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return "ConfigMap", data, nil
}

var longTokenRE = regexp.MustCompile(`[A-Za-z0-9_\-+/=]{96,}`)

// shorten abbreviates long base64 runs (RSA moduli, certificates) that only fill the screen.
func shorten(s string) string {
	return longTokenRE.ReplaceAllStringFunc(s, func(m string) string {
		return m[:12] + fmt.Sprintf("…(%d chars)", len(m))
	})
}

// printData prints a Secret's or ConfigMap's entries: JSON documents indented, JWKs on one line
// (a private JWK only as its kid), long values cut, and the one-key-per-field copies some formats
// add for envFrom collapsed into one line. Printing goes through the redactor, so private keys
// appear only as "<redacted …, kid=…>".
func (d *demo) printData(data map[string][]byte) {
	names := make([]string, 0, len(data))
	docFields := map[string]string{}
	for k, v := range data {
		names = append(names, k)
		var doc map[string]any
		if json.Unmarshal(v, &doc) == nil {
			for f, fv := range doc {
				if s, ok := fv.(string); ok {
					docFields[f] = s
				}
			}
		}
	}
	sort.Strings(names)
	var mirrored []string
	for _, k := range names {
		if s, ok := docFields[k]; ok && s == string(data[k]) {
			mirrored = append(mirrored, k)
		}
	}
	collapse := len(mirrored) >= 4
	for _, k := range names {
		if collapse && slices.Contains(mirrored, k) {
			continue
		}
		v := data[k]
		var obj map[string]any
		isObj := json.Unmarshal(v, &obj) == nil
		switch {
		case isObj && obj["kty"] != nil:
			d.out.detail("    ", fmt.Sprintf("%-24s %s", k+":", describeJWK(d.out.red.apply(string(v)), obj)))
		case isObj && len(obj) > 2:
			var pretty bytes.Buffer
			enc := json.NewEncoder(&pretty)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			_ = enc.Encode(scrubJWKs(obj))
			d.out.detail("    ", k+":")
			d.out.detail("      ", cutLines(shorten(limitLines(d.out.red.apply(pretty.String()), 10)), 150))
		case strings.Contains(strings.TrimSpace(d.out.red.apply(string(v))), "\n"):
			d.out.detail("    ", k+":")
			d.out.detail("      ", cutLines(shorten(limitLines(d.out.red.apply(string(v)), 6)), 150))
		default:
			d.out.detail("    ", fmt.Sprintf("%-24s %s", k+":", cut(shorten(d.out.red.apply(string(v))), 150)))
		}
	}
	if collapse {
		d.out.detail("    ", fmt.Sprintf("(+ %d keys holding the same fields one per key, for envFrom)", len(mirrored)))
	}
}

// describeJWK shows a public JWK on one line and a private one only by its kid.
func describeJWK(redacted string, jwk map[string]any) string {
	if jwk["d"] != nil {
		return fmt.Sprintf("<redacted private JWK: kty %v, alg %v, kid=%v>", jwk["kty"], jwk["alg"], jwk["kid"])
	}
	var compact bytes.Buffer
	if json.Compact(&compact, []byte(redacted)) != nil {
		return cut(shorten(redacted), 150)
	}
	return cut(shorten(compact.String()), 150)
}

// scrubJWKs replaces every private JWK nested in a JSON document with a placeholder naming its kid.
func scrubJWKs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x["kty"] != nil && x["d"] != nil {
			return fmt.Sprintf("<redacted private JWK, kid=%v>", x["kid"])
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = scrubJWKs(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = scrubJWKs(e)
		}
		return out
	}
	return v
}

func cutLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = cut(l, n)
	}
	return strings.Join(lines, "\n")
}

func limitLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n… %d more lines", len(lines)-n)
}

func cut(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// wait keeps everything running until Ctrl-C and prints relying parties as they change.
func (d *demo) wait(ctx context.Context) {
	kc := d.kubectl + " --kubeconfig " + d.kubeconfig
	first := d.samples.rps[len(d.samples.rps)-1]
	d.step("running: press Ctrl-C to stop and clean up")
	running := "The control plane, the fake eSignet and the manager keep running"
	if d.pg != nil {
		running += ", and so do PostgreSQL"
		if d.svc != nil && d.svc.proc != nil && !d.svc.proc.exited() {
			running += ", the v1.5 fake and OpenG2P's service"
		}
	}
	d.detail(running + ". Try:")
	d.detail("  " + kc + " get esignetrelyingparties -A")
	d.detail(fmt.Sprintf("  %s edit esignetrelyingparty %s -n %s", kc, first.GetName(), first.GetNamespace()))
	d.detail("  curl --cacert " + d.ca.caPath + " " + d.fakeURL + "/_fake/clients")
	logs := "manager,fake-esignet,kube-apiserver,etcd"
	if d.pg != nil {
		logs += ",postgres"
		if d.odoo != nil {
			d.detail(fmt.Sprintf("  %s -h %s -p %d -U postgres -d %s -c 'SELECT name, client_id, write_date FROM auth_oauth_provider'",
				filepath.Join(d.pg.bin, "psql"), d.pg.dir, d.pg.port, d.odoo.database))
		}
	}
	if d.svc != nil && d.svc.proc != nil && !d.svc.proc.exited() {
		logs += ",fake-esignet-" + serviceGen + ",openg2p-fastapi-auth"
		d.detail("  curl -s " + d.svc.url + "/auth/getLoginProviders")
		d.detail(fmt.Sprintf("  %s patch esignetrelyingparty %s -n %s --type merge -p '{\"spec\":{\"consumer\":{\"scope\":\"openid profile\"}}}'",
			kc, serviceRP, d.svc.ns))
		d.detail("    then: curl -si " + d.svc.url + "/auth/getLoginProviderRedirect/1 | grep -i location   (the service's next redirect carries the new scope)")
	}
	d.detail("Logs: " + filepath.Join(d.tmp, "logs") + "/{" + logs + "}.log")
	d.detail("Relying parties are printed below whenever they change.")
	seen := d.snapshot(ctx)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := d.snapshot(ctx)
		if now == nil {
			continue
		}
		keys := make([]string, 0, len(now))
		for k := range now {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if seen[k] != now[k] {
				d.step("watch: %s %s", k, now[k])
			}
		}
		for k := range seen {
			if _, ok := now[k]; !ok {
				d.step("watch: %s deleted", k)
			}
		}
		seen = now
	}
}

// snapshot describes every relying party's reconcile state in one line each.
func (d *demo) snapshot(ctx context.Context) map[string]string {
	var list v1.ESignetRelyingPartyList
	if err := d.k8s.List(ctx, &list); err != nil {
		return nil
	}
	out := map[string]string{}
	for _, rp := range list.Items {
		ready := "Ready=Unknown"
		if c := meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionReady); c != nil {
			ready = fmt.Sprintf("Ready=%s (%s)", c.Status, c.Reason)
			if c.Status != metav1.ConditionTrue && c.Message != "" {
				ready += ": " + c.Message
			}
		}
		out[rp.Namespace+"/"+rp.Name] = fmt.Sprintf("generation %d, observed %d: %s, clientID %s, keyID %s",
			rp.Generation, rp.Status.ObservedGeneration, ready, rp.Status.ClientID, rp.Status.KeyID)
	}
	return out
}

// tearDown stops the manager, the fake and the control plane, removes the temp dir and checks
// that nothing is left. A second Ctrl-C (forced) skips the grace periods.
func (d *demo) tearDown(forced <-chan struct{}) {
	grace := func(g time.Duration) time.Duration {
		select {
		case <-forced:
			return 0
		default:
			return g
		}
	}
	if d.manager != nil {
		d.step("manager pid %d %s", d.manager.pid(), d.manager.stop(grace(15*time.Second)))
	}
	if s := d.svc; s != nil {
		if s.proc != nil {
			d.step("openg2p-fastapi-auth pid %d %s", s.proc.pid(), s.proc.stop(grace(10*time.Second)))
		}
		if s.fake != nil {
			d.step("fake-esignet %s pid %d %s", serviceGen, s.fake.pid(), s.fake.stop(grace(5*time.Second)))
		}
	}
	if d.fake != nil {
		d.step("fake-esignet pid %d %s", d.fake.pid(), d.fake.stop(grace(5*time.Second)))
	}
	if d.pg != nil && d.pg.proc != nil {
		d.step("PostgreSQL pid %d %s", d.pg.proc.pid(), d.pg.proc.stopWith(syscall.SIGINT, grace(15*time.Second)))
	}
	if d.env != nil {
		if grace(1) == 0 {
			d.env.ControlPlane.GetAPIServer().StopTimeout = time.Second
			d.env.ControlPlane.Etcd.StopTimeout = time.Second
		}
		if err := d.env.Stop(); err != nil {
			d.failf("stopping the control plane: %v", err)
		} else {
			d.step("control plane stopped (kube-apiserver, etcd)")
		}
	}
	for _, f := range d.cpLogs {
		_ = f.Close()
	}
	d.forgetKubectlCache()
	if d.tmp == "" {
		return
	}
	if err := os.RemoveAll(d.tmp); err != nil { //nolint:gosec // the demo's own temp dir
		d.failf("removing %s: %v", d.tmp, err)
	}
	left := leftovers(d.tmp)
	for _, p := range left {
		d.failf("process left behind: pid %d %s", p.pid, p.cmdline)
	}
	if _, err := os.Stat(d.tmp); err == nil { //nolint:gosec // the demo's own temp dir
		d.failf("%s still exists", d.tmp)
	} else if len(left) == 0 {
		d.step("nothing left behind: no demo process is running and %s is gone", d.tmp)
	}
}

// forgetKubectlCache removes the discovery cache a user's kubectl (pointed at the demo with the
// printed command) keeps under ~/.kube/cache for the demo's API server address.
func (d *demo) forgetKubectlCache() {
	if d.env == nil || d.env.Config == nil {
		return
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return
	}
	host := strings.TrimPrefix(strings.TrimPrefix(d.env.Config.Host, "https://"), "http://")
	host = strings.TrimRight(host, "/")
	if host == "" || strings.ContainsAny(host, "/\\") {
		return
	}
	dir := filepath.Join(home, ".kube", "cache", "discovery", strings.ReplaceAll(host, ":", "_"))
	_ = os.RemoveAll(dir) //nolint:gosec // kubectl's cache entry for the demo's API server address only
}
