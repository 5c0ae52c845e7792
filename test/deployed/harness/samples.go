package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// Every output format the operator renders.
var allFormats = []string{"env", "fastapi-auth", "iam", "odoo", "oidc", "template"}

// allOutputs renders every format once (as controllers' tests do).
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

// loadSamples reads the objects config/samples/kustomization.yaml lists, in its order.
func loadSamples(t *testing.T, root string) []*unstructured.Unstructured {
	t.Helper()
	dir := filepath.Join(root, "config", "samples")
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml")) //nolint:gosec // the repository's samples
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil || len(k.Resources) == 0 {
		t.Fatalf("config/samples/kustomization.yaml: %v (resources %v)", err, k.Resources)
	}
	var out []*unstructured.Unstructured
	for _, file := range k.Resources {
		b, err := os.ReadFile(filepath.Join(dir, file)) //nolint:gosec // a file config/samples lists
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			obj := &unstructured.Unstructured{}
			if err := dec.Decode(&obj.Object); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				t.Fatalf("%s: %v", file, err)
			}
			if len(obj.Object) > 0 {
				out = append(out, obj)
			}
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SamplesAsDeployed: an ordinary tenant applies the samples (plus one relying party with every output format), with
// only the provider's addresses pointed at a fake eSignet, and everything becomes Ready; a spec
// change reaches eSignet; deletion deactivates the clients (or, with deletionPolicy Retain,
// releases the key Secret); the provider goes once unused. All of it as deployed: the manager
// with its own RBAC, the tenant with the shipped role.
func (e *Env) SamplesAsDeployed(t *testing.T) {
	ctx := context.Background()
	mark := e.logMark()
	ns, tc := e.newTenant(t, "samples")
	mgmtSecret := randomHex(16)

	objs := loadSamples(t, e.Root)
	var provider *unstructured.Unstructured
	var rps []string
	formats := map[string]bool{}
	for _, obj := range objs {
		if obj.GetKind() == "ESignetProvider" {
			provider = obj
		}
	}
	if provider == nil {
		t.Fatal("config/samples has no ESignetProvider")
	}
	mgmtID, _, _ := unstructured.NestedString(provider.Object, "spec", "auth", "clientCredentials", "clientID")
	fake := fakeesignet.StartTest(t, fakeesignet.Options{ManagementClients: []fakeesignet.ManagementClient{
		{ID: mgmtID, Secret: mgmtSecret, Scopes: []string{"add_oidc_client", "update_oidc_client"}}}})

	for _, obj := range objs {
		obj.SetNamespace(ns)
		switch obj.GetKind() {
		case "Secret":
			must(unstructured.SetNestedField(obj.Object, mgmtSecret, "stringData", "client-secret"))
		case "ESignetProvider":
			must(unstructured.SetNestedField(obj.Object, fake.ServiceURL(), "spec", "url"))
			must(unstructured.SetNestedField(obj.Object, true, "spec", "allowInsecureHTTP"))
			must(unstructured.SetNestedField(obj.Object, fake.ManagementTokenURL(), "spec", "auth", "clientCredentials", "tokenURL"))
		case "ESignetRelyingParty":
			rps = append(rps, obj.GetName())
			outs, _, _ := unstructured.NestedSlice(obj.Object, "spec", "outputs")
			for _, o := range outs {
				formats[o.(map[string]any)["format"].(string)] = true
			}
		}
		if err := tc.Create(ctx, obj); err != nil {
			t.Fatalf("tenant applying %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
	if len(rps) < 3 {
		t.Fatalf("want relying parties for several OpenG2P consumers in config/samples, found %v", rps)
	}
	every := &v1.ESignetRelyingParty{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "every-format"},
		Spec: v1.ESignetRelyingPartySpec{ProviderRef: v1.ProviderReference{Name: provider.GetName()}, ClientName: "Every Format",
			RedirectURIs: []string{"https://every.example.org/callback"}, Outputs: allOutputs("every-format"),
			Consumer: &v1.ConsumerSettings{TokenMap: "individual_id:user_id name:name"}}}
	if err := tc.Create(ctx, every); err != nil {
		t.Fatalf("tenant creating %s: %v", every.Name, err)
	}
	rps = append(rps, every.Name)
	for _, o := range every.Spec.Outputs {
		formats[o.Format] = true
	}
	got := make([]string, 0, len(formats))
	for f := range formats {
		got = append(got, f)
	}
	sort.Strings(got)
	if !slices.Equal(got, allFormats) {
		t.Fatalf("formats covered %v, want %v", got, allFormats)
	}

	// The tenant reads every status through its own client.
	p := &v1.ESignetProvider{}
	e.eventually(t, "provider Ready", func() (bool, string) {
		if err := tc.Get(ctx, client.ObjectKey{Namespace: ns, Name: provider.GetName()}, p); err != nil {
			return false, err.Error()
		}
		return providerReady(p, &p.Status)
	})
	for _, name := range rps {
		rp := e.waitReady(t, tc, ns, name)
		if want := ns + "." + name; rp.Status.ClientID != want {
			t.Errorf("%s: client id %q, want %q", name, rp.Status.ClientID, want)
		}
		if c, ok := fake.Client(rp.Status.ClientID); !ok || c.Status != "ACTIVE" {
			t.Errorf("%s: client %s at the fake: %+v (found %v)", name, rp.Status.ClientID, c, ok)
		}
		key := &corev1.Secret{}
		if err := tc.Get(ctx, client.ObjectKey{Namespace: ns, Name: rp.Status.SecretName}, key); err != nil {
			t.Errorf("%s: key Secret: %v", name, err)
		} else if !metav1.IsControlledBy(key, rp) {
			t.Errorf("%s: key Secret %s is not controlled by it: %v", name, key.Name, key.OwnerReferences)
		}
		for _, out := range rp.Spec.Outputs {
			var obj client.Object = &corev1.Secret{}
			if out.Format == "env" {
				obj = &corev1.ConfigMap{}
			}
			if err := tc.Get(ctx, client.ObjectKey{Namespace: ns, Name: out.Name}, obj); err != nil {
				t.Errorf("%s: output %s (%s): %v", name, out.Name, out.Format, err)
			}
		}
		if evs := eventsOnceSent(t, tc, ns, name, v1.EventClientCreated); !hasEvent(evs, v1.EventClientCreated) || countMentions(evs, keyGeneratedNote) != 1 {
			t.Errorf("%s: events %v lack %s, or do not tell of one key generation", name, evs, v1.EventClientCreated)
		}
	}
	tmpl := &corev1.Secret{}
	if err := tc.Get(ctx, client.ObjectKey{Namespace: ns, Name: "every-format-tmpl"}, tmpl); err != nil {
		t.Fatal(err)
	}
	if want := "issuer: " + fake.URL() + "\nclient: " + ns + ".every-format\n"; string(tmpl.Data["values.yaml"]) != want {
		t.Errorf("template output %q, want %q", tmpl.Data["values.yaml"], want)
	}

	// A spec change reaches eSignet.
	changed := rps[len(rps)-2] // the last sample's relying party
	updateRP(t, tc, ns, changed, func(r *v1.ESignetRelyingParty) {
		r.Spec.RedirectURIs = append(r.Spec.RedirectURIs, "https://changed.example.org/callback")
	})
	e.eventually(t, "the new redirect URI at eSignet", func() (bool, string) {
		c, _ := fake.Client(ns + "." + changed)
		return slices.Contains(c.RedirectURIs, "https://changed.example.org/callback"), strings.Join(c.RedirectURIs, " ")
	})
	e.waitReady(t, tc, ns, changed)
	if evs := events(t, tc, ns, changed); !hasEvent(evs, v1.EventClientUpdated) {
		t.Errorf("%s: no %s event in %v", changed, v1.EventClientUpdated, evs)
	}

	// A rotation on request, with no overlap: a new key beside the old one, a new client, the
	// old one retired; every write the ServiceAccount's role allows.
	updateRP(t, tc, ns, every.Name, func(r *v1.ESignetRelyingParty) {
		r.Spec.Key.Rotation = &v1.KeyRotation{RequestedAt: "rotate-now", Overlap: &metav1.Duration{}}
	})
	e.eventually(t, "every-format rotated and its previous client retired", func() (bool, string) {
		rp := getRP(t, tc, ns, every.Name)
		reg := rp.Status.Registration
		return reg != nil && reg.Rotation == 1 && reg.Previous == nil && reg.Next == nil, fmt.Sprintf("%+v", reg)
	})
	if c, _ := fake.Client(ns + ".every-format"); c.Status != "INACTIVE" {
		t.Errorf("the rotated-out client is %q, want INACTIVE", c.Status)
	}
	e.waitReady(t, tc, ns, every.Name)
	rotatedKey := &corev1.Secret{}
	if err := tc.Get(ctx, client.ObjectKey{Namespace: ns, Name: "every-format-esignet-client"}, rotatedKey); err != nil ||
		string(rotatedKey.Data["client_id"]) != ns+".every-format-r1" {
		t.Errorf("key Secret after rotation: %v, client_id %q", err, rotatedKey.Data["client_id"])
	}

	// Deletion runs the finalizer: Deactivate sets the client INACTIVE, Retain leaves it and
	// releases the key Secret, sealed for a later resource of the same name.
	for _, name := range rps {
		rp := getRP(t, tc, ns, name)
		if err := tc.Delete(ctx, rp); err != nil {
			t.Fatalf("tenant deleting %s: %v", name, err)
		}
		e.waitGone(t, tc, rp)
		c, _ := fake.Client(ns + "." + name)
		key := &corev1.Secret{}
		if err := tc.Get(ctx, client.ObjectKey{Namespace: ns, Name: rp.Status.SecretName}, key); err != nil {
			t.Fatalf("%s: key Secret after deletion: %v", name, err) // envtest has no garbage collector
		}
		switch rp.Spec.DeletionPolicy {
		case v1.DeletionPolicyRetain:
			if c.Status != "ACTIVE" {
				t.Errorf("%s (Retain): client at eSignet is %q, want ACTIVE", name, c.Status)
			}
			if len(key.OwnerReferences) != 0 || key.Annotations["esignet.openg2p.org/retained"] == "" {
				t.Errorf("%s (Retain): key Secret not released: owners %v, annotations %v", name, key.OwnerReferences, key.Annotations)
			}
		default:
			if c.Status != "INACTIVE" {
				t.Errorf("%s: client at eSignet is %q after deletion, want INACTIVE", name, c.Status)
			}
			if evs := events(t, tc, ns, name); !hasEvent(evs, v1.EventClientDeactivated) {
				t.Errorf("%s: no %s event in %v", name, v1.EventClientDeactivated, evs)
			}
		}
	}
	// The provider, unused now, goes too (its in-use finalizer is removed).
	if err := tc.Delete(ctx, p); err != nil {
		t.Fatalf("tenant deleting the provider: %v", err)
	}
	e.waitGone(t, tc, p)
	e.assertManagerClean(t, mark)
}
