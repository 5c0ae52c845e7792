package redirecturi

import (
	"regexp"
	"strings"
)

// segMatcher answers AntPathMatcher.matchStrings(patternToken, pathToken)
// for the tokens of one match call. Each distinct pattern token is prepared
// once (as Spring's stringMatcherCache does) and each distinct pair of
// pattern and path token is evaluated once: the "**" search below may ask
// about the same pair of strings many times.
type segMatcher struct {
	sp    spring
	patID []int // pattern token index → distinct pattern token
	strID []int // path token index → distinct path token
	pats  []*segPattern
	strs  []string
	runes [][]rune
	// Results by patID*len(strs)+strID: 1 match, -1 no match, absent or 0
	// unknown. A slice up to maxDenseMemo entries, a map beyond (only
	// inputs far longer than any real URI get there).
	memo    []int8
	memoMap map[int]int8
}

const maxDenseMemo = 1 << 20

func newSegMatcher(sp spring, pt, st []string) *segMatcher {
	m := &segMatcher{sp: sp}
	patIdx := map[string]int{}
	for _, t := range pt {
		id, ok := patIdx[t]
		if !ok {
			id = len(m.pats)
			patIdx[t] = id
			m.pats = append(m.pats, compileSegment(sp, t))
		}
		m.patID = append(m.patID, id)
	}
	strIdx := map[string]int{}
	for _, t := range st {
		id, ok := strIdx[t]
		if !ok {
			id = len(m.strs)
			strIdx[t] = id
			m.strs = append(m.strs, t)
		}
		m.strID = append(m.strID, id)
	}
	m.runes = make([][]rune, len(m.strs))
	if n := len(m.pats) * len(m.strs); n <= maxDenseMemo {
		m.memo = make([]int8, n)
	} else {
		m.memoMap = map[int]int8{}
	}
	return m
}

// match reports whether pattern token i matches path token j.
func (m *segMatcher) match(i, j int) bool {
	pid, sid := m.patID[i], m.strID[j]
	k := pid*len(m.strs) + sid
	var known int8
	if m.memo != nil {
		known = m.memo[k]
	} else {
		known = m.memoMap[k]
	}
	if known == 0 {
		known = -1
		if m.eval(m.pats[pid], sid) {
			known = 1
		}
		if m.memo != nil {
			m.memo[k] = known
		} else {
			m.memoMap[k] = known
		}
	}
	return known > 0
}

func (m *segMatcher) eval(p *segPattern, sid int) bool {
	switch {
	case p.exact:
		return p.literal == m.strs[sid]
	case p.never:
		return false
	case p.re != nil:
		return p.re.MatchString(m.strs[sid])
	}
	if m.runes[sid] == nil {
		m.runes[sid] = []rune(m.strs[sid])
	}
	return globMatch(p.elems, m.runes[sid], m.sp.dotAll())
}

// firstFit is the first path index at ≥ lo where pattern tokens
// first … first+run-1 match consecutive path tokens ending by hi, or -1.
func (m *segMatcher) firstFit(first, run, lo, hi int) int {
next:
	for at := lo; at+run-1 <= hi; at++ {
		for k := 0; k < run; k++ {
			if !m.match(first+k, at+k) {
				continue next
			}
		}
		return at
	}
	return -1
}

// segPattern is one pattern token prepared for matching, like Spring's
// AntPathStringMatcher: exact text, a glob of literal runes, "?" and "*"
// ("{name}" is the same as "*"), or, when a "{name:regex}" is present, a
// regular expression.
type segPattern struct {
	exact   bool
	literal string
	elems   []elem
	re      *regexp.Regexp
	never   bool // the regex Spring would build does not compile
}

type elemKind uint8

const (
	litRune  elemKind = iota
	oneRune           // "?": Java's "."
	anyRunes          // "*" and "{name}": Java's ".*"
)

type elem struct {
	kind elemKind
	r    rune
}

