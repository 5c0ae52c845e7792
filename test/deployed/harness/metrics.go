package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// Metrics the operator must expose once it has reconciled a relying party, then one of
// controller-runtime's.
var expectedMetrics = []string{
	"esignet_operator_esignet_requests_total",
	"esignet_operator_esignet_request_duration_seconds",
	"esignet_operator_client_changes_total",
	"esignet_operator_relying_parties",
	"esignet_operator_key_age_seconds",
	"controller_runtime_reconcile_total",
}

// metricsReaderRole is the applied ClusterRole granting get on /metrics (config/rbac's
// metrics-reader after the installation's name prefix).
func (e *Env) metricsReaderRole(t *testing.T) string {
	t.Helper()
	for key, obj := range e.Objects {
		if strings.HasPrefix(key, "ClusterRole/") && strings.HasSuffix(obj.GetName(), "metrics-reader") {
			return obj.GetName()
		}
	}
	t.Fatalf("%s applies no ClusterRole named *metrics-reader", e.Source)
	return ""
}

// scrape GETs url with the bearer token ("" for none), trusting any certificate (the manager's
// is self-signed).
func scrape(url, token string) (int, string, error) {
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy:           nil,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the manager's self-signed certificate, on loopback
	}}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// sampleLines are the body's non-comment lines of the metric (a histogram's series included).
func sampleLines(body, name string) []string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(l, name); ok && rest != "" && strings.ContainsAny(rest[:1], "{ _") {
			out = append(out, l)
		}
	}
	return out
}

