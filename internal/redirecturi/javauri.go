package redirecturi

import (
	"strings"
	"unicode"
)

// javaURI is the part of java.net.URI's parse result UrlValidator looks at.
type javaURI struct {
	scheme, authority, path string
	opaque                  bool
}

// RFC 2396 character classes as java.net.URI defines them.
const (
	uriMark     = "-_.!~*'()"
	uriReserved = ";/?:@&=+$,[]"
	uriPathPunc = ":@&=+$,;/"
	uriRegName  = "$,;:@&=+"
)

// parseJavaURI reports whether new java.net.URI(s) would succeed and what it
// yields. It follows the JDK parser closely enough for redirect URIs:
// character classes per component, %XX escapes, visible non-ASCII allowed.
func parseJavaURI(s string) (javaURI, bool) {
	var u javaURI
	rest := s
	if i := strings.IndexAny(s, ":/?#"); i >= 0 && s[i] == ':' {
		if i == 0 || !schemeRE.MatchString(s[:i]) {
			return u, false
		}
		u.scheme, rest = s[:i], s[i+1:]
		if !strings.HasPrefix(rest, "/") {
			frag := strings.IndexByte(rest, '#')
			opaque := rest
			if frag >= 0 {
				opaque = rest[:frag]
			}
			u.opaque = true
			return u, opaque != "" && uriChars(opaque, uriReserved) && fragmentOK(rest, frag)
		}
	}
	if frag := strings.IndexByte(rest, '#'); frag >= 0 {
		if !uriChars(rest[frag+1:], uriReserved) {
			return u, false
		}
		rest = rest[:frag]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		if !uriChars(rest[q+1:], uriReserved) {
			return u, false
		}
		rest = rest[:q]
	}
	if strings.HasPrefix(rest, "//") {
		end := strings.IndexByte(rest[2:], '/')
		if end < 0 {
			end = len(rest) - 2
		}
		u.authority, rest = rest[2:2+end], rest[2+end:]
		if u.authority == "" && rest == "" && !strings.ContainsAny(s[len(u.scheme):], "?#") {
			return u, false // "scheme://" alone: authority expected
		}
		if u.authority != "" && !authorityChars(u.authority) {
			return u, false
		}
	}
	u.path = rest
	return u, uriChars(rest, uriPathPunc)
}

func fragmentOK(rest string, frag int) bool {
	return frag < 0 || uriChars(rest[frag+1:], uriReserved)
}

// authorityChars: a registry-based authority (unreserved, escaped and
// "$,;:@&=+"), or a server authority holding an IPv6 literal in brackets.
func authorityChars(a string) bool {
	if strings.ContainsAny(a, "[]") {
		open, close := strings.IndexByte(a, '['), strings.IndexByte(a, ']')
		if open < 0 || close < open || strings.Count(a, "[") != 1 || strings.Count(a, "]") != 1 {
			return false
		}
		return uriChars(a[:open]+a[close+1:], uriRegName) && uriChars(a[open+1:close], ":.")
	}
	return uriChars(a, uriRegName)
}

// uriChars checks s against unreserved + escaped + extra; visible non-ASCII
// characters are allowed as java.net.URI does ("other" category).
func uriChars(s, extra string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 3
			continue
		case c >= 0x80:
			r := []rune(s[i:])[0]
			if unicode.IsControl(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp) || r == unicode.ReplacementChar {
				return false
			}
			i += len(string(r))
			continue
		case isAlnum(c) || strings.IndexByte(uriMark, c) >= 0 || strings.IndexByte(extra, c) >= 0:
		default:
			return false
		}
		i++
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
