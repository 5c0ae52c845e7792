package redirecturi

import (
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Valid reports whether Apache Commons
// new UrlValidator(ALLOW_ALL_SCHEMES + ALLOW_LOCAL_URLS).isValid(uri) holds:
// eSignet's @RedirectURL constraint (v1.2.0 and later, on the redirect URIs
// a client registers and on the redirect_uri of requests) and the check
// matchUri applies to both URIs before AntPathMatcher (see Accepts).
//
// The value must parse as a java.net.URI with a scheme and an authority
// (only "file:" may omit it); the host must be a local name ("localhost",
// a single label such as "esignet"), an IP literal or a name under an IANA
// top-level domain (so "*.a.org", ".local" and ".internal" are refused);
// a port must be numeric and at most 65535; and the path may not contain
// "//" or climb above the root with "..". Characters java.net.URI refuses,
// such as spaces, "{" and "}", fail the parse.
func Valid(uri string) bool {
	u, ok := parseJavaURI(uri)
	if !ok || !schemeRE.MatchString(u.scheme) {
		return false
	}
	if u.scheme == "file" && u.authority == "" {
		return true // commons: file: allows an empty authority
	}
	if u.scheme == "file" && strings.Contains(u.authority, ":") {
		return false
	}
	if u.opaque || !authorityValid(u.authority) {
		return false
	}
	return pathValid(u.path)
}

var (
	schemeRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+\-.]*$`)
	authorityRE = regexp.MustCompile(`^(?:\[(::FFFF:(?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]+)\]|` +
		`(?:(?:[a-zA-Z0-9%-._~!$&'()*+,;=]+(?::[a-zA-Z0-9%-._~!$&'()*+,;=]*)?@)?([a-zA-Z0-9\-.]*)))` +
		`(?::(\d*))?(.*)$`)
	pathRE        = regexp.MustCompile(`^(/[-\w:@&?=+,.!/~*'%$;()]*)?$`)
	domainNameRE  = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+([a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)\.?$`)
	hostLabelRE   = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
	ipv4RE        = regexp.MustCompile(`^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$`)
	maxDomainChar = 253
)

func authorityValid(authority string) bool {
	if authority == "" {
		return false
	}
	m := authorityRE.FindStringSubmatch(authority)
	if m == nil {
		return false
	}
	if m[1] != "" {
		ip := net.ParseIP(m[1])
		if ip == nil {
			return false
		}
	} else {
		if !domainValid(m[2]) && !ipv4Valid(m[2]) {
			return false
		}
		if m[3] != "" {
			p, err := strconv.Atoi(m[3])
			if err != nil || p > 65535 {
				return false
			}
		}
	}
	return strings.TrimSpace(m[4]) == ""
}

// domainValid is DomainValidator.getInstance(allowLocal=true).isValid.
func domainValid(d string) bool {
	if d == "" || len(d) > maxDomainChar {
		return false
	}
	if m := domainNameRE.FindStringSubmatch(d); m != nil {
		tld := strings.ToLower(m[1])
		return localTLDs[tld] || ianaTLDs[tld]
	}
	return hostLabelRE.MatchString(d)
}

func ipv4Valid(s string) bool {
	m := ipv4RE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	for _, seg := range m[1:] {
		v, _ := strconv.Atoi(seg)
		if v > 255 || (len(seg) > 1 && seg[0] == '0') {
			return false
		}
	}
	return true
}

func pathValid(p string) bool {
	if !pathRE.MatchString(p) || strings.Contains(p, "//") {
		return false
	}
	var stack []string
	for _, seg := range strings.Split(p, "/")[1:] {
		switch {
		case seg == ".":
		case seg == ".." && len(stack) > 0 && stack[len(stack)-1] != "..":
			stack = stack[:len(stack)-1]
		default:
			stack = append(stack, seg)
		}
	}
	norm := "/" + strings.Join(stack, "/")
	return !strings.HasPrefix(norm, "/../") && norm != "/.."
}
