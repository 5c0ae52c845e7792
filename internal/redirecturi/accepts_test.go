package redirecturi

import "testing"

// TestAccepts covers validateRedirectURI: for v1.2+ UrlValidator on both
// URIs, then MatchFor; for v1.0/v1.1 MatchFor alone. ant is what MatchFor
// says for some registered URI, so the rows where ant and want differ are
// the ones UrlValidator decides. (The v1.2+ rows were the fake eSignet's
// TestRedirectMatches, and before that its TestAntMatch.)
func TestAccepts(t *testing.T) {
	type row struct {
		version    string
		registered []string
		requested  string
		ant, want  bool
		why        string
	}
	one := func(v, reg, req string, ant, want bool, why string) row {
		return row{v, []string{reg}, req, ant, want, why}
	}
	rows := []row{
		// UrlValidator refuses "//" in a path; AntPathMatcher drops the empty token.
		one("v1.8", "https://a.org/cb", "https://a.org//cb", true, false, "UrlValidator refuses // (Match alone says true)"),
		one("v1.8.0", "https://a.org/cb", "https://a.org//cb", true, false, "patch number"),
		one("v1.2", "https://a.org/cb", "https://a.org//cb", true, false, "the same since v1.2.0"),
		one("v1.1", "https://a.org/cb", "https://a.org//cb", true, true, "v1.0/v1.1 have no UrlValidator"),
		one("v1.8", "https://rp.example.org/*/cb", "https://rp.example.org//cb", false, false, "no empty segment for *"),

		// Formerly the fake's TestAntMatch, at v1.8.
		one("v1.8", "https://rp.example.org/cb", "https://rp.example.org/cb", true, true, "identical"),
		one("v1.8", "https://rp.example.org/cb", "https://rp.example.org/cb/", false, false, "trailing /"),
		one("v1.8", "https://rp.example.org/cb", "https://rp.example.org/cb2", false, false, "literal"),
		one("v1.8", "https://dev.mosip.net/home/**", "https://dev.mosip.net/home", true, true, "** may be empty"),
		one("v1.8", "https://dev.mosip.net/home/**", "https://dev.mosip.net/home/a/b/c", true, true, "** several segments"),
		one("v1.8", "https://dev.mosip.net/home/**", "https://dev.mosip.net/other", false, false, "prefix"),
		one("v1.8", "http://localhost:3000/registration/*", "http://localhost:3000/registration/x", true, true, "* one segment"),
		one("v1.8", "http://localhost:3000/registration/*", "http://localhost:3000/registration/x/y", false, false, "* never crosses /"),
		one("v1.8", "http://localhost:3000/cb?", "http://localhost:3000/cb1", true, true, "? one character"),
		one("v1.8", "http://localhost:3000/cb?", "http://localhost:3000/cb12", false, false, "? not two"),
		one("v1.8", "http://localhost:3000/**/cb", "http://localhost:3000/a/b/cb", true, true, "** in the middle"),
		one("v1.8", "http://localhost:3000/**/cb", "http://localhost:3000/cb", true, true, "** empty in the middle"),
		one("v1.8", "http://localhost:3000/**/x/**/cb", "http://localhost:3000/a/x/b/c/cb", true, true, "two **"),
		one("v1.8", "http://localhost:3000/**/x/**/cb", "http://localhost:3000/a/y/b/cb", false, false, "fixed segment absent"),
		one("v1.8", "http://localhost:3000/cb*", "http://localhost:3000/cb?state=1", true, true, "* runs into the query"),
		one("v1.8", "HTTP://localhost:3000/cb", "http://localhost:3000/cb", false, false, "scheme is case-sensitive text"),

		// Host and port are plain text to the whole-URI match (v1.2+).
		one("v1.8", "https://rp.example.org/cb", "https://RP.example.org/cb", false, false, "host case counts"),
		one("v1.8", "http://localhost:3000/cb", "http://localhost:4000/cb", false, false, "port counts"),
		one("v1.0", "http://localhost:3000/cb", "http://localhost:4000/cb", true, true, "v1.0: ports not compared"),
		// Wildcards where UrlValidator rejects the registered URI itself.
		one("v1.8", "http://localhost:*/cb", "http://localhost:4000/cb", true, false, "UrlValidator refuses a wildcard port"),
		one("v1.0", "http://localhost:*/cb", "http://localhost:4000/cb", false, false, "v1.0: new URL refuses it"),
		one("v1.8", "https://*.example.org/cb", "https://a.example.org/cb", true, false, "UrlValidator refuses a wildcard host"),
		one("v1.8", "https://a.org/{id}/cb", "https://a.org/42/cb", true, false, "UrlValidator refuses braces"),
		one("v1.1", "https://a.org/{id}/cb", "https://a.org/42/cb", true, true, "v1.1: new URL accepts braces"),
		// A match the Ant part would allow, on a request UrlValidator rejects.
		one("v1.8", "https://rp.example.org/cb*", "https://rp.example.org/cb{x}", true, false, "UrlValidator refuses the request"),
		one("v1.8", "https://rp.example.org/cb", "not a url", false, false, "not a URL"),
		one("v1.8", "https://rp.example.org/*", "https://rp.example.org/../cb", false, false, "climbs above the root"),
		one("v1.8", "https://rp.example.org/**", "https://rp.example.org/../cb", true, false, "UrlValidator refuses .. above the root"),
		// App schemes pass UrlValidator(ALLOW_ALL_SCHEMES) and then match as text.
		one("v1.8", "myapp://cb/*", "myapp://cb/done", true, true, "app scheme"),
		one("v1.2", "io.mosip.residentapp://oauth", "io.mosip.residentapp://oauth", true, true, "app scheme, v1.2"),
		one("v1.1", "io.mosip.residentapp://oauth", "io.mosip.residentapp://oauth", false, false, "v1.1: unknown protocol"),
		// "?" of a registered query is a wildcard.
		one("v1.8", "https://rp.example.org/cb?x=1", "https://rp.example.org/cbZx=1", true, true, "? of the query"),
		// Spring 5.2 (v1.2–v1.7) lacks 6.x's trailing-slash check after "**".
		one("v1.7", "https://rp.example.org/**/cb", "https://rp.example.org/x/cb/", true, true, "Spring 5.2"),
		one("v1.8", "https://rp.example.org/**/cb", "https://rp.example.org/x/cb/", false, false, "Spring 6.1"),

		// Several registered URIs: any one suffices.
		{"v1.8", []string{"https://*.bad.org/cb", "https://rp.example.org/cb"}, "https://rp.example.org/cb", true, true,
			"an invalid registered URI does not hide a valid one"},
		{"v1.8", []string{"https://rp.example.org/a", "https://rp.example.org/b"}, "https://rp.example.org/b", true, true, "second one"},
		{"v1.8", nil, "https://rp.example.org/cb", false, false, "nothing registered"},
		{"v1.0", nil, "https://rp.example.org/cb", false, false, "nothing registered"},
	}
	for _, r := range rows {
		ant := false
		for _, reg := range r.registered {
			ok, err := MatchFor(r.version, reg, r.requested)
			if err != nil {
				t.Fatal(err)
			}
			ant = ant || ok
		}
		if ant != r.ant {
			t.Errorf("%s: MatchFor(%q, %q) = %v, want %v: %s", r.version, r.registered, r.requested, ant, r.ant, r.why)
		}
		if got, err := Accepts(r.version, r.registered, r.requested); err != nil || got != r.want {
			t.Errorf("%s: Accepts(%q, %q) = %v, %v, want %v: %s", r.version, r.registered, r.requested, got, err, r.want, r.why)
		}
	}
	if !Match("https://a.org/cb", "https://a.org//cb") {
		t.Error(`Match("https://a.org/cb", "https://a.org//cb") = false; the row above relies on it being true`)
	}
}

func TestAcceptsVersions(t *testing.T) {
	for _, bad := range []string{"", "v1.9", "v2.0", "v1", "latest", " v1.8"} {
		if _, err := Accepts(bad, nil, "https://a.org/cb"); err == nil {
			t.Errorf("Accepts(%q, nil) accepted the version", bad)
		}
		if _, err := Accepts(bad, []string{"https://a.org/cb"}, "https://a.org/cb"); err == nil {
			t.Errorf("Accepts(%q) accepted the version", bad)
		}
	}
}
