package fakepms

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// PMS's messages for failed eSignet calls (ApiAccessibleExceptionConstant).
const (
	msgNotAccessible = "Error while accessing the API.Please check the logs."
	msgUnable        = "Unable to process the request."
)

// esignetDTO is what PMS sends eSignet: CreateClientRequestDto(V2, V3) or
// UpdateClientRequestDto(V2, V3), built from the stored row.
func esignetDTO(g gen, rec *record, name string, langMap map[string]string, create bool) map[string]any {
	m := map[string]any{
		"clientName": name, "logoUri": rec.logoURI, "redirectUris": rec.redirectURIs,
		"userClaims": rec.claims, "authContextRefs": rec.acrs, "grantTypes": rec.grantTypes,
		"clientAuthMethods": rec.authMethods,
	}
	if create {
		m["clientId"], m["relyingPartyId"] = rec.id, rec.rpID
		m["publicKey"] = json.RawMessage(rec.publicKey)
	} else {
		m["status"] = rec.status
	}
	if g.hasLangMap() {
		m["clientNameLangMap"] = langMap // null when PMS has none (optional on eSignet's /client)
	}
	if g == genV3 && len(rec.additionalConfig) > 0 {
		m["additionalConfig"] = rec.additionalConfig
	}
	return m
}

// esignetAnswer is eSignet's ResponseWrapper.
type esignetAnswer struct {
	Response *struct {
		ClientID string `json:"clientId"`
		Status   string `json:"status"`
	} `json:"response"`
	Errors []struct {
		ErrorCode    string `json:"errorCode"`
		ErrorMessage string `json:"errorMessage"`
	} `json:"errors"`
}

// forwardCreate is callEsignetService + makeCreateEsignetServiceCall: a failed exchange is
// PMS_KKS_001, eSignet's first error is re-thrown as is, an empty answer is PMS_PRT_107.
func (s *Server) forwardCreate(ctx context.Context, g gen, rec *record, name string, langMap map[string]string) *pmsError {
	status, body, err := s.callESignet(ctx, http.MethodPost, g.esignetPath(), esignetDTO(g, rec, name, langMap, true))
	if err != nil || status < 200 || status > 299 {
		return errCode("PMS_KKS_001", msgNotAccessible)
	}
	var a esignetAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return errCode("PMS_PRT_500", msgUnable+err.Error())
	}
	if a.Response == nil && len(a.Errors) > 0 {
		return errCode(a.Errors[0].ErrorCode, a.Errors[0].ErrorMessage)
	}
	if a.Response == nil {
		return errCode("PMS_PRT_107", "Responese from the api is null")
	}
	return nil
}

// forwardUpdate is makeUpdateEsignetServiceCall: only a failed exchange (or a non-2xx status,
// which RestTemplate throws for) is an error, PMS_PRT_500; eSignet's errors array is ignored, so
// PMS and eSignet can disagree after an update eSignet refused.
func (s *Server) forwardUpdate(ctx context.Context, g gen, rec *record, name string, langMap map[string]string) *pmsError {
	status, _, err := s.callESignet(ctx, http.MethodPut, g.esignetPath()+"/"+url.PathEscape(rec.id),
		esignetDTO(g, rec, name, langMap, false))
	if err != nil || status < 200 || status > 299 {
		return errCode("PMS_PRT_500", msgUnable+msgNotAccessible)
	}
	return nil
}

// callESignet sends {requestTime, request} with PMS's token as cookie and bearer (RestUtil).
func (s *Server) callESignet(ctx context.Context, method, path string, dto any) (int, []byte, error) {
	tok, err := s.esignetToken(ctx)
	if err != nil {
		return 0, nil, err
	}
	body, err := json.Marshal(map[string]any{"requestTime": s.stamp(), "request": dto})
	if err != nil {
		return 0, nil, err
	}
	u := strings.TrimRight(s.opts.ESignetURL, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "Authorization="+tok)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}
