package redirecturi

import (
	"slices"
	"strings"
	"testing"
)

// FuzzMatch: no panics for any input and any version, and
//   - a registered URI with no "*", "?" or "{" matches exactly the URIs with
//     the same "/"-separated non-empty tokens and the same leading and
//     trailing "/" (so itself; for v1.0/v1.1 itself whenever java.net.URL
//     parses it);
//   - any registered URI without "{" matches itself under every version;
//   - isPotentialMatch never rejects what the full match accepts.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"https://a.org/cb", "https://a.org/cb"},
		{"https://a.org/cb", "https://a.org//cb"},
		{"https://a.org/*/cb", "https://a.org//cb"},
		{"http://localhost:3000/**", "http://localhost:3000/a/b?x=1"},
		{"https://a.org/{id:[0-9]+}/c?", "https://a.org/42/cb"},
		{"http://LOCALHOST:1/cb#x", "http://localhost:2/cb"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, reg, req string) {
		got := Match(reg, req)
		for _, v := range []string{"v1.0", "v1.7", "v1.8"} {
			ok, err := MatchFor(v, reg, req)
			if err != nil {
				t.Fatal(err)
			}
			if v == "v1.8" && ok != got {
				t.Fatalf("Match and MatchFor(v1.8) disagree on %q, %q", reg, req)
			}
		}

		if !strings.ContainsAny(reg, "*?{") {
			r, q := javaString(reg), javaString(req)
			want := strings.HasPrefix(r, "/") == strings.HasPrefix(q, "/") &&
				strings.HasSuffix(r, "/") == strings.HasSuffix(q, "/") &&
				slices.Equal(tokenize(r), tokenize(q))
			if got != want {
				t.Fatalf("literal %q vs %q: Match = %v, tokens say %v", reg, req, got, want)
			}
		}
		if !strings.Contains(reg, "{") {
			if !Match(reg, reg) {
				t.Fatalf("%q does not match itself (v1.8)", reg)
			}
			if ok, _ := MatchFor("v1.7", reg, reg); !ok {
				t.Fatalf("%q does not match itself (v1.7)", reg)
			}
			if _, parses := parseJavaURL(javaString(reg)); parses {
				if ok, _ := MatchFor("v1.0", reg, reg); !ok {
					t.Fatalf("%q parses but does not match itself (v1.0)", reg)
				}
			}
		}

		r, q := javaString(reg), javaString(req)
		if strings.HasPrefix(r, "/") == strings.HasPrefix(q, "/") {
			pt := tokenize(r)
			if !potentialMatch(q, pt) {
				for _, sp := range []spring{spring52, spring61} {
					if tokensMatch(sp, r, q, pt) {
						t.Fatalf("isPotentialMatch rejected %q for %q, which matches", q, r)
					}
				}
			}
		}
	})
}

// FuzzAccepts: no panics and no errors for known versions, and
//   - Accepts over two registered URIs is Accepts over either one (order and
//     invalid neighbours do not matter);
//   - v1.2+: Accepts implies Valid on both URIs and MatchFor, and a Valid
//     registered URI accepts itself;
//   - v1.0/v1.1: Accepts is MatchFor;
//   - Valid never admits a character java.net.URI refuses unescaped (ASCII
//     controls, space, `"<>\^{|}` and the backquote) nor "//" after the
//     authority.
func FuzzAccepts(f *testing.F) {
	for _, s := range [][3]string{
		{"https://a.org/cb", "https://a.org/x", "https://a.org//cb"},
		{"https://*.a.org/cb", "https://a.org/cb", "https://a.org/cb"},
		{"http://localhost:3000/**", "myapp://cb/*", "myapp://cb/done"},
		{"https://a.org/{id}/cb", "", "https://a.org/42/cb"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, reg1, reg2, req string) {
		for _, v := range []string{"v1.0", "v1.1", "v1.2", "v1.7", "v1.8"} {
			both, err := Accepts(v, []string{reg1, reg2}, req)
			if err != nil {
				t.Fatal(err)
			}
			a1, _ := Accepts(v, []string{reg1}, req)
			a2, _ := Accepts(v, []string{reg2}, req)
			if both != (a1 || a2) {
				t.Fatalf("%s: Accepts over [%q %q] = %v, singly %v, %v", v, reg1, reg2, both, a1, a2)
			}
			ant, _ := MatchFor(v, reg1, req)
			if v == "v1.0" || v == "v1.1" {
				if a1 != ant {
					t.Fatalf("%s: Accepts(%q, %q) = %v, MatchFor = %v", v, reg1, req, a1, ant)
				}
				continue
			}
			if a1 && (!ant || !Valid(reg1) || !Valid(req)) {
				t.Fatalf("%s: Accepts(%q, %q) without MatchFor and Valid on both", v, reg1, req)
			}
			if Valid(reg1) {
				if self, _ := Accepts(v, []string{reg1}, reg1); !self {
					t.Fatalf("%s: valid %q does not accept itself", v, reg1)
				}
			}
		}
		for _, s := range []string{reg1, reg2, req} {
			if !Valid(s) {
				continue
			}
			if strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r == 0x7F || strings.ContainsRune("\"<>\\^`{|}", r) }) >= 0 {
				t.Fatalf("Valid(%q) with a character java.net.URI refuses", s)
			}
			rest := strings.TrimPrefix(s[strings.Index(s, ":")+1:], "//")
			if i := strings.IndexAny(rest, "?#"); i >= 0 {
				rest = rest[:i]
			}
			// commons-validator accepts any file: URI without an authority before looking at its
			// path (its special case, which Valid mirrors), so the path rule is for the others.
			fileNoAuthority := strings.HasPrefix(strings.ToLower(s), "file:") && !strings.HasPrefix(s[5:], "//")
			if strings.Contains(rest, "//") && !fileNoAuthority {
				t.Fatalf("Valid(%q) with // in the path", s)
			}
		}
	})
}
