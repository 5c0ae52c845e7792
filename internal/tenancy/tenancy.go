// Package tenancy keeps namespaces apart where they share a ClusterESignetProvider, whose
// credentials can change any client at eSignet: which namespaces may use it, which client ids
// each may touch, and seals on the records a namespace could otherwise forge.
package tenancy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// maxClientID is eSignet's limit on a client id.
const maxClientID = 100

// IDSpace is the prefix every client id of a namespace starts with under a shared provider.
// Namespace names hold only [a-z0-9-], never a dot, so the spaces of two namespaces never
// overlap and <prefix><namespace>.<name> is injective over (namespace, name).
func IDSpace(prefix, namespace string) string { return prefix + namespace + "." }

// DeriveClientID is <prefix><namespace>.<name>; an id longer than eSignet's 100 characters is
// cut and made unique with a hash, staying in the namespace's space.
func DeriveClientID(prefix, namespace, name string) string {
	id := IDSpace(prefix, namespace) + name
	if len(id) <= maxClientID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	tail := "-" + hex.EncodeToString(sum[:6])
	return id[:maxClientID-len(tail)] + tail
}

// InSpace reports whether id belongs to namespace's id space (with something after the dot).
func InSpace(id, prefix, namespace string) bool {
	space := IDSpace(prefix, namespace)
	return strings.HasPrefix(id, space) && len(id) > len(space)
}

// Fence is what a provider allows the relying parties using it. The zero value is a
// namespaced provider's: it belongs to its namespace, which holds its credentials.
type Fence struct {
	Shared    bool            // a ClusterESignetProvider
	Selector  labels.Selector // namespaces that may use it; nil: all
	AnyIDs    bool            // namespaces may choose any client id
	Prefix    string          // the operator's client-id prefix
	Provider  string          // for messages
	selectErr error
}

// ForCluster builds the fence of a ClusterESignetProvider.
func ForCluster(name string, t v1.Tenancy, prefix string) Fence {
	f := Fence{Shared: true, AnyIDs: t.ClientIDs == v1.ClientIDsAny, Prefix: prefix, Provider: name}
	if t.NamespaceSelector != nil {
		f.Selector, f.selectErr = metav1.LabelSelectorAsSelector(t.NamespaceSelector)
	}
	return f
}

// Refusal is a use of a provider the fence does not allow: a person must change something.
type Refusal struct{ Reason, Message string }

func (r *Refusal) Error() string { return r.Message }

// AdmitNamespace checks that a namespace with these labels may use the provider.
func (f Fence) AdmitNamespace(namespace string, nsLabels map[string]string) *Refusal {
	switch {
	case !f.Shared || (f.Selector == nil && f.selectErr == nil):
		return nil
	case f.selectErr != nil:
		return &Refusal{v1.ReasonProviderNotAllowed, fmt.Sprintf("ClusterESignetProvider %q has an invalid tenancy.namespaceSelector; no namespace may use it", f.Provider)}
	case !f.Selector.Matches(labels.Set(nsLabels)):
		return &Refusal{v1.ReasonProviderNotAllowed, fmt.Sprintf("ClusterESignetProvider %q does not serve namespace %s (tenancy.namespaceSelector)", f.Provider, namespace)}
	}
	return nil
}

// AdmitClientID checks that a relying party of namespace may act on the client id, whoever
// chose it: the spec, a derived default, or a registration record.
func (f Fence) AdmitClientID(namespace, id, source string) *Refusal {
	if !f.Shared || f.AnyIDs || InSpace(id, f.Prefix, namespace) {
		return nil
	}
	return &Refusal{v1.ReasonClientIDNotAllowed, fmt.Sprintf(
		"%s %q is outside namespace %s's client ids (%s*) on the shared ClusterESignetProvider %q; the operator will not create, change or deactivate it",
		source, id, namespace, IDSpace(f.Prefix, namespace), f.Provider)}
}

// Sealer seals records a namespace can write (annotations, labels of Secrets it could plant)
// with an HMAC under a key only the operator holds, so a forged or copied record is ignored.
type Sealer struct{ key []byte }

// NewSealer returns a Sealer for key (at least 32 bytes).
func NewSealer(key []byte) (Sealer, error) {
	if len(key) < 32 {
		return Sealer{}, fmt.Errorf("seal key has %d bytes, want at least 32", len(key))
	}
	return Sealer{key: key}, nil
}

// Seal is the seal of parts (joined unambiguously).
func (s Sealer) Seal(parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		fmt.Fprintf(m, "%d:%s;", len(p), p)
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether seal seals parts.
func (s Sealer) Verify(seal string, parts ...string) bool {
	if len(s.key) == 0 || seal == "" {
		return false
	}
	return hmac.Equal([]byte(seal), []byte(s.Seal(parts...)))
}
