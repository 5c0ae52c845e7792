package controllers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// The samples in config/samples reconcile to Ready, with only the provider's addresses pointed
// at a fake eSignet.
func TestSamplesReconcileToReady(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	files, err := filepath.Glob(filepath.Join("..", "config", "samples", "esignet_*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	var rps []string
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			obj.SetNamespace(f.ns)
			switch obj.GetKind() {
			case "Secret":
				_ = unstructured.SetNestedField(obj.Object, "mgmt-secret-"+f.ns, "stringData", "client-secret")
			case "ESignetProvider":
				obj.SetName(providerName + "-sample")
				must(unstructured.SetNestedField(obj.Object, f.fake.ServiceURL(), "spec", "url"))
				must(unstructured.SetNestedField(obj.Object, true, "spec", "allowInsecureHTTP"))
				must(unstructured.SetNestedField(obj.Object, f.fake.ManagementTokenURL(), "spec", "auth", "clientCredentials", "tokenURL"))
			case "ESignetRelyingParty":
				must(unstructured.SetNestedField(obj.Object, providerName+"-sample", "spec", "providerRef", "name"))
				rps = append(rps, obj.GetName())
			}
			if err := k8sClient.Create(f.ctx, obj); err != nil {
				t.Fatalf("%s: applying %s %s: %v", file, obj.GetKind(), obj.GetName(), err)
			}
		}
	}
	if len(rps) < 3 {
		t.Fatalf("want relying parties for several OpenG2P consumers, found %v", rps)
	}
	for _, name := range rps {
		f.waitReady(name)
	}
	// Every declared output exists.
	for _, name := range rps {
		for _, out := range f.get(name).Spec.Outputs {
			var obj client.Object = &corev1.Secret{}
			if out.Format == "env" {
				obj = &corev1.ConfigMap{}
			}
			if err := k8sClient.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: out.Name}, obj); err != nil {
				t.Errorf("%s: output %s (%s): %v", name, out.Name, out.Format, err)
			}
		}
	}
}
