package helm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/openg2p/esignet-operator/test/deployed/harness"
)

// The chart's crds/ are config/crd/bases byte for byte (controller-gen generates those).
func TestChartCRDsAreConfigCRDs(t *testing.T) {
	want := yamlFiles(t, filepath.Join(env.Root, "config", "crd", "bases"))
	got := yamlFiles(t, filepath.Join(chartDir, "crds"))
	fix := "cp config/crd/bases/*.yaml " + chartPath + "/crds/"
	if !slices.Equal(sortedKeys(got), sortedKeys(want)) {
		t.Fatalf("the chart's crds/ has %v, config/crd/bases has %v: rm %s/crds/*.yaml && %s", sortedKeys(got), sortedKeys(want), chartPath, fix)
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s/crds/%s differs from config/crd/bases/%s: %s", chartPath, name, name, fix)
		}
	}
}

// The manager's ClusterRole is config/rbac/role.yaml (generated from the +kubebuilder:rbac
// markers): the chart copies the file and renders its rules.
func TestChartManagerRoleIsGenerated(t *testing.T) {
	generated, err := os.ReadFile(filepath.Join(env.Root, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	copied, err := os.ReadFile(filepath.Join(chartDir, "files", "manager-role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(copied, generated) {
		t.Errorf("%s/files/manager-role.yaml differs from config/rbac/role.yaml: cp config/rbac/role.yaml %s/files/manager-role.yaml", chartPath, chartPath)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal(generated, role); err != nil || len(role.Rules) == 0 {
		t.Fatalf("config/rbac/role.yaml: %v (%d rules)", err, len(role.Rules))
	}
	rendered := env.Objects["ClusterRole/"+names.ManagerClusterRole]
	if got := harness.RulesOf(rendered); !reflect.DeepEqual(got, role.Rules) {
		t.Errorf("the chart's manager ClusterRole grants\n%s\nconfig/rbac/role.yaml\n%s", toYAML(t, got), toYAML(t, role.Rules))
	}
}

// Rendered for release esignet-operator in esignet-operator-system with the image of
// config/manager, the chart has every object of config/default under the same name (but the
// Namespace, which `helm install --create-namespace` makes, and the CRDs, in crds/): roles with
// exactly the same rules and aggregation labels, bindings with the same role and subjects, and a
// Deployment holding everything config/default's does (the chart adds flags and settings). The
// only extra object is the metrics Service.
func TestChartMatchesConfigDefault(t *testing.T) {
	out, err := harness.KustomizeBuild(env.Root)
	if err != nil {
		t.Fatal(err)
	}
	kobjs, err := harness.DecodeManifests(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	kustomized := harness.ObjectMap(kobjs)
	raw, err := helmCmd.run("template", installedRelease, chartDir, "--namespace", names.Namespace, "--set", "image.tag=dev")
	if err != nil {
		t.Fatal(err)
	}
	hobjs, err := harness.DecodeManifests(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	chart := harness.ObjectMap(hobjs)

	for key, k := range kustomized {
		switch k.GetKind() {
		case "Namespace", "CustomResourceDefinition":
			continue
		}
		h := chart[key]
		if h == nil {
			t.Errorf("the chart has no %s (config/default has)", key)
			continue
		}
		if h.GetNamespace() != k.GetNamespace() {
			t.Errorf("%s: namespace %q, config/default %q", key, h.GetNamespace(), k.GetNamespace())
		}
		switch k.GetKind() {
		case "ClusterRole", "Role":
			if got, want := harness.RulesOf(h), harness.RulesOf(k); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: the chart grants\n%s\nconfig/default grants\n%s", key, toYAML(t, got), toYAML(t, want))
			}
			if got, want := rbacLabels(h), rbacLabels(k); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: aggregation labels %v, config/default %v", key, got, want)
			}
		case "ClusterRoleBinding", "RoleBinding":
			hb, kb := &rbacv1.RoleBinding{}, &rbacv1.RoleBinding{}
			convert(t, h, hb)
			convert(t, k, kb)
			if !reflect.DeepEqual(hb.RoleRef, kb.RoleRef) || !reflect.DeepEqual(hb.Subjects, kb.Subjects) {
				t.Errorf("%s: binds %+v to %+v, config/default %+v to %+v", key, hb.RoleRef, hb.Subjects, kb.RoleRef, kb.Subjects)
			}
		default:
			if path, ok := contains(h.Object["spec"], k.Object["spec"]); !ok {
				t.Errorf("%s: the chart's spec lacks config/default's spec.%s\nchart:\n%s\nconfig/default:\n%s", key, path, toYAML(t, h.Object["spec"]), toYAML(t, k.Object["spec"]))
			}
		}
	}
	for key := range chart {
		if kustomized[key] == nil && key != "Service/esignet-operator-metrics" {
			t.Errorf("the chart has %s, which config/default does not", key)
		}
	}
}

// The chart lints cleanly, strictly, with its defaults and with every option on.
func TestChartLint(t *testing.T) {
	for _, args := range [][]string{nil, everything} {
		out, err := helmCmd.run(append([]string{"lint", "--strict", chartDir}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "[WARNING]") || strings.Contains(l, "[ERROR]") {
				t.Errorf("helm lint %v: %s", args, l)
			}
		}
	}
}

// everything sets every value away from its default.
var everything = []string{
	"--set", "image.repository=registry.example.org/esignet-operator,image.tag=1.2.3,image.pullPolicy=Always",
	"--set", "imagePullSecrets[0].name=regcred",
	"--set", "replicas=3",
	"--set", "watchNamespaces={openg2p,openg2p-staging}",
	"--set", "clusterResourceNamespace=esignet-shared",
	"--set", "clientIDPrefix=prod.",
	"--set", "maxConcurrentReconciles=8",
	"--set", "logVerbosity=2",
	"--set", "extraArgs={--zap-encoder=console}",
	"--set", "serviceAccount.annotations.example\\.org/role=operator",
	"--set", "resources.limits.memory=512Mi,resources.requests.cpu=50m",
	"--set", "nodeSelector.kubernetes\\.io/os=linux",
	"--set", "tolerations[0].key=dedicated,tolerations[0].operator=Exists,tolerations[0].effect=NoSchedule",
	"--set", "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=kubernetes.io/arch",
	"--set", "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=In",
	"--set", "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values={amd64}",
	"--set", "podAnnotations.example\\.org/scrape=yes,podLabels.team=identity",
	"--set", "priorityClassName=system-cluster-critical,terminationGracePeriodSeconds=30",
	"--set", "health.port=9440,metrics.port=9090,metrics.service.port=9091",
	"--set", "metrics.serviceMonitor.enabled=true,metrics.serviceMonitor.interval=15s,metrics.serviceMonitor.scrapeTimeout=10s",
	"--set", "metrics.serviceMonitor.labels.release=prometheus",
	"--set", "metrics.readerSubjects[0].kind=ServiceAccount,metrics.readerSubjects[0].name=prometheus-k8s,metrics.readerSubjects[0].namespace=monitoring",
}

// The defaults are what config/manager runs, plus the release namespace for the Secrets of
// ClusterESignetProviders.
func TestChartDefaults(t *testing.T) {
	objs := env.Objects
	d := deployment(t, objs, names.Deployment)
	if *d.Spec.Replicas != 1 {
		t.Errorf("replicas %d, want 1", *d.Spec.Replicas)
	}
	c := d.Spec.Template.Spec.Containers[0]
	wantArgs := []string{"--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=:8443",
		"--cluster-resource-namespace=" + names.Namespace, "--max-concurrent-reconciles=4"}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("args %q, want %q", c.Args, wantArgs)
	}
	if c.Image != "ghcr.io/openg2p/esignet-operator:v0.1.0" || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("image %s (%s), want the chart's appVersion", c.Image, c.ImagePullPolicy)
	}
	// Hardened as config/manager is.
	pod, sc := d.Spec.Template.Spec.SecurityContext, c.SecurityContext
	if pod == nil || pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot || pod.SeccompProfile == nil || pod.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v", pod)
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container securityContext %+v", sc)
	}
	if got := c.Resources.Limits.Memory().String(); got != "256Mi" {
		t.Errorf("memory limit %s, want 256Mi", got)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Errorf("resources %+v: want requests", c.Resources)
	}
	for what, p := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != what || p.HTTPGet.Port.String() != "health" {
			t.Errorf("probe of %s: %+v", what, p)
		}
	}
	if objs["Service/eso-esignet-operator-metrics"] == nil || objs["ClusterRole/eso-esignet-operator-metrics-reader"] == nil {
		t.Error("no metrics Service or metrics-reader ClusterRole")
	}
	for key := range objs {
		if strings.HasPrefix(key, "ServiceMonitor/") || key == "ClusterRoleBinding/eso-esignet-operator-metrics-reader" {
			t.Errorf("%s rendered by default", key)
		}
	}
}

