package fakeesignet

import "testing"

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
