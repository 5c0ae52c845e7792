package fakepms

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

const maxBody = 1 << 20

// createDTO is ClientDetailCreateRequest (oidc), …V2 (oauth, + clientNameLangMap) and …V3
// (oidc-clients, + clientNameLangMap, additionalConfig).
type createDTO struct {
	Name              *string           `json:"name"`
	PolicyID          *string           `json:"policyId"`
	PublicKey         map[string]any    `json:"publicKey"`
	AuthPartnerID     *string           `json:"authPartnerId"`
	LogoURI           *string           `json:"logoUri"`
	RedirectURIs      []string          `json:"redirectUris"`
	GrantTypes        []string          `json:"grantTypes"`
	ClientAuthMethods []string          `json:"clientAuthMethods"`
	ClientNameLangMap map[string]string `json:"clientNameLangMap"`
	AdditionalConfig  json.RawMessage   `json:"additionalConfig"`
}

// updateDTO is ClientDetailUpdateRequest and its V2/V3 extensions.
type updateDTO struct {
	LogoURI           *string           `json:"logoUri"`
	RedirectURIs      []string          `json:"redirectUris"`
	Status            *string           `json:"status"`
	GrantTypes        []string          `json:"grantTypes"`
	ClientName        *string           `json:"clientName"`
	ClientAuthMethods []string          `json:"clientAuthMethods"`
	ClientNameLangMap map[string]string `json:"clientNameLangMap"`
	AdditionalConfig  json.RawMessage   `json:"additionalConfig"`
}

var (
	createMembers = [...][]string{
		{"name", "policyId", "publicKey", "authPartnerId", "logoUri", "redirectUris", "grantTypes", "clientAuthMethods"},
		{"name", "policyId", "publicKey", "authPartnerId", "logoUri", "redirectUris", "grantTypes", "clientAuthMethods", "clientNameLangMap"},
		{"name", "policyId", "publicKey", "authPartnerId", "logoUri", "redirectUris", "grantTypes", "clientAuthMethods", "clientNameLangMap", "additionalConfig"},
	}
	updateMembers = [...][]string{
		{"logoUri", "redirectUris", "status", "grantTypes", "clientName", "clientAuthMethods"},
		{"logoUri", "redirectUris", "status", "grantTypes", "clientName", "clientAuthMethods", "clientNameLangMap"},
		{"logoUri", "redirectUris", "status", "grantTypes", "clientName", "clientAuthMethods", "clientNameLangMap", "additionalConfig"},
	}
)

// readRequest reads a body endpoint's envelope and DTO; false when an answer was written
// (415, 400, PMS_COR_001).
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request, g gen, allowed []string, dto any) (*envelope, bool) {
	if !mediaTypeIs(r.Header.Get("Content-Type"), "application/json") {
		writeBootError(w, http.StatusUnsupportedMediaType, r.URL.Path)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return nil, false
	}
	env, err := decodeEnvelope(body, g)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return nil, false
	}
	if env.request == nil {
		s.writeViolation(w, violation{"request", "must not be null"})
		return nil, false
	}
	if decodeStrict(env.request, allowed, dto) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return nil, false
	}
	return env, true
}

// preamble is what the controllers do before the service: the feature flag, the envelope
// check, the path id format. It writes the error and returns false.
func (s *Server) preamble(w http.ResponseWriter, g gen, env *envelope, reqID, pathID string, checkPath bool) bool {
	s.mu.Lock()
	disabled := s.disabled
	s.mu.Unlock()
	if disabled {
		s.writeLegacy(w, nil, errCode("PMS_FEATURE_002", "OIDC client related features are not available in the current deployment."))
		return false
	}
	if env != nil {
		if e := s.checkEnvelope(g, env, reqID); e != nil {
			s.write(w, g, reqID, nil, e, true)
			return false
		}
	}
	if checkPath && !clientIDRegex.MatchString(pathID) {
		s.writeLegacy(w, nil, errCode("PMS_PRT_099", "Invalid input for 'clientId'. Expected: Only alphanumeric characters (A–Z, a–z, 0–9), hyphens (-), and underscores (_) are allowed, with a maximum length of 100 characters."))
		return false
	}
	return true
}

