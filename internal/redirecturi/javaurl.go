package redirecturi

import (
	"net"
	"strings"
	"unicode"
)

// javaURL holds the parts of a java.net.URL that eSignet v1.0/v1.1 compare.
type javaURL struct {
	protocol string // lower case, as URL stores it
	host     string
	file     string // getFile(): path, then "?" and the query if there is one
}

// parseJavaURL is new java.net.URL(spec) of JDK 11 (the openjdk:11 image
// eSignet v1.0.0 and v1.1.0 ship on), reduced to whether it throws
// MalformedURLException and the protocol, host and file it yields.
//
// Only the stock handlers are known: http, https, ftp and file parse with
// URLStreamHandler.parseURL, mailto with its own. jar, jrt and jmod (which a
// redirect URI has no business using; in a Spring Boot fat jar "jar" is even
// replaced by Boot's own handler) are reported as failing, as are all other
// protocols, like Java's "unknown protocol" for app schemes such as
// "myapp://cb".
func parseJavaURL(spec string) (javaURL, bool) {
	// Trim everything ≤ ' ' at both ends (control characters included).
	start, limit := 0, len(spec)
	for limit > 0 && spec[limit-1] <= ' ' {
		limit--
	}
	for start < limit && spec[start] <= ' ' {
		start++
	}
	if limit-start >= 4 && strings.EqualFold(spec[start:start+4], "url:") {
		start += 4
	}
	if start < len(spec) && spec[start] == '#' {
		return javaURL{}, false // a bare reference: no protocol
	}
	proto := ""
	for i := start; i < limit && spec[i] != '/'; i++ {
		if spec[i] == ':' {
			proto = asciiLower(spec[start:i])
			start = i + 1
			break
		}
	}
	if !knownProtocol[proto] {
		return javaURL{}, false // "no protocol" or "unknown protocol"
	}
	if i := strings.IndexByte(spec[start:], '#'); i >= 0 {
		limit = start + i // the reference is not part of getFile()
	}
	if proto == "mailto" {
		file := spec[start:limit]
		if strings.IndexFunc(file, func(r rune) bool { return !javaWhitespace(r) }) < 0 {
			return javaURL{}, false // "No email address"
		}
		return javaURL{protocol: proto, file: file}, true
	}
	host, file, ok := parseHierarchical(spec, start, limit)
	return javaURL{protocol: proto, host: host, file: file}, ok
}

// knownProtocol: JDK 11 handlers that a redirect URI could plausibly use
// and whose parsing is modelled here.
var knownProtocol = map[string]bool{"http": true, "https": true, "ftp": true, "file": true, "mailto": true}

// parseHierarchical follows URLStreamHandler.parseURL for a URL without
// context: query first, then an authority after "//" (but not "////"), then
// the path, with no "." or ".." removal.
func parseHierarchical(spec string, start, limit int) (host, file string, ok bool) {
	query, hasQuery := "", false
	if start < limit {
		if q := strings.IndexByte(spec, '?'); q >= 0 && q < limit {
			query, hasQuery = spec[q+1:limit], true
			limit = q
			spec = spec[:q]
		}
	}
	unc := limit-start >= 4 && spec[start:start+4] == "////"
	if !unc && limit-start >= 2 && spec[start:start+2] == "//" {
		start += 2
		end := indexFrom(spec, '/', start)
		if end < 0 || end > limit {
			end = indexFrom(spec, '?', start)
			if end < 0 || end > limit {
				end = limit
			}
		}
		if host, ok = parseAuthority(spec[start:end]); !ok {
			return "", "", false
		}
		start = end // now at "/" or limit: the query was cut off above
	}
	// The path is the rest as is: without a context URL, parseURL removes
	// no "." or ".." segments. Without an authority it need not start
	// with "/" ("http:cb" has path "cb").
	path := spec[start:limit]
	if hasQuery {
		return host, path + "?" + query, true
	}
	return host, path, true
}

// parseAuthority returns the host URLStreamHandler.parseURL keeps, or false
// where it throws (bad IPv6 literal, bad port). With two or more "@" the
// authority is "not server based" and the host is empty.
func parseAuthority(authority string) (string, bool) {
	host := authority
	if at := strings.IndexByte(authority, '@'); at >= 0 {
		if at != strings.LastIndexByte(authority, '@') {
			return "", true
		}
		host = authority[at+1:]
	}
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end <= 2 || !javaIPv6Literal(host[1:end]) {
			return "", false
		}
		rest := host[end+1:]
		host = host[:end+1]
		switch {
		case rest == "":
			return host, true
		case rest[0] != ':':
			return "", false
		}
		return host, javaPortOK(rest[1:])
	}
	if i := strings.IndexByte(host, ':'); i >= 0 {
		if !javaPortOK(host[i+1:]) {
			return "", false
		}
		host = host[:i]
	}
	return host, true
}

// javaPortOK: an empty port is allowed ("port can be null"); otherwise
// Integer.parseInt must succeed and the value must not be below -1.
func javaPortOK(s string) bool {
	if s == "" {
		return true
	}
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return false
	}
	v := int64(0)
	for _, r := range s {
		d := javaDigit(r)
		if d < 0 {
			return false
		}
		v = v*10 + int64(d)
		if v > 1<<31 {
			return false // Integer.parseInt overflow
		}
	}
	if neg {
		return v <= 1 // -1 means "no port"; below that parseURL throws
	}
	return v < 1<<31
}

// javaDigit is Character.digit(ch, 10) for a UTF-16 char: any BMP decimal
// digit (Unicode Nd, which comes in runs of ten starting at zero), or -1.
func javaDigit(r rune) int {
	if r > 0xFFFF || !unicode.IsDigit(r) {
		return -1
	}
	zero := r
	for zero > 0 && unicode.IsDigit(zero-1) {
		zero--
	}
	return int(r-zero) % 10
}

// javaIPv6Literal approximates IPAddressUtil.isIPv6LiteralAddress: an IPv6
// address, optionally with a non-empty "%zone".
func javaIPv6Literal(s string) bool {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if i == len(s)-1 {
			return false
		}
		s = s[:i]
	}
	return strings.Contains(s, ":") && net.ParseIP(s) != nil
}

// javaWhitespace is Character.isWhitespace.
func javaWhitespace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F:
		return true
	case 0xA0, 0x2007, 0x202F:
		return false
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

// javaEqualsIgnoreCase is String.equalsIgnoreCase: equal length in UTF-16
// units and, per character, equal, equal in upper case, or equal in lower
// case of the upper case.
func javaEqualsIgnoreCase(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		x, y := ra[i], rb[i]
		if x == y {
			continue
		}
		ux, uy := unicode.ToUpper(x), unicode.ToUpper(y)
		if ux != uy && unicode.ToLower(ux) != unicode.ToLower(uy) {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return "" // Java lower-cases non-ASCII to non-ASCII: no stock handler
		}
	}
	return strings.ToLower(s)
}

func indexFrom(s string, c byte, from int) int {
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return -1
}
