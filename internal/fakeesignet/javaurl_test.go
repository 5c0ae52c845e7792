package fakeesignet

import "testing"

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
		"HTTPS://rp.example.org/l":          true,  // the protocol is lower-cased
		"ht*tp://rp.example.org/l":          false, // not a valid protocol, so no handler
		":/rp.example.org/l":                false, // empty protocol
	}
	for in, want := range tests {
		if got := logoURIValid(in); got != want {
			t.Errorf("logoURIValid(%q) = %v, want %v", in, got, want)
		}
	}
}
