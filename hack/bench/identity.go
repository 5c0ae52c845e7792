package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// operatorNamespace holds the manager's ServiceAccount and its seal key, as in an installation.
const (
	operatorNamespace = "esignet-operator-system"
	operatorAccount   = "esignet-operator-controller-manager"
)

// managerKubeconfig gives the manager what a pod of the installation gets: a ServiceAccount
// bound to the ClusterRole of config/rbac/role.yaml, and nothing but its token. It writes a
// kubeconfig with that token to path once the API server authorizes the account.
func (cp *controlPlane) managerKubeconfig(ctx context.Context, root, path string) error {
	role := &rbacv1.ClusterRole{}
	raw, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml")) //nolint:gosec // the repository's manifest
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(raw, role); err != nil {
		return fmt.Errorf("config/rbac/role.yaml: %w", err)
	}
	role.ObjectMeta = metav1.ObjectMeta{Name: "esignet-operator-manager-role"}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "esignet-operator-manager-rolebinding"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: operatorNamespace, Name: operatorAccount}},
	}
	account := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: operatorAccount}}
	if err := cp.createNamespace(ctx, operatorNamespace); err != nil {
		return err
	}
	for _, obj := range []client.Object{role, binding, account} {
		if err := cp.k8s.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	tr, err := cp.core.CoreV1().ServiceAccounts(operatorNamespace).CreateToken(ctx, operatorAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](12 * 3600)}},
		metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("requesting the manager's token: %w", err)
	}
	if err := waitAuthorized(ctx, cp.cfg, tr.Status.Token); err != nil {
		return err
	}
	kc := &clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"bench": {Server: cp.cfg.Host, CertificateAuthorityData: cp.cfg.CAData}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{operatorAccount: {Token: tr.Status.Token}},
		Contexts:       map[string]*clientcmdapi.Context{"bench": {Cluster: "bench", AuthInfo: operatorAccount}},
		CurrentContext: "bench",
	}
	return clientcmd.WriteToFile(*kc, path)
}

// waitAuthorized waits until the token may list relying parties cluster-wide (RBAC caches
// settle in milliseconds, but the manager must not start before).
func waitAuthorized(ctx context.Context, admin *rest.Config, token string) error {
	cfg := rest.AnonymousClientConfig(admin)
	cfg.BearerToken = token
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Group: "esignet.openg2p.org", Resource: "esignetrelyingparties"}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err == nil && got.Status.Allowed {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("denied")
			}
			return fmt.Errorf("the manager's ServiceAccount is still not allowed to list relying parties (%w)", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
