package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DecodeManifests splits YAML (or JSON) documents into objects, skipping empty documents.
func DecodeManifests(r io.Reader) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(obj.Object) > 0 {
			out = append(out, obj)
		}
	}
}

// ObjectMap indexes objects by "Kind/name".
func ObjectMap(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	m := make(map[string]*unstructured.Unstructured, len(objs))
	for _, o := range objs {
		m[o.GetKind()+"/"+o.GetName()] = o
	}
	return m
}

// deploy creates every object of the manifests with the admin client (and the namespace of the
// installation should the manifests not create it, as Helm's do not), checks that Names are there
// and bound to each other, waits until the API server's authorizer grants the manager its roles,
// and writes a kubeconfig holding only the manager ServiceAccount's token and the control
// plane's CA.
func (e *Env) deploy(manifests []byte, kubeconfig string) error {
	ctx := context.Background()
	objs, err := DecodeManifests(bytes.NewReader(manifests))
	if err != nil {
		return fmt.Errorf("decoding the manifests: %w", err)
	}
	e.Objects = ObjectMap(objs)
	n := e.Names
	if e.Objects["Namespace/"+n.Namespace] == nil {
		if err := e.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n.Namespace}}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	for _, obj := range objs {
		err := e.Admin.Create(ctx, obj.DeepCopy())
		if apierrors.IsAlreadyExists(err) && obj.GetKind() == "CustomResourceDefinition" {
			continue // envtest installed config/crd/bases already
		}
		if err != nil {
			return fmt.Errorf("creating %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	if err := CheckWiring(e.Objects, n); err != nil {
		return err
	}
	if err := e.Admin.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: NamespaceAdminRole},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps", "events"}, Verbs: []string{"*"}}}}); err != nil {
		return err
	}
	if err := e.WaitServiceAccountAllowed(n.Namespace, n.ServiceAccount, e.Objects["ClusterRole/"+n.ManagerClusterRole], e.Objects["Role/"+n.LeaderElectionRole]); err != nil {
		return err
	}
	token, err := e.ServiceAccountToken(n.Namespace, n.ServiceAccount)
	if err != nil {
		return err
	}
	if err := writeKubeconfig(kubeconfig, e.AdminConfig, n.ServiceAccount, &clientcmdapi.AuthInfo{Token: token}, n.Namespace); err != nil {
		return err
	}
	// The kubeconfig must authenticate as the ServiceAccount, and as nothing more.
	mcfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	mc, err := client.New(mcfg, client.Options{Scheme: e.Scheme})
	if err != nil {
		return err
	}
	ssr := &authenticationv1.SelfSubjectReview{}
	if err := mc.Create(ctx, ssr); err != nil {
		return fmt.Errorf("SelfSubjectReview with the manager's kubeconfig: %w", err)
	}
	if want := ServiceAccountUser(n.Namespace, n.ServiceAccount); ssr.Status.UserInfo.Username != want {
		return fmt.Errorf("the manager's kubeconfig authenticates as %q, want %q", ssr.Status.UserInfo.Username, want)
	}
	return nil
}

