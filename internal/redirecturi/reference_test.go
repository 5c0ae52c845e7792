package redirecturi

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// globSyntax is the grammar of AntPathStringMatcher's glob finder, written
// out as a Go regexp to serve as an oracle for scanGlobs. Go's regexp picks,
// among matches at the leftmost position, the one a backtracking engine
// would pick, which is what Java's Matcher.find() returns.
var globSyntax = regexp.MustCompile(`\?|\*|\{((?:\{[^/]+?\}|[^/{}]|\\[{}])+?)\}`)

func refScanGlobs(tok string) []piece {
	var out []piece
	last := 0
	for _, m := range globSyntax.FindAllStringIndex(tok, -1) {
		if m[0] > last {
			out = append(out, piece{kind: pieceLit, text: []rune(tok[last:m[0]])})
		}
		g := tok[m[0]:m[1]]
		switch {
		case g == "?":
			out = append(out, piece{kind: pieceOne})
		case g == "*":
			out = append(out, piece{kind: pieceAny})
		case strings.Contains(g, ":"):
			c := strings.IndexByte(g, ':')
			out = append(out, piece{kind: pieceRegex, text: []rune(g[c+1 : len(g)-1])})
		default:
			out = append(out, piece{kind: pieceAny})
		}
		last = m[1]
	}
	if last < len(tok) {
		out = append(out, piece{kind: pieceLit, text: []rune(tok[last:])})
	}
	return out
}

func samePieces(a, b []piece) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].kind != b[i].kind || string(a[i].text) != string(b[i].text) {
			return false
		}
	}
	return true
}

// TestScanGlobsExhaustive compares the linear brace scanner with the oracle
// on every string of up to 7 characters over the characters that matter.
func TestScanGlobsExhaustive(t *testing.T) {
	alphabet := []rune{'{', '}', '\\', 'a', ':', '*'}
	var walk func(prefix []rune, depth int)
	walk = func(prefix []rune, depth int) {
		tok := string(prefix)
		if got, want := scanGlobs(prefix), refScanGlobs(tok); !samePieces(got, want) {
			t.Fatalf("scanGlobs(%q) = %v, oracle %v", tok, got, want)
		}
		if depth == 0 {
			return
		}
		for _, r := range alphabet {
			walk(append(prefix, r), depth-1)
		}
	}
	walk(nil, 7)
}

// refSegmentRegexp translates a token into a Go regexp the slow, obvious
// way: "?" and "*" become "." and ".*", refusing Java line terminators
// unless dotAll.
func refSegmentRegexp(dotAll bool, tok string) (*regexp.Regexp, error) {
	dot := `[^\n\r\x{85}\x{2028}\x{2029}]`
	if dotAll {
		dot = `(?s:.)`
	}
	var b strings.Builder
	b.WriteString(`^(?:`)
	for _, p := range refScanGlobs(tok) {
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
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}

// TestSegmentMatchAgainstRegexp checks the two-pointer matcher (and the
// line-terminator rule of Spring 5) against Go regexps on random inputs.
func TestSegmentMatchAgainstRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	patChars := []string{"a", "b", "*", "?", "\n", "{x}", "\u2028"}
	strChars := []string{"a", "b", "\n", "\r", "\u2028", "?", "*"}
	for i := 0; i < 20000; i++ {
		var p, s strings.Builder
		for n := rng.IntN(8); n > 0; n-- {
			p.WriteString(patChars[rng.IntN(len(patChars))])
		}
		for n := rng.IntN(10); n > 0; n-- {
			s.WriteString(strChars[rng.IntN(len(strChars))])
		}
		tok, seg := p.String(), s.String()
		if tok == "" || seg == "" {
			continue
		}
		for _, sp := range []spring{spring52, spring61} {
			re, err := refSegmentRegexp(sp.dotAll(), tok)
			if err != nil {
				t.Fatal(err)
			}
			m := newSegMatcher(sp, []string{tok}, []string{seg})
			if got, want := m.match(0, 0), re.MatchString(seg); got != want {
				t.Fatalf("spring %d: segment %q vs %q = %v, regexp says %v", sp, tok, seg, got, want)
			}
		}
	}
}
