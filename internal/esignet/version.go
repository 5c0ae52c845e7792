package esignet

import (
	"fmt"
	"regexp"
	"strconv"
)

// APIVersion names the eSignet release line whose client-management API the
// Client speaks. Only the differences that change what goes on the wire (or
// what the server accepts) are modelled; every release between two constants
// behaves like the lower one (API.md §0, §2).
type APIVersion string

// Supported API versions. v1.1 behaves like v1.0, v1.3 and v1.4 like v1.2.
const (
	V1_0 APIVersion = "v1.0"
	V1_2 APIVersion = "v1.2"
	V1_5 APIVersion = "v1.5"
	V1_6 APIVersion = "v1.6"
	V1_7 APIVersion = "v1.7"
	V1_8 APIVersion = "v1.8"
)

// DefaultAPIVersion is used by New when Config.APIVersion is empty.
const DefaultAPIVersion = V1_8

var versionRE = regexp.MustCompile(`^v?1\.(\d+)(?:\.\d+)?$`)

// ParseAPIVersion accepts "v1.X" or "1.X" with an optional patch number
// ("v1.4.2") and maps it to the constant with the same wire behaviour.
// Releases after v1.8 are rejected: their API has not been read, and a
// silent downgrade could send members the server no longer accepts.
func ParseAPIVersion(s string) (APIVersion, error) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("esignet: invalid API version %q (want v1.0 … v1.8, e.g. \"v1.8\")", s)
	}
	minor, err := strconv.Atoi(m[1])
	if err != nil || minor > 8 {
		return "", fmt.Errorf("esignet: unsupported API version %q (supported: v1.0 … v1.8)", s)
	}
	switch {
	case minor >= 8:
		return V1_8, nil
	case minor == 7:
		return V1_7, nil
	case minor == 6:
		return V1_6, nil
	case minor == 5:
		return V1_5, nil
	case minor >= 2:
		return V1_2, nil
	}
	return V1_0, nil
}

// minor returns the minor release number; -1 for an unknown value.
func (v APIVersion) minor() int {
	switch v {
	case V1_0:
		return 0
	case V1_2:
		return 2
	case V1_5:
		return 5
	case V1_6:
		return 6
	case V1_7:
		return 7
	case V1_8:
		return 8
	}
	return -1
}

// Valid reports whether v is one of the constants.
func (v APIVersion) Valid() bool { return v.minor() >= 0 }

// Endpoint is a client-management endpoint family (API.md §0).
type Endpoint string

// Endpoint families; the value is the path segment under /client-mgmt/.
const (
	EndpointOIDCClient  Endpoint = "oidc-client"  // v1.0+, request DTO V1
	EndpointOAuthClient Endpoint = "oauth-client" // v1.2+, request DTO V2
	EndpointClient      Endpoint = "client"       // v1.6+, request DTO V3
)

// Endpoint is the newest endpoint family the version offers. Older families
// stay available on newer servers, but each newer family is a superset, so
// the newest is always the one to use.
func (v APIVersion) Endpoint() Endpoint {
	switch m := v.minor(); {
	case m >= 6:
		return EndpointClient
	case m >= 2:
		return EndpointOAuthClient
	}
	return EndpointOIDCClient
}

// SupportsPatch: PATCH /client-mgmt/client/{id} exists from v1.8.
func (v APIVersion) SupportsPatch() bool { return v.minor() >= 8 }

// SupportsClientNameLangMap: the V2 DTOs (v1.2+) carry clientNameLangMap.
func (v APIVersion) SupportsClientNameLangMap() bool { return v.minor() >= 2 }

// RequiresClientNameLangMap: v1.2–v1.5 reject a V2 request without a
// non-empty clientNameLangMap (invalid_client_name); v1.6 made it optional.
func (v APIVersion) RequiresClientNameLangMap() bool {
	m := v.minor()
	return m >= 2 && m <= 5
}

// SupportsAdditionalConfig: the V3 DTOs (v1.6+) carry additionalConfig.
func (v APIVersion) SupportsAdditionalConfig() bool { return v.minor() >= 6 }

// RequiresAssertionJTI: eSignet's token endpoint demands a jti in private_key_jwt client
// assertions from v1.6 (TokenServiceImpl); v1.0 to v1.5 accept assertions without one.
func (v APIVersion) RequiresAssertionJTI() bool { return v.minor() >= 6 }

// SupportsECKeys: v1.7 accepts EC public keys; earlier releases parse every
// key as RSA.
func (v APIVersion) SupportsECKeys() bool { return v.minor() >= 7 }

// AllowsEmptyUserClaimsOnUpdate: PUT accepts userClaims [] only from v1.8
// (earlier: @Size(min=1) → invalid_claim). PATCH never accepts [].
func (v APIVersion) AllowsEmptyUserClaimsOnUpdate() bool { return v.minor() >= 8 }

// SupportedSigningAlgs lists the client_assertion algorithms the token
// endpoint verifies (API.md §5.3): RS256 only up to v1.6.
func (v APIVersion) SupportedSigningAlgs() []string {
	if v.minor() >= 7 {
		return []string{"RS256", "PS256", "ES256"}
	}
	return []string{"RS256"}
}

// GrantTypeErrorCode is the code a bad grantTypes value produces: renamed
// from invalid_grant_type to unsupported_grant_type in v1.7.
func (v APIVersion) GrantTypeErrorCode() string {
	if v.minor() >= 7 {
		return CodeUnsupportedGrantType
	}
	return CodeInvalidGrantType
}

// AdditionalConfigKeys lists the top-level additionalConfig members the
// version's JSON schema allows (API.md §2.9; additionalProperties is false,
// so any other key is invalid_additional_config). Nil before v1.6.
func (v APIVersion) AdditionalConfigKeys() []string {
	m := v.minor()
	if m < 6 {
		return nil
	}
	keys := []string{
		"userinfo_response_type", "purpose", "signup_banner_required",
		"forgot_pwd_link_required", "consent_expire_in_mins",
	}
	if m >= 7 {
		keys = append(keys, "require_pushed_authorization_requests", "dpop_bound_access_tokens")
	}
	if m >= 8 {
		keys = append(keys, "require_pkce")
	}
	return keys
}

// AllowsAdditionalConfigKey reports whether key is in AdditionalConfigKeys.
func (v APIVersion) AllowsAdditionalConfigKey(key string) bool {
	for _, k := range v.AdditionalConfigKeys() {
		if k == key {
			return true
		}
	}
	return false
}
