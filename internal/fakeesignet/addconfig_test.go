package fakeesignet

import (
	"encoding/json"
	"testing"
)

func TestAdditionalConfigSchema(t *testing.T) {
	v18, _ := parseGeneration("v1.8")
	tests := map[string]bool{
		`null`:                             true,
		`{}`:                               true,
		`{"userinfo_response_type":"JWS"}`: true,
		`{"userinfo_response_type":"JWE"}`: true,
		`{"userinfo_response_type":"JWT"}`: false,
		`{"userinfo_response_type":null}`:  false,
		`{"purpose":null}`:                 true,
		`{"purpose":{"type":"login"}}`:     true,
		`{"purpose":{"type":"verify","title":{"@none":"Verify","eng":"Verify"},"subTitle":null}}`: true,
		`{"purpose":{"type":"shop"}}`:                                      false,
		`{"purpose":{}}`:                                                   false,
		`{"purpose":"login"}`:                                              false,
		`{"purpose":{"type":"link","extra":1}}`:                            false,
		`{"purpose":{"type":"link","title":{"eng":"x"}}}`:                  false,
		`{"purpose":{"type":"link","title":{"@none":"x","eng":5}}}`:        false,
		`{"signup_banner_required":true,"forgot_pwd_link_required":false}`: true,
		`{"signup_banner_required":"true"}`:                                false,
		`{"consent_expire_in_mins":10}`:                                    true,
		`{"consent_expire_in_mins":10.5}`:                                  true,
		`{"consent_expire_in_mins":9.99}`:                                  false,
		`{"consent_expire_in_mins":"60"}`:                                  false,
		`{"require_pkce":true,"dpop_bound_access_tokens":false,"require_pushed_authorization_requests":true}`: true,
		`{"unknown":true}`: false,
		`[]`:               false,
		`"JWS"`:            false,
		`5`:                false,
	}
	for in, want := range tests {
		if got := additionalConfigValid(json.RawMessage(in), v18); got != want {
			t.Errorf("%s: got %v, want %v", in, got, want)
		}
	}
}

func TestJavaStringSemantics(t *testing.T) {
	if javaLen("😀a") != 3 || javaLen("é") != 1 {
		t.Error("javaLen must count UTF-16 units")
	}
	if !javaIsBlank("\u2003\t") || javaIsBlank("\u00a0") {
		t.Error("String.isBlank semantics")
	}
	if hibernateNotBlank(ptr("\u2003")) != true || hibernateNotBlank(ptr(" \x01 ")) {
		t.Error("@NotBlank trims only chars <= U+0020")
	}
	if !matchesNoSpace("a\u00a0b") || matchesNoSpace("a\u000bb") {
		t.Error(`\S* is ASCII whitespace only`)
	}
	for in, want := range map[string]string{"": `[""]`, "a b": `["a","b"]`, "a  b": `["a","","b"]`, "a ": `["a"]`, "   ": `[]`} {
		if got := mustJSON(javaSplitTrim(in, " ")); got != want {
			t.Errorf("split(%q) = %s, want %s", in, got, want)
		}
	}
	if got := jsonSimpleLen([]string{"a/b", `q"`}); got != len(`["a\/b","q\""]`) {
		t.Errorf("jsonSimpleLen = %d", got)
	}
}

func ptr(s string) *string { return &s }
