package fakeesignet

import (
	"fmt"
	"regexp"
	"strconv"
)

// generation is the eSignet release line the fake mimics. Only the minor
// version matters except for v1.5.0, whose client-assertion leeway was 0 s.
type generation struct {
	minor int
	patch int // -1 when the caller gave only "v1.X" (treated as the latest patch)
}

var generationRE = regexp.MustCompile(`^v?1\.([2-8])(?:\.(\d+))?$`)

// parseGeneration accepts "v1.2" … "v1.8" (optionally with a patch number);
// "" means v1.8.
func parseGeneration(s string) (generation, error) {
	if s == "" {
		return generation{minor: 8, patch: -1}, nil
	}
	m := generationRE.FindStringSubmatch(s)
	if m == nil {
		return generation{}, fmt.Errorf("unsupported eSignet generation %q (want v1.2 … v1.8)", s)
	}
	g := generation{patch: -1}
	g.minor, _ = strconv.Atoi(m[1])
	if m[2] != "" {
		g.patch, _ = strconv.Atoi(m[2])
	}
	return g, nil
}

func (g generation) String() string {
	if g.patch >= 0 {
		return fmt.Sprintf("v1.%d.%d", g.minor, g.patch)
	}
	return fmt.Sprintf("v1.%d", g.minor)
}

func (g generation) atLeast(minor int) bool { return g.minor >= minor }

// Endpoint availability (API.md §0).
func (g generation) hasOAuthClient() bool { return g.atLeast(2) }
func (g generation) hasClientV3() bool    { return g.atLeast(6) }
func (g generation) hasPatch() bool       { return g.atLeast(8) }

// grantTypeCode: the error code of @OIDCGrantType and the grantTypes size checks.
func (g generation) grantTypeCode() string {
	if g.atLeast(7) {
		return "unsupported_grant_type"
	}
	return "invalid_grant_type"
}

func (g generation) langMapRequired() bool     { return !g.atLeast(6) }
func (g generation) langKeyISO() bool          { return g.atLeast(4) }
func (g generation) langValueMax50() bool      { return g.atLeast(6) }
func (g generation) putClaimsMinOne() bool     { return !g.atLeast(8) }
func (g generation) jwkBlankAlgUseCheck() bool { return g.atLeast(8) }
func (g generation) jwkAllowsEC() bool         { return g.atLeast(7) }

// dbErrorIsDuplicateKey: whether a failed INSERT surfaces as duplicate_public_key
// (the endpoint catches Spring's DataIntegrityViolationException) rather than
// unknown_error. Read from each tag's ClientManagementServiceImpl.
func (g generation) dbErrorIsDuplicateKey(ep endpoint) bool {
	switch ep {
	case epOIDCClient:
		return g.atLeast(4)
	case epClient:
		return g.atLeast(7)
	}
	return false
}

// uniquenessRule says which part of the stored key carries the UNIQUE constraint.
type uniquenessRule int

const (
	uniqueWholeJWK uniquenessRule = iota // ≤ v1.4: the whole JWK text
	uniqueModulus                        // v1.5–v1.7: public_key->>'n'
	uniqueHash                           // v1.8: public_key_hash
)

func (g generation) uniqueness() uniquenessRule {
	switch {
	case g.atLeast(8):
		return uniqueHash
	case g.atLeast(5):
		return uniqueModulus
	}
	return uniqueWholeJWK
}

// Client-assertion behaviour (API.md §5.3).
func (g generation) assertionAlgs() []string {
	if g.atLeast(7) {
		return []string{"RS256", "PS256", "ES256"}
	}
	return []string{"RS256"}
}

func (g generation) assertionSkewSeconds() int64 {
	if g.minor < 5 || (g.minor == 5 && g.patch == 0) {
		return 0
	}
	return 5
}

func (g generation) defaultJTIUnique() bool { return g.atLeast(7) }

// assertionRequiresJTI: TokenServiceImpl lists jti among the required client-assertion claims
// from v1.6.0; v1.0 to v1.5 accept assertions without one, as OpenG2P's apps send them.
func (g generation) assertionRequiresJTI() bool { return g.atLeast(6) }

// issuerOnServicePath: ≤ v1.7 deployments set issuer-id to domain + servlet path.
func (g generation) issuerOnServicePath() bool { return !g.atLeast(8) }

func (g generation) hasPAR() bool { return g.atLeast(7) }

func (g generation) additionalConfigKeys() map[string]bool {
	keys := map[string]bool{
		"userinfo_response_type": true, "purpose": true, "signup_banner_required": true,
		"forgot_pwd_link_required": true, "consent_expire_in_mins": true,
	}
	if g.atLeast(7) {
		keys["require_pushed_authorization_requests"] = true
		keys["dpop_bound_access_tokens"] = true
	}
	if g.atLeast(8) {
		keys["require_pkce"] = true
	}
	return keys
}
