package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/registration"
	"github.com/openg2p/esignet-operator/internal/schedule"
	"github.com/openg2p/esignet-operator/internal/tenancy"
)

// desiredClient is the client eSignet should hold for a relying party, without its public key.
type desiredClient struct {
	detail     esignet.ClientDetail
	baseID     string // the id of the resource's first client; rotated clients derive theirs from it
	algorithm  keys.Algorithm
	rsaBits    int
	secretName string
}

// specError is a spec problem a person must fix; it names the field.
type specError struct{ reason, msg string }

func (e *specError) Error() string { return e.msg }

func invalid(format string, args ...any) error {
	return &specError{v1.ReasonInvalidSpec, fmt.Sprintf(format, args...)}
}

// clientIDFor is the client id, frozen once a create was attempted, and the base id rotations
// derive new ids from: the spec's, else derived from the namespace and name.
func clientIDFor(rp *v1.ESignetRelyingParty, prefix string, reg registration.Record) (id, base string, err error) {
	base = rp.Spec.ClientID
	if base == "" {
		base = tenancy.DeriveClientID(prefix, rp.Namespace, rp.Name)
	}
	frozen := reg.ClientID
	if frozen != "" && rp.Spec.ClientID != "" && schedule.ClientID(rp.Spec.ClientID, reg.Rotation) != frozen {
		return "", "", &specError{v1.ReasonImmutableChanged, fmt.Sprintf(
			"spec.clientID %q differs from the client already registered as %q; eSignet cannot rename a client: create a new ESignetRelyingParty instead", rp.Spec.ClientID, frozen)}
	}
	if frozen != "" {
		return frozen, base, nil
	}
	return base, base, nil
}

// admitClientID holds every client id this relying party could act on to the provider's fence:
// the spec's, the registration record's (an annotation a namespace could forge) and the id used.
func admitClientID(rp *v1.ESignetRelyingParty, fence tenancy.Fence, reg registration.Record) error {
	ids := []struct{ id, source string }{
		{rp.Spec.ClientID, "spec.clientID"},
		{reg.ClientID, "the registration record's client id"},
		{tenancy.DeriveClientID(fence.Prefix, rp.Namespace, rp.Name), "the derived client id"},
	}
	for _, peer := range []*registration.Record{reg.Next, reg.Previous} {
		if peer != nil {
			ids = append(ids, struct{ id, source string }{peer.ClientID, "the registration record's rotated client id"})
		}
	}
	for _, c := range ids {
		if c.id == "" {
			continue
		}
		if r := fence.AdmitClientID(rp.Namespace, c.id, c.source); r != nil {
			return &specError{r.Reason, r.Message}
		}
	}
	return nil
}

// SecretNameFor is the key Secret's name.
func SecretNameFor(rp *v1.ESignetRelyingParty) string {
	if rp.Spec.SecretName != "" {
		return rp.Spec.SecretName
	}
	return rp.Name + "-esignet-client"
}

// resolveDesired combines spec, provider defaults and what the provider's eSignet supports.
func resolveDesired(rp *v1.ESignetRelyingParty, conn *connection, fence tenancy.Fence, prefix string, reg registration.Record) (*desiredClient, error) {
	s := &rp.Spec
	d := conn.defaults
	if d == nil {
		d = &v1.RelyingPartyDefaults{}
	}
	id, base, err := clientIDFor(rp, prefix, reg)
	if err != nil {
		return nil, err
	}
	if conn.pms != nil {
		// PMS chooses every client id from the client's public key (ensureKey derives it), so
		// a namespace can only ever name a client whose private key it holds.
		switch {
		case s.ClientID != "":
			return nil, invalid("spec.clientID: this provider registers through Partner Management, which chooses the client id from the key; remove spec.clientID")
		case s.Key.Adopt != nil:
			return nil, invalid("spec.key.adopt: clients registered by hand cannot be adopted through Partner Management (PMS holds them already); use a provider without partnerManagement")
		}
		id, base, fence.AnyIDs = reg.ClientID, "", true
	}
	if err := admitClientID(rp, fence, reg); err != nil {
		return nil, err
	}
	det := esignet.ClientDetail{
		ClientID:          id,
		ClientName:        s.ClientName,
		RelyingPartyID:    firstNonEmpty(s.RelyingPartyID, d.RelyingPartyID, reg.RelyingPartyID, base), // rotated clients keep the first one's
		LogoURI:           firstNonEmpty(s.LogoURI, d.LogoURI),
		RedirectURIs:      s.RedirectURIs,
		UserClaims:        orDefault(s.UserClaims, d.UserClaims),
		AuthContextRefs:   orDefault(s.AuthContextRefs, d.AuthContextRefs),
		GrantTypes:        orDefault(s.GrantTypes, []string{"authorization_code"}),
		ClientAuthMethods: orDefault(s.ClientAuthMethods, []string{"private_key_jwt"}),
		Status:            esignet.StatusActive,
	}
	if s.Active != nil && !*s.Active {
		det.Status = esignet.StatusInactive
	}
	if det.ClientNameLangMap, err = langMap(s, conn.version); err != nil {
		return nil, err
	}
	if det.AdditionalConfig, err = additionalConfigJSON(s.AdditionalConfig, conn.version); err != nil {
		return nil, err
	}
	if err := checkAgainstProvider(&det, conn, conn.pms != nil); err != nil {
		return nil, err
	}
	alg := keys.Algorithm(firstNonEmpty(s.Key.Algorithm, string(keys.RS256)))
	if !slices.Contains(conn.version.SupportedSigningAlgs(), string(alg)) {
		return nil, invalid("spec.key.algorithm %s needs eSignet v1.7 or later; this provider speaks %s (supports %s)",
			alg, conn.version, strings.Join(conn.version.SupportedSigningAlgs(), ", "))
	}
	want := &desiredClient{detail: det, baseID: base, algorithm: alg, rsaBits: int(s.Key.Size), secretName: SecretNameFor(rp)}
	for _, o := range s.Outputs {
		if o.Name == want.secretName {
			return nil, invalid("spec.outputs: output %q would overwrite the key Secret; choose another name", o.Name)
		}
	}
	return want, nil
}

