package controllers

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/test/argocd"
	"github.com/openg2p/esignet-operator/test/kstatus"
)

// After a provider outage and its recovery every condition is stated anew: nothing of the
// outage (Registered=False/ProviderNotReady while Ready=True) survives.
func TestProviderOutageAndRecoveryRestatesEveryCondition(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("outage")
	f.waitReady("outage")
	creds := f.secret("esignet-mgmt")
	if err := k8sClient.Delete(f.ctx, creds); err != nil {
		t.Fatal(err)
	}
	f.waitCondition("outage", v1.ConditionReady, metav1.ConditionFalse, v1.ReasonProviderNotReady)
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "esignet-mgmt"}, Data: creds.Data})
	rp := f.waitReady("outage")
	for _, c := range rp.Status.Conditions {
		if c.Status != metav1.ConditionTrue && c.Type != "Reconciling" && c.Type != "Stalled" {
			t.Errorf("%s = %s/%s after recovery: %s", c.Type, c.Status, c.Reason, c.Message)
		}
		if c.Type == "Reconciling" || c.Type == "Stalled" {
			t.Errorf("%s present after recovery", c.Type)
		}
	}
	if n := f.fake.Counters()["POST /v1/esignet/client-mgmt/client"]; n != 1 {
		t.Fatalf("%d creates; the outage must not re-register", n)
	}
}

// An output removed from the spec is deleted, and only what this relying party owns.
func TestRemovedOutputIsDeleted(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("prune", func(r *v1.ESignetRelyingParty) {
		r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: "prune-oidc"}, {Format: "env", Name: "prune-env"}, {Format: "odoo", Name: "prune-odoo"}}
	})
	f.waitReady("prune")
	// A look-alike nobody owns, labelled as if it were this relying party's.
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "prune-lookalike",
		Labels: map[string]string{LabelManagedBy: LabelManagedByValue, LabelRelyingParty: "prune", "esignet.openg2p.org/role": "output"}}})
	f.update("prune", func(r *v1.ESignetRelyingParty) {
		r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: "prune-oidc"}}
	})
	f.waitReady("prune")
	for _, o := range []client.Object{&corev1.Secret{}, &corev1.ConfigMap{}} {
		name := map[bool]string{true: "prune-odoo", false: "prune-env"}[fmt.Sprintf("%T", o) == "*v1.Secret"]
		f.eventually(name+" deleted", func() (bool, string) {
			err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name}, o)
			return apierrors.IsNotFound(err), fmt.Sprint(err)
		})
	}
	f.secret("prune-oidc")
	f.secret("prune-esignet-client")
	f.secret("prune-lookalike")
	if got := f.get("prune").Status.Outputs; len(got) != 1 || got[0].Name != "prune-oidc" {
		t.Fatalf("status.outputs = %+v", got)
	}
}

// A rendered Secret or ConfigMap changed or deleted by hand is put back at once; fields other
// managers wrote on it survive.
func TestHandEditedOutputsAreRestored(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("edit", func(r *v1.ESignetRelyingParty) {
		r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: "edit-oidc"}, {Format: "env", Name: "edit-env", EnvPrefix: "APP_"}}
	})
	f.waitReady("edit")
	want := f.secret("edit-oidc").Data["client_id"]
	cm := &corev1.ConfigMap{}
	f.mustGet("edit-env", cm)
	wantIssuers := cm.Data["APP_AUTH_DEFAULT_ISSUERS"]

	sec := f.secret("edit-oidc")
	sec.Data["client_id"] = []byte("tampered")
	sec.Annotations = map[string]string{"reloader.stakater.com/match": "true"}
	if err := k8sClient.Update(f.ctx, sec, client.FieldOwner("someone")); err != nil {
		t.Fatal(err)
	}
	cm.Data["APP_AUTH_DEFAULT_ISSUERS"] = `["https://evil.example"]`
	if err := k8sClient.Update(f.ctx, cm); err != nil {
		t.Fatal(err)
	}
	f.eventually("edits reverted", func() (bool, string) {
		s, c := f.secret("edit-oidc"), &corev1.ConfigMap{}
		f.mustGet("edit-env", c)
		return string(s.Data["client_id"]) == string(want) && c.Data["APP_AUTH_DEFAULT_ISSUERS"] == wantIssuers,
			fmt.Sprintf("client_id %s issuers %s", s.Data["client_id"], c.Data["APP_AUTH_DEFAULT_ISSUERS"])
	})
	if f.secret("edit-oidc").Annotations["reloader.stakater.com/match"] != "true" {
		t.Fatal("another manager's annotation was removed")
	}

	for _, o := range []client.Object{f.secret("edit-oidc"), cm} {
		if err := k8sClient.Delete(f.ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	f.eventually("deleted outputs recreated", func() (bool, string) {
		errS := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: "edit-oidc"}, &corev1.Secret{})
		errC := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: "edit-env"}, &corev1.ConfigMap{})
		return errS == nil && errC == nil, fmt.Sprint(errS, errC)
	})
	if n := f.fake.ClientMgmtCalls(); n != 1 {
		t.Fatalf("%d eSignet calls; restoring outputs needs none", n)
	}
}

