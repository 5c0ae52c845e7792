package fakeesignet

import (
	"strings"
	"unicode"
	"unicode/utf16"
)

// The validators being mimicked are Java; these helpers reproduce the Java
// string semantics they depend on, which differ from Go's in small ways.

// javaLen is String.length(): UTF-16 code units, which @Size counts.
func javaLen(s string) int { return len(utf16.Encode([]rune(s))) }

// javaIsWhitespace is Character.isWhitespace.
func javaIsWhitespace(r rune) bool {
	switch r {
	case '\t', '\n', '\u000B', '\f', '\r', '\u001C', '\u001D', '\u001E', '\u001F':
		return true
	case '\u00A0', '\u2007', '\u202F': // non-breaking spaces are not whitespace in Java
		return false
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

// javaIsBlank is String.isBlank(), used by the custom eSignet validators.
func javaIsBlank(s string) bool {
	for _, r := range s {
		if !javaIsWhitespace(r) {
			return false
		}
	}
	return true
}

// hibernateNotBlank is @NotBlank: trim() (chars <= U+0020) leaves something.
func hibernateNotBlank(s *string) bool {
	return s != nil && strings.TrimFunc(*s, func(r rune) bool { return r <= ' ' }) != ""
}

// javaTrim is String.trim().
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// matchesNoSpace is s.matches("\\S*"): Java's \s is ASCII-only.
func matchesNoSpace(s string) bool {
	return !strings.ContainsAny(s, " \t\n\u000B\f\r")
}

// javaSplitTrim is IdentityProviderUtil.splitAndTrimValue: String.split(sep)
// (trailing empty strings removed, "" → [""]) then trim each part.
func javaSplitTrim(s, sep string) []string {
	if s == "" {
		return []string{""}
	}
	parts := strings.Split(s, sep)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	for i := range parts {
		parts[i] = javaTrim(parts[i])
	}
	return parts
}

// jsonSimpleLen is the length of json-simple's JSONArray.toJSONString(list),
// the text eSignet stores in varchar columns (it escapes '/' as "\/").
func jsonSimpleLen(list []string) int {
	n := 2 // brackets
	for i, s := range list {
		if i > 0 {
			n++
		}
		n += 2
		for _, r := range s {
			switch {
			case r == '"' || r == '\\' || r == '/' || r == '\b' || r == '\f' || r == '\n' || r == '\r' || r == '\t':
				n += 2
			case r <= 0x1F || (r >= 0x7F && r <= 0x9F) || (r >= 0x2000 && r <= 0x20FF):
				n += 6
			default:
				n++ // varchar counts characters
			}
		}
	}
	return n
}
