package pms

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/esignet"
)

// apiErr is what decode builds for one error item.
func apiErr(op string, status int, code, msg string) *APIError {
	e := &APIError{Op: op, Method: http.MethodPost, Path: "/v1/partnermanager/oidc-clients", HTTPStatus: status,
		Errors: []ErrorItem{{Code: code, Message: msg}}}
	e.classify("")
	return e
}

// TestEveryPMSCode maps each code of API.md §6 (and the codes PMS's source adds) to its reason
// and class; the remedy is ours and Describe never quotes PMS's message.
func TestEveryPMSCode(t *testing.T) {
	cases := []struct {
		code   string
		reason Reason
		class  Class
		setup  bool
	}{
		{"PMS_PRT_058", ReasonPartnerNotFound, ClassRetryable, true},
		{"PMS_PRT_059", ReasonNotAuthPartner, ClassTerminal, false},
		{"PMS_PMP_016", ReasonPartnerInactive, ClassRetryable, true},
		{"PMS_PRT_073", ReasonPolicyNotFound, ClassRetryable, true},
		{"PMS_PRT_057", ReasonPolicyNotAuth, ClassTerminal, false},
		{"PMS_PRT_061", ReasonPolicyNotMapped, ClassRetryable, true},
		{"PMS_ESI_002", ReasonPolicyNotApproved, ClassRetryable, true},
		{"PMS_ESI_005", ReasonPolicyNoClaims, ClassTerminal, false},
		{"PMS_ESI_006", ReasonPolicyNoACRs, ClassTerminal, false},
		{"PMS_ESI_003", ReasonPolicyMandatoryAuth, ClassTerminal, false},
		{"PMS_FEATURE_002", ReasonFeatureDisabled, ClassRetryable, true},
		{"PMS_ESI_004", ReasonClientNotFound, ClassTerminal, false},
		{"PMS_ESI_008", ReasonClientInactive, ClassTerminal, false},
		{"PMS_PRT_500", ReasonESignetUnavailable, ClassRetryable, false},
		{"PMS_KKS_001", ReasonESignetUnavailable, ClassRetryable, false},
		{"PMS_PRT_107", ReasonESignetUnavailable, ClassRetryable, false},
		{"PMS_ESI_001", ReasonKeyExists, ClassConflict, false},
		{"PMS_ESI_007", ReasonInvalidPublicKey, ClassTerminal, false},
		{"PMS_CERTIFICATE_ERROR_002", ReasonUserHasNoPartner, ClassAuth, false},
		{"PMS_POLICY_ERROR_009", ReasonPartnerNotOwned, ClassAuth, false},
		{"PMS_POLICY_ERROR_010", ReasonPartnerNotOwned, ClassAuth, false},
		{"PMS_POLICY_ERROR_011", ReasonPartnerNotOwned, ClassAuth, false},
		{"PMS_COR_001", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_COR_002", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_PRT_099", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_REQUEST_ERROR_001", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_REQUEST_ERROR_002", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_REQUEST_ERROR_003", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_REQUEST_ERROR_004", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_REQUEST_ERROR_005", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_REQUEST_ERROR_006", ReasonRequestTime, ClassRetryable, false},
		{"PMS_REQUEST_ERROR_007", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_POLICY_ERROR_013", ReasonPMSError, ClassRetryable, false},
		{"PMS_POLICY_ERROR_014", ReasonInvalidConfig, ClassTerminal, false},
		{"PMS_POLICY_ERROR_015", ReasonInvalidConfig, ClassTerminal, false},
		{"PMS_POLICY_ERROR_016", ReasonPMSError, ClassRetryable, false},
		{"PMS_POLICY_ERROR_017", ReasonInvalidConfig, ClassTerminal, false},
		{"PMS_POLICY_ERROR_018", ReasonInvalidConfig, ClassTerminal, false},
		{"PMS_POLICY_ERROR_019", ReasonInvalidLanguage, ClassTerminal, false},
		{"PMS_POLICY_ERROR_020", ReasonInvalidLanguage, ClassTerminal, false},
		{"PMS_POLICY_ERROR_021", ReasonPMSError, ClassRetryable, false},
		{"PMS_POLICY_ERROR_022", ReasonInvalidRequest, ClassTerminal, false},
		{"PMS_POLICY_ERROR_023", ReasonPMSError, ClassRetryable, false},
		{"PMS_POLICY_ERROR_024", ReasonInvalidRequest, ClassTerminal, false},
		{"KER-ATH-401", ReasonUnauthenticated, ClassAuth, false},
		{"KER-ATH-402", ReasonUnauthenticated, ClassAuth, false},
		{"KER-ATH-403", ReasonForbidden, ClassAuth, false},
		// eSignet's codes, re-thrown by PMS on create (API.md §6).
		{"duplicate_client_id", ReasonESignetHasClient, ClassTerminal, false},
		{"duplicate_public_key", ReasonESignetHasClient, ClassTerminal, false},
		{"invalid_redirect_uri", ReasonESignetRejected, ClassTerminal, false},
		{"invalid_claim", ReasonESignetRejected, ClassTerminal, false},
		{"invalid_acr", ReasonESignetRejected, ClassTerminal, false},
		{"invalid_public_key", ReasonESignetRejected, ClassTerminal, false},
		{"PMS_XYZ_999", ReasonPMSRejected, ClassTerminal, false},
		{"", ReasonPMSError, ClassRetryable, false},
	}
	const pmsText = "AuthPartner doesn't exists with this Id - tenant-x at 127.20.30.40:8080 eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.code] = true
		e := apiErr(opCreate, 200, c.code, pmsText)
		if e.Reason() != c.reason || e.Class() != c.class || ReasonOf(e) != c.reason || ClassOf(e) != c.class {
			t.Errorf("%q: reason %s class %v, want %s %v", c.code, e.Reason(), e.Class(), c.reason, c.class)
		}
		if esignet.KindOf(e) != c.class.Kind() {
			t.Errorf("%q: esignet.KindOf = %v, want %v", c.code, esignet.KindOf(e), c.class.Kind())
		}
		if got := RetryAfter(e) == setupRetry; got != c.setup {
			t.Errorf("%q: RetryAfter %v", c.code, RetryAfter(e))
		}
		d := Describe(e)
		if c.code != "" && !strings.Contains(d, c.code) {
			t.Errorf("%q: Describe %q lacks the code", c.code, d)
		}
		if !strings.Contains(d, string(c.reason)) || !strings.Contains(d, c.reason.Remedy()) || c.reason.Remedy() == "" {
			t.Errorf("%q: Describe %q lacks reason or remedy", c.code, d)
		}
		for _, leak := range []string{"tenant-x", "127.20.30.40", "8080", "eyJ"} {
			if strings.Contains(d, leak) {
				t.Errorf("%q: Describe quotes the remote: %q", c.code, d)
			}
		}
		if strings.Contains(e.Error(), "eyJhbGci") {
			t.Errorf("%q: Error() leaks a token: %s", c.code, e.Error())
		}
	}
	for _, code := range Codes() {
		if !seen[code] {
			t.Errorf("code %s is mapped but not in this table", code)
		}
	}
}

