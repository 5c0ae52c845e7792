package kstatus_test

import (
	"testing"

	"github.com/openg2p/esignet-operator/test/kstatus"
)

// object is a hand-built relying party at generation 2 with the given observed generation and
// conditions (type, status, reason, message). The full state table, run through both the Argo CD
// scripts and kstatus, is in test/argocd.
func object(observed int, conds ...[4]string) map[string]any {
	conditions := []map[string]any{}
	for _, c := range conds {
		conditions = append(conditions, map[string]any{"type": c[0], "status": c[1], "reason": c[2], "message": c[3]})
	}
	return map[string]any{
		"apiVersion": "esignet.openg2p.org/v1alpha1",
		"kind":       "ESignetRelyingParty",
		"metadata":   map[string]any{"name": "sample", "namespace": "default", "generation": 2},
		"status":     map[string]any{"observedGeneration": observed, "conditions": conditions},
	}
}

func TestCompute(t *testing.T) {
	ready := [4]string{"Ready", "True", "Ready", "Client registered"}
	notReady := [4]string{"Ready", "False", "ProviderNotReady", "provider default/esignet is not Ready"}
	reconciling := [4]string{"Reconciling", "True", "ProviderNotReady", "provider default/esignet is not Ready"}
	stalled := [4]string{"Stalled", "True", "ClientIDConflict", "client ID sample belongs to another relying party"}
	deleting := object(2, ready)
	deleting["metadata"].(map[string]any)["deletionTimestamp"] = "2026-01-02T00:00:00Z"

	tests := []struct {
		name        string
		obj         map[string]any
		want        string
		wantMessage string
	}{
		{"Ready", object(2, ready, [4]string{"Reconciling", "False", "Ready", ""}, [4]string{"Stalled", "False", "Ready", ""}),
			"Current", "Resource is Ready"},
		{"Reconciling", object(2, notReady, reconciling), "InProgress", "provider default/esignet is not Ready"},
		{"Ready=False only", object(2, notReady), "InProgress", "provider default/esignet is not Ready"},
		{"Stalled", object(2, notReady, stalled), "Failed", "client ID sample belongs to another relying party"},
		{"generation not observed", object(1, ready), "InProgress",
			"ESignetRelyingParty generation is 2, but latest observed generation is 1"},
		{"deleting", deleting, "Terminating", "Resource scheduled for deletion"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, message, err := kstatus.Compute(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || message != tc.wantMessage {
				t.Errorf("got %s %q, want %s %q", got, message, tc.want, tc.wantMessage)
			}
		})
	}
}
