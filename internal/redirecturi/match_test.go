package redirecturi

import (
	"strings"
	"testing"
)

type matchCase struct {
	reg, req string
	want     bool
	why      string
}

// TestMatch covers eSignet v1.8.0: Spring 6.1 AntPathMatcher.match over the
// whole registered and requested strings. UrlValidator, the other half of
// matchUri, is Valid; the two together are Accepts (accepts_test.go).
func TestMatch(t *testing.T) {
	cases := []matchCase{
		{"https://a.org/cb", "https://a.org/cb", true, "identical"},
		{"https://a.org/cb", "https://a.org/cb2", false, "literal segment"},

		// The two inputs on which the old controller and fake matchers disagreed.
		{"https://a.org/cb", "https://a.org//cb", true,
			"tokenizer drops empty tokens; eSignet still refuses it because UrlValidator rejects // in a path"},
		{"https://a.org/*/cb", "https://a.org//cb", false,
			"no empty segment exists for * to match: [https:,a.org,*,cb] vs [https:,a.org,cb]"},
		{"https:/a.org/cb", "https://a.org/cb", true, "empty tokens again: https:/ and https:// tokenize alike"},
		{"https://a.org/cb?next=a/b", "https://a.org/cb?next=a//b", true, "empty tokens inside the query too"},

		// Scheme and host are literal text here: case and port both count.
		{"HTTPS://a.org/cb", "https://a.org/cb", false, "scheme compared case-sensitively (v1.0/v1.1 ignored case)"},
		{"https://A.org/cb", "https://a.org/cb", false, "host compared case-sensitively (v1.0/v1.1 ignored case)"},
		{"http://localhost:3000/cb", "http://localhost:4000/cb", false, "port is part of the host token (v1.0/v1.1 ignored it)"},
		{"http://localhost:3000/cb", "http://localhost/cb", false, "missing port differs too"},
		{"http://localhost:*/cb", "http://localhost:4000/cb", true, "a wildcard port matches here, but UrlValidator rejects such a registration"},

		// The query string is just more text; "?" in it is a wildcard.
		{"https://a.org/cb?x=1", "https://a.org/cb?x=1", true, "same query"},
		{"https://a.org/cb?x=1", "https://a.org/cbZx=1", true, "the ? of a registered query matches any one character"},
		{"https://a.org/cb?x=1", "https://a.org/cb?x=2", false, "query text compared"},
		{"https://a.org/cb", "https://a.org/cb?x=1", false, "an added query is more text in the last segment"},
		{"https://a.org/cb*", "https://a.org/cb?state=1", true, "* runs into the query"},
		{"https://a.org/cb/*", "https://a.org/cb/?x=1", true, "* takes a query-only segment"},
		{"https://a.org/cb", "https://a.org/cb#f", false, "the fragment is text too (v1.0/v1.1 dropped it)"},

		// "*": any run of characters within one segment.
		{"http://localhost:3000/registration/*", "http://localhost:3000/registration/x", true, "* one segment"},
		{"http://localhost:3000/registration/*", "http://localhost:3000/registration/x/y", false, "* never crosses /"},
		{"https://a.org/cb/*", "https://a.org/cb", false, "* needs a segment"},
		{"https://a.org/cb/*", "https://a.org/cb/", true, "special case: path used up, pattern left with * and path ends in /"},
		{"https://a.org/a*b*c", "https://a.org/aXXbYYc", true, "several * in one segment"},
		{"https://a.org/a*b*c", "https://a.org/aXXcYYb", false, "order matters"},
		{"https://a.org/*", "https://a.org/", true, "path used up after a.org, pattern left with * and trailing /"},
		{"https://*.a.org/cb", "https://x.a.org/cb", true, "a host wildcard matches here, but UrlValidator rejects such a registration"},

		// "**": zero or more whole segments.
		{"https://dev.mosip.net/home/**", "https://dev.mosip.net/home", true, "** may be empty"},
		{"https://dev.mosip.net/home/**", "https://dev.mosip.net/home/a/b/c", true, "** several segments"},
		{"https://dev.mosip.net/home/**", "https://dev.mosip.net/other", false, "prefix must match"},
		{"http://localhost:5000/**", "http://localhost:5000", true, "** after the host"},
		{"http://localhost:3000/**/cb", "http://localhost:3000/cb", true, "** empty in the middle"},
		{"http://localhost:3000/**/cb", "http://localhost:3000/a/b/cb", true, "** in the middle"},
		{"http://h.org/**/x/**/cb", "http://h.org/a/x/b/c/cb", true, "two ** with a fixed segment between"},
		{"http://h.org/**/x/**/cb", "http://h.org/a/y/b/cb", false, "fixed segment between ** absent"},
		{"http://h.org/**/**/cb", "http://h.org/cb", true, "**/** collapses"},
		{"http://h.org/**/a/b/**", "http://h.org/x/a/y/a/b/z", true, "run between ** found at its first fit"},
		{"**/cb", "https://a.org/cb", true, "** can even cover scheme and host"},
		{"https://a.org/x**y", "https://a.org/xQy", true, "** inside a segment is just two *"},
		{"https://a.org/x**y", "https://a.org/x/y", false, "... and does not cross /"},

		// "?": exactly one character (one code point, not one byte).
		{"https://a.org/c?", "https://a.org/cb", true, "? one character"},
		{"https://a.org/c?", "https://a.org/cbb", false, "? not two"},
		{"https://a.org/c?", "https://a.org/c", false, "? not zero"},
		{"https://a.org/caf?", "https://a.org/café", true, "é is one character"},

		// "{name}" and "{name:regex}" are wildcards too (reachable only in
		// v1.0/v1.1, where no UrlValidator rejects braces).
		{"https://a.org/{id}/cb", "https://a.org/42/cb", true, "{id} is (.*) within a segment"},
		{"https://a.org/{id}/cb", "https://a.org/4/2/cb", false, "{id} does not cross /"},
		{"https://a.org/u{id}", "https://a.org/u", true, "{id} may be empty"},
		{"https://a.org/{id:[0-9]+}", "https://a.org/42", true, "{name:regex} uses the regex"},
		{"https://a.org/{id:[0-9]+}", "https://a.org/4x", false, "regex must match the whole rest"},
		{"https://a.org/x{id:[0-9]+}y", "https://a.org/x42y", true, "regex between literals"},
		{"https://a.org/{a:x|y}", "https://a.org/y", true, "alternation stays inside the group"},
		{"https://a.org/{a:(}", "https://a.org/(", false, "regex that does not compile: Spring throws, no match"},
		{"https://a.org/{}", "https://a.org/{}", true, "{} is no variable (needs one character): literal"},
		{"https://a.org/{}", "https://a.org/x", false, "{} literal"},
		{"https://a.org/{a{b}", "https://a.org/{aZZ", true, "unclosed { is literal, {b} is a variable"},
		{"https://a.org/{a{b}", "https://a.org/xaZZ", false, "the literal { must be there"},
		{`https://a.org/x\{y}`, `https://a.org/x\Q`, true, `"\" then "{y}" variable`},

		// Trailing "/" must agree.
		{"https://a.org/cb", "https://a.org/cb/", false, "trailing / on the path only"},
		{"https://a.org/cb/", "https://a.org/cb", false, "trailing / on the pattern only"},
		{"https://a.org/cb/", "https://a.org/cb/", true, "both"},
		{"https://a.org/**/cb", "https://a.org/x/cb/", false, "Spring 6: tail segment after ** must agree on trailing / (v1.2–v1.7: true)"},
		{"https://a.org/**/cb/", "https://a.org/x/cb", false, "same, the other way (v1.2–v1.7: true)"},
		{"https://a.org/**", "https://a.org/x/", true, "** absorbs a trailing /"},
		{"https://a.org/*", "https://a.org/x/", false, "* does not"},

		// Leading "/" must agree (relevant to v1.0/v1.1 getFile()).
		{"/cb", "cb", false, "absolute vs relative"},
		{"", "", true, "both empty"},

		// Wildcards and line terminators: Spring 6 compiles with DOTALL.
		{"https://a.org/c*", "https://a.org/c\nx", true, "Spring 6: * takes a newline (v1.2–v1.7: false)"},
		{"https://a.org/c?x", "https://a.org/c\u2028x", true, "Spring 6: ? takes U+2028 (v1.2–v1.7: false)"},
	}
	for _, c := range cases {
		if got := Match(c.reg, c.req); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v: %s", c.reg, c.req, got, c.want, c.why)
		}
	}
}

