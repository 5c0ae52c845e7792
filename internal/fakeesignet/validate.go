package fakeesignet

import (
	"fmt"
	"sort"

	"github.com/openg2p/esignet-operator/internal/redirecturi"
)

// violation is one failed bean-validation constraint.
type violation struct{ path, code string }

// checker collects violations the way Hibernate Validator does: every
// failing constraint of every field, in field order.
type checker struct {
	out    []violation
	gen    generation
	claims map[string]bool
	acrs   map[string]bool
}

func (c *checker) add(path, code string) { c.out = append(c.out, violation{path, code}) }

// idFormat is @IdFormat (non-blank, matches \S*) plus @Size(max=100).
func (c *checker) idFormat(path string, s *string, code string) {
	if s == nil || javaIsBlank(*s) || !matchesNoSpace(*s) {
		c.add(path, code)
	}
	c.maxLen(path, s, 100, code)
}

func (c *checker) notBlank(path string, s *string, code string) {
	if !hibernateNotBlank(s) {
		c.add(path, code)
	}
}

func (c *checker) maxLen(path string, s *string, max int, code string) {
	if s != nil && javaLen(*s) > max {
		c.add(path, code)
	}
}

// list applies @NotNull (when required), @Size and an element constraint.
func (c *checker) list(path string, l []*string, required bool, min, max int, code string, elem func(*string) []bool) {
	if l == nil {
		if required {
			c.add(path, code)
		}
		return
	}
	if len(l) < min || len(l) > max {
		c.add(path, code)
	}
	for i, e := range l {
		for _, ok := range elem(e) {
			if !ok {
				c.add(fmt.Sprintf("%s[%d]", path, i), code)
			}
		}
	}
}

func (c *checker) claimOK(s *string) []bool {
	return []bool{s != nil && !javaIsBlank(*s) && c.claims[*s]}
}

// acrOK is AuthContextRefValidator: null passes; every space-separated token
// must be a known ACR.
func (c *checker) acrOK(s *string) []bool {
	if s == nil {
		return nil
	}
	for _, v := range javaSplitTrim(*s, " ") {
		if !c.acrs[v] {
			return []bool{false}
		}
	}
	return nil
}

// redirectOK reports @NotBlank and @RedirectURL separately: both can fail.
func redirectOK(s *string) []bool {
	return []bool{hibernateNotBlank(s), s != nil && redirecturi.Valid(*s)}
}

func oneOf(allowed string) func(*string) []bool {
	return func(s *string) []bool {
		return []bool{s != nil && !javaIsBlank(*s) && *s == allowed}
	}
}

// validateInput runs the bean validation of the DTO kind (API.md §2.1–§2.5).
func (c *checker) validateInput(k dtoKind, in *clientInput) {
	const p = "request."
	patch := k.isPatch()
	if k.isCreate() {
		c.idFormat(p+"clientId", in.ClientID, "invalid_client_id")
	}
	if !patch {
		c.notBlank(p+"clientName", in.ClientName, "invalid_client_name")
	}
	c.maxLen(p+"clientName", in.ClientName, 256, "invalid_client_name")
	if k.isCreate() {
		if len(in.PublicKey) == 0 {
			c.add(p+"publicKey", "invalid_public_key")
		}
		c.idFormat(p+"relyingPartyId", in.RelyingPartyID, "invalid_rp_id")
	}
	claimsMin := 0
	if patch || (!k.isCreate() && c.gen.putClaimsMinOne()) {
		claimsMin = 1
	}
	c.list(p+"userClaims", in.UserClaims, !patch, claimsMin, 30, "invalid_claim", c.claimOK)
	c.list(p+"authContextRefs", in.AuthContextRefs, !patch, 1, 30, "invalid_acr", c.acrOK)
	if !patch {
		c.notBlank(p+"logoUri", in.LogoURI, "invalid_uri")
	}
	if in.LogoURI != nil && !logoURIValid(*in.LogoURI) {
		c.add(p+"logoUri", "invalid_uri")
	}
	c.list(p+"redirectUris", in.RedirectURIs, !patch, 1, 5, "invalid_redirect_uri", redirectOK)
	if !k.isCreate() {
		c.status(p+"status", in.Status, !patch)
	}
	gt := c.gen.grantTypeCode()
	c.list(p+"grantTypes", in.GrantTypes, !patch, 1, 3, gt, oneOf("authorization_code"))
	c.list(p+"clientAuthMethods", in.AuthMethods, !patch, 1, 3, "invalid_client_auth", oneOf("private_key_jwt"))
	if k.hasLangMap() {
		c.langMap(p+"clientNameLangMap", in.ClientNameLangMap, !patch && c.gen.langMapRequired())
	}
	if k.hasAdditionalConfig() && !additionalConfigValid(in.AdditionalConfig, c.gen) {
		c.add(p+"additionalConfig", "invalid_additional_config")
	}
}

func (c *checker) status(path string, s *string, required bool) {
	if s == nil {
		if required {
			c.add(path, "invalid_status")
		}
		return
	}
	if *s != "ACTIVE" && *s != "INACTIVE" {
		c.add(path, "invalid_status")
	}
}

// langMap: @NotEmpty (v1.2–v1.5), key @ClientNameLang (or @Size(3,3) before
// v1.4), value @NotBlank and (v1.6+) @Size(max=50).
func (c *checker) langMap(path string, m map[string]*string, required bool) {
	if len(m) == 0 {
		if required {
			c.add(path, "invalid_client_name")
		}
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if c.gen.langKeyISO() && !iso3Languages[k] || !c.gen.langKeyISO() && javaLen(k) != 3 {
			c.add(fmt.Sprintf("%s<K>[%s].<map key>", path, k), "invalid_language_code")
		}
		vpath := fmt.Sprintf("%s[%s]", path, k)
		c.notBlank(vpath, m[k], "invalid_client_name_value")
		if c.gen.langValueMax50() {
			c.maxLen(vpath, m[k], 50, "invalid_client_name_length")
		}
	}
}