// Every value reaches the object it is for.
func TestChartValues(t *testing.T) {
	objs := helmCmd.templateObjects(t, everything...)
	d := deployment(t, objs, names.Deployment)
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	if *d.Spec.Replicas != 3 || c.Image != "registry.example.org/esignet-operator:1.2.3" || c.ImagePullPolicy != corev1.PullAlways {
		t.Errorf("replicas %d, image %s (%s)", *d.Spec.Replicas, c.Image, c.ImagePullPolicy)
	}
	wantArgs := []string{"--leader-elect", "--health-probe-bind-address=:9440", "--metrics-bind-address=:9090",
		"--cluster-resource-namespace=esignet-shared", "--namespaces=openg2p,openg2p-staging", "--client-id-prefix=prod.",
		"--max-concurrent-reconciles=8", "--v=2", "--zap-encoder=console"}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("args %q, want %q", c.Args, wantArgs)
	}
	if len(c.Ports) != 2 || c.Ports[0].ContainerPort != 9090 || c.Ports[1].ContainerPort != 9440 {
		t.Errorf("ports %+v", c.Ports)
	}
	if c.Resources.Limits.Memory().String() != "512Mi" || c.Resources.Requests.Cpu().String() != "50m" {
		t.Errorf("resources %+v", c.Resources)
	}
	if spec.NodeSelector["kubernetes.io/os"] != "linux" || len(spec.Tolerations) != 1 || spec.Tolerations[0].Key != "dedicated" ||
		spec.Affinity == nil || spec.Affinity.NodeAffinity == nil || len(spec.ImagePullSecrets) != 1 ||
		spec.PriorityClassName != "system-cluster-critical" || *spec.TerminationGracePeriodSeconds != 30 {
		t.Errorf("scheduling: nodeSelector %v tolerations %v affinity %v pullSecrets %v priority %q grace %d",
			spec.NodeSelector, spec.Tolerations, spec.Affinity, spec.ImagePullSecrets, spec.PriorityClassName, *spec.TerminationGracePeriodSeconds)
	}
	if d.Spec.Template.Annotations["example.org/scrape"] != "yes" || d.Spec.Template.Labels["team"] != "identity" {
		t.Errorf("pod metadata %+v", d.Spec.Template.ObjectMeta)
	}
	if sa := objs["ServiceAccount/"+names.ServiceAccount]; sa == nil || sa.GetAnnotations()["example.org/role"] != "operator" {
		t.Errorf("ServiceAccount %v", sa)
	}
	svc := &corev1.Service{}
	convert(t, objs["Service/eso-esignet-operator-metrics"], svc)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 9091 || svc.Spec.Ports[0].TargetPort.String() != "metrics" {
		t.Errorf("metrics Service ports %+v", svc.Spec.Ports)
	}
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("the metrics Service selects %s=%s, not on the manager pods", k, v)
		}
	}
	sm := objs["ServiceMonitor/eso-esignet-operator"]
	if sm == nil {
		t.Fatal("no ServiceMonitor")
	}
	if sm.GetAPIVersion() != "monitoring.coreos.com/v1" || sm.GetNamespace() != names.Namespace || sm.GetLabels()["release"] != "prometheus" {
		t.Errorf("ServiceMonitor %s in %s, labels %v", sm.GetAPIVersion(), sm.GetNamespace(), sm.GetLabels())
	}
	sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	for k, v := range sel {
		if svc.Labels[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s, not on the metrics Service", k, v)
		}
	}
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(eps) != 1 {
		t.Fatalf("ServiceMonitor endpoints %v", eps)
	}
	ep := eps[0].(map[string]any)
	if ep["port"] != "metrics" || ep["interval"] != "15s" || ep["scrapeTimeout"] != "10s" || ep["scheme"] != "https" ||
		ep["bearerTokenFile"] != "/var/run/secrets/kubernetes.io/serviceaccount/token" || !reflect.DeepEqual(ep["tlsConfig"], map[string]any{"insecureSkipVerify": true}) {
		t.Errorf("ServiceMonitor endpoint %v", ep)
	}
	reader := &rbacv1.ClusterRoleBinding{}
	convert(t, objs["ClusterRoleBinding/eso-esignet-operator-metrics-reader"], reader)
	if reader.RoleRef.Name != "eso-esignet-operator-metrics-reader" || len(reader.Subjects) != 1 ||
		reader.Subjects[0] != (rbacv1.Subject{Kind: "ServiceAccount", Name: "prometheus-k8s", Namespace: "monitoring"}) {
		t.Errorf("metrics-reader binding %+v", reader)
	}

	managerAcceptsArgs(t, c.Args)
}

