package esignet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Status is a client's registration status. eSignet has no DELETE: a client
// is retired by setting it INACTIVE (API.md §2.11).
type Status string

const (
	StatusActive   Status = "ACTIVE"
	StatusInactive Status = "INACTIVE"
)

// ClientDetail is the version-neutral desired state of one OIDC client. The
// Client turns it into the request DTO of the configured API version and
// sends only that DTO's members.
type ClientDetail struct {
	ClientID   string
	ClientName string
	// ClientNameLangMap maps ISO-639-2/T codes ("eng") to names. Needs v1.2+;
	// required (non-empty) by v1.2–v1.5. Nil = not sent.
	ClientNameLangMap map[string]string
	// RelyingPartyID and PublicKey are sent on create only: eSignet cannot
	// change them later (a new key needs a new client id).
	RelyingPartyID    string
	LogoURI           string
	RedirectURIs      []string
	UserClaims        []string
	AuthContextRefs   []string
	GrantTypes        []string
	ClientAuthMethods []string
	// Status is sent on update only (create always yields ACTIVE); empty
	// means ACTIVE.
	Status Status
	// AdditionalConfig is a JSON object (v1.6+). Nil or JSON null = none;
	// note that a PUT without it clears the stored config.
	AdditionalConfig json.RawMessage
	// PublicKey is the client's public JWK (no private members).
	PublicKey json.RawMessage
}

// ClientPatch is a v1.8 PATCH: nil fields are left unchanged by eSignet.
// A non-nil empty slice is sent as [] (and rejected by eSignet, which
// requires at least one element for every PATCH list).
type ClientPatch struct {
	ClientName        *string
	ClientNameLangMap map[string]string
	LogoURI           *string
	RedirectURIs      []string
	UserClaims        []string
	AuthContextRefs   []string
	GrantTypes        []string
	ClientAuthMethods []string
	Status            Status // empty = unchanged
	// AdditionalConfig replaces the whole stored object (no deep merge).
	AdditionalConfig json.RawMessage
	// EncPublicKey is the public JWK userinfo responses are encrypted to
	// (userinfo_response_type JWE).
	EncPublicKey json.RawMessage
}

// ClientResult is eSignet's answer to a successful call: only the id and the
// resulting status (API.md §1.2).
type ClientResult struct {
	ClientID     string
	Status       Status
	ResponseTime string
}

// privateJWKMembers are the JWK members (RFC 7518 §6) that belong to private
// or symmetric keys; none may leave the operator.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// checkPublicJWK rejects a key that is not a JSON object or that carries
// private members. The value is never echoed: it could be a private key.
func checkPublicJWK(op, field string, raw json.RawMessage) error {
	if isNullJSON(raw) {
		return nil // eSignet reports the missing key itself
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return &InputError{Op: op, Field: field, Reason: "not a JSON object"}
	}
	var found []string
	for _, k := range privateJWKMembers {
		if _, ok := m[k]; ok {
			found = append(found, k)
		}
	}
	if len(found) > 0 {
		return &InputError{Op: op, Field: field,
			Reason: fmt.Sprintf("holds private key members %v; send the public JWK only", found)}
	}
	return nil
}

// checkAdditionalConfig checks the shape eSignet's schema starts with (a
// JSON object) and the top-level keys the version allows, so a key the
// server would reject surfaces as KindUnsupported naming the key.
func checkAdditionalConfig(op string, v APIVersion, raw json.RawMessage) error {
	if isNullJSON(raw) {
		return nil
	}
	if !v.SupportsAdditionalConfig() {
		return &UnsupportedError{Op: op, Version: v, Feature: "additionalConfig"}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return &InputError{Op: op, Field: "additionalConfig", Reason: "not a JSON object"}
	}
	var bad []string
	for k := range m {
		if !v.AllowsAdditionalConfigKey(k) {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return &UnsupportedError{Op: op, Version: v,
			Feature: fmt.Sprintf("additionalConfig key(s) %q", bad)}
	}
	return nil
}

// checkLangMap: only the V2+ DTOs carry clientNameLangMap.
func checkLangMap(op string, v APIVersion, m map[string]string) error {
	if m != nil && !v.SupportsClientNameLangMap() {
		return &UnsupportedError{Op: op, Version: v, Feature: "clientNameLangMap"}
	}
	return nil
}

// checkPathID: the id becomes a path segment; "" would address the
// collection and "."/".." would be collapsed by proxies.
func checkPathID(op, id string) error {
	switch id {
	case "", ".", "..":
		return &InputError{Op: op, Field: "clientId", Reason: fmt.Sprintf("%q cannot address a client", id)}
	}
	return nil
}

// firewallRejected are the path fragments Spring Security's
// StrictHttpFirewall (eSignet's default) refuses with HTTP 400 before the
// request reaches eSignet, compared case-insensitively on the escaped path.
var firewallRejected = []string{"%2f", "%25", "%5c", "%2e", "%3b", ";", "//", "\\", "%00", "/./", "/../"}

// ClientIDPathSafe reports whether id, escaped as a path segment, passes
// Spring's StrictHttpFirewall. eSignet accepts ids with '/', '%', ';' or '\\'
// on create (only whitespace is forbidden) but such a client can then never
// be updated or deactivated, so a controller should refuse them up front.
func ClientIDPathSafe(id string) bool {
	return id != "." && id != ".." && firewallSafePath(url.PathEscape(id))
}

func firewallSafePath(escaped string) bool {
	p := strings.ToLower(escaped)
	for _, bad := range firewallRejected {
		if strings.Contains(p, bad) {
			return false
		}
	}
	return true
}

func isNullJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// statusOrActive maps the zero Status to ACTIVE.
func statusOrActive(s Status) Status {
	if s == "" {
		return StatusActive
	}
	return s
}
