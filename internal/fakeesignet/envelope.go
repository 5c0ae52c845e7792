package fakeesignet

import (
	"encoding/json"
	"net/http"
	"regexp"
	"time"
)

// utcLayout is Constants.UTC_DATETIME_PATTERN, yyyy-MM-dd'T'HH:mm:ss.SSS'Z'.
const utcLayout = "2006-01-02T15:04:05.000Z"

var requestTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// requestTimeLeeway is mosip.esignet.reqtime.leeway-minutes (default 2).
const requestTimeLeeway = 2 * time.Minute

// requestTimeValid is RequestTimeValidator: exact pattern, strictly inside
// (now − 2 min, now + 2 min).
func requestTimeValid(s *string, now time.Time) bool {
	if s == nil || javaIsBlank(*s) || !requestTimeRE.MatchString(*s) {
		return false
	}
	t, err := time.Parse(utcLayout, *s)
	if err != nil {
		return false
	}
	now = now.UTC()
	return t.After(now.Add(-requestTimeLeeway)) && t.Before(now.Add(requestTimeLeeway))
}

// apiError is io.mosip.esignet.core.dto.Error.
type apiError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// clientResponse is ClientDetailResponse / ClientDetailResponseV2.
type clientResponse struct {
	ClientID string `json:"clientId"`
	Status   string `json:"status"`
}

// responseEnvelope is ResponseWrapper<T>: response null on error, errors
// always a list.
type responseEnvelope struct {
	ResponseTime string          `json:"responseTime"`
	Response     *clientResponse `json:"response"`
	Errors       []apiError      `json:"errors"`
}

func (s *Server) writeEnvelope(w http.ResponseWriter, resp *clientResponse, errs []apiError) {
	if errs == nil {
		errs = []apiError{}
	}
	writeJSON(w, http.StatusOK, responseEnvelope{
		ResponseTime: s.now().UTC().Format(utcLayout), Response: resp, Errors: errs,
	})
}

// writeUnknown: any other exception, reported as unknown_error + its text.
func (s *Server) writeUnknown(w http.ResponseWriter, msg string) {
	s.writeEnvelope(w, nil, []apiError{{ErrorCode: "unknown_error", ErrorMessage: msg}})
}

// writeViolations: MethodArgumentNotValidException, one error per violation.
func (s *Server) writeViolations(w http.ResponseWriter, vs []violation) {
	errs := make([]apiError, 0, len(vs))
	for _, v := range vs {
		errs = append(errs, apiError{ErrorCode: v.code, ErrorMessage: v.path + ": " + v.code})
	}
	s.writeEnvelope(w, nil, errs)
}

// problemDetail is Spring's RFC 9457 body for 404/405/415.
type problemDetail struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
}

func writeProblem(w http.ResponseWriter, status int, detail, instance string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problemDetail{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Instance: instance,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
