package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// sampleFile is one file of the samples kustomization and its documents.
type sampleFile struct {
	name string
	docs []*unstructured.Unstructured
}

// samples are the manifests the demo applies, as read from config/samples.
type samples struct {
	dir        string
	files      []sampleFile
	provider   *unstructured.Unstructured // the first ESignetProvider or ClusterESignetProvider
	rps        []*unstructured.Unstructured
	namespaces []string
	generation string // the provider's spec.apiVersion, for the fake's --generation

	// Management client from spec.auth.clientCredentials; empty when the provider has none.
	mgmtClientID, mgmtSecretName, mgmtSecretKey string
}

const (
	kindProvider        = "ESignetProvider"
	kindClusterProvider = "ClusterESignetProvider"
	kindRelyingParty    = "ESignetRelyingParty"
)

// loadSamples reads the resources of dir/kustomization.yaml in order.
func loadSamples(dir string) (*samples, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml")) //nolint:gosec // a path the user chose
	if err != nil {
		return nil, err
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("%s/kustomization.yaml: %w", dir, err)
	}
	s := &samples{dir: dir, generation: "v1.8"}
	for _, res := range k.Resources {
		f, err := readManifests(filepath.Join(dir, res))
		if err != nil {
			return nil, err
		}
		f.name = filepath.Base(res)
		s.files = append(s.files, f)
	}
	for _, f := range s.files {
		for _, obj := range f.docs {
			if ns := obj.GetNamespace(); ns != "" && ns != "default" && !slices.Contains(s.namespaces, ns) {
				s.namespaces = append(s.namespaces, ns)
			}
			switch obj.GetKind() {
			case kindProvider, kindClusterProvider:
				if s.provider == nil {
					s.provider = obj
				}
			case kindRelyingParty:
				s.rps = append(s.rps, obj)
			}
		}
	}
	if s.provider == nil {
		return nil, fmt.Errorf("%s: no %s among the resources", dir, kindProvider)
	}
	if len(s.rps) == 0 {
		return nil, fmt.Errorf("%s: no %s among the resources", dir, kindRelyingParty)
	}
	if v, ok, _ := unstructured.NestedString(s.provider.Object, "spec", "apiVersion"); ok && v != "" {
		s.generation = v
	}
	if cc, ok, _ := unstructured.NestedMap(s.provider.Object, "spec", "auth", "clientCredentials"); ok {
		s.mgmtClientID, _, _ = unstructured.NestedString(cc, "clientID")
		s.mgmtSecretName, _, _ = unstructured.NestedString(cc, "clientSecretRef", "name")
		s.mgmtSecretKey, _, _ = unstructured.NestedString(cc, "clientSecretRef", "key")
	}
	return s, nil
}

func readManifests(path string) (sampleFile, error) {
	f, err := os.Open(path) //nolint:gosec // a path listed by the samples kustomization
	if err != nil {
		return sampleFile{}, err
	}
	defer f.Close()
	var out sampleFile
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sampleFile{}, fmt.Errorf("%s: %w", path, err)
		}
		obj := map[string]any{}
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return sampleFile{}, fmt.Errorf("%s: %w", path, err)
		}
		if len(obj) == 0 {
			continue
		}
		out.docs = append(out.docs, &unstructured.Unstructured{Object: obj})
	}
	return out, nil
}