func TestEveryReasonHasARemedy(t *testing.T) {
	for r, info := range reasons {
		if info.remedy == "" || info.class == ClassNone || r.Remedy() != info.remedy || r.Class() != info.class {
			t.Errorf("%s: %+v", r, info)
		}
	}
	for _, r := range codeReasons {
		if _, ok := reasons[r]; !ok {
			t.Errorf("reason %s has no entry", r)
		}
	}
}

// TestESignetCodeRefinements: eSignet codes that PMS's set-up, not the spec, explains.
func TestESignetCodeRefinements(t *testing.T) {
	for _, c := range []struct {
		code, msg string
		class     Class
	}{
		{"invalid_request", "requestTime: invalid_request", ClassRetryable},
		{"invalid_request", "request: invalid_request", ClassTerminal},
		{"unknown_error", "Full authentication is required to access this resource", ClassRetryable},
		{"unknown_error", "Connection refused", ClassRetryable},
		{"unknown_error", "JSON parse error: Unrecognized field", ClassTerminal},
	} {
		if e := apiErr(opCreate, 200, c.code, c.msg); e.Class() != c.class {
			t.Errorf("%s %q: %v, want %v", c.code, c.msg, e.Class(), c.class)
		}
	}
}

func TestSentinels(t *testing.T) {
	e := apiErr(opCreate, 200, CodeKeyExists, "Client public key already exists.")
	e.ClientID = "derived-id"
	if id, ok := AlreadyCreated(e); !ok || id != "derived-id" || !errors.Is(e, ErrAlreadyCreated) {
		t.Fatalf("AlreadyCreated = %q %v", id, ok)
	}
	if _, ok := AlreadyCreated(apiErr(opUpdate, 200, CodeKeyExists, "")); ok {
		t.Fatal("PMS_ESI_001 on an update is no lost create")
	}
	if !IsNotFound(apiErr(opUpdate, 200, CodeClientNotFound, "")) || IsNotFound(e) {
		t.Fatal("IsNotFound")
	}
	if !IsInactive(apiErr(opUpdate, 200, CodeAlreadyInactive, "")) || IsInactive(e) {
		t.Fatal("IsInactive")
	}
	if ClassOf(nil) != ClassNone || ReasonOf(nil) != "" || Describe(nil) != "" || RetryAfter(nil) != 0 {
		t.Fatal("nil")
	}
	if ClassOf(errors.New("foreign")) != ClassRetryable || Describe(errors.New("dial tcp 127.0.0.1:22")) != classUnexpected {
		t.Fatal("foreign errors")
	}
	if RetryAfter(apiErr(opCreate, 200, "PMS_ESI_002", "")) != 5*time.Minute {
		t.Fatal("set-up retry")
	}
}

// TestStatusReasons: answers without PMS's envelope are classified by status.
func TestStatusReasons(t *testing.T) {
	for status, want := range map[int]Reason{
		401: ReasonUnauthenticated, 403: ReasonForbidden, 404: ReasonEndpointNotFound, 405: ReasonEndpointNotFound,
		400: ReasonInvalidRequest, 415: ReasonInvalidRequest, 408: ReasonPMSUnavailable, 429: ReasonPMSUnavailable,
		500: ReasonPMSUnavailable, 502: ReasonPMSUnavailable, 503: ReasonPMSUnavailable, 418: ReasonPMSRejected,
	} {
		if got := statusReason(status); got != want {
			t.Errorf("HTTP %d: %s, want %s", status, got, want)
		}
	}
}

func TestClassStrings(t *testing.T) {
	for c, s := range map[Class]string{ClassNone: "None", ClassTerminal: "Terminal", ClassRetryable: "Retryable",
		ClassAuth: "Auth", ClassConflict: "Conflict", ClassUnsupported: "Unsupported", Class(99): "Class(99)"} {
		if c.String() != s {
			t.Errorf("%d: %s", int(c), c.String())
		}
	}
}
