package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Management client the provider authenticates as at the fake's Keycloak endpoint.
const (
	mgmtClientID = "mosip-pms-client"
	mgmtScopes   = "add_oidc_client,update_oidc_client"
)

// fakeESignet is cmd/fake-esignet running as its own process on a loopback port.
type fakeESignet struct {
	*service
	url string
}

var fakeAddrLine = regexp.MustCompile(`listening on (http://\S+)`)

// startFake runs the fake eSignet over plain HTTP on 127.0.0.1 with the given delay on every
// client-management call and one management client with secret.
func startFake(ctx context.Context, binDir, logDir, secret string, latency time.Duration) (*fakeESignet, error) {
	addr := make(chan string, 1)
	watch := func(line string) {
		if m := fakeAddrLine.FindStringSubmatch(line); m != nil {
			select {
			case addr <- m[1]:
			default:
			}
		}
	}
	svc, err := startService("fake-esignet", filepath.Join(logDir, "fake-esignet.log"), childEnv(), watch,
		filepath.Join(binDir, "fake-esignet"), "--addr", "127.0.0.1:0", "--generation", "v1.8",
		"--latency", latency.String(), "--client", mgmtClientID+":"+secret+":"+mgmtScopes)
	if err != nil {
		return nil, err
	}
	f := &fakeESignet{service: svc}
	select {
	case f.url = <-addr:
	case <-svc.ended:
		return nil, fmt.Errorf("fake-esignet exited at start: %w\n%s", svc.endErr, svc.logTail(20))
	case <-time.After(20 * time.Second):
		_ = svc.stop(5 * time.Second)
		return nil, fmt.Errorf("fake-esignet printed no address within 20 s\n%s", svc.logTail(20))
	case <-ctx.Done():
		_ = svc.stop(5 * time.Second)
		return nil, ctx.Err()
	}
	if !loopbackURL(f.url) {
		_ = svc.stop(5 * time.Second)
		return nil, fmt.Errorf("fake-esignet listens on %s, which is not loopback", f.url)
	}
	return f, nil
}

// fakeCounts is the fake's request count: client-management calls, and every request by
// "METHOD /path-pattern".
type fakeCounts struct {
	ClientMgmtCalls int            `json:"clientMgmtCalls"`
	Counters        map[string]int `json:"counters"`
}

func (f *fakeESignet) counts(ctx context.Context) (fakeCounts, error) {
	var c fakeCounts
	err := getJSON(ctx, f.url+"/_fake/counters", &c)
	return c, err
}

// since is what happened between an earlier count and this one, per pattern (zeros left out).
func (c fakeCounts) since(before fakeCounts) fakeCounts {
	d := fakeCounts{ClientMgmtCalls: c.ClientMgmtCalls - before.ClientMgmtCalls, Counters: map[string]int{}}
	for k, v := range c.Counters {
		if n := v - before.Counters[k]; n != 0 {
			d.Counters[k] = n
		}
	}
	return d
}

// mgmtByPattern lists only the client-management requests, e.g. "POST /client: 100".
func (c fakeCounts) mgmtByPattern() string {
	var parts []string
	for _, k := range sortedKeys(c.Counters) {
		method, path, _ := strings.Cut(k, " ")
		if _, tail, ok := strings.Cut(path, "/client-mgmt"); ok {
			parts = append(parts, fmt.Sprintf("%s %s: %d", method, tail, c.Counters[k]))
		}
	}
	return strings.Join(parts, ", ")
}

var plainHTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}}

func getJSON(ctx context.Context, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := plainHTTP.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}
