package esignet

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// responseEnvelope is eSignet's ResponseWrapper (API.md §1.2).
type responseEnvelope struct {
	ResponseTime string          `json:"responseTime"`
	Response     json.RawMessage `json:"response"`
	Errors       []ErrorItem     `json:"errors"`
}

type clientResponse struct {
	ClientID string `json:"clientId"`
	Status   Status `json:"status"`
}

// problemDetail is Spring's RFC 9457 body (404/405/415) or Spring Boot's
// default error body ({status, error, message, path}), which is what a
// request stopped by the HTTP firewall gets.
type problemDetail struct {
	Title   string `json:"title"`
	Detail  string `json:"detail"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

// decodeClientResponse turns an exchange into a result or an *APIError.
// eSignet answers validation and service errors with HTTP 200 and a
// non-empty errors array, so the status code alone proves nothing.
//
// secret (the bearer token) is removed from any server-supplied text:
// sanitize only recognises JWTs, and a server or proxy may echo an opaque
// token.
func decodeClientResponse(op string, req *http.Request, ex *exchange, secret string) (*ClientResult, error) {
	e := newAPIError(op, req, ex)
	if secret != "" {
		ex.body = bytes.ReplaceAll(ex.body, []byte(secret), []byte("[redacted]"))
	}
	switch ex.status {
	case http.StatusOK:
		return decodeOK(e, ex, secret)
	case http.StatusUnauthorized:
		e.class = "management token rejected" + authChallenge(ex.header)
		e.Detail = e.class + "; check the token endpoint, realm and client credentials"
	case http.StatusForbidden:
		e.class = scopeHint(req.Method) + authChallenge(ex.header)
		e.Detail = e.class
	}
	describeFailure(e, req, ex, secret)
	return nil, e
}

func decodeOK(e *APIError, ex *exchange, secret string) (*ClientResult, error) {
	var env responseEnvelope
	if ex.tooBig || json.Unmarshal(ex.body, &env) != nil {
		e.Malformed = true
		e.Detail, e.class = describeBody(ex, classNotEnvelope)
		return nil, e
	}
	if len(env.Errors) > 0 {
		e.Errors = redactItems(env.Errors, secret)
		return nil, e
	}
	var r clientResponse
	if isNullJSON(env.Response) || json.Unmarshal(env.Response, &r) != nil || r.ClientID == "" {
		e.Malformed, e.Detail, e.class = true, classNeither, classNeither
		return nil, e
	}
	return &ClientResult{ClientID: r.ClientID, Status: r.Status, ResponseTime: env.ResponseTime}, nil
}

// redactItems removes secret from decoded error items: the raw body was
// redacted already, but JSON escapes (\u0061 for "a") can spell the token
// without containing its bytes.
func redactItems(items []ErrorItem, secret string) []ErrorItem {
	if secret == "" {
		return items
	}
	for i := range items {
		items[i].Code = strings.ReplaceAll(items[i].Code, secret, "[redacted]")
		items[i].Message = strings.ReplaceAll(items[i].Message, secret, "[redacted]")
	}
	return items
}

// describeFailure fills Errors or Detail of a non-200 answer from whatever
// structure its body has, never quoting unstructured text.
func describeFailure(e *APIError, req *http.Request, ex *exchange, secret string) {
	var env responseEnvelope
	if !ex.tooBig && json.Unmarshal(ex.body, &env) == nil && len(env.Errors) > 0 {
		e.Errors = redactItems(env.Errors, secret)
		return
	}
	if ex.status == http.StatusBadRequest && !firewallSafePath(req.URL.EscapedPath()) {
		e.class = joinDetail(e.class, classFirewall)
		e.Detail = joinDetail(e.Detail, classFirewall)
	}
	if e.class == "" {
		// Whatever the body is, it is not what eSignet's API answers.
		_, e.class = describeBody(ex, classNotEnvelope)
	}
	var pd problemDetail
	if !ex.tooBig && json.Unmarshal(ex.body, &pd) == nil {
		title, detail := cmp.Or(pd.Title, pd.Error), cmp.Or(pd.Detail, pd.Message)
		if secret != "" {
			title = strings.ReplaceAll(title, secret, "[redacted]")
			detail = strings.ReplaceAll(detail, secret, "[redacted]")
		}
		if title != "" || detail != "" {
			e.Detail = joinDetail(e.Detail, sanitize(title, 80))
			if detail != "" {
				e.Detail += " (" + sanitize(detail, maxMessageLen) + ")"
			}
			return
		}
	}
	if e.Detail == "" {
		e.Detail, _ = describeBody(ex, classNotEnvelope)
	}
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// scopeHint names the scope the method needs (API.md §4.1).
func scopeHint(method string) string {
	switch method {
	case http.MethodPost:
		return "token lacks scope add_oidc_client (required for POST)"
	case http.MethodPut:
		return "token lacks scope update_oidc_client (required for PUT)"
	}
	return fmt.Sprintf("token refused for %s (eSignet's security config requires no scope for it; check the realm and issuer)", method)
}

// challengeError: RFC 6750's error codes (invalid_request, invalid_token,
// insufficient_scope) are lower-case words; anything else is not quoted.
var challengeError = regexp.MustCompile(`error="([a-z_]{1,64})"`)

// authChallenge extracts only the error code from WWW-Authenticate; its
// description may carry arbitrary text.
func authChallenge(h http.Header) string {
	m := challengeError.FindStringSubmatch(h.Get("WWW-Authenticate"))
	if m == nil {
		return ""
	}
	return " (" + m[1] + ")"
}
