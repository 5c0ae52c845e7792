package redirecturi

// Accepts reports whether eSignet of the release line named by version
// (spelled as for MatchFor) accepts requested as the redirect_uri of a
// client that registered the URIs in registered: it is
// IdentityProviderUtil.validateRedirectURI, which accepts when matchUri
// holds for at least one registered URI.
//
//   - v1.2.0 … v1.8.0: matchUri is
//     urlValidator.isValid(registered) && urlValidator.isValid(requested) &&
//     pathMatcher.match(registered, requested), so Accepts is Valid(requested)
//     and, for some registered r, Valid(r) and MatchFor(version, r,
//     requested). UrlValidator decides cases AntPathMatcher alone gets wrong:
//     "https://a.org/cb" does not accept "https://a.org//cb" although Match
//     says it matches, and registered URIs with a wildcard in the host or
//     port, or with "{name}", accept nothing.
//   - v1.0.0, v1.1.0: matchUri is MatchFor's (new java.net.URL on both, then
//     protocol, host and getFile() compared), with no UrlValidator.
//
// In every release a request URI that Accepts admits also passes the
// request's own @RedirectURL (v1.2+, Valid) or @URL (v1.0/v1.1, java.net.URL)
// constraint. At /oauth/token eSignet first requires the redirect_uri to
// equal the one stored with the authorization code, which is the caller's
// job. An unknown version is an error, even when registered is empty.
func Accepts(version string, registered []string, requested string) (bool, error) {
	minor, err := minorVersion(version)
	if err != nil {
		return false, err
	}
	urlValidator := minor >= 2
	if urlValidator && !Valid(requested) {
		return false, nil
	}
	for _, reg := range registered {
		if urlValidator && !Valid(reg) {
			continue
		}
		ok, err := MatchFor(version, reg, requested)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}
