package esignet

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func errBody(items ...string) string {
	var parts []string
	for i := 0; i+1 < len(items); i += 2 {
		parts = append(parts, fmt.Sprintf(`{"errorCode":%q,"errorMessage":%q}`, items[i], items[i+1]))
	}
	return `{"responseTime":"2025-01-31T10:15:30.456Z","response":null,"errors":[` + strings.Join(parts, ",") + `]}`
}

func TestResponseErrors(t *testing.T) {
	tests := []struct {
		name      string
		method    string // of the call: POST (create) or PUT (update)
		rep       reply
		kind      Kind
		codes     []string
		malformed bool
		contains  []string
	}{
		{"200 validation errors", "POST", reply{Status: 200, Body: errBody(
			"invalid_client_id", "request.clientId: invalid_client_id",
			"invalid_redirect_uri", "request.redirectUris[0]: invalid_redirect_uri")},
			KindTerminal, []string{"invalid_client_id", "invalid_redirect_uri"}, false,
			[]string{"HTTP 200", "invalid_client_id (request.clientId: invalid_client_id)", "invalid_redirect_uri"}},
		{"200 duplicate client id", "POST", reply{Status: 200, Body: errBody("duplicate_client_id", "duplicate_client_id")},
			KindConflict, []string{"duplicate_client_id"}, false, []string{"esignet create: POST /v1/esignet/client-mgmt/client: HTTP 200: duplicate_client_id"}},
		{"200 duplicate public key", "POST", reply{Status: 200, Body: errBody("duplicate_public_key", "duplicate_public_key")},
			KindConflict, []string{"duplicate_public_key"}, false, nil},
		{"200 requestTime skew", "POST", reply{Status: 200, Body: errBody("invalid_request", "requestTime: invalid_request")},
			KindTransient, []string{"invalid_request"}, false, nil},
		{"200 request null", "POST", reply{Status: 200, Body: errBody("invalid_request", "request: invalid_request")},
			KindTerminal, []string{"invalid_request"}, false, nil},
		{"200 unknown member", "POST", reply{Status: 200, Body: errBody("unknown_error",
			`JSON parse error: Unrecognized field "status" (class io.mosip.esignet.core.dto.ClientDetailCreateRequestV3), not marked as ignorable`)},
			KindTerminal, []string{"unknown_error"}, false, []string{"Unrecognized field"}},
		{"200 missing auth", "POST", reply{Status: 200, Body: errBody("unknown_error",
			"Full authentication is required to access this resource")},
			KindAuth, []string{"unknown_error"}, false, nil},
		{"200 db down", "PUT", reply{Status: 200, Body: errBody("unknown_error",
			"Could not open JPA EntityManager for transaction; nested exception is org.hibernate.exception.JDBCConnectionException")},
			KindTransient, []string{"unknown_error"}, false, nil},
		{"200 v2 duplicate key", "POST", reply{Status: 200, Body: errBody("unknown_error",
			"could not execute statement; SQL [n/a]; constraint [uk_public_key]; nested exception is org.hibernate.exception.ConstraintViolationException")},
			KindConflict, []string{"unknown_error"}, false, nil},
		{"200 value too long", "POST", reply{Status: 200, Body: errBody("unknown_error",
			"could not execute statement; ERROR: value too long for type character varying(2048)")},
			KindTerminal, []string{"unknown_error"}, false, nil},
		{"200 unexplained unknown_error", "POST", reply{Status: 200, Body: errBody("unknown_error", "NullPointerException")},
			KindTerminal, []string{"unknown_error"}, false, nil},
		{"401", "POST", reply{Status: 401, Header: map[string]string{"WWW-Authenticate": `Bearer error="invalid_token", error_description="Jwt expired at 2025"`}},
			KindAuth, nil, false, []string{"HTTP 401", "invalid_token"}},
		{"403 POST", "POST", reply{Status: 403, Header: map[string]string{"WWW-Authenticate": `Bearer error="insufficient_scope"`}},
			KindAuth, nil, false, []string{"HTTP 403", "add_oidc_client", "insufficient_scope"}},
		{"403 PUT", "PUT", reply{Status: 403}, KindAuth, nil, false, []string{"update_oidc_client"}},
		{"415 problem detail", "POST", reply{Status: 415, Header: map[string]string{"Content-Type": "application/problem+json"},
			Body: `{"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"Content-Type 'text/plain' is not supported."}`},
			KindTerminal, nil, false, []string{"HTTP 415", "Unsupported Media Type", "text/plain"}},
		{"404 problem detail", "PUT", reply{Status: 404, Body: `{"title":"Not Found","status":404}`},
			KindTerminal, nil, false, []string{"Not Found"}},
		{"500 html", "POST", reply{Status: 500, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><body>Internal Server Error</body></html>"},
			KindTransient, nil, false, []string{"HTTP 500", "text/html"}},
		{"502 proxy", "PUT", reply{Status: 502, Body: "Bad Gateway"}, KindTransient, nil, false, []string{"HTTP 502"}},
		{"429", "POST", reply{Status: 429}, KindTransient, nil, false, []string{"HTTP 429"}},
		{"200 html", "POST", reply{Status: 200, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html>login</html>"},
			KindTransient, nil, true, []string{"not an eSignet JSON envelope"}},
		{"200 truncated", "POST", reply{Status: 200, Body: `{"responseTime":"2025-01-31T10:15:30.456Z","response":{"clientId":"c1"`},
			KindTransient, nil, true, nil},
		{"200 empty", "POST", reply{Status: 200}, KindTransient, nil, true, []string{"empty response body"}},
		{"200 no response no errors", "POST", reply{Status: 200, Body: `{"responseTime":"x","response":null,"errors":[]}`},
			KindTransient, nil, true, []string{"neither"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.rep)
			c := newTestClient(t, rec.srv.URL, V1_8, NewStaticToken("tok"))
			var err error
			if tt.method == "POST" {
				_, err = c.Create(context.Background(), detailFor(V1_8))
			} else {
				_, err = c.Update(context.Background(), detailFor(V1_8))
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if KindOf(err) != tt.kind || !slices.Equal(Codes(err), tt.codes) || ae.Malformed != tt.malformed {
				t.Errorf("kind=%v codes=%v malformed=%v; want %v %v %v (err: %v)",
					KindOf(err), Codes(err), ae.Malformed, tt.kind, tt.codes, tt.malformed, err)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			for _, c := range tt.codes {
				if !HasCode(err, c) {
					t.Errorf("HasCode(%q) = false", c)
				}
			}
			if n := len(rec.requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
		})
	}
}

func TestErrorStringCapsServerText(t *testing.T) {
	long := strings.Repeat("x", 5000)
	var items []string
	for range 15 {
		items = append(items, "invalid_claim", long)
	}
	rec := newRecorder(t, reply{Status: 200, Body: errBody(items...)})
	c := newTestClient(t, rec.srv.URL, V1_8, nil)
	_, err := c.Create(context.Background(), detailFor(V1_8))
	if err == nil || len(err.Error()) > 3000 {
		t.Fatalf("error string too long (%d bytes)", len(err.Error()))
	}
	if !strings.Contains(err.Error(), "… 5 more") {
		t.Errorf("error does not say items were left out: %.300s", err)
	}
	if len(Codes(err)) != 15 {
		t.Errorf("Codes = %d, want all 15", len(Codes(err)))
	}
}

// TestNoSecretsInErrors: a proxy echoing the request headers or a server
// echoing the token must not put the token into an error string.
func TestNoSecretsInErrors(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtb3NpcC1wbXMtY2xpZW50In0.c2lnbmF0dXJl"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprint(w, errBody("unknown_error", "bad header "+r.Header.Get("Authorization")))
	}))
	defer echo.Close()
	for _, tok := range []string{jwt, "opaque-token-value"} {
		c := newTestClient(t, echo.URL, V1_8, NewStaticToken(tok))
		_, err := c.Create(context.Background(), detailFor(V1_8))
		if err == nil || strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), "c2lnbmF0dXJl") {
			t.Errorf("token leaked: %v", err)
		}
	}
	// A non-JWT static token echoed in a 502 page is not quoted either.
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(502)
		fmt.Fprint(w, "<html>upstream failed; request had "+r.Header.Get("Authorization")+"</html>")
	}))
	defer page.Close()
	c := newTestClient(t, page.URL, V1_8, NewStaticToken("opaque-token-value"))
	_, err := c.Update(context.Background(), detailFor(V1_8))
	if err == nil || strings.Contains(err.Error(), "opaque-token-value") {
		t.Errorf("token leaked: %v", err)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, KindNone},
		{"unsupported", &UnsupportedError{Op: "patch", Version: V1_6, Feature: "PATCH"}, KindUnsupported},
		{"wrapped unsupported", fmt.Errorf("ctx: %w", &UnsupportedError{}), KindUnsupported},
		{"input", &InputError{}, KindTerminal},
		{"api conflict wrapped", fmt.Errorf("reconcile: %w", &APIError{HTTPStatus: 200,
			Errors: []ErrorItem{{Code: CodeDuplicateClientID}}}), KindConflict},
		{"api mixed terminal+conflict", &APIError{HTTPStatus: 200, Errors: []ErrorItem{
			{Code: CodeDuplicatePublicKey}, {Code: CodeInvalidACR}}}, KindTerminal},
		{"api unknown code", &APIError{HTTPStatus: 200, Errors: []ErrorItem{{Code: "invalid_input"}}}, KindTerminal},
		{"api 401", &APIError{HTTPStatus: 401}, KindAuth},
		{"api 403", &APIError{HTTPStatus: 403}, KindAuth},
		{"api 503", &APIError{HTTPStatus: 503}, KindTransient},
		{"api 408", &APIError{HTTPStatus: 408}, KindTransient},
		{"api 405", &APIError{HTTPStatus: 405}, KindTerminal},
		{"api 200 malformed", &APIError{HTTPStatus: 200, Malformed: true}, KindTransient},
		{"request reset", &RequestError{Err: syscall.ECONNRESET}, KindTransient},
		{"request refused", &RequestError{Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, KindTransient},
		{"request timeout", &RequestError{Err: timeoutErr{}}, KindTransient},
		{"request eof", &RequestError{Err: io.ErrUnexpectedEOF}, KindTransient},
		{"request unknown CA", &RequestError{Err: x509.UnknownAuthorityError{}}, KindTerminal},
		{"request hostname", &RequestError{Err: x509.HostnameError{}}, KindTerminal},
		{"ctx deadline", context.DeadlineExceeded, KindTransient},
		{"ctx canceled", context.Canceled, KindTransient},
		{"token 401", &TokenError{HTTPStatus: 401, Code: "invalid_client"}, KindAuth},
		{"token 400", &TokenError{HTTPStatus: 400, Code: "unauthorized_client"}, KindAuth},
		{"token 503", &TokenError{HTTPStatus: 503}, KindTransient},
		{"token malformed", &TokenError{HTTPStatus: 200, Malformed: true}, KindTransient},
		{"token network", &TokenError{Err: syscall.ECONNREFUSED}, KindTransient},
		{"wrapped token", fmt.Errorf("esignet create: management token: %w", &TokenError{HTTPStatus: 401}), KindAuth},
		{"invalid document", &InvalidDocumentError{}, KindTerminal},
		{"foreign", errors.New("something"), KindTransient},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("%s: KindOf = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHasCodeAndCodesOnForeignErrors(t *testing.T) {
	if HasCode(errors.New("duplicate_client_id"), CodeDuplicateClientID) {
		t.Error("HasCode must not match error strings")
	}
	if Codes(nil) != nil {
		t.Error("Codes(nil) != nil")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindNone: "None", KindTerminal: "Terminal", KindConflict: "Conflict",
		KindAuth: "Auth", KindTransient: "Transient", KindUnsupported: "Unsupported", Kind(42): "Kind(42)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", int(k), k.String())
		}
	}
}

