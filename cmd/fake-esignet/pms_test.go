package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/fakepms"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/pms"
)

// syncWriter lets the test read what serve printed while it runs.
type syncWriter struct {
	ch chan string
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.ch <- string(p)
	return len(p), nil
}

// TestPMSFlag serves the fake eSignet with --pms default and registers a client through PMS with
// an auth-manager token; the client is at the fake PMS and at the fake eSignet.
func TestPMSFlag(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := parseFlags([]string{"--pms", "/nonexistent/pms.json"}, &stderr); err == nil {
		t.Fatal("a missing --pms file was accepted")
	}
	cfg, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--pms", "default", "--client", "other:pw"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.pms == nil || len(cfg.opts.ManagementClients) != 3 {
		t.Fatalf("realm clients %+v", cfg.opts.ManagementClients)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := syncWriter{ch: make(chan string, 16)}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, out, io.Discard) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var root string
	select {
	case line := <-out.ch:
		m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("first line %q", line)
		}
		root = m[1]
	case <-time.After(10 * time.Second):
		t.Fatal("not listening")
	}

	am, err := pms.NewAuthManager(pms.AuthManagerConfig{URL: root + "/v1/authmanager", AppID: "partner",
		ClientID: fakepms.DefaultCallerID, SecretKey: "fake-pms-operator-secret"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := pms.New(pms.Config{BaseURL: root + "/v1/partnermanager", Generation: pms.GenerationOIDCClients, Token: am, AllowInsecureHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := keys.Generate(keys.ES256, 0)
	pub, _ := k.PublicJWK()
	res, err := c.Create(ctx, pms.ClientDetail{Name: "OpenG2P", AuthPartnerID: fakepms.DefaultPartnerID, PolicyID: fakepms.DefaultPolicyID,
		PublicKey: pub, LogoURI: "https://openg2p.example.org/l.png", RedirectURIs: []string{"https://openg2p.example.org/cb"}})
	if err != nil {
		t.Fatal(err, pms.Describe(err))
	}
	if res.ClientID != res.DerivedClientID { // an EC key: the fake's derivation and the library's agree
		t.Fatalf("PMS id %s, derived %s", res.ClientID, res.DerivedClientID)
	}
	for _, path := range []string{"/_fake/pms/clients/", "/_fake/clients/"} {
		resp, err := http.Get(root + path + res.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		var rec map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		if resp.StatusCode != 200 || rec["clientId"] != res.ClientID || !strings.Contains(rec["status"].(string), "ACTIVE") {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, rec)
		}
	}
}
