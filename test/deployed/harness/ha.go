package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// LeaseName is the manager's leader-election lease (cmd/manager's LeaderElectionID).
const LeaseName = "esignet-operator.openg2p.org"

// acquiredLine is what the manager's leader election logs once the process leads.
const acquiredLine = "Successfully acquired lease"

var extraManagers atomic.Int32

// launchManager starts another manager process with the suite's args (the Deployment's, with the
// kubeconfig of the manager's ServiceAccount and loopback addresses), then extra (last value of
// a flag wins). It waits for /readyz only, which a standby answers too; with workers it waits
// until the process leads and runs every controller. Its log is Tmp/manager-<tag>-<n>.log.
func (e *Env) launchManager(tag string, workers bool, extra ...string) (*Manager, error) {
	args, err := e.managerArgs()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(e.Tmp, fmt.Sprintf("manager-%s-%d.log", tag, extraManagers.Add(1)))
	p, deadline, err := launch(e.ManagerBin, filepath.Join(e.Tmp, "kubeconfig"), logPath, args, extra...)
	if err != nil {
		return nil, err
	}
	if workers {
		if err := p.waitWorkers(deadline); err != nil {
			_ = p.stop(5 * time.Second)
			return nil, err
		}
	}
	return p, nil
}

// waitWorkers waits until every controller has started its workers (the process leads).
func (p *Manager) waitWorkers(deadline time.Time) error {
	for {
		workers := 0
		for _, l := range p.Lines() {
			if strings.Contains(l, `"msg":"Starting workers"`) {
				workers++
			}
		}
		if workers >= len(Controllers) {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("the manager exited while starting (%s)\n%s", exitText(p.err), p.Tail(30))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the manager's %d controllers did not all start in time\n%s", len(Controllers), p.Tail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Leads reports whether the process has logged winning the lease.
func (p *Manager) Leads() bool {
	for _, l := range p.Lines() {
		if strings.Contains(l, acquiredLine) {
			return true
		}
	}
	return false
}

// kill sends SIGKILL (a crash: nothing is released) and waits for the process to end.
func (p *Manager) kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Pid is the process id.
func (p *Manager) Pid() int { return p.cmd.Process.Pid }

// LeaseHolder is the holderIdentity of the manager's lease, "" when released or absent.
func (e *Env) LeaseHolder(ctx context.Context) (string, error) {
	l := &coordinationv1.Lease{}
	if err := e.Admin.Get(ctx, client.ObjectKey{Namespace: e.Names.Namespace, Name: LeaseName}, l); err != nil {
		return "", err
	}
	return ptr.Deref(l.Spec.HolderIdentity, ""), nil
}

// retire fails the test when a manager that is no longer the suite's was refused anything since
// mark (TestMain checks only the suite's manager).
func (e *Env) retire(t testing.TB, p *Manager, mark int) {
	t.Helper()
	lines := p.Lines()
	if mark > len(lines) {
		mark = len(lines)
	}
	if f := ForbiddenLines(lines[mark:]); len(f) > 0 {
		t.Errorf("manager %s was refused by the API server (RBAC of %s):\n%s", p.logPath, e.Source, strings.Join(f, "\n"))
	}
}

// restoreManager is a cleanup: whatever happened, the suite is left with one running manager
// that leads and runs every controller (started as TestMain starts it when it must be new), and
// no other manager process.
func (e *Env) restoreManager(t testing.TB, extra *[]*Manager) {
	t.Helper()
	for _, p := range *extra {
		if p != e.Manager && !p.Exited() {
			if err := p.stop(15 * time.Second); err != nil {
				t.Errorf("stopping manager %s: %v", p.logPath, err)
			}
		}
	}
	if e.Manager != nil && !e.Manager.Exited() {
		if err := e.Manager.waitWorkers(time.Now().Add(45 * time.Second)); err == nil {
			return
		}
		_ = e.Manager.stop(15 * time.Second)
	}
	p, err := e.launchManager("restored", true)
	if err != nil {
		t.Errorf("restarting the suite's manager: %v", err)
		return
	}
	e.Manager = p
}

// namespacedFakeProvider creates, through the tenant's client c, an ESignetProvider in ns on a
// fake eSignet, with its credentials Secret, and waits until it is Ready.
func (e *Env) namespacedFakeProvider(t *testing.T, c client.Client, ns string) (string, *fakeesignet.Server) {
	t.Helper()
	ctx := context.Background()
	secret := randomHex(16)
	fake := fakeesignet.StartTest(t, fakeesignet.Options{ManagementClients: []fakeesignet.ManagementClient{
		{ID: "mosip-pms-client", Secret: secret, Scopes: []string{"add_oidc_client", "update_oidc_client"}}}})
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "esignet-mgmt"},
		Data: map[string][]byte{"client-secret": []byte(secret)}}); err != nil {
		t.Fatal(err)
	}
	p := &v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "esignet"}, Spec: v1.ESignetProviderSpec{
		URL: fake.ServiceURL(), APIVersion: "v1.8", AllowInsecureHTTP: true,
		Auth: v1.ProviderAuth{ClientCredentials: &v1.ClientCredentialsAuth{
			TokenURL: fake.ManagementTokenURL(), ClientID: "mosip-pms-client",
			ClientSecretRef: v1.SecretKeySelector{Name: "esignet-mgmt", Key: "client-secret"}}},
		RelyingPartyDefaults: &v1.RelyingPartyDefaults{LogoURI: "https://openg2p.org/logo.png", UserClaims: []string{"name", "email"},
			AuthContextRefs: []string{"mosip:idp:acr:generated-code"}},
	}}
	if err := c.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "provider Ready", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(p), p); err != nil {
			return false, err.Error()
		}
		return providerReady(p, &p.Status)
	})
	return p.Name, fake
}

