package controllers

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// allOutputs renders every format once.
func allOutputs(name string) []v1.Output {
	return []v1.Output{
		{Format: "oidc", Name: name + "-oidc"},
		{Format: "odoo", Name: name + "-odoo", Odoo: &v1.OdooOutput{IDType: "NATIONAL ID", Enabled: ptr.To(false)}},
		{Format: "fastapi-auth", Name: name + "-fastapi", EnvPrefix: "SPAR_SELFSERVICE_"},
		{Format: "iam", Name: name + "-iam", ProviderName: "National ID", IAM: &v1.IAMOutput{Audiences: []string{"aud-1", "aud-2"}}},
		{Format: "env", Name: name + "-env", EnvPrefix: "PORTAL_"},
		{Format: "template", Name: name + "-tmpl", TemplateKey: "values.yaml", Template: "issuer: {{ .Issuer }}\nclient: {{ .ClientID }}\n"},
	}
}

// Every format lands in its own object with the spec's consumer settings, the discovered issuer
// and nothing secret in the ConfigMap; consumer-only changes re-render without any eSignet call.
func TestOutputsRenderEveryFormat(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("outs", func(r *v1.ESignetRelyingParty) {
		r.Spec.Outputs = allOutputs("outs")
		r.Spec.Consumer = &v1.ConsumerSettings{TokenMap: "individual_id:user_id name:name"}
	})
	rp := f.waitReady("outs")
	issuer := f.fake.URL() // v1.8: the host root
	if rp.Status.Endpoints == nil || rp.Status.Endpoints.Issuer != issuer {
		t.Fatalf("status endpoints %+v, want issuer %s", rp.Status.Endpoints, issuer)
	}
	odoo := f.secret("outs-odoo").Data
	sql := string(odoo["auth_oauth_provider.sql"])
	for _, want := range []string{"token_map = 'individual_id:user_id name:name'", "enabled = false",
		"WHERE name = 'NATIONAL ID'", "client_id = '" + rp.Status.ClientID + "'"} {
		if !strings.Contains(sql, want) {
			t.Errorf("odoo SQL lacks %q", want)
		}
	}
	fa := f.secret("outs-fastapi").Data
	if !strings.Contains(string(fa["SPAR_SELFSERVICE_LOGIN_PROVIDERS_LIST"]), `"iss":"`+issuer+`"`) {
		t.Errorf("LOGIN_PROVIDERS_LIST lacks the issuer: %s", fa["SPAR_SELFSERVICE_LOGIN_PROVIDERS_LIST"])
	}
	iam := string(f.secret("outs-iam").Data["login_provider.json"])
	for _, want := range []string{`"provider_name": "National ID"`, `"audiences": "[\"aud-1\",\"aud-2\"]"`, `"issuer": "` + issuer + `"`} {
		if !strings.Contains(iam, want) {
			t.Errorf("iam row lacks %s", want)
		}
	}
	if got := string(f.secret("outs-tmpl").Data["values.yaml"]); got != "issuer: "+issuer+"\nclient: "+rp.Status.ClientID+"\n" {
		t.Errorf("template output %q", got)
	}
	cm := &corev1.ConfigMap{}
	if err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: "outs-env"}, cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["PORTAL_AUTH_DEFAULT_ISSUERS"] != `["`+issuer+`"]` {
		t.Errorf("env ConfigMap %v", cm.Data)
	}
	f.assertNoKeyMaterial(rp, f.secret("outs-esignet-client"))
	if msg := f.condition(rp, v1.ConditionConfigRendered).Message; !strings.Contains(msg, "without a jti") {
		t.Errorf("ConfigRendered does not warn about jti on a v1.8 provider: %q", msg)
	}

	// Consumer settings are not registered at eSignet: changing them re-renders only.
	f.fake.ResetCounters()
	f.update("outs", func(r *v1.ESignetRelyingParty) { r.Spec.Consumer.Scope = "openid profile" })
	f.eventually("scope re-rendered", func() (bool, string) {
		s := string(f.secret("outs-oidc").Data["scope"])
		return s == "openid profile", s
	})
	f.waitReady("outs")
	if n := f.fake.ClientMgmtCalls(); n != 0 {
		t.Errorf("%d client-management calls for a consumer-only change (%v)", n, f.fake.Counters())
	}
}

