// Package metrics defines the operator's Prometheus metrics, registered with controller-runtime's
// registry (served on the manager's metrics endpoint beside the controller-runtime defaults).
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	// ESignetRequests counts calls to eSignet (and its token endpoint) by provider, operation
	// and outcome (an HTTP status class, an eSignet error code's kind, or "transport").
	ESignetRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "esignet_operator_esignet_requests_total",
		Help: "Requests to eSignet by provider, operation and outcome.",
	}, []string{"provider", "operation", "outcome"})

	// ESignetLatency is the duration of those requests.
	ESignetLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "esignet_operator_esignet_request_duration_seconds",
		Help:    "Duration of requests to eSignet by provider and operation.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"provider", "operation"})

	// ClientChanges counts registrations, updates and deactivations that eSignet accepted.
	ClientChanges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "esignet_operator_client_changes_total",
		Help: "Clients created, updated and deactivated at eSignet.",
	}, []string{"action"})

	// Rotations counts completed key rotations by trigger (Scheduled, Requested, KeyLost).
	Rotations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "esignet_operator_key_rotations_total",
		Help: "Key rotations completed (a new client registered and promoted), by trigger.",
	}, []string{"trigger"})
)

func init() {
	crmetrics.Registry.MustRegister(ESignetRequests, ESignetLatency, ClientChanges, Rotations)
}

// ObserveRequest records one request.
func ObserveRequest(provider, operation, outcome string, d time.Duration) {
	ESignetRequests.WithLabelValues(provider, operation, outcome).Inc()
	ESignetLatency.WithLabelValues(provider, operation).Observe(d.Seconds())
}

// RelyingParty is what the state collector needs of one relying party.
type RelyingParty struct {
	Namespace, Name string
	Ready           string // True, False, Unknown
	Reason          string
	KeyCreated      time.Time // zero when the key Secret is not known
	NextRotation    time.Time // zero when not scheduled
	PreviousRetire  time.Time // zero without a previous client
}

// StateCollector reports relying parties by Ready status and reason, and each key's age, from a
// lister called at scrape time (the manager's cache: no API call).
type StateCollector struct {
	List func(context.Context) ([]RelyingParty, error)
	Now  func() time.Time
}

var (
	byReady = prometheus.NewDesc("esignet_operator_relying_parties",
		"Relying parties by Ready status and reason.", []string{"ready", "reason"}, nil)
	keyAge = prometheus.NewDesc("esignet_operator_key_age_seconds",
		"Age of each relying party's current key pair (since its client was registered, else since its Secret was created).", []string{"namespace", "relying_party"}, nil)
	nextRotation = prometheus.NewDesc("esignet_operator_key_next_rotation_timestamp_seconds",
		"When each relying party's scheduled key rotation falls due (Unix time).", []string{"namespace", "relying_party"}, nil)
	previousRetire = prometheus.NewDesc("esignet_operator_previous_client_retire_timestamp_seconds",
		"When each relying party's previous client (kept ACTIVE after a rotation) is retired (Unix time).", []string{"namespace", "relying_party"}, nil)
)

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- byReady
	ch <- keyAge
	ch <- nextRotation
	ch <- previousRetire
}

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rps, err := c.List(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(byReady, err)
		return
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	counts := map[[2]string]int{}
	for _, rp := range rps {
		counts[[2]string{rp.Ready, rp.Reason}]++
		if !rp.KeyCreated.IsZero() {
			ch <- prometheus.MustNewConstMetric(keyAge, prometheus.GaugeValue, now().Sub(rp.KeyCreated).Seconds(), rp.Namespace, rp.Name)
		}
		if !rp.NextRotation.IsZero() {
			ch <- prometheus.MustNewConstMetric(nextRotation, prometheus.GaugeValue, float64(rp.NextRotation.Unix()), rp.Namespace, rp.Name)
		}
		if !rp.PreviousRetire.IsZero() {
			ch <- prometheus.MustNewConstMetric(previousRetire, prometheus.GaugeValue, float64(rp.PreviousRetire.Unix()), rp.Namespace, rp.Name)
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(byReady, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}
