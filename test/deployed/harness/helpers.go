package harness

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// newTenant creates a namespace and a user, tenant-<name>, who administers that namespace only:
// RoleBindings there to the shipped relying-party editor role and to test-namespace-admin (what
// the built-in admin role, with the editor aggregated into it, grants on the objects involved).
// The returned client impersonates that user.
func (e *Env) newTenant(t *testing.T, name string) (string, client.Client) {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-"}}
	if err := e.Admin.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	user := "tenant-" + name
	var rules []rbacv1.PolicyRule
	for _, role := range []string{e.Names.EditorRole, NamespaceAdminRole} {
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: user + "-" + role},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
		}
		if err := e.Admin.Create(ctx, rb); err != nil {
			t.Fatal(err)
		}
		// Envtest never deletes namespaces: unbinding is what ends the tenant's access.
		t.Cleanup(func() { _ = e.Admin.Delete(ctx, rb) })
		cr := &rbacv1.ClusterRole{}
		if err := e.Admin.Get(ctx, client.ObjectKey{Name: role}, cr); err != nil {
			t.Fatal(err)
		}
		rules = append(rules, cr.Rules...)
	}
	groups := []string{"system:authenticated"} // what impersonating a bare user name yields
	if err := e.WaitAllowed(user, groups, ns.Name, rules); err != nil {
		t.Fatal(err)
	}
	// And nothing cluster-wide.
	for _, attr := range []authorizationv1.ResourceAttributes{
		{Verb: "list", Resource: "secrets"},
		{Verb: "list", Group: v1.GroupVersion.Group, Resource: "esignetrelyingparties"},
		{Verb: "get", Group: v1.GroupVersion.Group, Resource: "clusteresignetproviders"},
		{Verb: "get", Resource: "secrets", Namespace: e.Names.Namespace},
	} {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups, ResourceAttributes: &attr}}
		if err := e.Admin.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		if sar.Status.Allowed {
			t.Fatalf("tenant %s is allowed %+v beyond its namespace", user, attr)
		}
	}
	cfg := rest.CopyConfig(e.AdminConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	c, err := client.New(cfg, client.Options{Scheme: e.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return ns.Name, c
}

// eventually polls cond every 100 ms until it holds, failing after 30 s with its last
// description. It fails at once should the manager have exited.
func (e *Env) eventually(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for {
		ok, desc := cond()
		if ok {
			return
		}
		last = desc
		if e.Manager.Exited() {
			t.Fatalf("waiting for %s: the manager exited: %v\n%s", what, e.Manager.Err(), e.Manager.Tail(30))
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 30 s waiting for %s; last: %s\n%s", what, last, e.Manager.Tail(15))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// getRP reads a relying party through c.
func getRP(t testing.TB, c client.Client, ns, name string) *v1.ESignetRelyingParty {
	t.Helper()
	rp := &v1.ESignetRelyingParty{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, rp); err != nil {
		t.Fatalf("get ESignetRelyingParty %s/%s: %v", ns, name, err)
	}
	return rp
}

// waitCondition waits, reading through c, until the relying party's condition has the status
// and reason (any reason when ""), observed at its current generation.
func (e *Env) waitCondition(t testing.TB, c client.Client, ns, name, condType string, status metav1.ConditionStatus, reason string) *v1.ESignetRelyingParty {
	t.Helper()
	var rp *v1.ESignetRelyingParty
	e.eventually(t, fmt.Sprintf("%s/%s %s=%s/%s", ns, name, condType, status, reason), func() (bool, string) {
		rp = getRP(t, c, ns, name)
		cond := meta.FindStatusCondition(rp.Status.Conditions, condType)
		if cond == nil {
			return false, "no condition"
		}
		ok := cond.Status == status && (reason == "" || cond.Reason == reason) &&
			cond.ObservedGeneration == rp.Generation && rp.Status.ObservedGeneration == rp.Generation
		return ok, fmt.Sprintf("%s/%s gen %d/%d: %s", cond.Status, cond.Reason, cond.ObservedGeneration, rp.Generation, cond.Message)
	})
	return rp
}

func (e *Env) waitReady(t testing.TB, c client.Client, ns, name string) *v1.ESignetRelyingParty {
	t.Helper()
	return e.waitCondition(t, c, ns, name, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonReady)
}

// waitGone waits until obj can no longer be read through c.
func (e *Env) waitGone(t testing.TB, c client.Client, obj client.Object) {
	t.Helper()
	key := client.ObjectKeyFromObject(obj)
	e.eventually(t, fmt.Sprintf("%T %s gone", obj, key), func() (bool, string) {
		err := c.Get(context.Background(), key, obj)
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		return false, fmt.Sprintf("err=%v finalizers=%v", err, obj.GetFinalizers())
	})
}

// updateRP changes the latest version of a relying party through c, retrying on conflicts with
// the operator's writes.
func updateRP(t testing.TB, c client.Client, ns, name string, mutate func(*v1.ESignetRelyingParty)) {
	t.Helper()
	for i := 0; ; i++ {
		rp := getRP(t, c, ns, name)
		mutate(rp)
		err := c.Update(context.Background(), rp)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) || i > 20 {
			t.Fatalf("update %s/%s: %v", ns, name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// providerReady reports whether a provider's Ready condition is True at its generation.
func providerReady(p client.Object, st *v1.ESignetProviderStatus) (bool, string) {
	c := meta.FindStatusCondition(st.Conditions, v1.ConditionReady)
	if c == nil {
		return false, "no Ready condition"
	}
	return c.Status == metav1.ConditionTrue && st.ObservedGeneration == p.GetGeneration(), c.Reason + ": " + c.Message
}

// events lists "Reason: message" of the events in ns about the named object, read through c
// (the core API, as kubectl get events does).
func events(t testing.TB, c client.Client, ns, name string) []string {
	t.Helper()
	list := &corev1.EventList{}
	if err := c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatalf("listing events in %s: %v", ns, err)
	}
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}

// eventsOnceSent is events once one with reason is there, or after 10 s: the recorder sends
// events in the background, and a pass sends its own when it ends.
func eventsOnceSent(t testing.TB, c client.Client, ns, name, reason string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := events(t, c, ns, name)
		if hasEvent(evs, reason) || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func hasEvent(evs []string, reason string) bool {
	for _, e := range evs {
		if strings.HasPrefix(e, reason+":") {
			return true
		}
	}
	return false
}

// logMark is how many lines the manager has logged so far.
func (e *Env) logMark() int { return len(e.Manager.Lines()) }

// assertManagerClean fails the test when the manager has exited, or has been refused anything
// since the mark. (Refusals outside any test, at start-up say, fail the package in TestMain.)
func (e *Env) assertManagerClean(t testing.TB, mark int) {
	t.Helper()
	if e.Manager.Exited() {
		t.Fatalf("the manager exited: %v\n%s", e.Manager.Err(), e.Manager.Tail(30))
	}
	if lines := ForbiddenLines(e.Manager.Lines()[mark:]); len(lines) > 0 {
		t.Fatalf("the manager was refused by the API server (RBAC of %s):\n%s", e.Source, strings.Join(lines, "\n"))
	}
}

func expectForbidden(t testing.TB, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: got %v, want forbidden", what, err)
	}
}
