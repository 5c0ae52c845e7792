package redirecturi

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// spring names the AntPathMatcher release whose rules apply. Only two
// differences between them are observable through match(pattern, path):
// the trailing-slash check in the tail loop and whether wildcards match line
// terminators.
type spring int

const (
	// spring52 is Spring Framework 5.2.11 (managed by Spring Boot 2.3.6):
	// eSignet v1.0.0 … v1.7.1.
	spring52 spring = iota
	// spring61 is Spring Framework 6.1.4 (managed by Spring Boot 3.2.3):
	// eSignet v1.8.0.
	spring61
)

// dotAll: 6.x compiles segment patterns with Pattern.DOTALL, 5.x does not,
// so there "?", "*" and "{var}" never match a Java line terminator.
func (sp spring) dotAll() bool { return sp == spring61 }

// tailSlashCheck: 6.0 added, to the loop that matches pattern segments
// from the end, the rule that a pattern and path must agree on a trailing
// "/" (commit "Consistently handle match with '*' and trailing slash").
func (sp spring) tailSlashCheck() bool { return sp == spring61 }

// antMatch is new AntPathMatcher().match(pattern, path) with Spring's
// defaults: separator "/", caseSensitive, trimTokens off, empty tokens
// dropped. Its cost is O(len(pattern)·len(path)) plus the cost of any
// {name:regex} segment (see segment.go).
func antMatch(sp spring, pattern, path string) bool {
	pattern, path = javaString(pattern), javaString(path)
	if strings.HasPrefix(path, "/") != strings.HasPrefix(pattern, "/") {
		return false
	}
	pt := tokenize(pattern)
	return potentialMatch(path, pt) && tokensMatch(sp, pattern, path, pt)
}

// tokensMatch is the rest of AntPathMatcher.doMatch once the leading "/"
// agree and isPotentialMatch passed.
func tokensMatch(sp spring, pattern, path string, pt []string) bool {
	st := tokenize(path)
	m := newSegMatcher(sp, pt, st)
	patSlash, pathSlash := strings.HasSuffix(pattern, "/"), strings.HasSuffix(path, "/")

	pLo, pHi, sLo, sHi := 0, len(pt)-1, 0, len(st)-1
	// Head: segment by segment until the first "**".
	for pLo <= pHi && sLo <= sHi && pt[pLo] != "**" {
		if !m.match(pLo, sLo) {
			return false
		}
		pLo, sLo = pLo+1, sLo+1
	}
	if sLo > sHi { // path used up
		switch {
		case pLo > pHi:
			return patSlash == pathSlash
		case pLo == pHi && pt[pLo] == "*" && pathSlash:
			return true // "/a/*" matches "/a/"
		}
		return onlyDoubleStars(pt[pLo : pHi+1])
	}
	if pLo > pHi {
		return false // pattern used up, path not
	}
	// Tail: segment by segment back to the last "**".
	for pLo <= pHi && sLo <= sHi && pt[pHi] != "**" {
		if !m.match(pHi, sHi) {
			return false
		}
		if sp.tailSlashCheck() && pHi == len(pt)-1 && patSlash != pathSlash {
			return false
		}
		pHi, sHi = pHi-1, sHi-1
	}
	if sLo > sHi {
		return onlyDoubleStars(pt[pLo : pHi+1])
	}
	// Middle: pt[pLo] and pt[pHi] are "**". Each run of segments between two
	// "**" goes to the first place in the path where it fits.
	for pLo != pHi && sLo <= sHi {
		next := pLo + 1
		for pt[next] != "**" {
			next++
		}
		if next == pLo+1 {
			pLo++ // "**/**"
			continue
		}
		run := next - pLo - 1
		found := m.firstFit(pLo+1, run, sLo, sHi)
		if found < 0 {
			return false
		}
		pLo, sLo = next, found+run
	}
	return onlyDoubleStars(pt[pLo : pHi+1])
}

func onlyDoubleStars(segs []string) bool {
	for _, s := range segs {
		if s != "**" {
			return false
		}
	}
	return true
}

// tokenize is StringUtils.tokenizeToStringArray(s, "/", false, true): split
// on "/" and drop empty tokens, so "a//b" and "a/b" give the same tokens.
func tokenize(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '/' })
}

// javaString maps invalid UTF-8 bytes to U+FFFD, one per byte, the way a
// servlet container's decoder would have before eSignet saw the value.
func javaString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// potentialMatch is AntPathMatcher.isPotentialMatch, a cheap pre-check run
// before the real match (caseSensitive and trimTokens off, as here). It walks
// the pattern's leading literal text over the path in UTF-16 code units,
// exactly as Java does; it only ever rejects paths the full match would
// reject too, but it is kept so the two cannot drift apart.
func potentialMatch(path string, pt []string) bool {
	p := utf16.Encode([]rune(path))
	pos := 0
	for _, tok := range pt {
		for pos < len(p) && p[pos] == '/' {
			pos++
		}
		t := utf16.Encode([]rune(tok))
		n := literalPrefixSkip(p, pos, t)
		if n < len(t) {
			return n > 0 || isWildcardUnit(t[0])
		}
		pos += n
	}
	return true
}

// literalPrefixSkip is skipSegment: it compares the pattern token's units,
// up to its first wildcard, against the path from pos, advancing in the path
// only on equal units, and gives 0 if the path ends first.
func literalPrefixSkip(path []uint16, pos int, tok []uint16) int {
	skipped := 0
	for _, c := range tok {
		if isWildcardUnit(c) {
			return skipped
		}
		if pos+skipped >= len(path) {
			return 0
		}
		if c == path[pos+skipped] {
			skipped++
		}
	}
	return skipped
}

func isWildcardUnit(c uint16) bool { return c == '*' || c == '?' || c == '{' }