// TestMatchForSpring52 covers v1.2.0–v1.7.1: the same whole-URI match with
// Spring 5.2.11.
func TestMatchForSpring52(t *testing.T) {
	cases := []matchCase{
		{"https://a.org/**/cb", "https://a.org/x/cb/", true, "no trailing-/ check in the tail loop before Spring 6"},
		{"https://a.org/**/cb/", "https://a.org/x/cb", true, "same, other way"},
		{"https://a.org/cb", "https://a.org/cb/", false, "head loop still checks it when the path runs out"},
		{"https://a.org/*/cb", "https://a.org/x/cb/", false, "no ** → the head loop decides"},
		{"https://a.org/c*", "https://a.org/c\nx", false, "without DOTALL * stops at a line terminator"},
		{"https://a.org/c*", "https://a.org/cx\r", false, "\\r too"},
		{"https://a.org/c?x", "https://a.org/c\u2028x", false, "? refuses U+2028"},
		{"https://a.org/c?x", "https://a.org/c\u0085x", false, "? refuses U+0085"},
		{"https://a.org/c\n*", "https://a.org/c\nx", true, "a literal newline matches itself"},
		{"https://a.org/*\n*", "https://a.org/ab\ncd", true, "each * on its own side of the newline"},
		{"https://a.org/{id}", "https://a.org/a\nb", false, "{id} is (.*) without DOTALL"},
		{"https://a.org/cb", "https://a.org//cb", true, "empty tokens dropped, as in v1.8"},
		{"https://a.org/*/cb", "https://a.org//cb", false, "as in v1.8"},
		{"http://localhost:3000/cb", "http://localhost:4000/cb", false, "port is text"},
	}
	for _, v := range []string{"v1.2", "v1.5.1", "1.7", "v1.7.1"} {
		for _, c := range cases {
			got, err := MatchFor(v, c.reg, c.req)
			if err != nil || got != c.want {
				t.Errorf("MatchFor(%s, %q, %q) = %v, %v, want %v: %s", v, c.reg, c.req, got, err, c.want, c.why)
			}
		}
	}
}

