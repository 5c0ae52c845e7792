package fakeesignet

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// createClient is createOIDCClient / createOAuthClient / createClient:
// existsById → duplicate_client_id, getJWKString → invalid_public_key, then
// the INSERT, whose constraint failures surface per endpoint (API.md §2.10).
func (s *Server) createClient(ep endpoint, k dtoKind, in *clientInput) (*clientResponse, *serviceError) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.clients[*in.ClientID]; exists {
		return nil, svcErr("duplicate_client_id")
	}
	key, f := parseJWK(in.PublicKey, s.gen)
	if f != nil {
		return nil, jwkServiceError(f)
	}
	e := &clientEntry{
		id: *in.ClientID, rpID: *in.RelyingPartyID, logoURI: *in.LogoURI, status: "ACTIVE",
		redirectURIs: dropNulls(in.RedirectURIs), claims: dropNulls(in.UserClaims),
		acrs: dropNulls(in.AuthContextRefs), grantTypes: dropNulls(in.GrantTypes),
		authMethods: dropNulls(in.AuthMethods), key: key, createdVia: ep.path(), createdAt: now,
	}
	e.name = *in.ClientName
	if ep != epOIDCClient {
		e.name = nameMapJSON(in.ClientNameLangMap, *in.ClientName)
	}
	if k == kindCreateV3 {
		e.additionalConfig = compactConfig(in.AdditionalConfig)
	}
	if msg := s.insertViolation(e); msg != "" {
		if s.gen.dbErrorIsDuplicateKey(ep) {
			return nil, svcErr("duplicate_public_key")
		}
		return nil, &serviceError{code: "unknown_error", msg: msg}
	}
	s.clients[e.id] = e
	return &clientResponse{ClientID: e.id, Status: e.status}, nil
}

// insertViolation is what PostgreSQL would refuse on INSERT: an over-long
// column, then the UNIQUE constraint on the public key.
func (s *Server) insertViolation(e *clientEntry) string {
	if msg := columnOverflow(e); msg != "" {
		return msg
	}
	uk := uniqueKey(e.key, s.gen)
	if uk == "" {
		return ""
	}
	for _, other := range s.clients {
		if uniqueKey(other.key, s.gen) == uk {
			return "could not execute statement [ERROR: duplicate key value violates unique constraint \"uk_clientdetail_public_key\"]"
		}
	}
	return ""
}

// updateClient is the PUT of each generation: a full replacement of the
// updatable fields; V3 also replaces additionalConfig (absent = cleared).
func (s *Server) updateClient(ep endpoint, k dtoKind, id string, in *clientInput) (*clientResponse, *serviceError) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.clients[id]
	if !ok {
		return nil, svcErr("invalid_client_id")
	}
	e := old.clone()
	e.name = *in.ClientName
	if ep != epOIDCClient {
		e.name = nameMapJSON(in.ClientNameLangMap, *in.ClientName)
	}
	e.logoURI, e.status = *in.LogoURI, *in.Status
	e.redirectURIs, e.claims, e.acrs = dropNulls(in.RedirectURIs), dropNulls(in.UserClaims), dropNulls(in.AuthContextRefs)
	e.grantTypes, e.authMethods = dropNulls(in.GrantTypes), dropNulls(in.AuthMethods)
	if k == kindUpdateV3 {
		e.additionalConfig = compactConfig(in.AdditionalConfig)
	}
	e.updatedAt = now
	return s.save(e)
}

// patchClient (v1.8) changes only the fields present; encPublicKey must pass
// the same JWK checks as publicKey but has no uniqueness constraint.
func (s *Server) patchClient(id string, in *clientInput) (*clientResponse, *serviceError) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.clients[id]
	if !ok {
		return nil, svcErr("invalid_client_id")
	}
	e := old.clone()
	setIf(&e.logoURI, in.LogoURI)
	setIf(&e.status, in.Status)
	setListIf(&e.redirectURIs, in.RedirectURIs)
	setListIf(&e.claims, in.UserClaims)
	setListIf(&e.acrs, in.AuthContextRefs)
	setListIf(&e.grantTypes, in.GrantTypes)
	setListIf(&e.authMethods, in.AuthMethods)
	if in.ClientName != nil || in.ClientNameLangMap != nil {
		existing, _ := old.nameMap()
		name := existing["@none"]
		if in.ClientName != nil {
			name = *in.ClientName
		}
		langs := in.ClientNameLangMap
		if langs == nil {
			langs = toPtrMap(existing)
		}
		e.name = nameMapJSON(langs, name)
	}
	if in.AdditionalConfig != nil { // JSON null arrives as a NullNode and clears
		e.additionalConfig = compactConfig(in.AdditionalConfig)
	}
	if in.EncPublicKey != nil {
		k, f := parseJWK(in.EncPublicKey, s.gen)
		if f != nil {
			return nil, jwkServiceError(f)
		}
		e.encKey = k
	}
	e.updatedAt = now
	return s.save(e)
}

// save is an UPDATE: constraint failures are not caught → unknown_error.
func (s *Server) save(e *clientEntry) (*clientResponse, *serviceError) {
	if msg := columnOverflow(e); msg != "" {
		return nil, &serviceError{code: "unknown_error", msg: msg}
	}
	s.clients[e.id] = e
	return &clientResponse{ClientID: e.id, Status: e.status}, nil
}

func jwkServiceError(f *jwkFault) *serviceError {
	if f == faultUnknown {
		return &serviceError{code: "unknown_error", msg: "class java.lang.Object cannot be cast to class java.lang.String"}
	}
	return svcErr(f.code)
}

// columnOverflow checks the varchar limits of esignet-client_detail.sql.
func columnOverflow(e *clientEntry) string {
	cols := []struct {
		n, max int
	}{
		{runeLen(e.name), 600}, {runeLen(e.rpID), 100}, {runeLen(e.logoURI), 2048},
		{jsonSimpleLen(e.redirectURIs), 2048}, {jsonSimpleLen(e.claims), 2048},
		{jsonSimpleLen(e.acrs), 1024}, {runeLen(e.key.stored), 1024},
		{jsonSimpleLen(e.grantTypes), 512}, {jsonSimpleLen(e.authMethods), 512},
		{runeLen(string(e.additionalConfig)), 2048},
	}
	if e.encKey != nil {
		cols = append(cols, struct{ n, max int }{runeLen(e.encKey.stored), 1024})
	}
	for _, c := range cols {
		if c.n > c.max {
			return fmt.Sprintf("could not execute statement [ERROR: value too long for type character varying(%d)]", c.max)
		}
	}
	return ""
}

func runeLen(s string) int { return len([]rune(s)) }

func dropNulls(l []*string) []string {
	out := make([]string, 0, len(l))
	for _, p := range l {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

func setIf(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func setListIf(dst *[]string, v []*string) {
	if v != nil {
		*dst = dropNulls(v)
	}
}

func toPtrMap(m map[string]string) map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = &v
	}
	return out
}

// nameMapJSON is getClientNameLanguageMapAsJsonString: the map plus
// "@none": clientName (overwriting any "@none" sent).
func nameMapJSON(langs map[string]*string, clientName string) string {
	m := make(map[string]string, len(langs)+1)
	for k, v := range langs {
		if v != nil {
			m[k] = *v
		}
	}
	m["@none"] = clientName
	return mustJSON(m)
}

func compactConfig(raw json.RawMessage) json.RawMessage {
	if isJSONNull(raw) {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil
	}
	return buf.Bytes()
}
