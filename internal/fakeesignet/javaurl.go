package fakeesignet

import (
	"net"
	"strconv"
	"strings"
)

// javaURLHandlers are the java.net.URL protocols a stock JDK resolves that
// make sense for a logo (API.md §2.1: http/https/ftp/file/jar).
var javaURLHandlers = map[string]bool{"http": true, "https": true, "ftp": true, "file": true, "jar": true}

// logoURIValid mimics Hibernate's @URL: empty passes, otherwise
// new java.net.URL(value) must not throw. java.net.URL is lenient: it needs a
// known protocol and a parseable host/port, little else.
func logoURIValid(s string) bool {
	if s == "" {
		return true
	}
	return javaURLParses(s)
}

func javaURLParses(s string) bool {
	spec := javaTrim(s)
	if len(spec) >= 4 && strings.EqualFold(spec[:4], "url:") {
		spec = spec[4:]
	}
	proto, rest, ok := javaURLProtocol(spec)
	if !ok || !javaURLHandlers[proto] {
		return false
	}
	if proto == "jar" {
		i := strings.Index(rest, "!/")
		return i >= 0 && javaURLParses(rest[:i])
	}
	if f := strings.IndexByte(rest, '#'); f >= 0 {
		rest = rest[:f]
	}
	if !strings.HasPrefix(rest, "//") {
		return true
	}
	auth := rest[2:]
	if i := strings.IndexAny(auth, "/?"); i >= 0 {
		auth = auth[:i]
	}
	return javaURLAuthority(auth)
}

func javaURLProtocol(spec string) (proto, rest string, ok bool) {
	for i := 0; i < len(spec); i++ {
		switch spec[i] {
		case '/', '#':
			return "", "", false
		case ':':
			// URL.isValidProtocol needs no check of its own: every name in
			// javaURLHandlers is a valid protocol, and the caller looks the
			// result up there.
			return strings.ToLower(spec[:i]), spec[i+1:], true
		}
	}
	return "", "", false
}

// javaURLAuthority follows URLStreamHandler.parseURL's host/port split.
func javaURLAuthority(auth string) bool {
	host := auth
	if at := strings.IndexByte(auth, '@'); at >= 0 {
		if at != strings.LastIndexByte(auth, '@') {
			return true // not server-based: Java leaves host empty, no error
		}
		host = auth[at+1:]
	}
	port := ""
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end <= 2 || net.ParseIP(host[1:end]) == nil {
			return false
		}
		tail := host[end+1:]
		if tail != "" && tail[0] != ':' {
			return false
		}
		port = strings.TrimPrefix(tail, ":")
	} else if c := strings.IndexByte(host, ':'); c >= 0 {
		port = host[c+1:]
	}
	if port == "" {
		return true
	}
	p, err := strconv.ParseInt(port, 10, 32) // Integer.parseInt accepts a sign
	return err == nil && p >= -1
}