// secretTemplate metadata goes on every object the operator writes, and follows changes.
func TestTemplateMetadataOnEveryObject(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("tmpl", func(r *v1.ESignetRelyingParty) {
		r.Spec.SecretTemplate = &v1.SecretTemplate{Labels: map[string]string{"team": "sr"}, Annotations: map[string]string{"reloader.stakater.com/match": "true"}}
		r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: "tmpl-oidc"}, {Format: "env", Name: "tmpl-env"}}
	})
	f.waitReady("tmpl")
	check := func(team string) {
		t.Helper()
		f.eventually("template metadata "+team, func() (bool, string) {
			objs := []client.Object{&corev1.Secret{}, &corev1.Secret{}, &corev1.ConfigMap{}}
			for i, name := range []string{"tmpl-esignet-client", "tmpl-oidc", "tmpl-env"} {
				f.mustGet(name, objs[i])
				l, a := objs[i].GetLabels(), objs[i].GetAnnotations()
				if l["team"] != team || a["reloader.stakater.com/match"] != "true" || l[LabelManagedBy] != LabelManagedByValue {
					return false, fmt.Sprintf("%s: labels %v annotations %v", name, l, a)
				}
			}
			return true, ""
		})
	}
	check("sr")
	f.update("tmpl", func(r *v1.ESignetRelyingParty) { r.Spec.SecretTemplate.Labels["team"] = "registry" })
	check("registry")
}

// Names longer than a label value may be still get their key and outputs (the label is cut and
// hashed; ownership is decided by owner reference).
func TestLongNameIsReconciled(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	name := "a-relying-party-name-longer-than-sixty-three-characters-" + "x123456789012"
	f.newRP(name)
	rp := f.waitReady(name)
	key := f.secret(rp.Status.SecretName)
	if v := key.Labels[LabelRelyingParty]; len(v) > 63 || v == "" {
		t.Fatalf("relying-party label %q", v)
	}
	f.update(name, func(r *v1.ESignetRelyingParty) { r.Spec.Outputs = []v1.Output{{Format: "env", Name: "long-env"}} })
	f.eventually("default output pruned", func() (bool, string) {
		err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name + "-oidc"}, &corev1.Secret{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}

// kstatus (Flux, kpt) and the shipped Argo CD health script judge real objects: ready, waiting
// for something that will come, and stopped until a person acts.
func TestHealthAsGitOpsToolsSeeIt(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("healthy")
	f.newRP("waiting", func(r *v1.ESignetRelyingParty) { r.Spec.ProviderRef.Name = "not-yet-applied" })
	f.registerForeignClient(f.ns + ".taken")
	f.newRP("taken")
	f.newRP("inactive", func(r *v1.ESignetRelyingParty) { r.Spec.Active = new(bool) })
	f.waitReady("healthy")
	f.waitCondition("waiting", v1.ConditionReconciling, metav1.ConditionTrue, v1.ReasonProviderNotFound)
	f.waitCondition("taken", v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonClientIDConflict)
	f.waitReady("inactive")
	cases := []struct{ name, argo, kstatus string }{
		{"healthy", "Healthy", "Current"},
		{"waiting", "Progressing", "InProgress"},
		{"taken", "Degraded", "Failed"},
		{"inactive", "Suspended", "Current"},
	}
	for _, tc := range cases {
		obj := toMap(t, f.get(tc.name), "ESignetRelyingParty")
		argo, msg, err := argocd.Health(argocd.ScriptPath("ESignetRelyingParty"), obj)
		if err != nil || argo != tc.argo {
			t.Errorf("%s: Argo CD health %s (%s) %v, want %s", tc.name, argo, msg, err, tc.argo)
		}
		ks, kmsg, err := kstatus.Compute(obj)
		if err != nil || ks != tc.kstatus {
			t.Errorf("%s: kstatus %s (%s) %v, want %s", tc.name, ks, kmsg, err, tc.kstatus)
		}
	}
	p := &v1.ESignetProvider{}
	f.mustGet(providerName, p)
	if c := meta.FindStatusCondition(p.Status.Conditions, v1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Fatalf("provider not ready: %+v", p.Status.Conditions)
	}
	if h, msg, err := argocd.Health(argocd.ScriptPath("ESignetProvider"), toMap(t, p, "ESignetProvider")); err != nil || h != "Healthy" {
		t.Errorf("provider: Argo CD health %s (%s) %v", h, msg, err)
	}
}

func toMap(t *testing.T, obj runtime.Object, kind string) map[string]any {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	m["apiVersion"], m["kind"] = v1.GroupVersion.String(), kind
	return m
}

func (f *fixture) mustGet(name string, obj client.Object) {
	f.t.Helper()
	if err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name}, obj); err != nil {
		f.t.Fatalf("get %T %s: %v", obj, name, err)
	}
}

