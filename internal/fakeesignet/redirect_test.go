package fakeesignet

import "testing"

func TestRedirectURLValid(t *testing.T) {
	tests := map[string]bool{
		"https://rp.example.org/callback":           true,
		"https://dev.mosip.net/home/**":             true,
		"http://localhost:5000/**":                  true,
		"http://localhost:3000/registration/*":      true,
		"residentapp://oauth/*":                     true,
		"io.mosip.residentapp://oauth":              true,
		"http://127.0.0.1:8080/cb":                  true,
		"http://[::1]:8080/cb":                      true,
		"http://esignet/cb":                         true,
		"https://rp.example.org/cb?x=1&y=2#frag":    true,
		"https://user:pw@rp.example.org/cb":         true,
		"https://rp.example.org":                    true,
		"https://foo.localhost/cb":                  true,
		"https://rp.example.org./cb":                true,
		"file:///tmp/x":                             true,
		"https://*.example.org/cb":                  false,
		"https://rp.internal/cb":                    false,
		"https://rp.local/cb":                       false,
		"https://rp.example.notatld/cb":             false,
		"https://rp.example.org/a b":                false,
		"https://rp.example.org//cb":                false,
		"https://rp.example.org/../cb":              false,
		"https://rp.example.org/a/../../cb":         false,
		"https://rp.example.org/a/../cb":            true,
		"https://rp.example.org:99999/cb":           false,
		"https://rp.example.org:abc/cb":             false,
		"https://rp_x.example.org/cb":               false,
		"https://256.1.1.1/cb":                      false,
		"https://01.1.1.1/cb":                       false,
		"/relative/path":                            false,
		"rp.example.org/cb":                         false,
		"mailto:someone@example.org":                false,
		"https://":                                  false,
		"https:///cb":                               false,
		"https://rp.example.org/cb{x}":              false,
		"https://rp.example.org/%zz":                false,
		"https://rp.example.org/%20":                true,
		"":                                          false,
		"1https://rp.example.org":                   false,
		"https://rp.example.org/cb?q=a b":           false,
		"https://" + repeatStr("a", 64) + ".org/cb": false,
		"https://" + repeatStr("a", 63) + ".org/cb": true,
		"https://rp.xn--p1ai/cb":                    true,
	}
	for in, want := range tests {
		if got := redirectURLValid(in); got != want {
			t.Errorf("redirectURLValid(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestAntMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"https://rp.example.org/cb", "https://rp.example.org/cb", true},
		{"https://rp.example.org/cb", "https://rp.example.org/cb/", false},
		{"https://rp.example.org/cb", "https://rp.example.org/cb2", false},
		{"https://dev.mosip.net/home/**", "https://dev.mosip.net/home", true},
		{"https://dev.mosip.net/home/**", "https://dev.mosip.net/home/a/b/c", true},
		{"https://dev.mosip.net/home/**", "https://dev.mosip.net/other", false},
		{"http://localhost:3000/registration/*", "http://localhost:3000/registration/x", true},
		{"http://localhost:3000/registration/*", "http://localhost:3000/registration/x/y", false},
		{"http://localhost:3000/cb?", "http://localhost:3000/cb1", true},
		{"http://localhost:3000/cb?", "http://localhost:3000/cb12", false},
		{"http://localhost:3000/**/cb", "http://localhost:3000/a/b/cb", true},
		{"http://localhost:3000/**/cb", "http://localhost:3000/cb", true},
		{"http://localhost:3000/**/x/**/cb", "http://localhost:3000/a/x/b/c/cb", true},
		{"http://localhost:3000/**/x/**/cb", "http://localhost:3000/a/y/b/cb", false},
		{"http://localhost:3000/cb*", "http://localhost:3000/cb?state=1", true},
		{"HTTP://localhost:3000/cb", "http://localhost:3000/cb", false},
	}
	for _, tt := range tests {
		if got := antMatch(tt.pattern, tt.path); got != tt.want {
			t.Errorf("antMatch(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestLogoURIValid(t *testing.T) {
	tests := map[string]bool{
		"":                                  true, // @URL passes empty; @NotBlank is separate
		"https://rp.example.org/logo.png":   true,
		"http://rp/logo":                    true,
		"ftp://files.example.org/logo":      true,
		"file:/tmp/logo.png":                true,
		"jar:file:/a.jar!/logo.png":         true,
		"jar:file:/a.jar":                   false,
		"  https://rp.example.org/logo.png": true,
		"URL:https://rp.example.org/l":      true,
		"https://rp.example.org:8443/l":     true,
		"https://rp.example.org:x/l":        false,
		"https://[::1]:8443/l":              true,
		"https://[nope]/l":                  false,
		"data:image/png;base64,AAAA":        false,
		"myapp://logo":                      false,
		"logo.png":                          false,
		"/logo.png":                         false,
		"#frag":                             false,
	}
	for in, want := range tests {
		if got := logoURIValid(in); got != want {
			t.Errorf("logoURIValid(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestISO3Languages(t *testing.T) {
	for _, ok := range []string{"eng", "fra", "ara", "hin", "khm", "deu", "zho", "fil", "tam", ""} {
		if !iso3Languages[ok] {
			t.Errorf("%q rejected", ok)
		}
	}
	for _, bad := range []string{"fre", "ger", "chi", "en", "EN", "ENG", "@none", "xyz", "english"} {
		if iso3Languages[bad] {
			t.Errorf("%q accepted", bad)
		}
	}
}

func repeatStr(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}
