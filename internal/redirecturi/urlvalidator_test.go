package redirecturi

import (
	"strings"
	"testing"
)

// TestValid covers UrlValidator(ALLOW_ALL_SCHEMES + ALLOW_LOCAL_URLS), the
// @RedirectURL constraint of eSignet v1.2+ and the first half of matchUri.
// (Moved from internal/fakeesignet, where it was TestRedirectURLValid.)
func TestValid(t *testing.T) {
	tests := map[string]bool{
		"https://rp.example.org/callback":                true,
		"https://dev.mosip.net/home/**":                  true,
		"http://localhost:5000/**":                       true,
		"http://localhost:3000/registration/*":           true,
		"residentapp://oauth/*":                          true,
		"io.mosip.residentapp://oauth":                   true,
		"http://127.0.0.1:8080/cb":                       true,
		"http://[::1]:8080/cb":                           true,
		"http://esignet/cb":                              true,
		"https://rp.example.org/cb?x=1&y=2#frag":         true,
		"https://user:pw@rp.example.org/cb":              true,
		"https://rp.example.org":                         true,
		"https://foo.localhost/cb":                       true,
		"https://rp.example.org./cb":                     true,
		"file:///tmp/x":                                  true,
		"file:00//":                                      true, // commons: a file: URI without authority is valid whatever its path
		"file://host/tmp/x":                              true,
		"file://host:1/tmp/x":                            false,
		"https://*.example.org/cb":                       false,
		"http://localhost:*/cb":                          false,
		"https://rp.internal/cb":                         false,
		"https://rp.local/cb":                            false,
		"https://rp.example.notatld/cb":                  false,
		"https://rp.example.org/a b":                     false,
		"https://rp.example.org//cb":                     false,
		"https://rp.example.org/../cb":                   false,
		"https://rp.example.org/a/../../cb":              false,
		"https://rp.example.org/a/../cb":                 true,
		"https://rp.example.org:99999/cb":                false,
		"https://rp.example.org:abc/cb":                  false,
		"https://rp_x.example.org/cb":                    false,
		"https://256.1.1.1/cb":                           false,
		"https://01.1.1.1/cb":                            false,
		"/relative/path":                                 false,
		"rp.example.org/cb":                              false,
		"mailto:someone@example.org":                     false,
		"https://":                                       false,
		"https:///cb":                                    false,
		"https://rp.example.org/cb{x}":                   false,
		"https://rp.example.org/{id}/cb":                 false,
		"https://rp.example.org/%zz":                     false,
		"https://rp.example.org/%20":                     true,
		"":                                               false,
		"1https://rp.example.org":                        false,
		"https://rp.example.org/cb?q=a b":                false,
		"https://" + strings.Repeat("a", 64) + ".org/cb": false,
		"https://" + strings.Repeat("a", 63) + ".org/cb": true,
		"https://rp.xn--p1ai/cb":                         true,
	}
	for in, want := range tests {
		if got := Valid(in); got != want {
			t.Errorf("Valid(%q) = %v, want %v", in, got, want)
		}
	}
}
