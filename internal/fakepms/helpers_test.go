package fakepms

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// harness is a fake eSignet and a fake PMS in front of it, and a token with both PMS roles.
type harness struct {
	t     *testing.T
	es    *fakeesignet.Server
	pms   *Server
	cfg   Config
	token string
}

func start(t *testing.T, edit func(*Options)) *harness {
	t.Helper()
	cfg := DefaultConfig()
	es := fakeesignet.StartTest(t, fakeesignet.Options{ManagementClients: cfg.ManagementClients()})
	opts := cfg.Options(es.URL(), nil)
	if edit != nil {
		edit(&opts)
	}
	h := &harness{t: t, es: es, pms: StartTest(t, opts), cfg: cfg}
	h.token = h.tokenWith("PARTNER_ADMIN", "AUTH_PARTNER")
	return h
}

func (h *harness) tokenWith(roles ...string) string {
	return h.es.IssueRealmToken(DefaultCallerID, nil, roles, time.Hour)
}

type answer struct {
	status int
	body   map[string]json.RawMessage
	raw    []byte
	header http.Header
}

// code is the first error code ("" for none).
func (a answer) code() string {
	var errs []errorItem
	_ = json.Unmarshal(a.body["errors"], &errs)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].ErrorCode
}

func (a answer) message() string {
	var errs []errorItem
	_ = json.Unmarshal(a.body["errors"], &errs)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].Message
}

// send sends body (marshalled unless []byte) with the token as cookie and bearer; mod may change
// the request.
func (h *harness) send(method, path string, body any, mod func(*http.Request)) answer {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.pms.URL()+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Cookie", "Authorization="+h.token)
	if mod != nil {
		mod(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: raw, header: resp.Header}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func today() string { return time.Now().UTC().Format(utcLayout) }

func publicJWK(t *testing.T) map[string]any {
	t.Helper()
	k, err := keys.Generate(keys.RS256, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.PublicJWK()
	var m map[string]any
	_ = json.Unmarshal(pub, &m)
	return m
}

func createBody(t *testing.T, g gen) map[string]any {
	req := map[string]any{"name": "OpenG2P", "policyId": DefaultPolicyID, "authPartnerId": DefaultPartnerID,
		"publicKey": publicJWK(t), "logoUri": "https://openg2p.example.org/logo.png",
		"redirectUris": []string{"https://openg2p.example.org/cb"}, "grantTypes": []string{"authorization_code"},
		"clientAuthMethods": []string{"private_key_jwt"}}
	if g != genOIDC {
		req["clientNameLangMap"] = map[string]string{"eng": "OpenG2P"}
	}
	env := map[string]any{"id": idCreate, "version": "1.0", "metadata": map[string]any{}, "request": req}
	if g == genV3 {
		env["requestTime"] = today()
	} else {
		env["requesttime"] = today()
	}
	return env
}

func clientIDOf(t *testing.T, a answer) string {
	t.Helper()
	var r struct {
		ClientID string `json:"clientId"`
	}
	if err := json.Unmarshal(a.body["response"], &r); err != nil || r.ClientID == "" {
		t.Fatalf("no client id: %d %s", a.status, a.raw)
	}
	return r.ClientID
}
