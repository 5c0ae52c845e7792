package redirecturi

import (
	"fmt"
	"regexp"
	"strconv"
)

// Match reports whether eSignet v1.8.0 accepts requested for a client that
// registered registered, as far as IdentityProviderUtil.matchUri's pattern
// match goes: Spring 6.1's AntPathMatcher.match(registered, requested) over
// the whole URI strings, so the scheme and host are matched as literal text
// (case-sensitively, port included) and "*", "**", "?" and "{name}" work in
// any "/"-separated part, the query string included.
//
// Since v1.2.0 matchUri is
//
//	urlValidator.isValid(registered) && urlValidator.isValid(requested) &&
//	    pathMatcher.match(registered, requested)
//
// with Apache Commons UrlValidator(ALLOW_ALL_SCHEMES + ALLOW_LOCAL_URLS).
// Match is the last conjunct only; Valid is the first two, and Accepts
// combines them over a client's registered URIs. This matters:
// AntPathMatcher drops empty segments, so Match("https://a.org/cb",
// "https://a.org//cb") is true, yet eSignet refuses the request because
// UrlValidator rejects "//" in a path. UrlValidator also rejects "{" and "}",
// so "{name}" patterns cannot be registered from v1.2.0 on.
//
// Tags v1.2.0 to v1.7.1 use the same code with Spring 5.2, which differs
// only slightly (see MatchFor); v1.0.0 and v1.1.0 compare parsed URLs.
func Match(registered, requested string) bool {
	return antMatch(spring61, registered, requested)
}

// MatchFor is Match for the eSignet release named by version: "v1.0" to
// "v1.8", with or without the "v" and a patch number ("1.7", "v1.4.2").
// It is a separate function because the older lines really differ:
//
//   - v1.8.0: Match (Spring 6.1.4 AntPathMatcher on the whole URIs).
//   - v1.2.0 … v1.7.1: the same with Spring 5.2.11, which lacks 6.x's
//     trailing-slash check at the end of a pattern after "**"
//     ("https://a.org/**/cb" accepts "https://a.org/x/cb/") and does not let
//     wildcards match line terminators. As with Match, the UrlValidator
//     check that matchUri performs on both URIs is not included (Accepts
//     adds it).
//   - v1.0.0, v1.1.0: complete matchUri, which parses both with
//     java.net.URL (MalformedURLException means no match, so app schemes
//     such as "myapp://cb" never match; registration rejected them too via
//     Hibernate's @URL), requires equal protocols and hosts ignoring case,
//     does not compare ports or user info at all, and applies Spring 5.2's
//     AntPathMatcher to getFile() (path plus "?query"; the "#fragment" is
//     dropped).
//
// An unknown version is an error rather than a guess.
func MatchFor(version, registered, requested string) (bool, error) {
	minor, err := minorVersion(version)
	if err != nil {
		return false, err
	}
	switch {
	case minor >= 8:
		return antMatch(spring61, registered, requested), nil
	case minor >= 2:
		return antMatch(spring52, registered, requested), nil
	}
	return matchURLParts(javaString(registered), javaString(requested)), nil
}

var versionRE = regexp.MustCompile(`^v?1\.([0-8])(?:\.\d+)?$`)

func minorVersion(version string) (int, error) {
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		return 0, fmt.Errorf("redirecturi: unsupported eSignet version %q (want v1.0 … v1.8)", version)
	}
	return strconv.Atoi(m[1])
}

// matchURLParts is matchUri of eSignet v1.0.0 and v1.1.0.
func matchURLParts(registered, requested string) bool {
	reg, ok := parseJavaURL(registered)
	if !ok {
		return false
	}
	req, ok := parseJavaURL(requested)
	if !ok {
		return false
	}
	return reg.protocol == req.protocol &&
		javaEqualsIgnoreCase(reg.host, req.host) &&
		antMatch(spring52, reg.file, req.file)
}