// patchForFake points the provider at the fake eSignet, trusts the demo CA and sets the
// management credentials Secret to the secret the fake was started with. It returns one line per
// change, for the output. The sample files themselves are never touched.
func (s *samples) patchForFake(fakeURL string, caPEM []byte, mgmtSecret string) ([]string, error) {
	var changes []string
	p := s.provider
	what := fmt.Sprintf("%s %s", p.GetKind(), p.GetName())
	oldURL, _, _ := unstructured.NestedString(p.Object, "spec", "url")
	newURL, err := rehost(oldURL, fakeURL)
	if err != nil {
		return nil, fmt.Errorf("%s spec.url: %w", what, err)
	}
	if err := unstructured.SetNestedField(p.Object, newURL, "spec", "url"); err != nil {
		return nil, err
	}
	changes = append(changes, fmt.Sprintf("%s: spec.url %s -> %s", what, oldURL, newURL))
	if old, ok, _ := unstructured.NestedString(p.Object, "spec", "discoveryURL"); ok && old != "" {
		nu, err := rehost(old, fakeURL)
		if err != nil {
			return nil, fmt.Errorf("%s spec.discoveryURL: %w", what, err)
		}
		_ = unstructured.SetNestedField(p.Object, nu, "spec", "discoveryURL")
		changes = append(changes, fmt.Sprintf("%s: spec.discoveryURL %s -> %s", what, old, nu))
	}
	if s.mgmtClientID != "" {
		old, _, _ := unstructured.NestedString(p.Object, "spec", "auth", "clientCredentials", "tokenURL")
		nu := fakeURL + "/realms/mosip/protocol/openid-connect/token"
		_ = unstructured.SetNestedField(p.Object, nu, "spec", "auth", "clientCredentials", "tokenURL")
		changes = append(changes, fmt.Sprintf("%s: spec.auth.clientCredentials.tokenURL %s -> %s", what, old, nu))
	}
	unstructured.RemoveNestedField(p.Object, "spec", "caBundleSecretRef")
	_ = unstructured.SetNestedField(p.Object, base64.StdEncoding.EncodeToString(caPEM), "spec", "caBundle")
	changes = append(changes, fmt.Sprintf("%s: spec.caBundle <- the demo CA (the only CA the operator trusts for this provider)", what))

	if s.mgmtClientID != "" {
		secret := s.find("Secret", p.GetNamespace(), s.mgmtSecretName)
		if secret == nil {
			secret = &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
				"metadata": map[string]any{"name": s.mgmtSecretName, "namespace": p.GetNamespace()}}}
			s.files = append(s.files, sampleFile{name: "demo-management-secret.yaml", docs: []*unstructured.Unstructured{secret}})
		}
		unstructured.RemoveNestedField(secret.Object, "data", s.mgmtSecretKey)
		if err := unstructured.SetNestedField(secret.Object, mgmtSecret, "stringData", s.mgmtSecretKey); err != nil {
			return nil, err
		}
		changes = append(changes, fmt.Sprintf("Secret %s: %s <- a random secret the fake eSignet accepts for client %s",
			s.mgmtSecretName, s.mgmtSecretKey, s.mgmtClientID))
	}
	return changes, nil
}

func (s *samples) find(kind, ns, name string) *unstructured.Unstructured {
	for _, f := range s.files {
		for _, obj := range f.docs {
			if obj.GetKind() == kind && obj.GetNamespace() == ns && obj.GetName() == name {
				return obj
			}
		}
	}
	return nil
}

// rehost keeps the path of a sample URL and replaces scheme and host with the fake's.
func rehost(sample, fakeURL string) (string, error) {
	u, err := url.Parse(sample)
	if err != nil {
		return "", err
	}
	f, err := url.Parse(fakeURL)
	if err != nil {
		return "", err
	}
	u.Scheme, u.Host = f.Scheme, f.Host
	return u.String(), nil
}

// write stores the patched manifests under dir, one file per sample file.
func (s *samples) write(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, f := range s.files {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "# %s, patched by hack/demo to use the local fake eSignet\n", filepath.Join(s.dir, f.name))
		for i, obj := range f.docs {
			if i > 0 {
				buf.WriteString("---\n")
			}
			b, err := yaml.Marshal(obj.Object)
			if err != nil {
				return err
			}
			buf.Write(b)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), buf.Bytes(), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// rpKeys are the namespace/name of every relying party, in sample order.
func (s *samples) rpKeys() []string {
	out := make([]string, 0, len(s.rps))
	for _, rp := range s.rps {
		out = append(out, rp.GetNamespace()+"/"+rp.GetName())
	}
	return out
}

func splitKey(k string) (string, string) {
	ns, name, _ := strings.Cut(k, "/")
	return ns, name
}
