package fakeesignet

import (
	"bytes"
	"encoding/json"
	"math/big"
)

// additionalConfigValid hand-implements eSignet's
// additional_config_request_schema.json (draft 2020-12) for the generation:
// an object with only the known keys, each of its declared type. A JSON null
// (or absent value) is valid: the validator returns early for it.
func additionalConfigValid(raw json.RawMessage, g generation) bool {
	if isJSONNull(raw) {
		return true
	}
	v, ok := decodeAny(raw)
	if !ok {
		return false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	allowed := g.additionalConfigKeys()
	for k, val := range obj {
		if !allowed[k] || !configValueValid(k, val) {
			return false
		}
	}
	return true
}

func configValueValid(key string, v any) bool {
	switch key {
	case "userinfo_response_type":
		s, ok := v.(string)
		return ok && (s == "JWS" || s == "JWE")
	case "purpose":
		return v == nil || purposeValid(v)
	case "consent_expire_in_mins":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, _, err := big.ParseFloat(string(n), 10, 256, big.ToNearestEven)
		return err == nil && f.Cmp(big.NewFloat(10)) >= 0
	default: // every other key is a boolean flag
		_, ok := v.(bool)
		return ok
	}
}

// purposeValid: {type (required, enum), title?, subTitle?}, nothing else.
func purposeValid(v any) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	t, ok := obj["type"].(string)
	if !ok || (t != "none" && t != "verify" && t != "link" && t != "login") {
		return false
	}
	for k, val := range obj {
		switch k {
		case "type":
		case "title", "subTitle":
			if val != nil && !i18nTextValid(val) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// i18nTextValid: an object of strings with a required "@none".
func i18nTextValid(v any) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := obj["@none"]; !ok {
		return false
	}
	for _, val := range obj {
		if _, ok := val.(string); !ok {
			return false
		}
	}
	return true
}

func isJSONNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func decodeAny(raw []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}
