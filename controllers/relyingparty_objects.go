package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/render"
	"github.com/openg2p/esignet-operator/internal/step"
)

// Everything about the Secrets and ConfigMaps the operator writes for a relying party: their
// labels, ownership, writes (server-side apply under one field manager, so other controllers'
// fields survive and the operator never conflicts with itself) and pruning.

const (
	// fieldManager owns every field the operator writes.
	fieldManager = "esignet-operator"
	// LabelRole tells the key Secret from rendered outputs.
	LabelRole  = "esignet.openg2p.org/role"
	roleKey    = "key"
	roleOutput = "output"
)

// objectLabels are the labels of an object written for rp: the secretTemplate's, then the
// operator's own (which a template cannot override).
func objectLabels(rp *v1.ESignetRelyingParty, role string) map[string]string {
	l := map[string]string{}
	if t := rp.Spec.SecretTemplate; t != nil {
		maps.Copy(l, t.Labels)
	}
	l[LabelManagedBy] = LabelManagedByValue
	l[LabelRelyingParty] = relyingPartyLabel(rp.Name)
	l[LabelRole] = role
	return l
}

func templateAnnotations(rp *v1.ESignetRelyingParty) map[string]string {
	if t := rp.Spec.SecretTemplate; t != nil && len(t.Annotations) > 0 {
		return maps.Clone(t.Annotations)
	}
	return nil
}

// relyingPartyLabel is the relying party's name as a label value: names longer than a label
// value may be are cut and made unique with a hash. Ownership is decided by owner reference;
// the label only narrows lists.
func relyingPartyLabel(name string) string {
	if len(validation.IsValidLabelValue(name)) == 0 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:50] + "-" + hex.EncodeToString(sum[:6])
}

func controllerRef(rp *v1.ESignetRelyingParty) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{APIVersion: v1.GroupVersion.String(), Kind: "ESignetRelyingParty", Name: rp.Name, UID: rp.UID,
		Controller: &t, BlockOwnerDeletion: &t}
}

// ownedBy: controlled by this very resource (its UID in the controller reference). The labels
// are put back if someone removed them; only the namespace's own people can set such a
// reference, and they own the resource anyway.
func ownedBy(obj metav1.Object, rp *v1.ESignetRelyingParty) bool {
	return metav1.IsControlledBy(obj, rp)
}

// retainedFor: created by the operator for an earlier resource of this name, then released by
// deletionPolicy Retain.
func retainedFor(obj metav1.Object, rp *v1.ESignetRelyingParty) bool {
	return obj.GetLabels()[LabelManagedBy] == LabelManagedByValue && obj.GetLabels()[LabelRelyingParty] == relyingPartyLabel(rp.Name) &&
		metav1.GetControllerOf(obj) == nil
}

// cachedObject reads from the cache, which holds only what the operator labels and may not yet
// hold what it just wrote; nil when the cache does not have the object.
func (r *RelyingPartyReconciler) cachedObject(ctx context.Context, ns, name string, obj client.Object) (client.Object, error) {
	return found(obj, r.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj))
}

// liveObject reads from the API server; nil when the object does not exist.
func (r *RelyingPartyReconciler) liveObject(ctx context.Context, ns, name string, obj client.Object) (client.Object, error) {
	return found(obj, r.APIReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj))
}

func found(obj client.Object, err error) (client.Object, error) {
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return obj, nil
}

// metadataCurrent reports whether obj already carries everything the operator sets on it.
func metadataCurrent(obj metav1.Object, rp *v1.ESignetRelyingParty, role string) bool {
	return containsAll(obj.GetLabels(), objectLabels(rp, role)) && containsAll(obj.GetAnnotations(), templateAnnotations(rp)) &&
		metav1.IsControlledBy(obj, rp)
}

