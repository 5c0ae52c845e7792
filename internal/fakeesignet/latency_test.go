package fakeesignet

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWithLatencyDelaysOnlyClientManagement(t *testing.T) {
	const d = 60 * time.Millisecond
	inner := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := WithLatency(inner, d)
	took := func(path string) time.Duration {
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("%s: status %d", path, rec.Code)
		}
		return time.Since(start)
	}
	if got := took(clientMgmtPath + "/client"); got < d {
		t.Errorf("client-management call answered after %s, want at least %s", got, d)
	}
	for _, p := range []string{"/.well-known/openid-configuration", realmPath + "/protocol/openid-connect/token", "/_fake/counters"} {
		if got := took(p); got >= d {
			t.Errorf("%s answered after %s; only client management is delayed", p, got)
		}
	}
	if WithLatency(inner, 0) == nil {
		t.Fatal("zero latency returned nil")
	}
}
