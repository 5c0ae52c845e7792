package pms

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// responseEnvelope is ResponseWrapper (responsetime) and ResponseWrapperV2 (responseTime); the
// time is not used.
type responseEnvelope struct {
	Response json.RawMessage `json:"response"`
	Errors   []wireError     `json:"errors"`
}

// wireError reads PMS's {errorCode, message}; eSignet's and some gateways' "errorMessage" is
// accepted too.
type wireError struct {
	Code         string `json:"errorCode"`
	Message      string `json:"message"`
	ErrorMessage string `json:"errorMessage"`
}

// clientResponse is ClientDetailResponse.
type clientResponse struct {
	ClientID string `json:"clientId"`
	Status   string `json:"status"`
}

// clientDetailWire is ClientDetail (oidc, oauth) and ClientDetailV2 (oidc-clients).
type clientDetailWire struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	PolicyID          string            `json:"policyId"`
	PolicyName        string            `json:"policyName"`
	RelyingPartyID    string            `json:"relyingPartyId"`
	LogoURI           string            `json:"logoUri"`
	RedirectURIs      []string          `json:"redirectUris"`
	PublicKey         json.RawMessage   `json:"publicKey"`
	Claims            []string          `json:"claims"`
	ACRValues         []string          `json:"acrValues"`
	Status            string            `json:"status"`
	GrantTypes        []string          `json:"grantTypes"`
	ClientAuthMethods []string          `json:"clientAuthMethods"`
	ClientNameLangMap map[string]string `json:"clientNameLangMap"`
	AdditionalConfig  json.RawMessage   `json:"additionalConfig"`
}

// minRedactLen: shorter tokens (test fixtures) are not searched for in answers.
const minRedactLen = 16

// Fixed phrases for APIError.Detail (never the remote's words).
const (
	detailEmptyBody   = "empty response body"
	detailNotEnvelope = "response is not PMS's JSON envelope"
	detailNeither     = "envelope has neither a response nor errors"
	detailTooBig      = "response body exceeds 1048576 bytes"
)

// decode turns an exchange into out (the envelope's response) or an *APIError. PMS reports
// service errors with HTTP 200 and an errors array, so the status alone proves nothing. The
// token is removed from every server text first.
func decode(op string, req *http.Request, ex *exchange, token string, out any) error {
	e := &APIError{Op: op, Method: req.Method, Path: req.URL.EscapedPath(), HTTPStatus: ex.status}
	if len(token) < minRedactLen {
		// Too short to be a real token; replacing it would garble the answer.
		token = ""
	}
	if token != "" {
		ex.body = bytes.ReplaceAll(ex.body, []byte(token), []byte("[redacted]"))
	}
	var env responseEnvelope
	parsed := !ex.tooBig && json.Unmarshal(ex.body, &env) == nil
	if parsed {
		e.Errors = items(env.Errors, token)
	}
	if ex.status != http.StatusOK {
		// The status decides (the kernel's 401/403 bodies carry KER-ATH codes, kept for logs).
		r := statusReason(ex.status)
		e.Detail = bodyDetail(ex, parsed)
		e.reason, e.class = r, reasons[r].class
		return e
	}
	switch {
	case !parsed:
		e.Detail = bodyDetail(ex, false)
		e.classify(ReasonPMSUnavailable)
		return e
	case len(e.Errors) > 0:
		e.classify("")
		return e
	case isNull(env.Response) || json.Unmarshal(env.Response, out) != nil || !complete(out):
		e.Detail = detailNeither
		e.classify(ReasonPMSUnavailable)
		return e
	}
	return nil
}

// complete: a success must name the client.
func complete(out any) bool {
	switch v := out.(type) {
	case *clientResponse:
		return v.ClientID != ""
	case *clientDetailWire:
		return v.ID != ""
	}
	return true
}

