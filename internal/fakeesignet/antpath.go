package fakeesignet

import "strings"

// antMatch is Spring's AntPathMatcher.match(pattern, path) with "/" as the
// separator, as eSignet applies it to whole redirect URIs: "*" matches within
// one segment, "**" any number of segments, "?" one character.
func antMatch(pattern, path string) bool {
	if strings.HasPrefix(path, "/") != strings.HasPrefix(pattern, "/") {
		return false
	}
	pd, sd := antTokens(pattern), antTokens(path)
	ps, pe, ss, se := 0, len(pd)-1, 0, len(sd)-1
	for ps <= pe && ss <= se && pd[ps] != "**" {
		if !segMatch(pd[ps], sd[ss]) {
			return false
		}
		ps, ss = ps+1, ss+1
	}
	if ss > se {
		if ps > pe {
			return strings.HasSuffix(pattern, "/") == strings.HasSuffix(path, "/")
		}
		if ps == pe && pd[ps] == "*" && strings.HasSuffix(path, "/") {
			return true
		}
		return allDoubleStar(pd[ps : pe+1])
	} else if ps > pe {
		return false
	}
	for ps <= pe && ss <= se && pd[pe] != "**" {
		if !segMatch(pd[pe], sd[se]) {
			return false
		}
		if pe == len(pd)-1 && strings.HasSuffix(pattern, "/") != strings.HasSuffix(path, "/") {
			return false
		}
		pe, se = pe-1, se-1
	}
	if ss > se {
		return allDoubleStar(pd[ps : pe+1])
	}
	return antMiddle(pd, sd, ps, pe, ss, se)
}

// antMiddle matches the part between the first and the last "**".
func antMiddle(pd, sd []string, ps, pe, ss, se int) bool {
	for ps != pe && ss <= se {
		next := -1
		for i := ps + 1; i <= pe; i++ {
			if pd[i] == "**" {
				next = i
				break
			}
		}
		if next == ps+1 {
			ps++
			continue
		}
		patLen, strLen, found := next-ps-1, se-ss+1, -1
	search:
		for i := 0; i <= strLen-patLen; i++ {
			for j := 0; j < patLen; j++ {
				if !segMatch(pd[ps+j+1], sd[ss+i+j]) {
					continue search
				}
			}
			found = ss + i
			break
		}
		if found < 0 {
			return false
		}
		ps, ss = next, found+patLen
	}
	return allDoubleStar(pd[ps : pe+1])
}

func allDoubleStar(segs []string) bool {
	for _, s := range segs {
		if s != "**" {
			return false
		}
	}
	return true
}

// antTokens splits on "/" dropping empty tokens (tokenizeToStringArray).
func antTokens(s string) []string {
	var out []string
	for _, t := range strings.Split(s, "/") {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// segMatch matches one segment against a pattern with '*' and '?'.
func segMatch(p, s string) bool {
	pr, sr := []rune(p), []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(sr) {
		switch {
		case pi < len(pr) && (pr[pi] == '?' || pr[pi] == sr[si]):
			pi, si = pi+1, si+1
		case pi < len(pr) && pr[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '*' {
		pi++
	}
	return pi == len(pr)
}
