package controllers

import (
	"sync"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// ownWrites remembers the resourceVersion of each Secret and ConfigMap the operator itself just
// wrote: the watch event of that write is the operator's own news, and waking the relying party
// for it cost a second, idle reconcile per resource. Any other version (a hand edit, a deletion)
// still wakes it.
type ownWrites struct{ rv sync.Map } // "Kind/namespace/name" → resourceVersion

func ownKey(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// wrote records the version an object has after the operator's write.
func (o *ownWrites) wrote(kind, ns, name, rv string) {
	if rv != "" {
		o.rv.Store(ownKey(kind, ns, name), rv)
	}
}

// wroteObject records a typed object after a create or patch.
func (o *ownWrites) wroteObject(kind string, obj client.Object) {
	o.wrote(kind, obj.GetNamespace(), obj.GetName(), obj.GetResourceVersion())
}

// wroteSecretApply records the Secret an apply answered with.
func (o *ownWrites) wroteSecretApply(a *corev1ac.SecretApplyConfiguration) {
	if a.Name != nil && a.Namespace != nil && a.ResourceVersion != nil {
		o.wrote("Secret", *a.Namespace, *a.Name, *a.ResourceVersion)
	}
}

// mine reports whether obj is at the version the operator's own last write left it.
func (o *ownWrites) mine(kind string, obj client.Object) bool {
	v, ok := o.rv.Load(ownKey(kind, obj.GetNamespace(), obj.GetName()))
	return ok && v == obj.GetResourceVersion()
}

// notMine passes the events of an owned kind that are not the operator's own writes.
func (o *ownWrites) notMine(kind string) predicate.Predicate {
	return predicate.Funcs{
		// Objects controlled by a relying party are created by the operator: their create
		// events (which can outrun the answer to the create itself) are its own news.
		CreateFunc: func(event.CreateEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool { return !o.mine(kind, e.ObjectNew) },
		DeleteFunc: func(e event.DeleteEvent) bool {
			o.rv.Delete(ownKey(kind, e.Object.GetNamespace(), e.Object.GetName()))
			return true
		},
	}
}