func containsAll(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// applyObjectMeta brings the labels, annotations and owner reference of an existing object up
// to date, touching nothing else (the key Secret's data is never written after creation).
func (r *RelyingPartyReconciler) applyObjectMeta(ctx context.Context, sc *rpScope, obj client.Object, role string) error {
	if metadataCurrent(obj, sc.rp, role) {
		return nil
	}
	ac := corev1ac.Secret(obj.GetName(), obj.GetNamespace()).WithLabels(objectLabels(sc.rp, role)).WithAnnotations(templateAnnotations(sc.rp)).WithOwnerReferences(ownerRefAC(sc.rp)).
		WithUID(obj.GetUID())
	if err := r.Apply(ctx, ac, client.FieldOwner(fieldManager), client.ForceOwnership); err != nil {
		return err
	}
	r.own.wroteSecretApply(ac)
	sc.log.Info("labelled Secret", "step", "key", "secret", obj.GetName(), "outcome", "updated")
	return nil
}

func ownerRefAC(rp *v1.ESignetRelyingParty) *metav1ac.OwnerReferenceApplyConfiguration {
	ref := controllerRef(rp)
	return metav1ac.OwnerReference().WithAPIVersion(ref.APIVersion).WithKind(ref.Kind).WithName(ref.Name).WithUID(ref.UID).
		WithController(true).WithBlockOwnerDeletion(true)
}

// outputKind is the kind an output's document goes to: only a document with nothing secret in
// it may go to a ConfigMap.
func outputKind(doc render.Document) string {
	if doc.Secret {
		return "Secret"
	}
	return "ConfigMap"
}

// writeOutput makes the named object hold the document, refusing to touch one it does not
// own. Unchanged content costs no write.
//
// An object the cache does not hold is created: the create is the check that nothing is in the
// way (it never overwrites), so a new output costs one request and no read. Only when something
// is there (a foreign object, which the label-filtered cache does not hold, or one of the
// operator's not yet in the cache) is it read and, if it is this resource's, patched.
func (r *RelyingPartyReconciler) writeOutput(ctx context.Context, sc *rpScope, out v1.Output, doc render.Document) (bool, *step.Stop) {
	kind := outputKind(doc)
	existing, err := r.cachedObject(ctx, sc.rp.Namespace, out.Name, emptyOutput(doc))
	if err != nil {
		return false, kubeFailure(v1.ConditionConfigRendered, fmt.Sprintf("reading %s %s", kind, out.Name), err)
	}
	if existing == nil {
		obj := emptyOutput(doc)
		obj.SetName(out.Name)
		obj.SetNamespace(sc.rp.Namespace)
		setOutput(obj, sc.rp, doc)
		err := r.Create(ctx, obj, client.FieldOwner(fieldManager))
		if err == nil {
			r.own.wroteObject(kind, obj)
			return true, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return false, kubeFailure(v1.ConditionConfigRendered, fmt.Sprintf("creating %s %s", kind, out.Name), err)
		}
		var st *step.Stop
		if existing, st = r.rereadOutput(ctx, sc, out, doc, "was in the way of the create"); st != nil {
			return false, st
		}
	}
	// A merge patch from the object read, under its resourceVersion: the data is replaced whole
	// (keys no longer rendered are removed), labels, annotations and owner references of others
	// are kept, and a change made since the read is read again rather than overwritten. A
	// cached copy behind the API server (often the operator's own last write) is read live once.
	for attempt := 0; ; attempt++ {
		if !ownedBy(existing, sc.rp) && !retainedFor(existing, sc.rp) {
			return false, &step.Stop{Condition: v1.ConditionConfigRendered, Reason: v1.ReasonOutputNotOwned, Terminal: true, Message: fmt.Sprintf(
				"%s %s exists and was not created by the operator for this resource; it is left untouched: choose another output name or remove it",
				kind, out.Name)}
		}
		if metadataCurrent(existing, sc.rp, roleOutput) && sameData(existing, doc) {
			return false, nil
		}
		obj := existing.DeepCopyObject().(client.Object)
		setOutput(obj, sc.rp, doc)
		err := r.Patch(ctx, obj, client.MergeFromWithOptions(existing, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager))
		switch {
		case err == nil:
			r.own.wroteObject(kind, obj)
			return true, nil
		case !apierrors.IsConflict(err):
			return false, kubeFailure(v1.ConditionConfigRendered, fmt.Sprintf("writing %s %s", kind, out.Name), err)
		case attempt > 0:
			return false, &step.Stop{Condition: v1.ConditionConfigRendered, Reason: v1.ReasonKubernetesError, Requeue: requeueSoon,
				Message: fmt.Sprintf("%s %s keeps changing while it is written; reading it again", kind, out.Name)}
		}
		var st *step.Stop
		if existing, st = r.rereadOutput(ctx, sc, out, doc, "changed while it was written"); st != nil {
			return false, st
		}
	}
}

// rereadOutput reads an output from the API server after a write found it other than the
// cache said (what happened: why).
func (r *RelyingPartyReconciler) rereadOutput(ctx context.Context, sc *rpScope, out v1.Output, doc render.Document, why string) (client.Object, *step.Stop) {
	obj, err := r.liveObject(ctx, sc.rp.Namespace, out.Name, emptyOutput(doc))
	if err != nil || obj == nil {
		return nil, &step.Stop{Condition: v1.ConditionConfigRendered, Reason: v1.ReasonKubernetesError, Requeue: requeueSoon, Err: err,
			Message: fmt.Sprintf("%s %s %s, then could not be read; writing it again", outputKind(doc), out.Name, why)}
	}
	return obj, nil
}

func emptyOutput(doc render.Document) client.Object {
	if doc.Secret {
		return &corev1.Secret{}
	}
	return &corev1.ConfigMap{}
}

// setOutput gives obj the operator's labels, the template's annotations, the controller
// reference and the document as its whole data, keeping what others set besides.
func setOutput(obj client.Object, rp *v1.ESignetRelyingParty, doc render.Document) {
	obj.SetLabels(withAll(obj.GetLabels(), objectLabels(rp, roleOutput)))
	if ann := templateAnnotations(rp); len(ann) > 0 {
		obj.SetAnnotations(withAll(obj.GetAnnotations(), ann))
	}
	if !metav1.IsControlledBy(obj, rp) {
		obj.SetOwnerReferences(append(obj.GetOwnerReferences(), controllerRef(rp)))
	}
	switch o := obj.(type) {
	case *corev1.Secret:
		o.Type, o.Data = corev1.SecretTypeOpaque, maps.Clone(doc.Data)
	case *corev1.ConfigMap:
		o.Data, o.BinaryData = make(map[string]string, len(doc.Data)), nil
		for k, v := range doc.Data {
			o.Data[k] = string(v)
		}
	}
}

// withAll is a copy of have with every entry of add set.
func withAll(have, add map[string]string) map[string]string {
	out := make(map[string]string, len(have)+len(add))
	maps.Copy(out, have)
	maps.Copy(out, add)
	return out
}

func sameData(obj client.Object, doc render.Document) bool {
	switch o := obj.(type) {
	case *corev1.Secret:
		return o.Type == corev1.SecretTypeOpaque && maps.EqualFunc(o.Data, doc.Data, func(a, b []byte) bool { return string(a) == string(b) })
	case *corev1.ConfigMap:
		return len(o.BinaryData) == 0 && maps.EqualFunc(o.Data, doc.Data, func(a string, b []byte) bool { return a == string(b) })
	}
	return false
}

// pruneOutputs deletes the outputs this relying party owns that its spec no longer lists.
func (r *RelyingPartyReconciler) pruneOutputs(ctx context.Context, sc *rpScope, keep map[string]string) *step.Stop {
	// The cache's index by controller finds this resource's objects without scanning the
	// namespace (a scan made a resync of N resources cost N² object visits).
	owned := client.MatchingFields{indexController: string(sc.rp.UID)}
	for kind, list := range map[string]client.ObjectList{"Secret": &corev1.SecretList{}, "ConfigMap": &corev1.ConfigMapList{}} {
		if err := r.List(ctx, list, client.InNamespace(sc.rp.Namespace), owned); err != nil {
			return kubeFailure(v1.ConditionConfigRendered, "listing "+kind+"s to prune", err)
		}
		for _, obj := range objectsOf(list) {
			if obj.GetLabels()[LabelRole] != roleOutput || !metav1.IsControlledBy(obj, sc.rp) || keep[obj.GetName()] == kind {
				continue
			}
			uid := obj.GetUID()
			err := r.Delete(ctx, obj, client.Preconditions{UID: &uid})
			if err != nil && !apierrors.IsNotFound(err) {
				return kubeFailure(v1.ConditionConfigRendered, fmt.Sprintf("deleting %s %s", kind, obj.GetName()), err)
			}
			r.record(ctx, sc, "outputs", corev1.EventTypeNormal, v1.EventOutputDeleted, "DeleteOutput",
				fmt.Sprintf("Deleted %s %s: no longer in spec.outputs", kind, obj.GetName()))
		}
	}
	return nil
}

func objectsOf(list client.ObjectList) []client.Object {
	var out []client.Object
	switch l := list.(type) {
	case *corev1.SecretList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *corev1.ConfigMapList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	}
	return out
}