// MetricsScrapedWithAToken runs the suite's manager with its metrics endpoint on a loopback
// port (HTTPS, the default): a ServiceAccount bound to the shipped metrics-reader role scrapes
// it with its token and gets the operator's metrics; no token is 401, a token without the role
// 403. The suite's usual manager is restored afterwards.
func (e *Env) MetricsScrapedWithAToken(t *testing.T) {
	ctx := context.Background()
	var started []*Manager
	var metricsMgr *Manager
	t.Cleanup(func() {
		if metricsMgr != nil && e.Manager == metricsMgr && !metricsMgr.Exited() {
			if err := metricsMgr.stop(15 * time.Second); err != nil {
				t.Errorf("the metrics manager did not exit cleanly on SIGTERM: %v\n%s", err, metricsMgr.Tail(30))
			}
			e.retire(t, metricsMgr, 0)
		}
		e.restoreManager(t, &started)
	})

	// Stop the suite's manager (cleanly: it releases the lease) and run one serving metrics.
	old := e.Manager
	mark := len(old.Lines())
	if err := old.stop(15 * time.Second); err != nil {
		t.Fatalf("the suite's manager did not exit cleanly on SIGTERM: %v\n%s", err, old.Tail(30))
	}
	e.retire(t, old, mark)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	metricsMgr, err = e.launchManager("metrics", true, fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	started = append(started, metricsMgr)
	e.Manager = metricsMgr
	url := fmt.Sprintf("https://127.0.0.1:%d/metrics", port)

	// A relying party, so the operator's metrics have samples.
	ns, tc := e.newTenant(t, "metrics")
	provider, _ := e.namespacedFakeProvider(t, tc, ns)
	rp := &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scraped"},
		Spec: v1.ESignetRelyingPartySpec{ProviderRef: v1.ProviderReference{Name: provider}, ClientName: "Scraped",
			RedirectURIs: []string{"https://scraped.example.org/callback"}}}
	if err := tc.Create(ctx, rp); err != nil {
		t.Fatal(err)
	}
	e.waitReady(t, tc, ns, rp.Name)

	// Prometheus' ServiceAccount, bound to the shipped role.
	mon := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "monitoring-"}}
	if err := e.Admin.Create(ctx, mon); err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: mon.Name, Name: "prometheus"}}
	if err := e.Admin.Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	role := e.metricsReaderRole(t)
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "prometheus-" + mon.Name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: mon.Name, Name: sa.Name}}}
	if err := e.Admin.Create(ctx, crb); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Admin.Delete(ctx, crb) })
	token, err := e.ServiceAccountToken(mon.Name, sa.Name)
	if err != nil {
		t.Fatal(err)
	}
	// A tenant's workload: a ServiceAccount in the tenant's namespace, bound to nothing.
	tenantSA := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"}}
	if err := e.Admin.Create(ctx, tenantSA); err != nil {
		t.Fatal(err)
	}
	tenantToken, err := e.ServiceAccountToken(ns, tenantSA.Name)
	if err != nil {
		t.Fatal(err)
	}

	// The authorizer sees the new binding a moment later; the metrics' collectors read the
	// cache, which may lag the relying party's status by as much.
	var body string
	var missing []string
	e.eventually(t, "a scrape with prometheus' token returning every metric", func() (bool, string) {
		code, b, err := scrape(url, token)
		if err != nil {
			return false, err.Error()
		}
		if code != http.StatusOK {
			return false, fmt.Sprintf("status %d: %.200s", code, b)
		}
		body, missing = b, nil
		for _, m := range expectedMetrics {
			if len(sampleLines(b, m)) == 0 {
				missing = append(missing, m)
			}
		}
		return len(missing) == 0, fmt.Sprintf("200 without samples of %v", missing)
	})
	for _, m := range expectedMetrics {
		lines := sampleLines(body, m)
		var ours []string
		for _, l := range lines {
			if strings.Contains(l, ns) || !strings.HasPrefix(m, "esignet_operator_key") {
				ours = append(ours, l)
			}
		}
		if len(ours) > 4 {
			ours = ours[:4]
		}
		t.Logf("%s: %d series, e.g. %v", m, len(lines), ours)
	}
	found := false
	for _, l := range sampleLines(body, "esignet_operator_key_age_seconds") {
		found = found || strings.Contains(l, `namespace="`+ns+`",relying_party="scraped"`)
	}
	if !found {
		t.Errorf("esignet_operator_key_age_seconds has no series for %s/scraped", ns)
	}
	found = false
	for _, l := range sampleLines(body, "esignet_operator_relying_parties") {
		found = found || strings.HasPrefix(l, `esignet_operator_relying_parties{ready="True",reason="Ready"} `) && !strings.HasSuffix(l, " 0")
	}
	if !found {
		t.Errorf("esignet_operator_relying_parties counts no Ready relying party: %v", sampleLines(body, "esignet_operator_relying_parties"))
	}

	if code, b, err := scrape(url, ""); err != nil || code != http.StatusUnauthorized {
		t.Errorf("scrape without a token: %d %v %.200s, want 401", code, err, b)
	} else {
		t.Logf("without a token: %d %q", code, strings.TrimSpace(b))
	}
	if code, b, err := scrape(url, tenantToken); err != nil || code != http.StatusForbidden {
		t.Errorf("scrape with the token of %s: %d %v %.200s, want 403", ServiceAccountUser(ns, tenantSA.Name), code, err, b)
	} else {
		t.Logf("with %s's token: %d %q", ServiceAccountUser(ns, tenantSA.Name), code, strings.TrimSpace(b))
	}
	// controller-runtime's filter answers 500 "Authentication failed" when the TokenReview
	// rejects a token (it treats the review's error as its own); still no metrics.
	if code, b, err := scrape(url, "not-a-token"); err != nil || code == http.StatusOK {
		t.Errorf("scrape with a bogus token: %d %v, want a refusal", code, err)
	} else {
		t.Logf("with a bogus token: %d %q", code, strings.TrimSpace(b))
	}

	if err := tc.Delete(ctx, rp); err != nil {
		t.Fatal(err)
	}
	e.waitGone(t, tc, rp)
	p := &v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: provider}}
	if err := tc.Delete(ctx, p); err != nil {
		t.Fatal(err)
	}
	e.waitGone(t, tc, p)
	e.assertManagerClean(t, 0)
}
