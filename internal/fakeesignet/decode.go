package fakeesignet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"
)

// decodeError is a body Jackson could not read; eSignet answers it with
// HTTP 200 and unknown_error carrying the exception text.
type decodeError struct{ msg string }

func (e *decodeError) Error() string { return e.msg }

// envelopeIn is RequestWrapper<T> as received.
type envelopeIn struct {
	requestTime *string
	request     *clientInput // nil when absent or null
}

// decodeClientRequest reads a client-management body the way Spring's
// Jackson (FAIL_ON_UNKNOWN_PROPERTIES, case-sensitive names) would.
func decodeClientRequest(body []byte, k dtoKind) (*envelopeIn, error) {
	if !utf8.Valid(body) {
		return nil, &decodeError{"JSON parse error: Invalid UTF-8 middle byte"}
	}
	top, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	if top == nil {
		return nil, &decodeError{"Required request body is missing"}
	}
	if err := exactMembers(top, map[string]bool{"requestTime": true, "request": true}, "io.mosip.esignet.core.dto.RequestWrapper"); err != nil {
		return nil, err
	}
	env := &envelopeIn{}
	if raw, ok := top["requestTime"]; ok && !isJSONNull(raw) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, typeError("requestTime", "java.lang.String", raw)
		}
		env.requestTime = &s
	}
	raw, ok := top["request"]
	if !ok || isJSONNull(raw) {
		return env, nil
	}
	in, err := decodeDTO(raw, k)
	if err != nil {
		return nil, err
	}
	env.request = in
	return env, nil
}

func decodeDTO(raw json.RawMessage, k dtoKind) (*clientInput, error) {
	members, err := decodeObject(raw)
	if err != nil || members == nil {
		return nil, typeError("request", k.javaClass(), raw)
	}
	dto := k.newDTO()
	if err := exactMembers(members, jsonNames(reflect.TypeOf(dto).Elem()), k.javaClass()); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(dto); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, &decodeError{fmt.Sprintf("JSON parse error: Cannot deserialize value of type `%s` from %s value (through reference chain: %s[\"%s\"])",
				javaTypeName(ute.Type), ute.Value, k.javaClass(), ute.Field)}
		}
		return nil, &decodeError{"JSON parse error: " + err.Error()}
	}
	in := dto.input()
	return &in, nil
}

// decodeObject returns the members of a JSON object, nil for a JSON null or
// an empty body, and a decodeError for anything else. Trailing content after
// the first value is ignored, as Jackson does by default.
func decodeObject(raw []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return nil, &decodeError{"JSON parse error: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if isJSONNull(v) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, &decodeError{"JSON parse error: Cannot deserialize value of type `java.util.LinkedHashMap` from non-object value"}
	}
	return m, nil
}

// exactMembers rejects a member that is not a property of the DTO, comparing
// names case-sensitively (Go's decoder alone would accept "ClientID").
func exactMembers(m map[string]json.RawMessage, allowed map[string]bool, class string) error {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !allowed[k] {
			return &decodeError{fmt.Sprintf("JSON parse error: Unrecognized field \"%s\" (class %s), not marked as ignorable", k, class)}
		}
	}
	return nil
}

// jsonNames lists the JSON member names of a DTO struct, embedded ones included.
func jsonNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			for k := range jsonNames(f.Type) {
				out[k] = true
			}
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

func typeError(field, javaType string, raw json.RawMessage) error {
	return &decodeError{fmt.Sprintf("JSON parse error: Cannot deserialize value of type `%s` from %s (field \"%s\")",
		javaType, jsonKind(raw), field)}
}

func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "empty value"
	}
	switch t[0] {
	case '{':
		return "Object value"
	case '[':
		return "Array value"
	case '"':
		return "String value"
	case 't', 'f':
		return "Boolean value"
	}
	return "Number value"
}

func javaTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "java.lang.String"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "com.fasterxml.jackson.databind.JsonNode"
		}
		return "java.util.ArrayList<java.lang.String>"
	case reflect.Map:
		return "java.util.LinkedHashMap<java.lang.String,java.lang.Object>"
	}
	return t.String()
}
