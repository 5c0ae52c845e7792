package redirecturi

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// maxLen is the longest pattern or URI exercised: eSignet's limit.
const maxLen = 1024

// perCallBudget is far above what a polynomial matcher needs (microseconds
// to a few milliseconds) and far below what backtracking would take on
// these inputs (longer than the age of the universe). Under the race
// detector everything runs about ten times slower, and so may this.
const perCallBudget = 50 * time.Millisecond * raceSlowdown

// fill repeats unit after prefix as often as fits in n bytes.
func fill(prefix, unit string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len()+len(unit) <= n {
		b.WriteString(unit)
	}
	return b.String()
}

// build is prefix, then unit repeated, then suffix, at most maxLen bytes.
func build(prefix, unit, suffix string) string {
	return fill(prefix, unit, maxLen-len(suffix)) + suffix
}

// TestAdversarialInputsRunFast feeds inputs that make backtracking
// matchers (like the controller's old antMatch) exponential and fails if any
// single call takes longer than perCallBudget.
func TestAdversarialInputsRunFast(t *testing.T) {
	type input struct{ name, reg, req string }
	as := build("https://a.org/", "a", "")
	segs := build("https://a.org", "/a", "")
	inputs := []input{
		{"brief: 30 stars, 60-char path", "https://a.org/" + strings.Repeat("*a", 30) + "*b", "https://a.org/" + strings.Repeat("a", 60)},
		{"stars in one 1024-char segment", build("https://a.org/", "*a", "*b"), as},
		{"stars and ? in one segment", build("https://a.org/", "*?a", "*b"), as},
		{"{name} variables", build("https://a.org/", "{x}a", "b"), as},
		{"** then many single stars", build("https://a.org/**", "/*", "/b"), segs},
		{"alternating ** and *", build("https://a.org", "/**/*", "/b"), segs},
		{"** runs that almost fit", build(fill("https://a.org/**", "/a", maxLen/2)+"/b/**", "/a", "/c/**"), segs},
		{"** runs of stars that almost fit", build("https://a.org/**", "/*a*", "/b/**"), build("https://a.org", "/aaa", "")},
		{"regex variables in ** runs", build("https://a.org/**", "/{v:a+}", "/b/**"), segs},
		{"regex variable, long segment", "https://a.org/{v:(a|aa)*}b", as},
		{"brace soup", build("https://a.org/", "{a{", ""), as},
		{"brace soup with escapes", build("https://a.org/", `{\{a}`, ""), as},
		{"many empty tokens", build("https://a.org/**", "/", "/x"), build("https://a.org", "/", "")},
		{"long literal mismatch at the end", build("https://a.org/**", "/aaaa", "/b"), build("https://a.org", "/aaaa", "")},
	}
	// Distinct tokens defeat caching: 170 different {name:.*} against 340
	// different path segments, every one of which they match.
	var distinctRegex, distinctSegs strings.Builder
	distinctRegex.WriteString("https://a.org/**")
	for i := 0; distinctRegex.Len() < maxLen-12; i++ {
		fmt.Fprintf(&distinctRegex, "/{%c%c:.*}", 'a'+i%26, 'a'+i/26)
	}
	distinctRegex.WriteString("/q/**")
	distinctSegs.WriteString("https://a.org")
	for i := 0; distinctSegs.Len() < maxLen-3; i++ {
		fmt.Fprintf(&distinctSegs, "/%c%c", 'a'+i%26, 'A'+i/26%26)
	}
	inputs = append(inputs, input{"distinct regex tokens and segments", distinctRegex.String(), distinctSegs.String()})

	var slowest time.Duration
	for _, in := range inputs {
		if len(in.reg) > maxLen || len(in.req) > maxLen {
			t.Fatalf("%s: input longer than %d (%d, %d)", in.name, maxLen, len(in.reg), len(in.req))
		}
		for _, v := range []string{"v1.8", "v1.7", "v1.0"} {
			start := time.Now()
			got, err := MatchFor(v, in.reg, in.req)
			d := time.Since(start)
			if d > perCallBudget {
				t.Errorf("%s (%s): %v (result %v, %v), budget %v", in.name, v, d, got, err, perCallBudget)
			}
			slowest = max(slowest, d)
		}
	}
	t.Logf("slowest call: %v (budget %v)", slowest, perCallBudget)
}

func BenchmarkMatchAdversarial(b *testing.B) {
	reg := fill("https://a.org/", "*a", maxLen-2) + "*b"
	req := fill("https://a.org/", "a", maxLen)
	for b.Loop() {
		Match(reg, req)
	}
}

func BenchmarkMatchTypical(b *testing.B) {
	for b.Loop() {
		Match("https://dev.mosip.net/home/**", "https://dev.mosip.net/home/a/b/c?state=xyz")
	}
}