// TestMatchForURLParts covers v1.0.0 and v1.1.0: new URL(...) on both,
// protocol and host compared ignoring case, port never compared, Spring 5.2
// AntPathMatcher on getFile().
func TestMatchForURLParts(t *testing.T) {
	cases := []matchCase{
		{"https://a.org/cb", "https://a.org/cb", true, "identical"},
		{"http://localhost:3000/cb", "http://localhost:4000/cb", true, "QUIRK: the port is not compared at all"},
		{"http://localhost/cb", "http://localhost:4000/cb", true, "QUIRK: nor its presence"},
		{"https://a.org/cb", "https://a.org:8443/cb", true, "QUIRK: any port on the request"},
		{"https://user@a.org/cb", "https://a.org/cb", true, "user info ignored"},
		{"https://A.ORG/cb", "https://a.org/cb", true, "host equalsIgnoreCase"},
		{"HTTPS://a.org/cb", "https://a.org/cb", true, "java.net.URL lower-cases the protocol"},
		{"https://a.org/CB", "https://a.org/cb", false, "the file stays case-sensitive"},
		{"https://a.org/cb", "http://a.org/cb", false, "protocols differ"},
		{"https://a.org/cb", "https://b.org/cb", false, "hosts differ"},
		{"https://*.a.org/cb", "https://x.a.org/cb", false, "no wildcards in the host"},
		{"https://a.org/cb", "https://a.org/cb?x=1", false, "getFile() includes the query"},
		{"https://a.org/cb?x=1", "https://a.org/cb?x=1", true, "same query"},
		{"https://a.org/cb?x=1", "https://a.org/cbZx=1", true, "? of the query is a wildcard here too"},
		{"https://a.org/cb*", "https://a.org/cb?x=1", true, "* runs into the query"},
		{"https://a.org/cb", "https://a.org/cb#frag", true, "getFile() drops the fragment"},
		{"https://a.org/cb", "https://a.org//cb", true, "QUIRK: no UrlValidator in v1.0/v1.1, and empty tokens are dropped"},
		{"https://a.org/*/cb", "https://a.org//cb", false, "no empty segment for *"},
		{"https://a.org", "https://a.org", true, "empty file on both"},
		{"https://a.org", "https://a.org/", false, `file "" vs "/": leading / differs`},
		{"https://a.org/**", "https://a.org", false, `"/**" vs "": leading / differs`},
		{"https://a.org/**", "https://a.org/", true, "** covers /"},
		{"https://a.org/{id}", "https://a.org/42", true, "java.net.URL accepts braces, so {id} is reachable"},
		{" https://a.org/cb\t", "https://a.org/cb", true, "new URL trims characters ≤ space"},
		{"url:https://a.org/cb", "https://a.org/cb", true, `optional "url:" prefix`},
		{"https://a.org:/cb", "https://a.org/cb", true, "empty port allowed"},
		{"https://a.org:-1/cb", "https://a.org/cb", true, "Integer.parseInt(-1) is the 'no port' value"},
		{"https://a.org:+80/cb", "https://a.org/cb", true, "Integer.parseInt accepts a plus sign"},
		{"https://a.org:٨٠/cb", "https://a.org/cb", true, "... and non-ASCII decimal digits"},
		{"https://[::1]:8080/cb", "https://[::1]/cb", true, "IPv6 literal, port ignored"},
		{"https://a@b@c.org/cb", "https://x@y@z.org/cb", true, "two @: not server-based, host empty on both"},
		{"https:cb", "https:cb", true, "no authority: file is the rest"},
		{"https:///cb", "https://x.org/cb", false, "empty host vs x.org"},
		{"file:/tmp/x", "file:/tmp/x", true, "file protocol"},
		{"ftp://f.org/x", "ftp://F.org/x", true, "ftp protocol"},
		{"mailto:a@b.org", "mailto:a@b.org", true, "mailto: file is the address"},
		// Malformed URLs (MalformedURLException) never match.
		{"myapp://cb", "myapp://cb", false, "unknown protocol: app schemes cannot match (nor be registered, @URL)"},
		{"io.mosip.residentapp://oauth", "io.mosip.residentapp://oauth", false, "unknown protocol"},
		{"https://a.org/cb", "myapp://cb", false, "request side too"},
		{"a.org/cb", "a.org/cb", false, "no protocol"},
		{"/cb", "/cb", false, "no protocol"},
		{"#x", "#x", false, "a reference alone"},
		{"", "", false, "empty"},
		{"https://a.org:abc/cb", "https://a.org/cb", false, "bad port: NumberFormatException"},
		{"https://a.org:-2/cb", "https://a.org/cb", false, "port below -1"},
		{"https://a.org:99999999999/cb", "https://a.org/cb", false, "port overflows int"},
		{"https://[zz]/cb", "https://[zz]/cb", false, "bad IPv6 literal"},
		{"https://[::1]x/cb", "https://[::1]x/cb", false, "junk after ]"},
		{"https://[1]/cb", "https://[1]/cb", false, "] too early"},
		{"mailto:", "mailto:", false, "no email address"},
		{"jar:file:/a.jar!/x", "jar:file:/a.jar!/x", false, "jar: not modelled (Spring Boot replaces the handler)"},
	}
	for _, v := range []string{"v1.0", "v1.0.0", "1.1", "v1.1.0"} {
		for _, c := range cases {
			got, err := MatchFor(v, c.reg, c.req)
			if err != nil || got != c.want {
				t.Errorf("MatchFor(%s, %q, %q) = %v, %v, want %v: %s", v, c.reg, c.req, got, err, c.want, c.why)
			}
		}
	}
}

