package pms

import (
	"errors"
	"fmt"
	"strings"

	"github.com/openg2p/esignet-operator/internal/esignet"
)

// Describe returns a description of err for a Kubernetes status, in this package's fixed
// vocabulary: the HTTP status, the error codes (only codes shaped like PMS's, the kernel's or
// eSignet's), the reason and its remedy. Like esignet.Describe it never holds an address, a
// host name, a URL, a token, or words of the remote: PMS's messages (which can quote ids and
// exception text) stay in Error(), for logs.
//
//	HTTP 200: PMS error code PMS_ESI_002 (PolicyNotApproved): the partner-policy mapping is not
//	approved: a partner admin must approve it in PMS
//
// Transport failures read "connection failed", "timed out", "cancelled" or "TLS handshake
// failed (certificate not trusted)"; errors of a Keycloak token source are described by
// esignet.Describe. Describe(nil) is "".
func Describe(err error) string {
	if err == nil {
		return ""
	}
	var (
		ae  *APIError
		te  *TokenError
		re  *RequestError
		ue  *UnsupportedError
		ie  *InputError
		ete *esignet.TokenError
	)
	switch {
	case errors.As(err, &ae):
		return ae.describe()
	case errors.As(err, &te):
		return te.describe()
	case errors.As(err, &ete):
		return esignet.Describe(ete)
	case errors.As(err, &re):
		return describeTransport(re.Err)
	case errors.As(err, &ue):
		return fmt.Sprintf("%s is %s (%s)", ue.Feature, ErrUnsupported, ue.Generation)
	case errors.As(err, &ie):
		return "invalid " + ie.Field + ": " + ie.Reason
	case isTransport(err):
		return describeTransport(err)
	}
	return classUnexpected
}

func (e *APIError) describe() string {
	parts := []string{fmt.Sprintf("HTTP %d", e.HTTPStatus)}
	if codes := safeCodes(e.Errors); codes != "" {
		label := "PMS error code"
		if e.reason == ReasonESignetRejected || e.reason == ReasonESignetHasClient {
			label = "eSignet error code (through PMS)"
		}
		if strings.Contains(codes, ",") {
			label += "s"
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", label, codes, e.reason))
	} else {
		parts = append(parts, string(e.reason))
	}
	if e.Detail != "" && len(e.Errors) == 0 {
		parts = append(parts, e.Detail)
	}
	if r := e.reason.Remedy(); r != "" {
		parts = append(parts, r)
	}
	return strings.Join(parts, ": ")
}

// safeCodes lists the distinct codes of a known shape, in order, at most maxErrorItems.
func safeCodes(items []ErrorItem) string {
	var codes []string
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.Code] || !pmsCode.MatchString(it.Code) && !esignetCode.MatchString(it.Code) {
			continue
		}
		seen[it.Code] = true
		if len(codes) < maxErrorItems {
			codes = append(codes, it.Code)
		}
	}
	return strings.Join(codes, ", ")
}
