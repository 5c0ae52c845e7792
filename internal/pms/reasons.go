package pms

import (
	"fmt"
	"strings"
	"time"

	"github.com/openg2p/esignet-operator/internal/esignet"
)

// Class tells the caller what to do about an error.
type Class int

const (
	// ClassNone is ClassOf(nil).
	ClassNone Class = iota
	// ClassTerminal: the request is wrong (the relying party's or the provider's spec, or a
	// bug); the same request fails again. Fix the spec.
	ClassTerminal
	// ClassRetryable: may pass later with no change on the operator's side: network trouble,
	// PMS or eSignet unavailable, or PMS set-up a PMS administrator completes (partner
	// activation, policy mapping approval, feature flag). RetryAfter suggests how soon.
	ClassRetryable
	// ClassAuth: the operator's credentials: token rejected, a role missing, or the token's user
	// does not own the auth partner.
	ClassAuth
	// ClassConflict: PMS already holds a client for this public key (PMS_ESI_001). The key is
	// the operator's own, so the client is too: see AlreadyCreated.
	ClassConflict
	// ClassUnsupported: the configured generation cannot express the request.
	ClassUnsupported
)

func (c Class) String() string {
	switch c {
	case ClassNone:
		return "None"
	case ClassTerminal:
		return "Terminal"
	case ClassRetryable:
		return "Retryable"
	case ClassAuth:
		return "Auth"
	case ClassConflict:
		return "Conflict"
	case ClassUnsupported:
		return "Unsupported"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Kind maps the class onto internal/esignet's Kind, so that esignet.KindOf classifies PMS errors
// too. A set-up reason (partner not approved, …) is KindTransient there: the operator retries,
// slowly (RetryAfter), and needs no spec change.
func (c Class) Kind() esignet.Kind {
	switch c {
	case ClassNone:
		return esignet.KindNone
	case ClassRetryable:
		return esignet.KindTransient
	case ClassAuth:
		return esignet.KindAuth
	case ClassConflict:
		return esignet.KindConflict
	case ClassUnsupported:
		return esignet.KindUnsupported
	}
	return esignet.KindTerminal
}

// Reason is a stable, CamelCase name for a failure, fit for a Kubernetes condition reason.
type Reason string

// Reasons for PMS error codes (API.md §6; PMS ErrorCode, ApiAccessibleExceptionConstant,
// ValidationErrorCode) and for failures without a code.
const (
	ReasonPartnerNotFound     Reason = "PartnerNotFound"     // PMS_PRT_058
	ReasonNotAuthPartner      Reason = "NotAuthPartner"      // PMS_PRT_059
	ReasonPartnerInactive     Reason = "PartnerInactive"     // PMS_PMP_016
	ReasonPolicyNotFound      Reason = "PolicyNotFound"      // PMS_PRT_073
	ReasonPolicyNotAuth       Reason = "PolicyNotAuth"       // PMS_PRT_057
	ReasonPolicyNotMapped     Reason = "PolicyNotMapped"     // PMS_PRT_061
	ReasonPolicyNotApproved   Reason = "PolicyNotApproved"   // PMS_ESI_002
	ReasonPolicyNoClaims      Reason = "PolicyNoClaims"      // PMS_ESI_005
	ReasonPolicyNoACRs        Reason = "PolicyNoACRs"        // PMS_ESI_006
	ReasonPolicyMandatoryAuth Reason = "PolicyMandatoryAuth" // PMS_ESI_003
	ReasonFeatureDisabled     Reason = "FeatureDisabled"     // PMS_FEATURE_002
	ReasonClientNotFound      Reason = "ClientNotFound"      // PMS_ESI_004
	ReasonClientInactive      Reason = "ClientInactive"      // PMS_ESI_008
	ReasonKeyExists           Reason = "KeyExists"           // PMS_ESI_001
	ReasonInvalidPublicKey    Reason = "InvalidPublicKey"    // PMS_ESI_007
	ReasonESignetUnavailable  Reason = "ESignetUnavailable"  // PMS_PRT_500, PMS_KKS_001, PMS_PRT_107
	ReasonUserHasNoPartner    Reason = "UserHasNoPartner"    // PMS_CERTIFICATE_ERROR_002
	ReasonPartnerNotOwned     Reason = "PartnerNotOwned"     // PMS_POLICY_ERROR_009, _010, _011
	ReasonInvalidRequest      Reason = "InvalidRequest"      // PMS_COR_001/002, PMS_PRT_099, PMS_REQUEST_ERROR_00x, …
	ReasonRequestTime         Reason = "RequestTimeRejected" // PMS_REQUEST_ERROR_006
	ReasonInvalidConfig       Reason = "InvalidAdditionalConfig"
	ReasonInvalidLanguage     Reason = "InvalidLanguage"    // PMS_POLICY_ERROR_019, _020
	ReasonPMSError            Reason = "PMSError"           // PMS_POLICY_ERROR_013/016/021/023, code-less errors
	ReasonUnauthenticated     Reason = "Unauthenticated"    // HTTP 401, KER-ATH-401
	ReasonForbidden           Reason = "Forbidden"          // HTTP 403, KER-ATH-403
	ReasonESignetHasClient    Reason = "ESignetHasClient"   // eSignet's duplicate_client_id / duplicate_public_key through PMS
	ReasonESignetRejected     Reason = "ESignetRejected"    // any other eSignet code PMS re-threw
	ReasonPMSRejected         Reason = "PMSRejected"        // a PMS code this package does not know
	ReasonEndpointNotFound    Reason = "EndpointNotFound"   // HTTP 404/405
	ReasonPMSUnavailable      Reason = "PMSUnavailable"     // 5xx, 429, 408, not PMS's JSON, transport
	ReasonRedirect            Reason = "Redirect"           // 3xx, never followed
	ReasonTokenFailed         Reason = "TokenFailed"        // the token source failed
	ReasonUnsupported         Reason = "UnsupportedRequest" // the generation cannot express it
	ReasonInvalidInput        Reason = "InvalidInput"       // refused before any request
)

// setupRetry is how soon to retry a failure a PMS administrator fixes (RetryAfter).
const setupRetry = 5 * time.Minute

// reasonInfo is what this package knows about a reason: its class, whether a PMS administrator
// fixes it (then RetryAfter is setupRetry), and what a person should do.
type reasonInfo struct {
	class  Class
	setup  bool
	remedy string
}

// reasons holds every Reason's class and remedy. Remedies are this package's words only: they
// are safe for a Kubernetes status (Describe).
var reasons = map[Reason]reasonInfo{
	ReasonPartnerNotFound: {ClassRetryable, true,
		"PMS has no partner with the configured authPartnerID: register it in PMS as an Auth_Partner, or correct authPartnerID"},
	ReasonNotAuthPartner: {ClassTerminal, false,
		"the partner is not of type Auth_Partner and cannot own OIDC clients: set authPartnerID to an Auth_Partner"},
	ReasonPartnerInactive: {ClassRetryable, true,
		"the auth partner is deactivated in PMS: a partner admin must activate it"},
	ReasonPolicyNotFound: {ClassRetryable, true,
		"PMS has no policy with the configured policyID: publish the policy in PMS, or correct policyID"},
	ReasonPolicyNotAuth: {ClassTerminal, false,
		"the policy is not of type Auth and cannot back an OIDC client: set policyID to an Auth policy"},
	ReasonPolicyNotMapped: {ClassRetryable, true,
		"the partner has not requested the policy: request the partner-policy mapping in PMS and have a partner admin approve it"},
	ReasonPolicyNotApproved: {ClassRetryable, true,
		"the partner-policy mapping is not approved: a partner admin must approve it in PMS"},
	ReasonPolicyNoClaims: {ClassTerminal, false,
		"none of the policy's allowedKycAttributes maps (identity mapping) to a claim eSignet supports: use a policy with such attributes"},
	ReasonPolicyNoACRs: {ClassTerminal, false,
		"none of the policy's allowedAuthTypes maps (amr-acr mapping) to an ACR: use a policy with auth types such as otp, bio or pin"},
	ReasonPolicyMandatoryAuth: {ClassTerminal, false,
		"the policy marks an auth type mandatory, which PMS refuses for OIDC clients: use a policy whose allowedAuthTypes all have mandatory false"},
	ReasonFeatureDisabled: {ClassRetryable, true,
		"this PMS has OIDC clients switched off (mosip.pms.oidc.client.available): a PMS administrator must enable them"},
	ReasonClientNotFound: {ClassTerminal, false,
		"PMS does not know this client id: create the client (again)"},
	ReasonClientInactive: {ClassTerminal, false,
		"the client is INACTIVE in PMS, which cannot reactivate or change it: a new key registers a new client"},
	ReasonKeyExists: {ClassConflict, false,
		"PMS already holds a client for this public key; its id is derived from the key, so it is this key's client"},
	ReasonInvalidPublicKey: {ClassTerminal, false,
		"PMS could not read the public JWK: the key must be an RSA, EC or OKP public JWK"},
	ReasonESignetUnavailable: {ClassRetryable, false,
		"PMS could not complete the call to eSignet: check that eSignet is up and PMS's eSignet URLs and credentials"},
	ReasonUserHasNoPartner: {ClassAuth, false,
		"the credentials' user owns no partner in PMS: use the auth partner's own user, or a user with role PARTNER_ADMIN"},
	ReasonPartnerNotOwned: {ClassAuth, false,
		"the auth partner belongs to another PMS user: use that partner's user (PMS requires it for updates on /oidc-clients even with PARTNER_ADMIN)"},
	ReasonInvalidRequest: {ClassTerminal, false,
		"PMS rejected a request field or the envelope: check logoUri, redirect URIs and names in the spec, and the configured generation"},
	ReasonRequestTime: {ClassRetryable, false,
		"PMS wants today's UTC date in requestTime: the clocks disagree about the date (around midnight UTC); retrying passes"},
	ReasonInvalidConfig: {ClassTerminal, false,
		"PMS rejected additionalConfig: userinfo_response_type must be JWS or JWE, consent_expire_in_mins at least 10, purpose.type login, link or verify"},
	ReasonInvalidLanguage: {ClassTerminal, false,
		"a clientNameLangMap language is not one PMS supports (mosip.pms.supported.oidc.languages): use a supported ISO 639-2 code"},
	ReasonPMSError: {ClassRetryable, false,
		"PMS failed internally; a create may have reached eSignet before the failure (a later create then reports eSignet's duplicate_client_id)"},
	ReasonUnauthenticated: {ClassAuth, false,
		"PMS rejected the token: check the auth manager or Keycloak URL, the client id and secret, and the app id"},
	ReasonForbidden: {ClassAuth, false,
		"the token lacks a role PMS requires: grant PARTNER_ADMIN (and AUTH_PARTNER for /oidc-clients) to the operator's client"},
	ReasonESignetHasClient: {ClassTerminal, false,
		"eSignet already holds this client but PMS does not (an earlier PMS create failed after reaching eSignet): remove it at eSignet, or rotate to a new key"},
	ReasonESignetRejected: {ClassTerminal, false,
		"eSignet refused the client PMS built from the spec and the policy: see the eSignet error code"},
	ReasonPMSRejected: {ClassTerminal, false,
		"PMS refused the request with an error code this operator does not know: see the operator's log"},
	ReasonEndpointNotFound: {ClassTerminal, false,
		"PMS has no such endpoint: check baseURL (ending in /v1/partnermanager) and generation (oidc-clients needs PMS 1.3.0-beta.4 or later)"},
	ReasonPMSUnavailable: {ClassRetryable, false,
		"PMS is unreachable or failing: retrying"},
	ReasonRedirect: {ClassTerminal, false,
		"PMS answered with a redirect, which is never followed: check baseURL"},
	ReasonTokenFailed: {ClassAuth, false,
		"no token: check the auth manager or Keycloak settings and the credentials Secret"},
	ReasonUnsupported: {ClassUnsupported, false,
		"the configured PMS generation cannot express this request"},
	ReasonInvalidInput: {ClassTerminal, false,
		"the client detail cannot be sent as given"},
}

// codeReasons maps PMS's error codes to reasons.
var codeReasons = map[string]Reason{
	"PMS_PRT_058":               ReasonPartnerNotFound,
	"PMS_PRT_059":               ReasonNotAuthPartner,
	"PMS_PMP_016":               ReasonPartnerInactive,
	"PMS_PRT_073":               ReasonPolicyNotFound,
	"PMS_PRT_057":               ReasonPolicyNotAuth,
	"PMS_PRT_061":               ReasonPolicyNotMapped,
	"PMS_ESI_002":               ReasonPolicyNotApproved,
	"PMS_ESI_005":               ReasonPolicyNoClaims,
	"PMS_ESI_006":               ReasonPolicyNoACRs,
	"PMS_ESI_003":               ReasonPolicyMandatoryAuth,
	"PMS_FEATURE_002":           ReasonFeatureDisabled,
	"PMS_ESI_004":               ReasonClientNotFound,
	"PMS_ESI_008":               ReasonClientInactive,
	"PMS_ESI_001":               ReasonKeyExists,
	"PMS_ESI_007":               ReasonInvalidPublicKey,
	"PMS_PRT_500":               ReasonESignetUnavailable,
	"PMS_KKS_001":               ReasonESignetUnavailable,
	"PMS_PRT_107":               ReasonESignetUnavailable,
	"PMS_CERTIFICATE_ERROR_002": ReasonUserHasNoPartner,
	"PMS_POLICY_ERROR_009":      ReasonPartnerNotOwned,
	"PMS_POLICY_ERROR_010":      ReasonPartnerNotOwned,
	"PMS_POLICY_ERROR_011":      ReasonPartnerNotOwned,
	"PMS_COR_001":               ReasonInvalidRequest,
	"PMS_COR_002":               ReasonInvalidRequest,
	"PMS_PRT_099":               ReasonInvalidRequest,
	"PMS_REQUEST_ERROR_001":     ReasonInvalidRequest,
	"PMS_REQUEST_ERROR_002":     ReasonInvalidRequest,
	"PMS_REQUEST_ERROR_003":     ReasonInvalidRequest,
	"PMS_REQUEST_ERROR_004":     ReasonInvalidRequest,
	"PMS_REQUEST_ERROR_005":     ReasonInvalidRequest,
	"PMS_REQUEST_ERROR_006":     ReasonRequestTime,
	"PMS_REQUEST_ERROR_007":     ReasonInvalidRequest,
	"PMS_POLICY_ERROR_014":      ReasonInvalidConfig,
	"PMS_POLICY_ERROR_015":      ReasonInvalidConfig,
	"PMS_POLICY_ERROR_017":      ReasonInvalidConfig,
	"PMS_POLICY_ERROR_018":      ReasonInvalidConfig,
	"PMS_POLICY_ERROR_019":      ReasonInvalidLanguage,
	"PMS_POLICY_ERROR_020":      ReasonInvalidLanguage,
	"PMS_POLICY_ERROR_022":      ReasonInvalidRequest,
	"PMS_POLICY_ERROR_024":      ReasonInvalidRequest,
	"PMS_POLICY_ERROR_013":      ReasonPMSError,
	"PMS_POLICY_ERROR_016":      ReasonPMSError,
	"PMS_POLICY_ERROR_021":      ReasonPMSError,
	"PMS_POLICY_ERROR_023":      ReasonPMSError,
	"KER-ATH-401":               ReasonUnauthenticated,
	"KER-ATH-402":               ReasonUnauthenticated,
	"KER-ATH-403":               ReasonForbidden,
}

// Codes PMS uses whose meaning callers test for.
const (
	CodeKeyExists        = "PMS_ESI_001"
	CodeClientNotFound   = "PMS_ESI_004"
	CodeAlreadyInactive  = "PMS_ESI_008"
	CodeFeatureDisabled  = "PMS_FEATURE_002"
	CodeESignetFailed    = "PMS_PRT_500"
	CodeESignetNotCalled = "PMS_KKS_001"
)

// Codes lists every PMS error code this package maps, for tests and documentation.
func Codes() []string {
	out := make([]string, 0, len(codeReasons))
	for c := range codeReasons {
		out = append(out, c)
	}
	return out
}

// reasonForItem maps one error item. PMS re-throws eSignet's own codes (lower-case, API.md §3)
// unchanged; PMS's catch-all handler sends items without a code.
func reasonForItem(it ErrorItem) Reason {
	if r, ok := codeReasons[it.Code]; ok {
		return r
	}
	switch {
	case it.Code == "":
		return ReasonPMSError
	case it.Code == esignet.CodeDuplicateClientID || it.Code == esignet.CodeDuplicatePublicKey:
		return ReasonESignetHasClient
	case esignetCode.MatchString(it.Code):
		return ReasonESignetRejected
	}
	return ReasonPMSRejected
}

// classForItem refines the reason's class for eSignet codes re-thrown through PMS: a
// requestTime outside eSignet's 2-minute window is PMS's clock against eSignet's, and an
// unknown_error about authentication or connections is PMS's own eSignet set-up, neither of
// which the spec fixes.
func classForItem(r Reason, it ErrorItem) Class {
	if r != ReasonESignetRejected {
		return reasons[r].class
	}
	msg := strings.ToLower(it.Message)
	switch {
	case it.Code == esignet.CodeInvalidRequest && strings.Contains(msg, "requesttime"):
		return ClassRetryable
	case it.Code == esignet.CodeUnknownError && containsAny(msg,
		"authentication", "connection", "timeout", "timed out", "unavailable", "jdbc", "redis"):
		return ClassRetryable
	}
	return ClassTerminal
}

func containsAny(s string, parts ...string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// Remedy is what a person should do about a reason ("" for an unknown reason).
func (r Reason) Remedy() string { return reasons[r].remedy }

// Class is the reason's usual class (an eSignet code may refine it; see ClassOf).
func (r Reason) Class() Class { return reasons[r].class }
