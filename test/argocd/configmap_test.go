package argocd_test

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/openg2p/esignet-operator/test/argocd"
)

var update = flag.Bool("update", false, "rewrite config/argocd/argocd-cm-health.yaml from the health.lua files")

const configMapHeader = `# Argo CD health checks for the esignet-operator kinds, as a patch for Argo CD's argocd-cm ConfigMap
# (keys resource.customizations.health.<group>_<kind>). See docs/argocd.md.
#
# Generated from config/argocd/resource_customizations/esignet.openg2p.org/<Kind>/health.lua; do not edit.
# Regenerate with: go test ./test/argocd -run TestConfigMapInSync -update
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
`

// renderConfigMap builds argocd-cm-health.yaml from the health.lua files.
func renderConfigMap(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(configMapHeader)
	for _, kind := range argocd.Kinds {
		script, err := os.ReadFile(argocd.ScriptPath(kind))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("  " + argocd.ConfigMapKey(kind) + ": |\n")
		for _, line := range strings.Split(strings.TrimSuffix(string(script), "\n"), "\n") {
			if line != "" {
				b.WriteString("    " + line)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// TestConfigMapInSync fails when argocd-cm-health.yaml and the health.lua files differ.
func TestConfigMapInSync(t *testing.T) {
	if *update {
		if err := os.WriteFile(argocd.ConfigMapPath(), []byte(renderConfigMap(t)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(argocd.ConfigMapPath())
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string            `json:"name"`
			Namespace string            `json:"namespace"`
			Labels    map[string]string `json:"labels"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict(raw, &cm); err != nil {
		t.Fatalf("parsing %s: %v", argocd.ConfigMapPath(), err)
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Metadata.Name != "argocd-cm" {
		t.Errorf("want a v1 ConfigMap named argocd-cm, got %s %s %s", cm.APIVersion, cm.Kind, cm.Metadata.Name)
	}
	var keys []string
	for _, kind := range argocd.Kinds {
		key := argocd.ConfigMapKey(kind)
		keys = append(keys, key)
		script, err := os.ReadFile(argocd.ScriptPath(kind))
		if err != nil {
			t.Fatal(err)
		}
		if cm.Data[key] != string(script) {
			t.Errorf("%s differs from %s; regenerate with: go test ./test/argocd -run TestConfigMapInSync -update",
				key, argocd.ScriptPath(kind))
		}
	}
	for key := range cm.Data {
		if !slices.Contains(keys, key) {
			t.Errorf("unexpected key %s in %s", key, argocd.ConfigMapPath())
		}
	}
}