// CheckWiring fails unless objs hold every object of n and bind them as an installation must:
// the Deployment runs as the ServiceAccount, a ClusterRoleBinding grants it the manager
// ClusterRole and a RoleBinding in its namespace the leader-election Role.
func CheckWiring(objs map[string]*unstructured.Unstructured, n Names) error {
	for _, want := range []string{"ServiceAccount/" + n.ServiceAccount, "ClusterRole/" + n.ManagerClusterRole,
		"Role/" + n.LeaderElectionRole, "ClusterRole/" + n.EditorRole, "ClusterRole/" + n.ViewerRole, "Deployment/" + n.Deployment} {
		obj := objs[want]
		if obj == nil {
			return fmt.Errorf("the manifests have no %s", want)
		}
		if obj.GetKind() != "ClusterRole" && obj.GetNamespace() != n.Namespace {
			return fmt.Errorf("%s is in namespace %q, want %q", want, obj.GetNamespace(), n.Namespace)
		}
	}
	// The token the manager gets is the one the Deployment's pods would run with.
	if sa, _, _ := unstructured.NestedString(objs["Deployment/"+n.Deployment].Object, "spec", "template", "spec", "serviceAccountName"); sa != n.ServiceAccount {
		return fmt.Errorf("the Deployment runs as ServiceAccount %q, want %q", sa, n.ServiceAccount)
	}
	bound := func(kind, role, ns string) bool {
		for _, obj := range objs {
			if obj.GetKind() != kind+"Binding" || obj.GetNamespace() != ns {
				continue
			}
			b := &rbacv1.RoleBinding{} // a ClusterRoleBinding has the same fields
			must(runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, b))
			if b.RoleRef.Kind != kind || b.RoleRef.Name != role {
				continue
			}
			for _, s := range b.Subjects {
				if s.Kind == rbacv1.ServiceAccountKind && s.Name == n.ServiceAccount && s.Namespace == n.Namespace {
					return true
				}
			}
		}
		return false
	}
	if !bound("ClusterRole", n.ManagerClusterRole, "") {
		return fmt.Errorf("no ClusterRoleBinding grants ClusterRole %s to ServiceAccount %s/%s", n.ManagerClusterRole, n.Namespace, n.ServiceAccount)
	}
	if !bound("Role", n.LeaderElectionRole, n.Namespace) {
		return fmt.Errorf("no RoleBinding in %s grants Role %s to ServiceAccount %s", n.Namespace, n.LeaderElectionRole, n.ServiceAccount)
	}
	return nil
}

// WaitServiceAccountAllowed waits until the ServiceAccount ns/name is allowed every rule of the
// ClusterRole cluster-wide and every rule of the Role in ns.
func (e *Env) WaitServiceAccountAllowed(ns, name string, clusterRole, role *unstructured.Unstructured) error {
	user := ServiceAccountUser(ns, name)
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	if err := e.WaitAllowed(user, groups, "", RulesOf(clusterRole)); err != nil {
		return err
	}
	return e.WaitAllowed(user, groups, ns, RulesOf(role))
}

// ServiceAccountToken requests a token of the ServiceAccount ns/name, valid for an hour.
func (e *Env) ServiceAccountToken(ns, name string) (string, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}
	if err := e.Admin.SubResource("token").Create(context.Background(), sa, tr); err != nil {
		return "", fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", ns, name, err)
	}
	if tr.Status.Token == "" {
		return "", errors.New("the TokenRequest returned no token")
	}
	return tr.Status.Token, nil
}

// writeKubeconfig writes a kubeconfig for the control plane of cfg: with auth when given (then
// nothing of cfg's credentials), else cfg's client certificate.
func writeKubeconfig(path string, cfg *rest.Config, user string, auth *clientcmdapi.AuthInfo, ns string) error {
	if auth == nil {
		auth = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData,
			ClientCertificate: cfg.CertFile, ClientKey: cfg.KeyFile, Token: cfg.BearerToken}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[user] = auth
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: user, Namespace: ns}
	kc.CurrentContext = "envtest"
	return clientcmd.WriteToFile(*kc, path)
}

// ServiceAccountUser is the user name a ServiceAccount's token authenticates as.
func ServiceAccountUser(ns, name string) string { return "system:serviceaccount:" + ns + ":" + name }

// RulesOf reads the rules of a Role or ClusterRole.
func RulesOf(obj *unstructured.Unstructured) []rbacv1.PolicyRule {
	role := &rbacv1.ClusterRole{}
	must(runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, role))
	return role.Rules
}

// WaitAllowed polls SubjectAccessReviews until every verb of every rule is granted to the user in
// ns (cluster-wide when ""): the API server's authorizer sees new bindings through a watch, a
// moment after they are created.
func (e *Env) WaitAllowed(user string, groups []string, ns string, rules []rbacv1.PolicyRule) error {
	ctx := context.Background()
	var pending []authorizationv1.ResourceAttributes
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				resource, sub, _ := strings.Cut(res, "/")
				for _, verb := range r.Verbs {
					pending = append(pending, authorizationv1.ResourceAttributes{Namespace: ns, Group: g, Resource: resource, Subresource: sub, Verb: verb})
				}
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(pending) > 0 {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: groups, ResourceAttributes: &pending[0]}}
		if err := e.Admin.Create(ctx, sar); err != nil {
			return fmt.Errorf("SubjectAccessReview: %w", err)
		}
		if sar.Status.Allowed {
			pending = pending[1:]
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is still not allowed %+v after 30 s: %s", user, pending[0], sar.Status.Reason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}
