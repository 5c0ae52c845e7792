package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	var stderr bytes.Buffer
	cfg, err := parseFlags([]string{"--generation", "v1.6", "--client", "pms:se:cr:et:add_oidc_client",
		"--client", "ro:pw", "--claims", "name, email", "--acrs", "mosip:idp:acr:password", "--jti-required=false",
		"--auth-disabled", "--latency", "20ms"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	if cfg.latency != 20*time.Millisecond {
		t.Fatalf("latency %s", cfg.latency)
	}
	if o.Generation != "v1.6" || !o.AuthDisabled || o.JTIRequired == nil || *o.JTIRequired ||
		strings.Join(o.Claims, "|") != "name|email" || len(o.ACRs) != 1 || len(o.ManagementClients) != 2 {
		t.Fatalf("%+v", o)
	}
	if mc := o.ManagementClients[0]; mc.ID != "pms" || mc.Secret != "se:cr:et" || strings.Join(mc.Scopes, ",") != "add_oidc_client" {
		t.Fatalf("client %+v", mc)
	}
	if mc := o.ManagementClients[1]; mc.Secret != "pw" || len(mc.Scopes) != 2 {
		t.Fatalf("client %+v", mc)
	}
	cfg, _ = parseFlags(nil, &stderr)
	if cfg.opts.JTIRequired != nil || cfg.addr != "127.0.0.1:8088" {
		t.Fatalf("defaults %+v", cfg)
	}
	for _, bad := range [][]string{{"--generation", "v2"}, {"--client", "nosecret"}, {"--tls-cert", "x"}, {"extra"}, {"--latency", "-1s"}} {
		if _, err := parseFlags(bad, &stderr); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	stderr.Reset()
	if code := run(t.Context(), []string{"--help"}, &stderr, &stderr); code != 0 || !strings.Contains(stderr.String(), "/_fake/clients") {
		t.Fatalf("help: %d %s", code, stderr.String())
	}
}

// TestBinary builds the command, runs it on a free port, uses it and stops
// it with SIGTERM, which must exit 0.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "fake-esignet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--client", "pms:secret")
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	root := strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
	if !strings.HasPrefix(root, "http://127.0.0.1:") {
		t.Fatalf("line %q", line)
	}
	resp, err := http.Get(root + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if d["issuer"] != root {
		t.Fatalf("issuer %v", d["issuer"])
	}
	resp, err = http.PostForm(root+"/realms/mosip/protocol/openid-connect/token",
		url.Values{"grant_type": {"client_credentials"}, "client_id": {"pms"}, "client_secret": {"secret"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %v %v", err, resp)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	logs := stderr.String()
	if !strings.Contains(logs, "path=/.well-known/openid-configuration status=200") || strings.Contains(logs, "secret") {
		t.Fatalf("logs:\n%s", logs)
	}
	_ = os.Remove(bin)
}
