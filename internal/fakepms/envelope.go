package fakepms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// utcLayout is yyyy-MM-dd'T'HH:mm:ss.SSS'Z' (RequestWrapper's @JsonFormat).
const utcLayout = "2006-01-02T15:04:05.000Z"

var requestTimeFormat = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// clientIDRegex is mosip.pms.client.id.regex.
var clientIDRegex = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,100}$`)

// Request ids /oidc-clients checks (mosip.pms.api.id.*).
const (
	idCreate     = "mosip.pms.create.oidc.client.post"
	idUpdate     = "mosip.pms.update.oidc.client.put"
	idDeactivate = "mosip.pms.deactivate.oidc.client.patch"
	idGet        = "mosip.pms.oidc.client.details.get"
)

// errUnreadable is a body Jackson cannot read: HttpMessageNotReadableException, which PMS's
// ResponseEntityExceptionHandler answers with HTTP 400 and no body.
var errUnreadable = errors.New("unreadable")

// envelope is RequestWrapper / RequestWrapperV2 as received.
type envelope struct {
	id, version, requestTime *string
	request                  json.RawMessage // nil when absent or null
}

// decodeEnvelope reads the wrapper. Members other than the generation's are ignored (Spring
// Boot's ObjectMapper), so legacy endpoints do not see a camel-case requestTime and
// /oidc-clients does not see requesttime. A requesttime that is not a string in PMS's pattern is
// unreadable, as Jackson's LocalDateTime deserialiser makes it.
func decodeEnvelope(body []byte, g gen) (*envelope, error) {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&top); err != nil || top == nil || dec.More() {
		return nil, errUnreadable
	}
	timeKey := "requesttime"
	if g == genV3 {
		timeKey = "requestTime"
	}
	env := &envelope{}
	for key, dst := range map[string]**string{"id": &env.id, "version": &env.version, timeKey: &env.requestTime} {
		raw, ok := top[key]
		if !ok || isNull(raw) {
			continue
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return nil, errUnreadable
		}
		*dst = &v
	}
	if env.requestTime != nil {
		if !requestTimeFormat.MatchString(*env.requestTime) {
			return nil, errUnreadable
		}
		if _, err := time.Parse(utcLayout, *env.requestTime); err != nil {
			return nil, errUnreadable
		}
	}
	if raw, ok := top["request"]; ok && !isNull(raw) {
		env.request = raw
	}
	return env, nil
}

// checkEnvelope is RequestValidator.validate (id, requestTime, version; request is a bean
// constraint checked before) on /oidc-clients. The fake applies the requestTime part (present,
// today's UTC date) to the legacy endpoints too, where PMS 1.3 checks it on PUT /oauth/client
// only: a stricter fake pins the client to always send it.
func (s *Server) checkEnvelope(g gen, env *envelope, wantID string) *pmsError {
	if g == genV3 && (env.id == nil || *env.id != wantID) {
		return errCode("PMS_REQUEST_ERROR_002", "Invalid Request Id")
	}
	if env.requestTime == nil {
		return errCode("PMS_REQUEST_ERROR_004", "Invalid request time")
	}
	t, _ := time.Parse(utcLayout, *env.requestTime)
	if y, m, d := t.Date(); !sameDate(y, m, d, s.now().UTC()) {
		return errCode("PMS_REQUEST_ERROR_006", "Request date should be current date")
	}
	if g == genV3 && (env.version == nil || !strings.EqualFold(*env.version, "1.0")) {
		return errCode("PMS_REQUEST_ERROR_003", "Request version is invalid")
	}
	return nil
}

func sameDate(y int, m time.Month, d int, now time.Time) bool {
	ny, nm, nd := now.Date()
	return y == ny && m == nm && d == nd
}

// decodeStrict decodes the request DTO, refusing members the generation's DTO does not have
// and wrong JSON types. PMS's mapper would ignore unknown members; the fake refuses them (400)
// so that a client cannot send a misspelt field unnoticed.
func decodeStrict(raw json.RawMessage, allowed []string, into any) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return errUnreadable
	}
	for k := range members {
		if !contains(allowed, k) {
			return errUnreadable
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return errUnreadable
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// pmsError is a service error: code and message as PMS's exception carries them.
type pmsError struct{ code, msg string }

func errCode(code, msg string) *pmsError { return &pmsError{code: code, msg: msg} }

// errorItem is PMS's ErrorResponse.
type errorItem struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

func (s *Server) stamp() string { return s.now().UTC().Format(utcLayout) }

// writeLegacy answers a legacy endpoint: the controller's ResponseWrapper (id and version null)
// on success, the exception handler's (id mosip.partnermanagement, version 1.0) on error.
func (s *Server) writeLegacy(w http.ResponseWriter, resp any, e *pmsError) {
	out := map[string]any{"id": nil, "version": nil, "responsetime": s.stamp(), "metadata": nil,
		"response": resp, "errors": []errorItem{}}
	if e != nil {
		out["id"], out["version"], out["response"] = "mosip.partnermanagement", "1.0", nil
		out["errors"] = []errorItem{{ErrorCode: e.code, Message: e.msg}}
	}
	writeJSON(w, http.StatusOK, out)
}

// writeV2 answers /oidc-clients: ResponseWrapperV2 with the operation's id.
func (s *Server) writeV2(w http.ResponseWriter, id string, resp any, e *pmsError) {
	out := map[string]any{"id": id, "version": "1.0", "responseTime": s.stamp(), "metadata": nil,
		"response": resp, "errors": []errorItem{}}
	if e != nil {
		out["response"] = nil
		out["errors"] = []errorItem{{ErrorCode: e.code, Message: e.msg}}
	}
	writeJSON(w, http.StatusOK, out)
}

// write answers in the generation's shape. Errors PMS raises in the controller (feature flag,
// id format) go through the exception handler, whose shape is the legacy one, also on
// /oidc-clients.
func (s *Server) write(w http.ResponseWriter, g gen, id string, resp any, e *pmsError, fromService bool) {
	if g == genV3 && (e == nil || fromService) {
		s.writeV2(w, id, resp, e)
		return
	}
	s.writeLegacy(w, resp, e)
}

// writeViolation is handleMethodArgumentNotValid: HTTP 200, PMS_COR_001, the first violation.
func (s *Server) writeViolation(w http.ResponseWriter, v violation) {
	writeJSON(w, http.StatusOK, map[string]any{"id": nil, "version": nil, "metadata": nil, "response": nil,
		"responsetime": s.now().UTC().Format("2006-01-02T15:04:05.000"),
		"errors": []errorItem{{ErrorCode: "PMS_COR_001",
			Message: "Invalid request parameter - " + v.msg + " :" + v.field}}})
}

// writeKernelError is the kernel auth adapter's 401/403.
func (s *Server) writeKernelError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"id": nil, "version": nil, "responsetime": s.stamp(), "metadata": nil,
		"response": nil, "errors": []errorItem{{ErrorCode: code, Message: msg}}})
}

// writeBootError is Spring Boot's default error body (404, 405, 415).
func writeBootError(w http.ResponseWriter, status int, path string) {
	writeJSON(w, status, map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339),
		"status": status, "error": http.StatusText(status), "path": path})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func mediaTypeIs(header, want string) bool {
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && strings.EqualFold(mt, want)
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// violation is one failed bean constraint.
type violation struct{ field, msg string }

type validator struct{ out []violation }

func (v *validator) add(field, msg string) { v.out = append(v.out, violation{field, msg}) }

func (v *validator) blank(field string, s *string, max int) {
	switch {
	case s == nil || strings.TrimSpace(*s) == "":
		v.add(field, "must not be blank")
	case max > 0 && len([]rune(*s)) > max:
		v.add(field, fmt.Sprintf("size must be between 1 and %d", max))
	}
}

func (v *validator) list(field string, l []string, minN, maxN int, blankElems bool) {
	switch {
	case l == nil:
		v.add(field, "must not be null")
	case len(l) < minN || len(l) > maxN:
		v.add(field, fmt.Sprintf("size must be between %d and %d", minN, maxN))
	case blankElems:
		for i, e := range l {
			if strings.TrimSpace(e) == "" {
				v.add(fmt.Sprintf("%s[%d]", field, i), "must not be blank")
			}
		}
	}
}

// url is Hibernate's @URL: java.net.URL must parse it (a known protocol); size ≤ 2048.
func (v *validator) url(field string, s *string) {
	v.blank(field, s, 0)
	if s == nil || strings.TrimSpace(*s) == "" {
		return
	}
	u, err := url.Parse(*s)
	if err != nil || !contains([]string{"http", "https", "ftp", "file", "jar"}, strings.ToLower(u.Scheme)) {
		v.add(field, "must be a valid URL")
	}
	if len(*s) > 2048 {
		v.add(field, "size must be between 0 and 2048")
	}
}

// langMap is ClientDetailCreateRequestV2's Map<@Size(min=3,max=3) String, @NotBlank String>.
func (v *validator) langMap(field string, m map[string]string, required bool) {
	if len(m) == 0 {
		if required {
			v.add(field, "must not be empty")
		}
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := m[k]
		if len([]rune(k)) != 3 {
			v.add(field+"<K>["+k+"]", "size must be between 3 and 3")
		}
		if strings.TrimSpace(val) == "" {
			v.add(field+"["+k+"]", "must not be blank")
		}
	}
}
