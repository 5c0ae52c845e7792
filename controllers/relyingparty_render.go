package controllers

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/render"
)

// ensureRendered writes each output. Private material only ever goes to Secrets; a format with
// nothing secret (env) goes to a ConfigMap. Unchanged bytes cost no write.
func (r *RelyingPartyReconciler) ensureRendered(ctx context.Context, rp *v1.ESignetRelyingParty, conn *connection, want *desiredClient, kp *keys.KeyPair) *stepError {
	rp.Status.Endpoints = endpointsFromDiscovery(conn.discovery)
	outs := outputsFor(rp)
	for _, out := range outs {
		in, err := renderInput(rp, conn, want, kp, out)
		if err != nil {
			return renderFailure(out, err)
		}
		doc, err := render.Render(render.Format(out.Format), in)
		if err != nil {
			return renderFailure(out, err)
		}
		if err := r.writeOutput(ctx, rp, out.Name, doc); err != nil {
			return err
		}
	}
	conditionWriter{generation: rp.Generation, conds: &rp.Status.Conditions}.ok(v1.ConditionConfigRendered, v1.ReasonRendered,
		fmt.Sprintf("rendered %s%s", outputSummary(outs), jtiNote(conn, outs)))
	return nil
}

// jtiNote warns, in the condition only (no event on every reconcile), that OpenG2P's apps sign
// client assertions without a jti, which the provider's eSignet release refuses.
func jtiNote(conn *connection, outs []v1.Output) string {
	if !conn.version.RequiresAssertionJTI() {
		return ""
	}
	for _, o := range outs {
		switch render.Format(o.Format) {
		case render.FormatOdoo, render.FormatFastAPIAuth, render.FormatIAM:
			return "; note: OpenG2P's apps send client assertions without a jti, which eSignet v1.6 and later refuse (see docs/openg2p.md)"
		}
	}
	return ""
}

func renderFailure(out v1.Output, err error) *stepError {
	return &stepError{condition: v1.ConditionConfigRendered, reason: v1.ReasonRenderFailed,
		message: fmt.Sprintf("output %s (%s): %v", out.Name, out.Format, err)}
}

func outputSummary(outs []v1.Output) string {
	s := ""
	for i, o := range outs {
		if i > 0 {
			s += ", "
		}
		s += o.Format + " to " + o.Name
	}
	return s
}

// writeOutput creates or updates one rendered object, refusing to touch one it does not own.
func (r *RelyingPartyReconciler) writeOutput(ctx context.Context, rp *v1.ESignetRelyingParty, name string, doc render.Document) *stepError {
	var obj client.Object
	if doc.Secret {
		obj = &corev1.Secret{}
	} else {
		obj = &corev1.ConfigMap{}
	}
	err := r.Get(ctx, client.ObjectKey{Namespace: rp.Namespace, Name: name}, obj)
	exists := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return &stepError{condition: v1.ConditionConfigRendered, reason: v1.ReasonRenderFailed, message: fmt.Sprintf("reading %s: %v", name, err), err: err}
	}
	// A retained output is derived data: re-adopting it loses nothing.
	if exists && !ownedBy(obj, rp) && !retainedFor(obj, rp) {
		return &stepError{condition: v1.ConditionConfigRendered, reason: v1.ReasonSecretConflict, message: fmt.Sprintf(
			"%s exists and was not created by the operator for this resource; it is left untouched: choose another output name or remove it", name)}
	}
	desired := obj.DeepCopyObject().(client.Object)
	desired.SetName(name)
	desired.SetNamespace(rp.Namespace)
	labels := maps.Clone(desired.GetLabels())
	if labels == nil {
		labels = map[string]string{}
	}
	if t := rp.Spec.SecretTemplate; t != nil {
		maps.Copy(labels, t.Labels)
		ann := maps.Clone(desired.GetAnnotations())
		if ann == nil {
			ann = map[string]string{}
		}
		maps.Copy(ann, t.Annotations)
		desired.SetAnnotations(ann)
	}
	labels[LabelManagedBy], labels[LabelRelyingParty] = LabelManagedByValue, rp.Name
	desired.SetLabels(labels)
	setData(desired, doc.Data)
	if err := controllerutil.SetControllerReference(rp, desired, r.Scheme()); err != nil {
		return &stepError{condition: v1.ConditionConfigRendered, reason: v1.ReasonRenderFailed, message: err.Error(), err: err}
	}
	switch {
	case !exists:
		err = r.Create(ctx, desired)
	case sameContent(obj, desired):
		return nil
	default:
		err = r.Update(ctx, desired)
	}
	if err != nil {
		return &stepError{condition: v1.ConditionConfigRendered, reason: v1.ReasonRenderFailed, message: fmt.Sprintf("writing %s: %v", name, err), err: err}
	}
	return nil
}

func setData(obj client.Object, data map[string][]byte) {
	switch o := obj.(type) {
	case *corev1.Secret:
		o.Type = corev1.SecretTypeOpaque
		o.Data = data
	case *corev1.ConfigMap:
		o.Data = map[string]string{}
		for k, v := range data {
			o.Data[k] = string(v)
		}
		o.BinaryData = nil
	}
}

func sameContent(a, b client.Object) bool {
	if !maps.Equal(a.GetLabels(), b.GetLabels()) || !maps.Equal(a.GetAnnotations(), b.GetAnnotations()) ||
		len(a.GetOwnerReferences()) != len(b.GetOwnerReferences()) {
		return false
	}
	switch x := a.(type) {
	case *corev1.Secret:
		return maps.EqualFunc(x.Data, b.(*corev1.Secret).Data, func(p, q []byte) bool { return string(p) == string(q) })
	case *corev1.ConfigMap:
		return maps.Equal(x.Data, b.(*corev1.ConfigMap).Data)
	}
	return false
}
