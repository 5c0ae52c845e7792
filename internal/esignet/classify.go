package esignet

import (
	"strings"

	"github.com/openg2p/esignet-operator/internal/wire"
)

// classifyItems folds the kinds of an errors array into one. A validation
// error anywhere means the spec must change, so terminal beats everything;
// conflict codes never arrive together with validation codes (eSignet checks
// for duplicates only after bean validation passed, API.md §2.10).
func classifyItems(items []ErrorItem) Kind {
	seen := map[Kind]bool{}
	for _, it := range items {
		seen[classifyItem(it)] = true
	}
	for _, k := range []Kind{KindTerminal, KindAuth, KindConflict, KindTransient} {
		if seen[k] {
			return k
		}
	}
	return KindTerminal
}

func classifyItem(it ErrorItem) Kind {
	switch it.Code {
	case CodeDuplicateClientID, CodeDuplicatePublicKey:
		return KindConflict
	case CodeUnknownError:
		return classifyUnknown(it.Message)
	case CodeInvalidRequest:
		// We always format requestTime correctly, so "requestTime:
		// invalid_request" means our clock and eSignet's differ by more
		// than the 2-minute leeway; that heals when NTP does.
		if strings.Contains(it.Message, "requestTime") {
			return KindTransient
		}
	}
	return KindTerminal
}

// Message fragments of unknown_error, checked in order (lower-case). eSignet
// reports every unexpected exception as unknown_error with the exception
// text (API.md §1.3, §3), so the text is all there is to go on:
//   - Jackson/Spring parse failures: our request does not match the DTO, a
//     bug in this package or a wrong APIVersion → terminal;
//   - "Full authentication is required…": no bearer token reached the
//     resource server (LocalAuthenticationEntryPoint) → auth;
//   - over-long column values → terminal (shorten the spec);
//   - constraint violations: on /oauth-client a duplicate public key is
//     reported this way (API.md §2.7) → conflict;
//   - connection/timeout/DB availability trouble → transient.
//
// Anything else defaults to terminal: an unexplained server rejection is
// more likely a request it will keep rejecting than a passing outage.
var unknownErrorRules = []struct {
	kind      Kind
	fragments []string
}{
	{KindTerminal, []string{
		"json", "unrecognized field", "not marked as ignorable", "cannot deserialize",
		"request body is missing", "httpmessagenotreadable", "unexpected character",
		"unexpected token", "mismatchedinput", "parse error", "cannot construct instance",
	}},
	{KindAuth, []string{
		"full authentication", "authentication", "unauthorized", "access denied",
		"access is denied", "insufficient_scope", "invalid_token", "forbidden",
	}},
	{KindTerminal, []string{"value too long", "data too long", "too large"}},
	{KindConflict, []string{
		"duplicate key", "unique constraint", "constraintviolation", "already exists",
	}},
	{KindTransient, []string{
		"connection", "timeout", "timed out", "jdbc", "could not open",
		"cannotcreatetransaction", "deadlock", "redis", "unavailable", "too many",
		"could not execute", "temporarily",
	}},
}

func classifyUnknown(msg string) Kind {
	m := strings.ToLower(msg)
	for _, r := range unknownErrorRules {
		for _, f := range r.fragments {
			if strings.Contains(m, f) {
				return r.kind
			}
		}
	}
	return KindTerminal
}

// classifyTransport classifies an error that is not one of ours: a failed
// HTTP exchange. Certificate verification failures are terminal because
// only a different CA bundle (configuration) fixes them; everything else —
// dial, reset, timeout, context deadline, truncated body — may pass.
func classifyTransport(err error) Kind {
	if wire.IsCertError(err) {
		return KindTerminal
	}
	return KindTransient
}

// sanitize makes server-supplied text safe for an error string (wire.Sanitize).
var sanitize = wire.Sanitize
