package fakepms

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, g gen, id string, c *caller) {
	var in updateDTO
	env, ok := s.readRequest(w, r, g, updateMembers[g], &in)
	if !ok {
		return
	}
	if v := validateUpdate(g, &in); v != nil {
		s.writeViolation(w, *v)
		return
	}
	if !s.preamble(w, g, env, idUpdate, id, true) {
		return
	}
	if g == genV3 && !validInput(*in.ClientName) {
		s.writeLegacy(w, nil, errCode("PMS_REQUEST_ERROR_007", "Invalid input: 'clientName'. Only letters, numbers, spaces, and the following special characters are allowed: . , @ # & ( ) \\ - ' ? _ ! \" : ; ="))
		return
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	var (
		resp any
		e    *pmsError
	)
	if g == genV3 {
		resp, e = s.updateV3(r, id, &in, c)
	} else {
		resp, e = s.updateLegacy(r, g, id, &in, c)
	}
	s.write(w, g, idUpdate, resp, e, true)
}

func validateUpdate(g gen, in *updateDTO) *violation {
	v := &validator{}
	v.url("request.logoUri", in.LogoURI)
	v.list("request.redirectUris", in.RedirectURIs, 1, 5, true)
	switch {
	case in.Status == nil || strings.TrimSpace(*in.Status) == "":
		v.add("request.status", "must not be blank")
	case !strings.EqualFold(*in.Status, "ACTIVE") && !strings.EqualFold(*in.Status, "INACTIVE"):
		v.add("request.status", `must match "(ACTIVE)|(INACTIVE)"`)
	}
	v.list("request.grantTypes", in.GrantTypes, 1, 3, false)
	v.blank("request.clientName", in.ClientName, 0)
	v.list("request.clientAuthMethods", in.ClientAuthMethods, 1, 3, false)
	if g == genOAuth {
		v.langMap("request.clientNameLangMap", in.ClientNameLangMap, true)
	}
	if len(v.out) > 0 {
		return &v.out[0]
	}
	return nil
}

// loadForUpdate is validateClientDetailsAndPartner: the client (PMS_ESI_004), not INACTIVE
// (PMS_ESI_008), its partner (PMS_PRT_058) and, unless admin, the caller owning it. It returns a
// copy of the row and the partner.
func (s *Server) loadForUpdate(id string, c *caller, admin bool) (*record, Partner, *pmsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.clients[id]
	if !ok {
		return nil, Partner{}, errCode("PMS_ESI_004", "Client not exists with given id.")
	}
	if strings.EqualFold(rec.status, "INACTIVE") {
		return nil, Partner{}, errCode("PMS_ESI_008", "Client already deactivated.")
	}
	partner, ok := s.partners[rec.rpID]
	if !ok {
		return nil, Partner{}, errCode("PMS_PRT_058", fmt.Sprintf("AuthPartner doesn't exists with this Id - %s.", rec.rpID))
	}
	if !admin {
		if e := s.ownedLocked(c, rec.rpID, errCode("PMS_POLICY_ERROR_010", "The given partner ID does not belong to the user.")); e != nil {
			return nil, Partner{}, e
		}
	}
	return rec.clone(), partner, nil
}

func (s *Server) save(rec *record) {
	rec.updatedAt = s.now().UTC()
	s.mu.Lock()
	s.clients[rec.id] = rec
	s.mu.Unlock()
}

// updateLegacy is processUpdateOIDCClient + makeUpdateEsignetServiceCall: a status change
// changes only the status (and keeps the stored name, which eSignet then receives as the
// client name even when it is a name map's JSON text); otherwise the fields are replaced.
func (s *Server) updateLegacy(r *http.Request, g gen, id string, in *updateDTO, c *caller) (any, *pmsError) {
	admin := c.admin()
	rec, partner, e := s.loadForUpdate(id, c, admin)
	if e != nil {
		return nil, e
	}
	statusChange := !strings.EqualFold(rec.status, *in.Status)
	if (!admin || !statusChange) && partner.Inactive {
		return nil, errCode("PMS_PMP_016", "Partner is not active.")
	}
	if statusChange {
		rec.status = strings.ToUpper(*in.Status)
	} else {
		rec.name, rec.logoURI = *in.ClientName, *in.LogoURI
		rec.redirectURIs, rec.grantTypes, rec.authMethods = in.RedirectURIs, in.GrantTypes, in.ClientAuthMethods
	}
	if e := s.forwardUpdate(r.Context(), g, rec, rec.name, in.ClientNameLangMap); e != nil {
		return nil, e
	}
	if g == genOAuth {
		rec.name = nameMapJSON(in.ClientNameLangMap, *in.ClientName)
	}
	s.save(rec)
	return map[string]string{"clientId": rec.id, "status": rec.status}, nil
}

// updateV3 is updateOIDCClientV2: ownership is checked even for PARTNER_ADMIN, the status in
// the body is ignored, a null additionalConfig keeps the stored one.
func (s *Server) updateV3(r *http.Request, id string, in *updateDTO, c *caller) (any, *pmsError) {
	rec, partner, e := s.loadForUpdate(id, c, false)
	if e != nil {
		return nil, e
	}
	if partner.Inactive {
		return nil, errCode("PMS_PMP_016", "Partner is not active.")
	}
	rec.name, rec.logoURI = *in.ClientName, *in.LogoURI
	rec.redirectURIs, rec.grantTypes, rec.authMethods = in.RedirectURIs, in.GrantTypes, in.ClientAuthMethods
	if !isNull(in.AdditionalConfig) {
		if e := s.checkAdditionalConfig(in.AdditionalConfig); e != nil {
			return nil, e
		}
		rec.additionalConfig = in.AdditionalConfig
	}
	if e := s.checkLanguages(in.ClientNameLangMap); e != nil {
		return nil, e
	}
	if e := s.forwardUpdate(r.Context(), genV3, rec, *in.ClientName, in.ClientNameLangMap); e != nil {
		return nil, e
	}
	if in.ClientNameLangMap == nil {
		return nil, errCode("PMS_POLICY_ERROR_016", "Error while updating OIDC client.")
	}
	rec.name = nameMapJSON(in.ClientNameLangMap, *in.ClientName)
	s.save(rec)
	return map[string]string{"clientId": rec.id, "status": rec.status}, nil
}

// handleDeactivate is PATCH /oidc-clients/{id} (deactivateOIDCClient).
func (s *Server) handleDeactivate(w http.ResponseWriter, r *http.Request, g gen, id string, c *caller) {
	var in struct {
		Status *string `json:"status"`
	}
	env, ok := s.readRequest(w, r, g, []string{"status"}, &in)
	if !ok || !s.preamble(w, g, env, idDeactivate, id, true) {
		return
	}
	status := ""
	if in.Status != nil {
		status = *in.Status
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	resp, e := s.deactivate(r, id, status, c)
	s.writeV2(w, idDeactivate, resp, e)
}

func (s *Server) deactivate(r *http.Request, id, status string, c *caller) (any, *pmsError) {
	if !strings.EqualFold(status, "INACTIVE") {
		return nil, errCode("PMS_POLICY_ERROR_024", "Request status should be INACTIVE")
	}
	admin := c.admin()
	rec, partner, e := s.loadForUpdate(id, c, admin)
	if e != nil {
		return nil, e
	}
	if !admin && partner.Inactive {
		return nil, errCode("PMS_PMP_016", "Partner is not active.")
	}
	name, langs := splitName(rec.name)
	rec.status = "INACTIVE"
	if e := s.forwardUpdate(r.Context(), genV3, rec, name, langs); e != nil {
		return nil, e
	}
	rec.name = nameMapJSON(langs, name)
	s.save(rec)
	return map[string]string{"clientId": rec.id, "status": rec.status}, nil
}

// handleGet is GET …/{id}: ClientDetail (legacy) or ClientDetailV2 (/oidc-clients).
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, g gen, id string, c *caller) {
	if !s.preamble(w, g, nil, "", id, g == genV3) {
		return
	}
	resp, e := s.get(g, id, c)
	s.write(w, g, idGet, resp, e, true)
}

func (s *Server) get(g gen, id string, c *caller) (any, *pmsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.clients[id]
	if !ok {
		return nil, errCode("PMS_ESI_004", "Client not exists with given id.")
	}
	if !c.admin() {
		if e := s.ownedLocked(c, rec.rpID, errCode("PMS_POLICY_ERROR_011",
			"The given partner ID does not belong to the user.So unable to get OIDC client details")); e != nil {
			return nil, e
		}
	}
	policy := s.policies[rec.policyID]
	out := map[string]any{
		"id": rec.id, "name": rec.name, "policyId": rec.policyID, "policyName": policy.Name,
		"relyingPartyId": rec.rpID, "logoUri": rec.logoURI, "redirectUris": rec.redirectURIs,
		"publicKey": rec.publicKey, "claims": rec.claims, "acrValues": rec.acrs, "status": rec.status,
		"grantTypes": rec.grantTypes, "clientAuthMethods": rec.authMethods, "clientNameLangMap": nil,
	}
	if g != genV3 {
		return out, nil
	}
	name, langs := splitName(rec.name)
	out["name"], out["clientNameLangMap"] = name, langs
	out["policyDescription"], out["policyGroupName"], out["policyGroupDescription"] = policy.Description, "openg2p", "OpenG2P policies"
	out["createdDateTime"] = rec.createdAt.Format("2006-01-02T15:04:05.000")
	out["additionalConfig"] = typedConfig(rec.additionalConfig)
	return out, nil
}

// typedConfig is the stored additionalConfig read through PMS's AdditionalConfigDto: five keys,
// nulls dropped, consent_expire_in_mins a string.
func typedConfig(raw json.RawMessage) any {
	if isNull(raw) {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := map[string]any{}
	for _, k := range []string{"userinfo_response_type", "purpose", "signup_banner_required", "forgot_pwd_link_required", "consent_expire_in_mins"} {
		if v, ok := m[k]; ok && v != nil {
			if k == "consent_expire_in_mins" {
				v = fmt.Sprint(v)
			}
			out[k] = v
		}
	}
	return out
}