// readyCount is how many of the named relying parties in ns are Ready at their generation.
func readyCount(ctx context.Context, c client.Client, ns string) (int, error) {
	list := &v1.ESignetRelyingPartyList{}
	if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
		return 0, err
	}
	n := 0
	for i := range list.Items {
		rp := &list.Items[i]
		cond := meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionReady)
		if cond != nil && cond.Status == metav1.ConditionTrue && cond.ObservedGeneration == rp.Generation {
			n++
		}
	}
	return n, nil
}

// waitLeader waits until the lease names a holder other than old and p has logged winning it;
// it returns the new holder and how long it took.
func (e *Env) waitLeader(t *testing.T, p *Manager, old string, within time.Duration) (string, time.Duration) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	deadline := start.Add(within)
	for {
		holder, err := e.LeaseHolder(ctx)
		if err == nil && holder != "" && holder != old && p.Leads() {
			return holder, time.Since(start)
		}
		if p.Exited() {
			t.Fatalf("manager %s exited while waiting to lead: %v\n%s", p.logPath, p.Err(), p.Tail(30))
		}
		if time.Now().After(deadline) {
			t.Fatalf("manager %s did not take the lease within %s (holder %q, was %q, err %v)\n%s", p.logPath, within, holder, old, err, p.Tail(30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// LeaderFailover runs a second manager process beside the suite's, with the same ServiceAccount
// token and flags; creates a batch of relying parties and, while only some are Ready, SIGKILLs
// the leader. The standby must take the lease and finish the batch with exactly one client and
// one key per relying party, the registered key being the one in its Secret. Then a clean stop
// (SIGTERM) of the new leader hands the lease to a third process within seconds, as the
// manager releases it on shutdown. The suite is left with one leading manager.
func (e *Env) LeaderFailover(t *testing.T) {
	ctx := context.Background()
	const batch = 10
	var started []*Manager
	t.Cleanup(func() { e.restoreManager(t, &started) })

	first := e.Manager
	if first.Exited() {
		t.Fatalf("the suite's manager has exited: %v", first.Err())
	}
	firstMark := len(first.Lines()) // earlier tests' refusals are TestMain's business
	holder1, err := e.LeaseHolder(ctx)
	if err != nil || holder1 == "" {
		t.Fatalf("the lease %s/%s: holder %q, %v", e.Names.Namespace, LeaseName, holder1, err)
	}
	if !first.Leads() {
		t.Fatalf("the suite's manager has not logged %q\n%s", acquiredLine, first.Tail(30))
	}

	second, err := e.launchManager("standby", false)
	if err != nil {
		t.Fatal(err)
	}
	started = append(started, second)
	// The standby is ready, tries the lease, and must not get it while the leader renews.
	time.Sleep(3 * time.Second)
	if second.Leads() {
		t.Fatalf("the second manager leads while the first runs\n%s", second.Tail(30))
	}
	if h, err := e.LeaseHolder(ctx); err != nil || h != holder1 {
		t.Fatalf("lease holder %q (%v), want %q still", h, err, holder1)
	}
	t.Logf("leader: pid %d (%s, the suite's manager, lease holder %s); standby: pid %d (%s)", first.Pid(), first.logPath, holder1, second.Pid(), second.logPath)

	ns, tc := e.newTenant(t, "failover")
	provider, fake := e.namespacedFakeProvider(t, tc, ns)
	// Slow eSignet's client creation a little, so the batch takes long enough to crash into.
	fake.InjectFault(fakeesignet.Fault{Method: "POST", PathPrefix: "/v1/esignet/client-mgmt/", Delay: 300 * time.Millisecond})
	names := make([]string, batch)
	for i := range names {
		names[i] = fmt.Sprintf("app-%02d", i)
		rp := &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: names[i]},
			Spec: v1.ESignetRelyingPartySpec{ProviderRef: v1.ProviderReference{Name: provider}, ClientName: "App " + names[i],
				RedirectURIs: []string{"https://" + names[i] + ".example.org/callback"}}}
		if err := tc.Create(ctx, rp); err != nil {
			t.Fatalf("tenant creating %s: %v", names[i], err)
		}
	}
	created := time.Now()

	// Crash the leader as soon as some, not all, are Ready.
	var readyAtKill int
	for {
		n, err := readyCount(ctx, tc, ns)
		if err != nil {
			t.Fatal(err)
		}
		if n >= batch {
			t.Fatalf("all %d relying parties became Ready before the leader could be killed", batch)
		}
		if n > 0 {
			readyAtKill = n
			break
		}
		if time.Since(created) > 30*time.Second {
			t.Fatalf("no relying party Ready within 30 s\n%s", first.Tail(30))
		}
		time.Sleep(5 * time.Millisecond)
	}
	first.kill()
	killed := time.Now()
	e.retire(t, first, firstMark)
	e.Manager = second // eventually now fails at once should the survivor exit
	after, _ := readyCount(ctx, tc, ns)
	t.Logf("SIGKILLed the leader (pid %d, %s) %s after creating the batch, with %d/%d Ready (%d just after it died); client-mgmt calls at the fake so far: %v",
		first.Pid(), exitText(first.Err()), killed.Sub(created).Round(time.Millisecond), readyAtKill, batch, after, fake.Counters())

	holder2, took := e.waitLeader(t, second, holder1, 40*time.Second)
	t.Logf("the standby (pid %d) took the lease (%s) %s after the crash", second.Pid(), holder2, took.Round(time.Millisecond))
	if err := second.waitWorkers(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		e.waitReady(t, tc, ns, name)
	}
	t.Logf("all %d Ready %s after the crash", batch, time.Since(killed).Round(time.Millisecond))
	e.checkBatch(t, tc, ns, names, fake)

	// A clean stop hands the lease over at once: a third process waits, the leader gets SIGTERM.
	third, err := e.launchManager("successor", false)
	if err != nil {
		t.Fatal(err)
	}
	started = append(started, third)
	time.Sleep(3 * time.Second)
	if third.Leads() {
		t.Fatalf("the third manager leads while the second runs\n%s", third.Tail(30))
	}
	stopAt := time.Now()
	if err := second.stop(15 * time.Second); err != nil {
		t.Errorf("the leader did not exit cleanly on SIGTERM: %v\n%s", err, second.Tail(30))
	}
	stopped := time.Since(stopAt)
	e.retire(t, second, 0)
	e.Manager = third
	holder3, _ := e.waitLeader(t, third, holder2, 30*time.Second)
	handover := time.Since(stopAt)
	t.Logf("SIGTERM to the leader (pid %d): exited in %s; the waiting process (pid %d) took the lease (%s) %s after the signal",
		second.Pid(), stopped.Round(time.Millisecond), third.Pid(), holder3, handover.Round(time.Millisecond))
	// The retry period is 2 s: with the lease released a waiting candidate takes it at its next
	// try; without the release it would wait out the 15 s lease.
	if handover > 8*time.Second {
		t.Errorf("the lease was handed over %s after SIGTERM; a released lease should go within a few seconds", handover)
	}
	if err := third.waitWorkers(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// The new leader leaves the finished batch as it is.
	before := fake.ClientMgmtCalls()
	time.Sleep(2 * time.Second)
	for _, name := range names {
		e.waitReady(t, tc, ns, name)
	}
	if calls := fake.ClientMgmtCalls(); calls != before {
		t.Errorf("the new leader made %d client-management calls on a finished batch: %v", calls-before, fake.Counters())
	}
	e.checkBatch(t, tc, ns, names, fake)

	// Leave nothing behind that points at the fake, which stops with the test.
	e.deleteAll(t, tc, ns, names, provider)
	for _, name := range names {
		if c, _ := fake.Client(ns + "." + name); c.Status != "INACTIVE" {
			t.Errorf("%s: client at eSignet is %q after deletion, want INACTIVE", name, c.Status)
		}
	}
	e.assertManagerClean(t, 0)
}

// deleteAll deletes the relying parties, then their provider, through c and waits until they
// are gone (their finalizers have run).
func (e *Env) deleteAll(t *testing.T, c client.Client, ns string, names []string, provider string) {
	t.Helper()
	ctx := context.Background()
	var rps []*v1.ESignetRelyingParty
	for _, name := range names {
		rp := getRP(t, c, ns, name)
		if err := c.Delete(ctx, rp); err != nil {
			t.Fatalf("deleting %s: %v", name, err)
		}
		rps = append(rps, rp)
	}
	for _, rp := range rps {
		e.waitGone(t, c, rp)
	}
	p := &v1.ESignetProvider{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: provider}}
	if err := c.Delete(ctx, p); err != nil {
		t.Fatalf("deleting the provider: %v", err)
	}
	e.waitGone(t, c, p)
}

// checkBatch asserts one client per relying party at the fake, registered with the key in the
// relying party's Secret, and one key Secret per relying party.
func (e *Env) checkBatch(t *testing.T, c client.Client, ns string, names []string, fake *fakeesignet.Server) {
	t.Helper()
	ctx := context.Background()
	secrets := &corev1.SecretList{}
	if err := c.List(ctx, secrets, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	// Key Secrets carry role=key; output Secrets (the default oidc output) carry copies of the
	// key, which must be the same key.
	keySecrets := map[string][]string{} // client id → key Secrets naming it
	kids := map[string][]string{}       // client id → key ids of every Secret holding a key for it
	for _, s := range secrets.Items {
		if s.Labels["esignet.openg2p.org/role"] == "key" {
			id := string(s.Data[keys.SecretKeyClientID])
			keySecrets[id] = append(keySecrets[id], s.Name)
		}
		if _, ok := s.Data[keys.SecretKeyPrivatePEM]; ok {
			if kp, err := keys.FromSecretData(s.Data); err == nil {
				id := string(s.Data[keys.SecretKeyClientID])
				if !slices.Contains(kids[id], kp.KeyID) {
					kids[id] = append(kids[id], kp.KeyID)
				}
			}
		}
	}
	clients := fake.Clients()
	if len(clients) != len(names) {
		ids := make([]string, 0, len(clients))
		for _, cl := range clients {
			ids = append(ids, cl.ClientID+"("+cl.Status+")")
		}
		t.Errorf("%d clients at the fake, want %d: %v", len(clients), len(names), ids)
	}
	if len(keySecrets) != len(names) {
		t.Errorf("key Secrets for %d client ids, want %d: %v", len(keySecrets), len(names), keySecrets)
	}
	creates := 0
	for k, v := range fake.Counters() {
		if strings.HasPrefix(k, "POST ") && strings.Contains(k, "/client-mgmt/") {
			creates += v
		}
	}
	for _, name := range names {
		rp := getRP(t, c, ns, name)
		id := rp.Status.ClientID
		if want := ns + "." + name; id != want {
			t.Errorf("%s: client id %q, want %q", name, id, want)
		}
		if got := keySecrets[id]; len(got) != 1 || got[0] != rp.Status.SecretName {
			t.Errorf("%s: key Secrets %v, want exactly [%s]", name, got, rp.Status.SecretName)
		}
		sec := &corev1.Secret{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: rp.Status.SecretName}, sec); err != nil {
			t.Errorf("%s: key Secret: %v", name, err)
			continue
		}
		kp, err := keys.FromSecretData(sec.Data)
		if err != nil {
			t.Errorf("%s: key Secret %s: %v", name, sec.Name, err)
			continue
		}
		rec, ok := fake.Client(id)
		if !ok || rec.Status != "ACTIVE" {
			t.Errorf("%s: client %s at the fake: found %v, status %q", name, id, ok, rec.Status)
			continue
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(rec.PublicKey); err != nil {
			t.Errorf("%s: the registered JWK %s: %v", name, rec.PublicKey, err)
			continue
		}
		tp, err := keys.Thumbprint(jwk.Key)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := kids[id]; len(got) != 1 {
			t.Errorf("%s: Secrets in %s hold %d different keys for %s: %v", name, ns, len(got), id, got)
		}
		if tp != kp.KeyID {
			t.Errorf("%s: the key registered at eSignet (%s) is not the key in Secret %s (%s)", name, tp, sec.Name, kp.KeyID)
		}
		// A pass's actions are told in one event: count the key generations it tells of.
		if evs := events(t, c, ns, name); countMentions(evs, keyGeneratedNote) > 1 {
			t.Errorf("%s: more than one key generation told: %v", name, evs)
		}
	}
	t.Logf("fake: %d clients, %d create requests answered or attempted (%v); %d key Secrets", len(clients), creates, fake.Counters(), len(keySecrets))
}

// keyGeneratedNote starts what an event tells of a key generation (its reason is the pass's).
const keyGeneratedNote = "Generated "

func countMentions(evs []string, what string) int {
	n := 0
	for _, e := range evs {
		n += strings.Count(e, what)
	}
	return n
}