type pieceKind uint8

const (
	pieceLit pieceKind = iota
	pieceOne
	pieceAny
	pieceRegex
)

type piece struct {
	kind pieceKind
	text []rune // the literal, or the regex of "{name:regex}"
}

func compileSegment(sp spring, tok string) *segPattern {
	pieces := scanGlobs([]rune(tok))
	if len(pieces) == 1 && pieces[0].kind == pieceLit || len(pieces) == 0 {
		return &segPattern{exact: true, literal: tok}
	}
	hasRegex := false
	for _, p := range pieces {
		hasRegex = hasRegex || p.kind == pieceRegex
	}
	if hasRegex {
		return compileRegexSegment(sp, pieces)
	}
	var elems []elem
	for _, p := range pieces {
		switch p.kind {
		case pieceLit:
			for _, r := range p.text {
				elems = append(elems, elem{kind: litRune, r: r})
			}
		case pieceOne:
			elems = append(elems, elem{kind: oneRune})
		default:
			if n := len(elems); n == 0 || elems[n-1].kind != anyRunes {
				elems = append(elems, elem{kind: anyRunes})
			}
		}
	}
	return &segPattern{elems: elems}
}

// compileRegexSegment builds what AntPathStringMatcher builds (quoted
// literals, "." for "?", ".*" for "*" and "{name}", "(regex)" for
// "{name:regex}") and hands it to Go's RE2 engine, which matches in time
// linear in the segment. The regex part is Java syntax; RE2 accepts the
// common subset (classes, quantifiers, alternation, groups, \d \w \Q…\E).
// Java-only constructs (backreferences, lookaround, possessive quantifiers,
// class intersections) either fail to compile here, where the segment then
// never matches, or may be read differently: such patterns cannot reach
// AntPathMatcher in eSignet v1.2+ anyway (UrlValidator rejects "{" and "}").
func compileRegexSegment(sp spring, pieces []piece) *segPattern {
	dot, flags := `[^\n\r\x{85}\x{2028}\x{2029}]`, "" // Java "." without DOTALL
	if sp.dotAll() {
		dot, flags = ".", "(?s)"
	}
	var b strings.Builder
	for _, p := range pieces {
		switch p.kind {
		case pieceLit:
			b.WriteString(regexp.QuoteMeta(string(p.text)))
		case pieceOne:
			b.WriteString(dot)
		case pieceAny:
			b.WriteString(dot + "*")
		case pieceRegex:
			b.WriteString("(" + string(p.text) + ")")
		}
	}
	body := b.String()
	// Spring compiles the concatenation on its own; a regex that only
	// compiles inside an extra group (e.g. "a))(?:(b") must fail here too.
	if _, err := regexp.Compile(flags + body); err != nil {
		return &segPattern{never: true}
	}
	re, err := regexp.Compile(flags + `\A(?:` + body + `)\z`) // Matcher.matches(): whole segment
	if err != nil {
		return &segPattern{never: true}
	}
	return &segPattern{re: re}
}

// globMatch matches a segment against literal runes, "?" and "*" with the
// two-pointer method: on a mismatch only the most recent "*" grows, by one
// rune, so the cost is O(len(elems)·len(s)).
//
// Without DOTALL (Spring 5.x) "?" and "*" must not take a Java line
// terminator. The greedy method stays exact: if the last "*" cannot grow
// over a line terminator, no earlier "*" can help either, because placing a
// star-free chunk further right never uncovers text the leftmost placement
// leaves unmatched, unless that chunk itself holds a line terminator, in
// which case the leftmost placement was the only one.
func globMatch(elems []elem, s []rune, dotAll bool) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(elems) {
			e := elems[pi]
			switch {
			case e.kind == anyRunes:
				star, mark = pi, si
				pi++
				continue
			case e.kind == oneRune && (dotAll || !javaLineTerminator(s[si])),
				e.kind == litRune && e.r == s[si]:
				pi, si = pi+1, si+1
				continue
			}
		}
		if star < 0 || (!dotAll && javaLineTerminator(s[mark])) {
			return false
		}
		mark++
		pi, si = star+1, mark
	}
	for pi < len(elems) && elems[pi].kind == anyRunes {
		pi++
	}
	return pi == len(elems)
}