func TestMatchForVersions(t *testing.T) {
	for _, v := range []string{"v1.8", "v1.8.0", "1.8"} {
		if got, err := MatchFor(v, "https://a.org/**/cb", "https://a.org/x/cb/"); err != nil || got {
			t.Errorf("%s: %v %v, want Spring 6 rules", v, got, err)
		}
	}
	for _, bad := range []string{"", "v1.9", "v2.0", "v1", "1.10", "latest", "v1.8.x", " v1.8"} {
		if _, err := MatchFor(bad, "https://a.org/cb", "https://a.org/cb"); err == nil {
			t.Errorf("MatchFor(%q) accepted", bad)
		}
	}
}

// TestPotentialMatch pins AntPathMatcher.isPotentialMatch, a pre-check that
// compares the pattern's literal lead-in with the path in UTF-16 units.
func TestPotentialMatch(t *testing.T) {
	cases := []struct {
		path    string
		pattern string
		want    bool
	}{
		{"https://a.org/cb", "https://a.org/cb", true},
		{"https://a.org/cb", "http://a.org/cb", true}, // "http:" vs "https": some units matched
		{"xyz", "abc", false},                         // no unit of "abc" equals "x"
		{"ab", "abc", false},                          // path ends inside the literal: 0
		{"x", "*abc", true},                           // starts with a wildcard
		{"x", "a*", false},                            // literal lead-in fails on its first unit
		{"/a/x", "/a/{b}", true},
		{"/a/b/c", "/a/b", true},            // pre-check only: doMatch rejects it
		{"\U0001D4B3", "\U0001D4B4x", true}, // the high surrogates agree
	}
	for _, c := range cases {
		if got := potentialMatch(c.path, tokenize(c.pattern)); got != c.want {
			t.Errorf("potentialMatch(%q, %q) = %v, want %v", c.path, c.pattern, got, c.want)
		}
	}
}