// inputRE is mosip.pms.request.input.validation.regex (InputValidator, /oidc-clients).
func validInput(s string) bool {
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r > 127:
		case strings.ContainsRune(" .,@#&()-'?_!\":;=", r):
		default:
			return false
		}
	}
	return s != ""
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, g gen, _ string, c *caller) {
	var in createDTO
	env, ok := s.readRequest(w, r, g, createMembers[g], &in)
	if !ok {
		return
	}
	if v := validateCreate(g, &in); v != nil {
		s.writeViolation(w, *v)
		return
	}
	if !s.preamble(w, g, env, idCreate, "", false) {
		return
	}
	if g == genV3 {
		for _, f := range [...]struct{ field, v string }{{"name", *in.Name}, {"policyId", *in.PolicyID}, {"authPartnerId", *in.AuthPartnerID}} {
			if field := f.field; !validInput(f.v) {
				s.writeLegacy(w, nil, errCode("PMS_REQUEST_ERROR_007", fmt.Sprintf("Invalid input: '%s'. Only letters, numbers, spaces, and the following special characters are allowed: . , @ # & ( ) \\ - ' ? _ ! \" : ; =", field)))
				return
			}
		}
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	resp, e := s.create(r, g, &in, c)
	s.write(w, g, idCreate, resp, e, true)
}

func validateCreate(g gen, in *createDTO) *violation {
	v := &validator{}
	v.blank("request.name", in.Name, 256)
	v.blank("request.policyId", in.PolicyID, 36)
	if len(in.PublicKey) == 0 {
		v.add("request.publicKey", "must not be empty")
	}
	v.blank("request.authPartnerId", in.AuthPartnerID, 100)
	v.url("request.logoUri", in.LogoURI)
	v.list("request.redirectUris", in.RedirectURIs, 1, 5, false)
	v.list("request.grantTypes", in.GrantTypes, 1, 3, false)
	v.list("request.clientAuthMethods", in.ClientAuthMethods, 1, 3, false)
	if g == genOAuth {
		v.langMap("request.clientNameLangMap", in.ClientNameLangMap, true)
	}
	if len(v.out) > 0 {
		return &v.out[0]
	}
	return nil
}

// create is processCreateOIDCClient (+ V2's extra checks) and the eSignet call, in PMS's order.
func (s *Server) create(r *http.Request, g gen, in *createDTO, c *caller) (any, *pmsError) {
	ctx := r.Context()
	jwk, err := json.Marshal(in.PublicKey)
	if err != nil {
		return nil, errCode("PMS_ESI_007", "Failed to process the Public Key")
	}
	id, err := clientID(jwk)
	if err != nil {
		return nil, errCode("PMS_ESI_007", "Failed to process the Public Key")
	}
	policy, e := s.checkCreate(id, in, c)
	if e != nil {
		return nil, e
	}
	claims, acrs, e := s.derive(r, policy)
	if e != nil {
		return nil, e
	}
	rec := &record{id: id, name: *in.Name, policyID: policy.ID, rpID: *in.AuthPartnerID, logoURI: *in.LogoURI,
		status: "ACTIVE", redirectURIs: in.RedirectURIs, claims: claims, acrs: acrs, grantTypes: in.GrantTypes,
		authMethods: in.ClientAuthMethods, publicKey: string(jwk), createdVia: g.path(), createdAt: s.now().UTC()}
	if g == genV3 {
		if e := s.checkAdditionalConfig(in.AdditionalConfig); e != nil {
			return nil, e
		}
		if !isNull(in.AdditionalConfig) {
			rec.additionalConfig = in.AdditionalConfig
		}
		if e := s.checkLanguages(in.ClientNameLangMap); e != nil {
			return nil, e
		}
	}
	if e := s.forwardCreate(ctx, g, rec, *in.Name, in.ClientNameLangMap); e != nil {
		return nil, e
	}
	if g.hasLangMap() {
		if in.ClientNameLangMap == nil {
			// getClientNameLanguageMapAsJsonString(null, …) throws after eSignet has the
			// client: PMS never stores it.
			return nil, errCode("PMS_POLICY_ERROR_013", "Error while creating OIDC client.")
		}
		rec.name = nameMapJSON(in.ClientNameLangMap, *in.Name)
	}
	s.mu.Lock()
	s.clients[id] = rec
	s.mu.Unlock()
	return map[string]string{"clientId": id, "status": "ACTIVE"}, nil
}

// checkCreate is processCreateOIDCClient's checks before the derivations: the id is free, the
// caller owns the partner (unless PARTNER_ADMIN), the partner is an active Auth_Partner, the
// policy an Auth policy, and their mapping approved.
func (s *Server) checkCreate(id string, in *createDTO, c *caller) (Policy, *pmsError) {
	s.mu.Lock()
	_, exists := s.clients[id]
	partner, hasPartner := s.partners[*in.AuthPartnerID]
	policy, hasPolicy := s.policies[*in.PolicyID]
	mapping, hasMapping := s.mappings[[2]string{*in.AuthPartnerID, *in.PolicyID}]
	var owned *pmsError
	if !c.admin() {
		owned = s.ownedLocked(c, *in.AuthPartnerID, errCode("PMS_POLICY_ERROR_009",
			"The given partner ID does not belong to the user.So unable to create OIDC client"))
	}
	s.mu.Unlock()
	switch {
	case exists:
		return policy, errCode("PMS_ESI_001", "Client public key already exists.")
	case owned != nil:
		return policy, owned
	case !hasPartner:
		return policy, errCode("PMS_PRT_058", fmt.Sprintf("AuthPartner doesn't exists with this Id - %s.", *in.AuthPartnerID))
	case !strings.EqualFold(partnerType(partner), "Auth_Partner"):
		return policy, errCode("PMS_PRT_059", fmt.Sprintf("Only Auth_partner can Create OIDC Client. %s is not allowed to create OIDC Client.", partnerType(partner)))
	case partner.Inactive:
		return policy, errCode("PMS_PMP_016", "Partner is not active.")
	case !hasPolicy:
		return policy, errCode("PMS_PRT_073", "Policy not exists.")
	case policyType(policy) != "Auth":
		return policy, errCode("PMS_PRT_057", "Policy Type Mismatch. Only Auth policy can be used to create OIDC Client.")
	case !hasMapping:
		return policy, errCode("PMS_PRT_061", "Partner policy mapping not exists.")
	case mapping.NotApproved:
		return policy, errCode("PMS_ESI_002", "Partner policy mapping is not approved. Please check mapping status.")
	}
	return policy, nil
}

// derive is the claims (PMS_ESI_005 when none) and then the ACRs (PMS_ESI_003 for a mandatory
// auth type, PMS_ESI_006 when none) of the policy.
func (s *Server) derive(r *http.Request, policy Policy) (claims, acrs []string, e *pmsError) {
	claims, err := s.deriveClaims(r.Context(), policy)
	if err != nil {
		return nil, nil, errCode("PMS_KKS_001", msgNotAccessible)
	}
	if len(claims) == 0 {
		return nil, nil, errCode("PMS_ESI_005", "Partner has no user claims")
	}
	acrs, err = s.deriveACRs(policy)
	switch {
	case err != nil:
		return nil, nil, errCode("PMS_ESI_003", "Policy having mandatory auths. So client can't be created for the same.")
	case len(acrs) == 0:
		return nil, nil, errCode("PMS_ESI_006", "Partner has no Authentication Context Refrences") //nolint:misspell // PMS's own text
	}
	return claims, acrs, nil
}

func partnerType(p Partner) string {
	if p.Type == "" {
		return "Auth_Partner"
	}
	return p.Type
}

func policyType(p Policy) string {
	if p.Type == "" {
		return "Auth"
	}
	return p.Type
}

// ownedLocked is validateUserId + validatePartnerIdBelongsToUser: the caller's partners are
// those whose UserID is the caller's (or empty). Caller holds s.mu.
func (s *Server) ownedLocked(c *caller, partnerID string, notOwned *pmsError) *pmsError {
	var mine []string
	for _, p := range s.partners {
		if p.UserID == "" || p.UserID == c.userID {
			mine = append(mine, p.ID)
		}
	}
	switch {
	case len(mine) == 0:
		return errCode("PMS_CERTIFICATE_ERROR_002", "User Id does not exists.")
	case !slices.Contains(mine, partnerID):
		return notOwned
	}
	return nil
}

// checkAdditionalConfig is validateAdditionalConfigFields.
func (s *Server) checkAdditionalConfig(raw json.RawMessage) *pmsError {
	if isNull(raw) {
		return nil
	}
	var cfg struct {
		UserinfoResponseType *string        `json:"userinfo_response_type"`
		ConsentExpireInMins  *json.Number   `json:"consent_expire_in_mins"`
		Purpose              map[string]any `json:"purpose"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return errCode("PMS_POLICY_ERROR_013", "Error while creating OIDC client.")
	}
	if t := cfg.UserinfoResponseType; t != nil && *t != "JWS" && *t != "JWE" {
		return errCode("PMS_POLICY_ERROR_014", "Invalid userinfo response type. Allowed values are JWS and JWE.")
	}
	if n := cfg.ConsentExpireInMins; n != nil {
		if f, err := n.Float64(); err != nil || f < 10 {
			return errCode("PMS_POLICY_ERROR_015", "Invalid consent expire time. It should be more than or equal to 10 minutes.")
		}
	}
	if len(cfg.Purpose) == 0 {
		return nil
	}
	typ, _ := cfg.Purpose["type"].(string)
	for _, k := range []string{"title", "subTitle"} {
		v, ok := cfg.Purpose[k]
		if !ok || v == nil {
			continue
		}
		m, isMap := v.(map[string]any)
		if !isMap || (typ == "" && len(m) > 0) {
			return errCode("PMS_POLICY_ERROR_018", "purpose.title and purpose.subtitle are allowed only when purpose.type is provided")
		}
		if _, ok := m["@none"]; len(m) > 0 && !ok {
			return errCode("PMS_POLICY_ERROR_020", fmt.Sprintf("purpose.%s must contain mandatory '@none' key", k))
		}
	}
	if typ != "" && !slices.Contains([]string{"verify", "link", "login"}, strings.ToLower(typ)) {
		return errCode("PMS_POLICY_ERROR_017", fmt.Sprintf("Invalid purpose.type: %s. Allowed: login, link, verify", typ))
	}
	return nil
}

// checkLanguages is validateLanguageKeys(clientNameLangMap, "clientNameLangMap", false).
func (s *Server) checkLanguages(m map[string]string) *pmsError {
	for _, k := range sortedKeys(toSet(m)) {
		if !slices.Contains(s.opts.SupportedLanguages, k) {
			return errCode("PMS_POLICY_ERROR_019", fmt.Sprintf("clientNameLangMap contains invalid language key '%s'.", k))
		}
	}
	return nil
}

func toSet(m map[string]string) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// nameMapJSON is getClientNameLanguageMapAsJsonString: the map plus "@none": name.
func nameMapJSON(m map[string]string, name string) string {
	all := make(map[string]string, len(m)+1)
	for k, v := range m {
		all[k] = v
	}
	all["@none"] = name
	b, _ := json.Marshal(all) // a map of strings cannot fail
	return string(b)
}

// splitName is extractClientNameAndLangMap: a stored name map's "@none" and other entries, or
// the plain name.
func splitName(stored string) (string, map[string]string) {
	var m map[string]string
	if json.Unmarshal([]byte(stored), &m) == nil && m != nil {
		if name, ok := m["@none"]; ok {
			delete(m, "@none")
			return name, m
		}
	}
	return stored, map[string]string{}
}
