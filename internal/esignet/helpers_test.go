package esignet

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// seen is one request as a test server received it.
type seen struct {
	Method     string
	RequestURI string
	Header     http.Header
	Body       []byte
}

// reply is what a test server answers.
type reply struct {
	Status int
	Header map[string]string
	Body   string
}

// okBody is eSignet's success envelope.
const okBody = `{"responseTime":"2025-01-31T10:15:30.456Z","response":{"clientId":"c1","status":"ACTIVE"},"errors":[]}`

// recorder is an httptest server that records requests and answers from a
// script (the last reply repeats).
type recorder struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []seen
	replies []reply
}

func newRecorder(t *testing.T, replies ...reply) *recorder {
	t.Helper()
	if len(replies) == 0 {
		replies = []reply{{Status: 200, Body: okBody}}
	}
	r := &recorder{t: t, replies: replies}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	n := len(r.reqs)
	r.reqs = append(r.reqs, seen{req.Method, req.RequestURI, req.Header.Clone(), body})
	rp := r.replies[min(n, len(r.replies)-1)]
	r.mu.Unlock()
	for k, v := range rp.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rp.Status)
	_, _ = io.WriteString(w, rp.Body)
}

func (r *recorder) requests() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

func (r *recorder) last() seen {
	r.t.Helper()
	reqs := r.requests()
	if len(reqs) == 0 {
		r.t.Fatal("no request received")
	}
	return reqs[len(reqs)-1]
}

// fixedNow is the clock of unit tests: a time with non-zero milliseconds in
// a non-UTC zone, to catch missing UTC conversion.
var fixedNow = time.Date(2025, 1, 31, 11, 15, 30, 7_654_321, time.FixedZone("CET", 3600))

func newTestClient(t *testing.T, baseURL string, v APIVersion, ts TokenSource) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: baseURL + "/v1/esignet", APIVersion: v, Token: ts,
		AllowInsecureHTTP: true, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// requestMembers returns the member names of the envelope's "request".
func requestMembers(t *testing.T, body []byte) map[string]bool {
	t.Helper()
	var env struct {
		Request map[string]json.RawMessage `json:"request"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("body is not an envelope: %v", err)
	}
	out := map[string]bool{}
	for k := range env.Request {
		out[k] = true
	}
	return out
}

// sampleJWK is a public RSA JWK (modulus shortened; the unit tests never
// validate it).
const sampleJWK = `{"kty":"RSA","e":"AQAB","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","use":"sig","alg":"RS256","kid":"k1"}`

func sampleDetail() ClientDetail {
	return ClientDetail{
		ClientID: "client-id-#12c", ClientName: "ABC Health",
		ClientNameLangMap: map[string]string{"eng": "ABC Health", "fra": "ABC Santé"},
		RelyingPartyID:    "rp-1", LogoURI: "https://rp.example.org/logo.png",
		RedirectURIs:      []string{"https://rp.example.org/cb"},
		UserClaims:        []string{"name", "email"},
		AuthContextRefs:   []string{"mosip:idp:acr:generated-code"},
		GrantTypes:        []string{"authorization_code"},
		ClientAuthMethods: []string{"private_key_jwt"},
		Status:            StatusActive,
		AdditionalConfig:  json.RawMessage(`{"userinfo_response_type":"JWS","consent_expire_in_mins":20}`),
		PublicKey:         json.RawMessage(sampleJWK),
	}
}