// Both provider kinds as kstatus and Argo CD see them: ready, waiting for a Secret that a GitOps
// tool may apply next, and misconfigured beyond what retrying can fix.
func TestProviderHealthAsGitOpsToolsSeeIt(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	secretName := "cluster-mgmt-" + f.ns
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusterResourceNamespace, Name: secretName},
		Data: f.secret("esignet-mgmt").Data})
	cluster := func(name string, mutate func(*v1.ESignetProviderSpec)) string {
		spec := f.providerSpec()
		spec.Auth.ClientCredentials.ClientSecretRef.Name = secretName
		mutate(&spec)
		f.create(&v1.ClusterESignetProvider{ObjectMeta: metav1.ObjectMeta{Name: name + "-" + f.ns}, Spec: v1.ClusterESignetProviderSpec{ESignetProviderSpec: spec}})
		return name + "-" + f.ns
	}
	ready := cluster("ready", func(*v1.ESignetProviderSpec) {})
	waiting := cluster("waiting", func(s *v1.ESignetProviderSpec) { s.Auth.ClientCredentials.ClientSecretRef.Name = "not-yet-applied" })
	broken := cluster("broken", func(s *v1.ESignetProviderSpec) { s.CABundle = []byte("not a certificate") })
	cases := []struct{ name, condition, argo, kstatus string }{
		{ready, v1.ConditionReady, "Healthy", "Current"},
		{waiting, v1.ConditionReconciling, "Progressing", "InProgress"},
		{broken, v1.ConditionStalled, "Degraded", "Failed"},
	}
	for _, tc := range cases {
		p := &v1.ClusterESignetProvider{}
		f.eventually(tc.name+" "+tc.condition, func() (bool, string) {
			if err := k8sClient.Get(f.ctx, client.ObjectKey{Name: tc.name}, p); err != nil {
				return false, err.Error()
			}
			c := meta.FindStatusCondition(p.Status.Conditions, tc.condition)
			return c != nil && c.Status == metav1.ConditionTrue && p.Status.ObservedGeneration == p.Generation, fmt.Sprint(p.Status.Conditions)
		})
		obj := toMap(t, p, "ClusterESignetProvider")
		if h, msg, err := argocd.Health(argocd.ScriptPath("ClusterESignetProvider"), obj); err != nil || h != tc.argo {
			t.Errorf("%s: Argo CD health %s (%s) %v, want %s", tc.name, h, msg, err, tc.argo)
		}
		if ks, msg, err := kstatus.Compute(obj); err != nil || ks != tc.kstatus {
			t.Errorf("%s: kstatus %s (%s) %v, want %s", tc.name, ks, msg, err, tc.kstatus)
		}
	}
}

// The manager caches only the Secrets and ConfigMaps it labels; an output whose labels someone
// removed is still recognised by its controller reference, put back and relabelled.
func TestCacheHoldsOnlyManagedObjects(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("cached", func(r *v1.ESignetRelyingParty) { r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: "cached-oidc"}} })
	f.waitReady("cached")
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "unrelated"}, Data: map[string][]byte{"password": []byte("x")}})
	f.create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "unrelated"}, Data: map[string]string{"a": "b"}})
	time.Sleep(500 * time.Millisecond) // time for a watch event, had the object been watched
	for _, o := range []client.Object{&corev1.Secret{}, &corev1.ConfigMap{}} {
		if err := managerCache.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: "unrelated"}, o); !apierrors.IsNotFound(err) {
			t.Fatalf("the manager's cache holds an unrelated %T (err=%v)", o, err)
		}
	}
	if err := managerCache.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: "cached-oidc"}, &corev1.Secret{}); err != nil {
		t.Fatalf("the manager's cache lacks its own output: %v", err)
	}

	out := f.secret("cached-oidc")
	out.Labels = nil
	out.Data["client_id"] = []byte("tampered")
	if err := k8sClient.Update(f.ctx, out); err != nil {
		t.Fatal(err)
	}
	f.eventually("relabelled and restored", func() (bool, string) {
		s := f.secret("cached-oidc")
		return s.Labels[LabelManagedBy] == LabelManagedByValue && string(s.Data["client_id"]) == f.ns+".cached", fmt.Sprint(s.Labels)
	})
}