func TestScanGlobs(t *testing.T) {
	show := func(ps []piece) string {
		var b strings.Builder
		for _, p := range ps {
			switch p.kind {
			case pieceLit:
				b.WriteString("L(" + string(p.text) + ")")
			case pieceOne:
				b.WriteString("?")
			case pieceAny:
				b.WriteString("*")
			case pieceRegex:
				b.WriteString("R(" + string(p.text) + ")")
			}
		}
		return b.String()
	}
	for in, want := range map[string]string{
		"abc":          "L(abc)",
		"a*b?c":        "L(a)*L(b)?L(c)",
		"{id}":         "*",
		"x{id}y":       "L(x)*L(y)",
		"{id:\\d+}":    "R(\\d+)",
		"{a:x{2}}":     "R(x{2})",
		"{}":           "L({})",
		"{a{b}":        "L({a)*",
		"{a}}":         "*L(})",
		"}{":           "L(}{)",
		"{{a}b}":       "*",
		"{a\\}b}":      "*L(b})",
		"{a\\{b}":      "*",
		"{:x}":         "R(x)",
		"{a:b:c}":      "R(b:c)",
		"{x}{y:[ab]}?": "*R([ab])?",
	} {
		if got := show(scanGlobs([]rune(in))); got != want {
			t.Errorf("scanGlobs(%q) = %s, want %s", in, got, want)
		}
	}
}
