// Package kstatus computes the kstatus status (sigs.k8s.io/cli-utils/pkg/kstatus/status) of an
// object, the reading Flux, kpt and cli-utils based tools take of the operator's Ready,
// Reconciling and Stalled conditions.
package kstatus

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	apijson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// Compute returns the kstatus status of obj (InProgress, Failed, Current, Terminating, NotFound
// or Unknown) and its message.
//
// obj is an object as the API server serves it, for example unstructured.Unstructured.Object. It
// is first normalised through JSON (integers become int64, which kstatus requires for
// metadata.generation and status.observedGeneration), so hand-built maps may use int and
// []map[string]any.
func Compute(obj map[string]any) (state, message string, err error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return "", "", fmt.Errorf("encoding object: %w", err)
	}
	var normalised map[string]any
	if err := apijson.Unmarshal(raw, &normalised); err != nil {
		return "", "", fmt.Errorf("decoding object: %w", err)
	}
	res, err := status.Compute(&unstructured.Unstructured{Object: normalised})
	if err != nil {
		return "", "", err
	}
	return res.Status.String(), res.Message, nil
}