// Every error code of API.md §3, as eSignet sends it in a 200's errors array,
// gets the kind the controller acts on.
func TestEveryAPICodeClassified(t *testing.T) {
	tests := []struct {
		code, msg string
		want      Kind
	}{
		{CodeInvalidRequest, "request.clientId: invalid_request", KindTerminal},
		{CodeInvalidRequest, "requestTime: invalid_request", KindTransient},
		{CodeInvalidClientID, "invalid_client_id", KindTerminal},
		{CodeDuplicateClientID, "duplicate_client_id", KindConflict},
		{CodeInvalidClientName, "request.clientName: invalid_client_name", KindTerminal},
		{CodeInvalidLanguageCode, "request.clientNameLangMap: invalid_language_code", KindTerminal},
		{CodeInvalidClientNameValue, "request.clientNameLangMap: invalid_client_name_value", KindTerminal},
		{CodeInvalidClientNameLength, "invalid_client_name_length", KindTerminal},
		{CodeInvalidPublicKey, "request.publicKey: invalid_public_key", KindTerminal},
		{CodeDuplicatePublicKey, "duplicate_public_key", KindConflict},
		{CodeInvalidRPID, "request.relyingPartyId: invalid_rp_id", KindTerminal},
		{CodeInvalidClaim, "request.userClaims[0]: invalid_claim", KindTerminal},
		{CodeInvalidACR, "request.authContextRefs[0]: invalid_acr", KindTerminal},
		{CodeInvalidURI, "request.logoUri: invalid_uri", KindTerminal},
		{CodeInvalidRedirectURI, "request.redirectUris[0]: invalid_redirect_uri", KindTerminal},
		{CodeUnsupportedGrantType, "request.grantTypes[0]: unsupported_grant_type", KindTerminal},
		{CodeInvalidGrantType, "request.grantTypes[0]: invalid_grant_type", KindTerminal},
		{CodeInvalidClientAuth, "request.clientAuthMethods[0]: invalid_client_auth", KindTerminal},
		{CodeInvalidStatus, "request.status: invalid_status", KindTerminal},
		{CodeInvalidAdditionalConfig, "request.additionalConfig: invalid_additional_config", KindTerminal},
		{CodeUnknownError, "JSON parse error: Unrecognized field \"foo\"", KindTerminal},
	}
	for _, tt := range tests {
		err := &APIError{Op: "create", HTTPStatus: 200, Errors: []ErrorItem{{Code: tt.code, Message: tt.msg}}}
		if got := KindOf(fmt.Errorf("reconcile: %w", err)); got != tt.want {
			t.Errorf("%s (%q): KindOf = %v, want %v", tt.code, tt.msg, got, tt.want)
		}
		if !HasCode(err, tt.code) {
			t.Errorf("%s: HasCode = false", tt.code)
		}
	}
}
