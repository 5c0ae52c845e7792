package harness

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// ShippedTenantRoles checks that the shipped tenant roles grant what their comments say, bound in one namespace: the editor
// manages relying parties and providers but never writes status, the viewer only reads, and
// neither reaches ClusterESignetProviders or another namespace.
func (e *Env) ShippedTenantRoles(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "roles-"}}
	if err := e.Admin.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	other := "default"
	group := v1.GroupVersion.Group
	for _, role := range []string{e.Names.EditorRole, e.Names.ViewerRole} {
		user := "roles-" + role
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: role},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}}
		if err := e.Admin.Create(ctx, rb); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Admin.Delete(ctx, rb) })
		// Everything the role lists takes effect (the authorizer sees new bindings by a watch).
		if err := e.WaitAllowed(user, nil, ns.Name, RulesOf(e.Objects["ClusterRole/"+role])); err != nil {
			t.Fatal(err)
		}
		write := role == e.Names.EditorRole
		for _, c := range []struct {
			attr  authorizationv1.ResourceAttributes
			allow bool
		}{
			{authorizationv1.ResourceAttributes{Namespace: ns.Name, Verb: "list", Group: group, Resource: "esignetrelyingparties"}, true},
			{authorizationv1.ResourceAttributes{Namespace: ns.Name, Verb: "get", Group: group, Resource: "esignetproviders", Subresource: "status"}, true},
			{authorizationv1.ResourceAttributes{Namespace: ns.Name, Verb: "create", Group: group, Resource: "esignetrelyingparties"}, write},
			{authorizationv1.ResourceAttributes{Namespace: ns.Name, Verb: "delete", Group: group, Resource: "esignetproviders"}, write},
			{authorizationv1.ResourceAttributes{Namespace: ns.Name, Verb: "update", Group: group, Resource: "esignetrelyingparties", Subresource: "status"}, false},
			{authorizationv1.ResourceAttributes{Namespace: ns.Name, Verb: "patch", Group: group, Resource: "esignetrelyingparties", Subresource: "status"}, false},
			{authorizationv1.ResourceAttributes{Namespace: ns.Name, Verb: "patch", Group: group, Resource: "esignetproviders", Subresource: "status"}, false},
			{authorizationv1.ResourceAttributes{Namespace: ns.Name, Verb: "update", Group: group, Resource: "esignetrelyingparties", Subresource: "finalizers"}, false},
			{authorizationv1.ResourceAttributes{Verb: "get", Group: group, Resource: "clusteresignetproviders"}, false},
			{authorizationv1.ResourceAttributes{Namespace: other, Verb: "list", Group: group, Resource: "esignetrelyingparties"}, false},
			{authorizationv1.ResourceAttributes{Namespace: ns.Name, Verb: "get", Resource: "secrets"}, false},
		} {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user, ResourceAttributes: &c.attr}}
			if err := e.Admin.Create(ctx, sar); err != nil {
				t.Fatal(err)
			}
			if sar.Status.Allowed != c.allow {
				t.Errorf("%s: %s %s/%s in %q allowed=%v, want %v", role, c.attr.Verb, c.attr.Resource, c.attr.Subresource, c.attr.Namespace, sar.Status.Allowed, c.allow)
			}
		}
	}
}
