package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/step"
)

// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets,verbs=patch

// rollOut restarts the workloads an output names when its content is not the one they were last
// annotated with (status remembers which): one merge patch of the pod template's annotation per
// workload, the pattern of Helm's checksum annotations and Reloader. The operator neither reads
// nor watches workloads (it would have to cache every Deployment of the cluster): the patch
// fails on a missing workload, and status says what was rolled.
func (r *RelyingPartyReconciler) rollOut(ctx context.Context, sc *rpScope, out v1.Output, hash string, prev []v1.RolledOutStatus) ([]v1.RolledOutStatus, []string, *step.Stop) {
	done := map[string]string{}
	for _, p := range prev {
		done[p.Kind+"/"+p.Name] = p.Hash
	}
	var status []v1.RolledOutStatus
	var rolled []string
	for _, w := range out.Rollout {
		if done[w.Kind+"/"+w.Name] == hash {
			status = append(status, v1.RolledOutStatus{Kind: w.Kind, Name: w.Name, Hash: hash})
			continue
		}
		if err := r.annotateTemplate(ctx, sc.rp.Namespace, w, rolloutAnnotation(out.Name), hash); err != nil {
			if apierrors.IsNotFound(err) {
				return status, rolled, &step.Stop{Condition: v1.ConditionApplied, Reason: v1.ReasonWorkloadNotFound, Requeue: requeueSlow, Message: fmt.Sprintf(
					"output %s: %s %s not found in this namespace; it is restarted once it exists (checked every minute)", out.Name, w.Kind, w.Name)}
			}
			return status, rolled, kubeFailure(v1.ConditionApplied, fmt.Sprintf("output %s: restarting %s %s", out.Name, w.Kind, w.Name), err)
		}
		status = append(status, v1.RolledOutStatus{Kind: w.Kind, Name: w.Name, Hash: hash})
		rolled = append(rolled, w.Kind+" "+w.Name)
	}
	return status, rolled, nil
}

// annotateTemplate sets one pod-template annotation: a change restarts the workload's pods.
func (r *RelyingPartyReconciler) annotateTemplate(ctx context.Context, ns string, w v1.WorkloadReference, key, value string) error {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps/v1")
	u.SetKind(w.Kind)
	u.SetNamespace(ns)
	u.SetName(w.Name)
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{key: value}}}}})
	if err != nil {
		return err
	}
	return r.Patch(ctx, u, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(fieldManager))
}

var annotationName = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)

// rolloutAnnotation is the pod-template annotation for an output: its name, unless too long.
func rolloutAnnotation(output string) string {
	if annotationName.MatchString(output) {
		return v1.AnnotationRolloutPrefix + output
	}
	return v1.AnnotationRolloutPrefix + relyingPartyLabel(output) // hashed the way long label values are
}

// reportRollout tells what was restarted, once per pass.
func (r *RelyingPartyReconciler) reportRollout(ctx context.Context, sc *rpScope, rolled []string) {
	if len(rolled) > 0 {
		r.record(ctx, sc, "deliver", corev1.EventTypeNormal, v1.EventRolledOut, "RolloutWorkloads",
			"Restarted "+strings.Join(rolled, ", ")+" for new configuration")
	}
}
