package controllers

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// metricValue sums the samples of a metric whose labels include want.
func metricValue(t *testing.T, name string, want map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total, found := 0.0, false
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, want) {
				continue
			}
			found = true
			switch {
			case m.Counter != nil:
				total += m.GetCounter().GetValue()
			case m.Gauge != nil:
				total += m.GetGauge().GetValue()
			case m.Histogram != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return total, found
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// The operator's own metrics beside controller-runtime's: eSignet requests by provider,
// operation and outcome with their latency, client changes, relying parties by Ready reason, and
// each key's age.
func TestOperatorMetrics(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("measured")
	f.waitReady("measured")
	provider := "ESignetProvider/" + f.ns + "/" + providerName
	checks := []struct {
		name   string
		labels map[string]string
	}{
		{"esignet_operator_esignet_requests_total", map[string]string{"provider": provider, "operation": "create", "outcome": "200"}},
		{"esignet_operator_esignet_requests_total", map[string]string{"provider": provider, "operation": "discover"}},
		{"esignet_operator_esignet_request_duration_seconds", map[string]string{"provider": provider, "operation": "create"}},
		{"esignet_operator_client_changes_total", map[string]string{"action": "ClientCreated"}},
		{"esignet_operator_relying_parties", map[string]string{"ready": "True", "reason": "Ready"}},
		{"esignet_operator_key_age_seconds", map[string]string{"namespace": f.ns, "relying_party": "measured"}},
	}
	for _, c := range checks {
		if v, ok := metricValue(t, c.name, c.labels); !ok || v <= 0 && c.name != "esignet_operator_key_age_seconds" {
			t.Errorf("%s%v = %v (found %v)", c.name, c.labels, v, ok)
		}
	}
}