// managerAcceptsArgs checks that every flag is one the manager binary knows: with a kubeconfig
// that does not exist it stops at loading it (exit 1), not at parsing flags (exit 2).
func managerAcceptsArgs(t *testing.T, args []string) {
	t.Helper()
	cmd := exec.Command(env.ManagerBin, append(slices.Clone(args), "--kubeconfig="+filepath.Join(env.Tmp, "no-such-kubeconfig"))...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + env.Tmp}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "no-such-kubeconfig") {
		t.Errorf("the manager with the chart's args %q: %v\n%s", args, err, out)
	}
}

// Switches: metrics off or plain HTTP, leader election off, an existing ServiceAccount, no RBAC.
func TestChartSwitches(t *testing.T) {
	objs := helmCmd.templateObjects(t, "--set", "metrics.enabled=false,leaderElection.enabled=false")
	c := deployment(t, objs, names.Deployment).Spec.Template.Spec.Containers[0]
	if slices.Contains(c.Args, "--leader-elect") || !slices.Contains(c.Args, "--metrics-bind-address=0") || len(c.Ports) != 1 || c.Ports[0].Name != "health" {
		t.Errorf("metrics and leader election off: args %q, ports %+v", c.Args, c.Ports)
	}
	if objs["Service/eso-esignet-operator-metrics"] != nil || objs["ClusterRole/eso-esignet-operator-metrics-reader"] != nil {
		t.Error("a metrics Service or metrics-reader role with metrics off")
	}

	objs = helmCmd.templateObjects(t, "--set", "metrics.secure=false,metrics.serviceMonitor.enabled=true")
	c = deployment(t, objs, names.Deployment).Spec.Template.Spec.Containers[0]
	if !slices.Contains(c.Args, "--metrics-secure=false") {
		t.Errorf("metrics.secure=false: args %q", c.Args)
	}
	managerAcceptsArgs(t, c.Args)
	if eps, _, _ := unstructured.NestedSlice(objs["ServiceMonitor/eso-esignet-operator"].Object, "spec", "endpoints"); len(eps) != 1 ||
		eps[0].(map[string]any)["scheme"] != "http" || eps[0].(map[string]any)["bearerTokenFile"] != nil {
		t.Errorf("ServiceMonitor of plain HTTP metrics: %v", eps)
	}

	objs = helmCmd.templateObjects(t, "--set", "serviceAccount.create=false,serviceAccount.name=existing")
	if objs["ServiceAccount/"+names.ServiceAccount] != nil || objs["ServiceAccount/existing"] != nil {
		t.Error("a ServiceAccount created with serviceAccount.create=false")
	}
	if got := deployment(t, objs, names.Deployment).Spec.Template.Spec.ServiceAccountName; got != "existing" {
		t.Errorf("the Deployment runs as %q, want existing", got)
	}
	for _, key := range []string{"ClusterRoleBinding/eso-esignet-operator-manager-rolebinding", "RoleBinding/eso-esignet-operator-leader-election-rolebinding"} {
		b := &rbacv1.RoleBinding{}
		convert(t, objs[key], b)
		if len(b.Subjects) != 1 || b.Subjects[0].Name != "existing" || b.Subjects[0].Namespace != names.Namespace {
			t.Errorf("%s binds %+v, want ServiceAccount existing", key, b.Subjects)
		}
	}

	objs = helmCmd.templateObjects(t, "--set", "rbac.create=false")
	for key := range objs {
		if strings.Contains(key, "Role") {
			t.Errorf("%s rendered with rbac.create=false", key)
		}
	}
}