func items(in []wireError, token string) []ErrorItem {
	out := make([]ErrorItem, 0, len(in))
	for _, w := range in {
		msg := w.Message
		if msg == "" {
			msg = w.ErrorMessage
		}
		if token != "" {
			// JSON escapes can spell the token without containing its bytes.
			msg = strings.ReplaceAll(msg, token, "[redacted]")
			w.Code = strings.ReplaceAll(w.Code, token, "[redacted]")
		}
		out = append(out, ErrorItem{Code: w.Code, Message: msg})
	}
	return out
}

// statusReason is the reason of a non-200 answer.
func statusReason(status int) Reason {
	switch s := status; {
	case s == http.StatusUnauthorized:
		return ReasonUnauthenticated
	case s == http.StatusForbidden:
		return ReasonForbidden
	case s == http.StatusNotFound || s == http.StatusMethodNotAllowed:
		return ReasonEndpointNotFound
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		return ReasonPMSUnavailable
	case s == http.StatusBadRequest || s == http.StatusUnsupportedMediaType:
		// Jackson could not read the body (e.g. a requesttime in another format): 400, no body.
		return ReasonInvalidRequest
	}
	return ReasonPMSRejected
}

// bodyDetail says what a body was, in this package's words.
func bodyDetail(ex *exchange, parsed bool) string {
	switch {
	case ex.tooBig:
		return detailTooBig
	case len(bytes.TrimSpace(ex.body)) == 0:
		return detailEmptyBody
	case !parsed:
		return detailNotEnvelope
	}
	return ""
}

// get reads one client.
func (c *Client) get(ctx context.Context, clientID string) (*OIDCClient, error) {
	if err := checkPathID(opGet, clientID); err != nil {
		return nil, err
	}
	var w clientDetailWire
	err := c.withToken(ctx, opGet, func(token string) error {
		return c.do(ctx, opGet, http.MethodGet, c.clientURL(clientID), nil, token, &w)
	})
	if err != nil {
		return nil, err
	}
	return w.client(), nil
}

// client converts the wire form. PMS answers publicKey as the JWK's JSON text; on oidc and
// oauth it answers name as stored, which for clients created with a name map is that map's JSON
// text ({"eng": …, "@none": name}).
func (w *clientDetailWire) client() *OIDCClient {
	out := &OIDCClient{
		ClientID: w.ID, Name: w.Name, NameLangMap: w.ClientNameLangMap, PolicyID: w.PolicyID,
		PolicyName: w.PolicyName, AuthPartnerID: w.RelyingPartyID, LogoURI: w.LogoURI,
		RedirectURIs: nonEmpty(w.RedirectURIs), UserClaims: nonEmpty(w.Claims), AuthContextRefs: nonEmpty(w.ACRValues),
		Status: Status(strings.ToUpper(w.Status)), GrantTypes: nonEmpty(w.GrantTypes),
		ClientAuthMethods: nonEmpty(w.ClientAuthMethods), PublicKey: unquoteJSON(w.PublicKey),
	}
	if !isNull(w.AdditionalConfig) {
		out.AdditionalConfig = w.AdditionalConfig
	}
	if name, langs, ok := nameFromMap(w.Name); ok {
		out.Name = name
		if len(out.NameLangMap) == 0 {
			out.NameLangMap = langs
		}
	}
	if len(out.NameLangMap) == 0 {
		out.NameLangMap = nil
	}
	return out
}

// nameFromMap reads a stored name map: its "@none" entry is the name, the rest the languages.
func nameFromMap(s string) (string, map[string]string, bool) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return "", nil, false
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return "", nil, false
	}
	name, ok := m["@none"]
	if !ok {
		return "", nil, false
	}
	delete(m, "@none")
	return name, m, true
}

// unquoteJSON turns a JSON string holding JSON into that JSON; anything else is kept.
func unquoteJSON(raw json.RawMessage) json.RawMessage {
	if isNull(raw) {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if json.Valid([]byte(s)) {
			return json.RawMessage(s)
		}
		return nil
	}
	return raw
}

// nonEmpty drops the empty strings PMS's comma splitting produces for an empty column.
func nonEmpty(v []string) []string {
	out := v[:0:0]
	for _, s := range v {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
