package argocd_test

import "github.com/openg2p/esignet-operator/test/argocd"

const (
	kindRelyingParty    = "ESignetRelyingParty"
	kindProvider        = "ESignetProvider"
	kindClusterProvider = "ClusterESignetProvider"
)

// cond is a metav1.Condition as it appears in status.conditions.
type cond struct{ typ, status, reason, message string }

// object builds a hand-made object of kind at generation 2 whose status has observed generation 2
// and the given conditions; mutators adjust it further.
func object(kind string, conds []cond, mutators ...func(map[string]any)) map[string]any {
	conditions := make([]map[string]any, 0, len(conds))
	for _, c := range conds {
		conditions = append(conditions, map[string]any{
			"type": c.typ, "status": c.status, "reason": c.reason, "message": c.message,
			"observedGeneration": 2, "lastTransitionTime": "2026-01-01T00:00:00Z",
		})
	}
	metadata := map[string]any{"name": "sample", "generation": 2, "uid": "0b5c6f6e-1c8d-4d8e-9d4e-000000000001"}
	if kind != kindClusterProvider {
		metadata["namespace"] = "default"
	}
	obj := map[string]any{
		"apiVersion": argocd.Group + "/v1alpha1",
		"kind":       kind,
		"metadata":   metadata,
		"spec":       map[string]any{},
		"status":     map[string]any{"observedGeneration": 2, "conditions": conditions},
	}
	if kind == kindRelyingParty {
		obj["spec"] = map[string]any{
			"clientName":   "Sample",
			"providerRef":  map[string]any{"name": "esignet"},
			"redirectURIs": []string{"https://app.example.org/callback"},
		}
	}
	for _, m := range mutators {
		m(obj)
	}
	return obj
}

func noStatus(obj map[string]any) { delete(obj, "status") }

func observed(n int) func(map[string]any) {
	return func(obj map[string]any) { obj["status"].(map[string]any)["observedGeneration"] = n }
}

func noObservedGeneration(obj map[string]any) {
	delete(obj["status"].(map[string]any), "observedGeneration")
}

func deleting(obj map[string]any) {
	md := obj["metadata"].(map[string]any)
	md["deletionTimestamp"] = "2026-01-02T00:00:00Z"
	md["finalizers"] = []string{"esignet.openg2p.org/client"}
	md["generation"] = 3 // the API server bumps generation when it sets deletionTimestamp
}

func active(v bool) func(map[string]any) {
	return func(obj map[string]any) { obj["spec"].(map[string]any)["active"] = v }
}