// javaLineTerminator is what java.util.regex's "." refuses without DOTALL
// (and without UNIX_LINES).
func javaLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029
}

// scanGlobs splits a pattern token the way AntPathStringMatcher's
// GLOB_PATTERN = \?|\*|\{((?:\{[^/]+?\}|[^/{}]|\\[{}])+?)\} finds its
// globs with Matcher.find(): "?", "*", or a brace group; text between globs
// is literal, including a "{" that starts no group.
func scanGlobs(rs []rune) []piece {
	braceEnd := braceGroupEnds(rs)
	var out []piece
	lit := 0
	flush := func(end int) {
		if end > lit {
			out = append(out, piece{kind: pieceLit, text: rs[lit:end]})
		}
	}
	for p := 0; p < len(rs); {
		switch rs[p] {
		case '?', '*':
			flush(p)
			kind := pieceOne
			if rs[p] == '*' {
				kind = pieceAny
			}
			out = append(out, piece{kind: kind})
			p++
			lit = p
		case '{':
			end := braceEnd(p)
			if end < 0 {
				p++
				continue
			}
			flush(p)
			group := rs[p:end]
			colon := -1
			for i, r := range group {
				if r == ':' {
					colon = i
					break
				}
			}
			if colon < 0 {
				out = append(out, piece{kind: pieceAny}) // "(.*)"
			} else {
				out = append(out, piece{kind: pieceRegex, text: group[colon+1 : len(group)-1]})
			}
			p, lit = end, end
		default:
			p++
		}
	}
	flush(len(rs))
	return out
}

// braceGroupEnds returns a function giving, for a "{" at p, where the brace
// alternative of GLOB_PATTERN ends (exclusive), or -1 when it fails there.
//
// That alternative is "{", then one or more items tried lazily, then "}". An
// item is, in order of preference, a nested "{…}" (shortest first), one
// rune other than "{" or "}", or an escaped "\{" / "\}". Java's backtracking
// returns the first success in that order; because what can follow a
// position does not depend on how it was reached, the first success from
// each position is computed once, right to left, in linear time:
//
//	after[q]: first end once ≥ 1 item is done and the next rune is rs[q]
//	item[q]:  first end when one more item must start at rs[q]
//	okClose[k]: after[j+1] for the first "}" at j ≥ k with after[j+1] ≥ 0
func braceGroupEnds(rs []rune) func(p int) int {
	n := len(rs)
	after := make([]int, n+2)
	item := make([]int, n+2)
	okClose := make([]int, n+3)
	for i := range after {
		after[i], item[i] = -1, -1
	}
	for i := range okClose {
		okClose[i] = -1
	}
	for q := n - 1; q >= 0; q-- {
		switch c := rs[q]; c {
		case '{': // nested group: "{", ≥ 1 rune, then the first workable "}"
			item[q] = okClose[q+2]
		case '}':
			item[q] = -1
		default:
			item[q] = after[q+1]
			if item[q] < 0 && c == '\\' && q+1 < n && (rs[q+1] == '{' || rs[q+1] == '}') {
				item[q] = after[q+2]
			}
		}
		if rs[q] == '}' {
			after[q] = q + 1 // lazy: close as soon as possible
		} else {
			after[q] = item[q]
		}
		okClose[q] = okClose[q+1]
		if rs[q] == '}' && after[q+1] >= 0 {
			okClose[q] = after[q+1]
		}
	}
	return func(p int) int {
		if p+1 >= n {
			return -1
		}
		return item[p+1]
	}
}