// A template that cannot render says where and why, keeps the other outputs, and recovers when
// fixed.
func TestBrokenTemplateIsReportedThenFixed(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("tmpl", func(r *v1.ESignetRelyingParty) {
		r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: "tmpl-oidc"},
			{Format: "template", Name: "tmpl-out", Template: "{{ .PrivateKeyPEM }}{{ .NoSuchField }}"}}
	})
	rp := f.waitCondition("tmpl", v1.ConditionConfigRendered, metav1.ConditionFalse, v1.ReasonRenderFailed)
	msg := f.condition(rp, v1.ConditionConfigRendered).Message
	if !strings.Contains(msg, "tmpl-out") || !strings.Contains(msg, "NoSuchField") {
		t.Errorf("message does not say which output and field: %q", msg)
	}
	if ready := f.condition(rp, v1.ConditionReady); ready.Status != metav1.ConditionFalse || ready.Reason != v1.ReasonRenderFailed {
		t.Errorf("Ready = %s/%s", ready.Status, ready.Reason)
	}
	f.assertNoKeyMaterial(rp, f.secret("tmpl-esignet-client"))
	f.secret("tmpl-oidc") // outputs before the broken one are written

	f.update("tmpl", func(r *v1.ESignetRelyingParty) { r.Spec.Outputs[1].Template = "kid={{ .KeyID }}" })
	rp = f.waitReady("tmpl")
	if got := string(f.secret("tmpl-out").Data["config"]); got != "kid="+rp.Status.KeyID {
		t.Errorf("template output %q", got)
	}
}

// An output name taken by an object the operator did not create for this resource is refused
// and left as it was, whether or not the cache holds it (an unlabelled object is created-into
// and found there; a labelled one is found in the cache). An owned output edited by hand gets
// its rendered data back whole, keeping what others added to its metadata.
func TestOutputsForeignAndHandEdited(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "theirs-env"}, Data: map[string]string{"x": "y"}})
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "theirs-oidc",
		Labels: map[string]string{LabelManagedBy: LabelManagedByValue, LabelRelyingParty: "other"}}, Data: map[string][]byte{"x": []byte("y")}})
	for _, out := range []v1.Output{{Format: "env", Name: "theirs-env"}, {Format: "oidc", Name: "theirs-oidc"}} {
		name := "taker-" + out.Format
		f.newRP(name, func(r *v1.ESignetRelyingParty) { r.Spec.Outputs = []v1.Output{out} })
		rp := f.waitCondition(name, v1.ConditionConfigRendered, metav1.ConditionFalse, v1.ReasonOutputNotOwned)
		if msg := f.condition(rp, v1.ConditionConfigRendered).Message; !strings.Contains(msg, out.Name) {
			t.Errorf("%s: message does not name the object: %s", name, msg)
		}
	}
	cm := &corev1.ConfigMap{}
	f.mustGet("theirs-env", cm)
	if len(cm.Data) != 1 || cm.Data["x"] != "y" || len(cm.OwnerReferences) != 0 || len(cm.Labels) != 0 {
		t.Fatalf("foreign ConfigMap was modified: %+v", cm)
	}
	if s := f.secret("theirs-oidc"); len(s.Data) != 1 || string(s.Data["x"]) != "y" || len(s.OwnerReferences) != 0 {
		t.Fatalf("foreign Secret was modified: %+v", s)
	}

	f.newRP("edited", func(r *v1.ESignetRelyingParty) { r.Spec.Outputs = []v1.Output{{Format: "oidc", Name: "edited-oidc"}} })
	f.waitReady("edited")
	want := f.secret("edited-oidc").Data
	s := f.secret("edited-oidc")
	s.Data["extra"] = []byte("by hand")
	s.Data["client_id"] = []byte("tampered")
	s.Annotations = map[string]string{"example.org/note": "kept"}
	if err := k8sClient.Update(f.ctx, s); err != nil {
		t.Fatal(err)
	}
	f.eventually("output restored", func() (bool, string) {
		got := f.secret("edited-oidc")
		return len(got.Data) == len(want) && string(got.Data["client_id"]) == string(want["client_id"]) && got.Data["extra"] == nil, fmt.Sprint(len(got.Data))
	})
	if got := f.secret("edited-oidc"); got.Annotations["example.org/note"] != "kept" {
		t.Fatalf("another writer's annotation was removed: %v", got.Annotations)
	}
}