func checkAgainstProvider(det *esignet.ClientDetail, conn *connection, viaPMS bool) error {
	if det.LogoURI == "" {
		return invalid("spec.logoURI is required by eSignet: set it, or relyingPartyDefaults.logoURI on the provider")
	}
	if viaPMS {
		return nil // claims and ACRs come from the partner's policy, not from the spec
	}
	if len(det.AuthContextRefs) == 0 {
		return invalid("spec.authContextRefs: eSignet needs at least one ACR (e.g. mosip:idp:acr:generated-code); set it, or relyingPartyDefaults.authContextRefs on the provider")
	}
	if len(det.UserClaims) == 0 && !conn.version.AllowsEmptyUserClaimsOnUpdate() {
		return invalid("spec.userClaims: eSignet %s needs at least one claim on update; set it, or relyingPartyDefaults.userClaims on the provider", conn.version)
	}
	if conn.discovery != nil && len(conn.discovery.ClaimsSupported) > 0 {
		var bad []string
		for _, c := range det.UserClaims {
			if !slices.Contains(conn.discovery.ClaimsSupported, c) {
				bad = append(bad, c)
			}
		}
		if len(bad) > 0 {
			return invalid("spec.userClaims: %s not in eSignet's claims_supported (%s)",
				strings.Join(bad, ", "), strings.Join(conn.discovery.ClaimsSupported, ", "))
		}
	}
	return nil
}

// langMap returns the name map eSignet's generation wants: v1.2-v1.5 require one, so the name
// is offered in English when none is given; v1.0 has no such field.
func langMap(s *v1.ESignetRelyingPartySpec, version esignet.APIVersion) (map[string]string, error) {
	m := map[string]string{}
	for k, v := range s.ClientNameLangMap {
		m[k] = string(v)
	}
	switch {
	case version.Endpoint() == esignet.EndpointOIDCClient:
		if len(m) > 0 {
			return nil, invalid("spec.clientNameLangMap needs eSignet v1.2 or later; this provider speaks %s", version)
		}
		return nil, nil
	case len(m) == 0 && version.RequiresClientNameLangMap():
		return map[string]string{"eng": s.ClientName}, nil
	case len(m) == 0:
		return nil, nil
	}
	return m, nil
}

// additionalConfigJSON maps the typed spec to eSignet's snake_case object, refusing keys the
// provider's eSignet does not know (it would reject the whole request).
func additionalConfigJSON(ac *v1.AdditionalConfig, version esignet.APIVersion) (json.RawMessage, error) {
	if ac == nil {
		return nil, nil
	}
	if !version.SupportsAdditionalConfig() {
		return nil, invalid("spec.additionalConfig needs eSignet v1.6 or later; this provider speaks %s", version)
	}
	out := map[string]any{}
	if ac.UserinfoResponseType != "" {
		out["userinfo_response_type"] = ac.UserinfoResponseType
	}
	putBool(out, "signup_banner_required", ac.SignupBannerRequired)
	putBool(out, "forgot_pwd_link_required", ac.ForgotPasswordLinkRequired)
	putBool(out, "require_pushed_authorization_requests", ac.RequirePushedAuthorizationRequests)
	putBool(out, "dpop_bound_access_tokens", ac.DPoPBoundAccessTokens)
	putBool(out, "require_pkce", ac.RequirePKCE)
	if ac.ConsentExpireInMins != nil {
		out["consent_expire_in_mins"] = *ac.ConsentExpireInMins
	}
	if p := ac.Purpose; p != nil {
		purpose := map[string]any{"type": p.Type}
		if p.Title != nil {
			purpose["title"] = p.Title
		}
		if p.SubTitle != nil {
			purpose["subTitle"] = p.SubTitle
		}
		out["purpose"] = purpose
	}
	allowed := version.AdditionalConfigKeys()
	for k := range out {
		if !slices.Contains(allowed, k) {
			return nil, invalid("spec.additionalConfig: %s is not supported by eSignet %s", k, version)
		}
	}
	b, err := json.Marshal(out) // map keys are sorted: the bytes are stable for the fingerprint
	if err != nil {
		return nil, fmt.Errorf("encoding additionalConfig: %w", err)
	}
	return b, nil
}

// target is what the registration plan compares the record with.
func (d *desiredClient) target(keyID string) registration.Target {
	return targetFor(d.detail, keyID)
}

func targetFor(det esignet.ClientDetail, keyID string) registration.Target {
	return registration.Target{ClientID: det.ClientID, KeyID: keyID, RelyingPartyID: det.RelyingPartyID,
		Fingerprint: fingerprint(det, keyID), Inactive: det.Status == esignet.StatusInactive}
}

// fingerprint identifies the registered state; equal fingerprints mean no eSignet call.
func fingerprint(det esignet.ClientDetail, keyID string) string {
	det.PublicKey = nil
	b, _ := json.Marshal(det) // a struct of strings, slices and raw JSON cannot fail to encode
	sum := sha256.Sum256(append(b, []byte("|"+keyID)...))
	return hex.EncodeToString(sum[:16])
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func orDefault(v, def []string) []string {
	if len(v) > 0 {
		return v
	}
	return def
}

func putBool(m map[string]any, key string, v *bool) {
	if v != nil {
		m[key] = *v
	}
}