// Values that cannot work are refused with a message saying why.
func TestChartRefusesBadValues(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--set", "replicas=2,leaderElection.enabled=false"}, "replicas > 1 needs leaderElection.enabled"},
		{[]string{"--set", "metrics.enabled=false,metrics.serviceMonitor.enabled=true"}, "needs metrics.enabled"},
		{[]string{"--set", "serviceAccount.create=false"}, "serviceAccount.name is required"},
		{[]string{"--set-string", "replicas=two"}, "replicas"},
		{[]string{"--set", "image.pullPolicy=Sometimes"}, "pullPolicy"},
		{[]string{"--set", "watchNamespaces=openg2p"}, "watchNamespaces"},
		{[]string{"--set", "metrics.readerSubjects[0].kind=ServiceAccount,metrics.readerSubjects[0].name=prometheus"}, "needs its namespace"},
	} {
		_, err := helmCmd.template(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("helm template %v: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

func deployment(t *testing.T, objs map[string]*unstructured.Unstructured, name string) *appsv1.Deployment {
	t.Helper()
	obj := objs["Deployment/"+name]
	if obj == nil {
		t.Fatalf("no Deployment %s", name)
	}
	d := &appsv1.Deployment{}
	convert(t, obj, d)
	if len(d.Spec.Template.Spec.Containers) != 1 || d.Spec.Template.Spec.Containers[0].Name != "manager" {
		t.Fatalf("Deployment %s: want one container, manager", name)
	}
	return d
}

func convert(t *testing.T, obj *unstructured.Unstructured, into any) {
	t.Helper()
	if obj == nil {
		t.Fatalf("no object to convert into %T", into)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into); err != nil {
		t.Fatalf("%s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
}

// rbacLabels are an object's rbac.authorization.k8s.io labels (aggregation).
func rbacLabels(obj *unstructured.Unstructured) map[string]string {
	out := map[string]string{}
	for k, v := range obj.GetLabels() {
		if strings.HasPrefix(k, "rbac.authorization.k8s.io/") {
			out[k] = v
		}
	}
	return out
}

// contains reports whether have holds want: every key of a map with a value containing want's,
// every element of a list contained by some element of have's, scalars equal. On false, the
// path is where want has something have lacks.
func contains(have, want any) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return "", false
		}
		for k, wv := range w {
			if p, ok := contains(h[k], wv); !ok {
				return join(k, p), false
			}
		}
		return "", true
	case []any:
		h, ok := have.([]any)
		if !ok {
			return "", false
		}
		for i, wv := range w {
			found := false
			for _, hv := range h {
				if _, ok := contains(hv, wv); ok {
					found = true
					break
				}
			}
			if !found {
				return fmt.Sprintf("[%d]", i), false
			}
		}
		return "", true
	default:
		return "", reflect.DeepEqual(have, want)
	}
}

func join(k, p string) string {
	if p == "" || strings.HasPrefix(p, "[") {
		return k + p
	}
	return k + "." + p
}

func yamlFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no YAML files in %s (%v)", dir, err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func toYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every value of values.yaml has a row in the chart's README and a type in values.schema.json
// (a map documented whole, such as resources, stands for its keys).
func TestChartValuesDocumented(t *testing.T) {
	readValues := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join(chartDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	values, schema := readValues("values.yaml"), readValues("values.schema.json")
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, v any, schema map[string]any)
	walk = func(prefix string, v any, schema map[string]any) {
		if schema == nil {
			t.Errorf("values.schema.json has no %s", prefix)
		}
		if strings.Contains(string(readme), "| `"+prefix+"` |") {
			return
		}
		m, ok := v.(map[string]any)
		if !ok || len(m) == 0 {
			t.Errorf("README.md has no row for %s", prefix)
			return
		}
		props, _ := schema["properties"].(map[string]any)
		for k, sub := range m {
			s, _ := props[k].(map[string]any)
			walk(strings.TrimPrefix(prefix+"."+k, "."), sub, s)
		}
	}
	walk("", values, schema)
}
