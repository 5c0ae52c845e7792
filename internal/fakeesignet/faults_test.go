package fakeesignet

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFaultStatusTimes(t *testing.T) {
	c := newClient(t, Options{})
	c.s.InjectFault(Fault{Method: "POST", PathPrefix: clientMgmtPath, Status: 503, Body: `{"oops":true}`, Times: 2})
	for i := 0; i < 2; i++ {
		r := c.create(epClient, createBody(t, "f"))
		if r.Status != 503 || r.Raw != `{"oops":true}` || r.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("attempt %d: %d %s", i, r.Status, r.Raw)
		}
	}
	c.mustCreate(epClient, createBody(t, "f"))
	if _, ok := c.s.Client("f"); !ok {
		t.Fatal("third attempt not handled")
	}
	c.s.InjectFault(Fault{Method: "PUT", Status: 500})
	c.mustCreate(epClient, createBody(t, "g")) // method does not match
	if r := c.do(http.MethodPut, epClient.path()+"/g", wrap(updateBody())); r.Status != 500 {
		t.Fatalf("PUT: %d", r.Status)
	}
	c.s.ClearFaults()
	wantOK(t, c.do(http.MethodPut, epClient.path()+"/g", wrap(updateBody())), "g", "ACTIVE")
}

func TestFaultDelayRespectsContext(t *testing.T) {
	c := newClient(t, Options{})
	c.s.InjectFault(Fault{Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.s.URL()+"/.well-known/openid-configuration", nil)
	start := time.Now()
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	c.s.ClearFaults()
	c.s.InjectFault(Fault{Delay: 50 * time.Millisecond, Times: 1})
	start = time.Now()
	getJSON(t, c.s.URL()+"/.well-known/openid-configuration")
	if time.Since(start) < 50*time.Millisecond {
		t.Fatal("no delay")
	}
}

func TestFaultReset(t *testing.T) {
	c := newClient(t, Options{})
	c.s.InjectFault(Fault{PathPrefix: "/v1/esignet/client-mgmt/", Reset: true, Times: 1})
	req, _ := http.NewRequest(http.MethodPost, c.s.URL()+epClient.path(), strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got a response: %d", resp.StatusCode)
	}
	c.mustCreate(epClient, createBody(t, "after-reset"))
}

func TestCountersAndInspection(t *testing.T) {
	c := newClient(t, Options{})
	c.mustCreate(epClient, createBody(t, "k1"))
	c.mustCreate(epOIDCClient, createBody(t, "k2"))
	c.do(http.MethodPut, epClient.path()+"/k1", wrap(updateBody()))
	c.do(http.MethodPatch, epClient.path()+"/k1", wrap(map[string]any{}))
	c.do(http.MethodGet, clientMgmtPath+"/nothing", nil)
	getJSON(t, c.s.URL()+"/.well-known/openid-configuration")
	want := map[string]int{
		"POST /v1/esignet/client-mgmt/client":       1,
		"POST /v1/esignet/client-mgmt/oidc-client":  1,
		"PUT /v1/esignet/client-mgmt/client/{id}":   1,
		"PATCH /v1/esignet/client-mgmt/client/{id}": 1,
		"GET /v1/esignet/client-mgmt/nothing":       1,
		"GET /.well-known/openid-configuration":     1,
	}
	got := c.s.Counters()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if c.s.ClientMgmtCalls() != 5 {
		t.Errorf("ClientMgmtCalls = %d", c.s.ClientMgmtCalls())
	}
	list := getJSONArray(t, c.s.URL()+"/_fake/clients")
	if len(list) != 2 || list[0]["clientId"] != "k1" || list[1]["clientId"] != "k2" {
		t.Fatalf("clients %v", list)
	}
	one := getJSON(t, c.s.URL()+"/_fake/clients/k1")
	if one["status"] != "ACTIVE" || one["createdVia"] != epClient.path() {
		t.Fatalf("client %v", one)
	}
	if resp, _ := http.Get(c.s.URL() + "/_fake/clients/none"); resp.StatusCode != 404 {
		t.Fatalf("missing client: %d", resp.StatusCode)
	}
	counters := getJSON(t, c.s.URL()+"/_fake/counters")
	if counters["clientMgmtCalls"] != float64(5) {
		t.Fatalf("counters %v", counters)
	}
	c.s.ResetCounters()
	if len(c.s.Counters()) != 0 || c.s.ClientMgmtCalls() != 0 {
		t.Fatal("not reset")
	}
	if ids := c.s.Clients(); len(ids) != 2 {
		t.Fatalf("Clients() %v", ids)
	}
}

func TestFaultedRequestsAreCounted(t *testing.T) {
	c := newClient(t, Options{})
	c.s.InjectFault(Fault{Status: 502})
	c.create(epClient, createBody(t, "z"))
	if c.s.ClientMgmtCalls() != 1 || c.s.Counters()["POST /v1/esignet/client-mgmt/client"] != 1 {
		t.Fatalf("%v", c.s.Counters())
	}
}

func TestStartTestTLSAndLogging(t *testing.T) {
	var mu sync.Mutex
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	s, caPEM := StartTestTLS(t, Options{Logger: logger, ManagementClients: []ManagementClient{pmsClient}})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("bad CA PEM")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(s.URL() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if !strings.HasPrefix(s.URL(), "https://") || d["issuer"] != s.URL() {
		t.Fatalf("issuer %v", d["issuer"])
	}
	tok := s.IssueManagementToken([]string{"add_oidc_client"}, time.Minute)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+epClient.path(), strings.NewReader(mustJSON(wrap(createBody(t, "tls")))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if !strings.Contains(out, "path=/v1/esignet/client-mgmt/client status=200") || strings.Contains(out, tok) || strings.Contains(out, "Demo RP") {
		t.Fatalf("log lines:\n%s", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func getJSONArray(t testing.TB, url string) []map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// LoseAnswer: the create takes effect, the caller gets no answer.
func TestFaultLoseAnswer(t *testing.T) {
	c := newClient(t, Options{})
	c.s.InjectFault(Fault{PathPrefix: "/v1/esignet/client-mgmt/", LoseAnswer: true, Times: 1})
	body, _ := json.Marshal(wrap(forEndpoint(createBody(t, "lost"), epClient)))
	req, _ := http.NewRequest(http.MethodPost, c.s.URL()+epClient.path(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got a response: %d", resp.StatusCode)
	}
	if _, ok := c.s.Client("lost"); !ok {
		t.Fatal("the request with the lost answer did not take effect")
	}
}
