package main

import (
	"bytes"
	"context"
	"strings"
)

// reqKey is one kind of request in the API server's apiserver_request_total.
type reqKey struct {
	verb, resource, subresource string
	failed                      bool // a response code other than 2xx
}

// what names the key as the table does: "APPLY esignetrelyingparties/status".
func (k reqKey) what() string {
	s := k.verb + " " + k.resource
	if k.subresource != "" {
		s += "/" + k.subresource
	}
	if k.failed {
		s += " (failed)"
	}
	return s
}

// requestCounts counts API requests by kind.
type requestCounts map[reqKey]float64

// writeVerbs are the verbs of apiserver_request_total that change something.
var writeVerbs = map[string]bool{"POST": true, "CREATE": true, "PUT": true, "UPDATE": true, "PATCH": true,
	"APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

func isWrite(k reqKey) bool { return writeVerbs[k.verb] }

func isRead(k reqKey) bool { return (k.verb == "GET" || k.verb == "LIST") && k.resource != "" }

// requestCountsFrom sums apiserver_request_total over the labels it does not key by.
func requestCountsFrom(samples []sample) requestCounts {
	c := requestCounts{}
	for _, s := range samples {
		if s.name != "apiserver_request_total" {
			continue
		}
		k := reqKey{verb: s.labels["verb"], resource: s.labels["resource"], subresource: s.labels["subresource"],
			failed: !strings.HasPrefix(s.labels["code"], "2")}
		c[k] += s.value
	}
	return c
}

// apiRequests scrapes the API server's request counts.
func (cp *controlPlane) apiRequests(ctx context.Context) (requestCounts, error) {
	body, err := cp.rawGet(ctx, "/metrics")
	if err != nil {
		return nil, err
	}
	samples, err := parseSamples(bytes.NewReader(body), "apiserver_request_total")
	if err != nil {
		return nil, err
	}
	return requestCountsFrom(samples), nil
}

// since is c minus an earlier count, minus the requests the bench made itself (own), without
// the API server's own lease renewals; kinds that did not change are left out.
func (c requestCounts) since(before, own requestCounts) requestCounts {
	d := requestCounts{}
	for k, v := range c {
		if k.resource == "leases" {
			continue
		}
		if n := v - before[k] - own[k]; n != 0 {
			d[k] = n
		}
	}
	return d
}

// total adds the counts of the kinds keep selects.
func (c requestCounts) total(keep func(reqKey) bool) float64 {
	t := 0.0
	for k, v := range c {
		if keep(k) {
			t += v
		}
	}
	return t
}

// writeClass sorts a write by what it touched, as the table reports it.
func writeClass(k reqKey) string {
	switch {
	case (k.resource == "secrets" || k.resource == "configmaps") && (k.verb == "POST" || k.verb == "CREATE"):
		return "Secret and ConfigMap creates"
	case k.resource == "secrets" || k.resource == "configmaps":
		return "Secret and ConfigMap updates"
	case k.resource == "esignetrelyingparties" && k.subresource == "status":
		return "relying-party status writes"
	case k.resource == "esignetrelyingparties":
		return "relying-party writes (metadata, spec)"
	case k.resource == "events":
		return "events"
	}
	return "other"
}

// writesByClass adds the writes of each class.
func (c requestCounts) writesByClass() map[string]float64 {
	out := map[string]float64{}
	for k, v := range c {
		if isWrite(k) {
			out[writeClass(k)] += v
		}
	}
	return out
}

// describe lists the kinds selected, largest first, e.g. "APPLY secrets 400, POST secrets 100".
func (c requestCounts) describe(keep func(reqKey) bool) string {
	type kv struct {
		k reqKey
		v float64
	}
	var list []kv
	for k, v := range c {
		if keep(k) && v != 0 {
			list = append(list, kv{k, v})
		}
	}
	sortBy(list, func(a, b kv) bool {
		if a.v != b.v {
			return a.v > b.v
		}
		return a.k.what() < b.k.what()
	})
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = e.k.what() + " " + formatCount(e.v)
	}
	return strings.Join(parts, ", ")
}
