// Package redirecturi decides, the way eSignet does, whether a redirect_uri
// sent by a relying party is covered by one of the redirect URIs registered
// for its client.
//
// What was read (and re-implemented, not copied):
//
//   - mosip/esignet esignet-core/src/main/java/io/mosip/esignet/core/util/
//     IdentityProviderUtil.java, validateRedirectURI and matchUri, at every
//     release tag v1.0.0, v1.1.0, v1.2.0, v1.3.0, v1.4.0, v1.4.1, v1.4.2,
//     v1.5.0, v1.5.1, v1.6.0, v1.6.1, v1.6.2, v1.7.0, v1.7.1 and v1.8.0 (the
//     last release tag; master has the same file), with its
//     callers in AuthorizationServiceImpl and OAuthServiceImpl and the
//     RedirectURL / @URL constraints on the request DTOs;
//   - Spring's org.springframework.util.AntPathMatcher at v5.2.11.RELEASE
//     (managed by Spring Boot 2.3.6, eSignet v1.0.0–v1.7.1) and v6.1.4
//     (Spring Boot 3.2.3, eSignet v1.8.0);
//   - JDK 11's java.net.URL and URLStreamHandler.parseURL (eSignet v1.0.0
//     and v1.1.0 run on openjdk:11);
//   - Apache Commons Validator's UrlValidator and DomainValidator, with the
//     java.net.URI parse UrlValidator starts from (eSignet v1.2.0+).
//
// What eSignet does:
//
//	tag              matchUri(registered, requested)
//	v1.0.0, v1.1.0   new URL(each) (MalformedURLException: no match);
//	                 protocols equal, hosts equalIgnoreCase (ports NOT
//	                 compared), AntPathMatcher.match(reg.getFile(), req.getFile())
//	v1.2.0 … v1.7.1  UrlValidator(ALLOW_ALL_SCHEMES+ALLOW_LOCAL_URLS).isValid
//	                 on both && AntPathMatcher.match(registered, requested) on the
//	                 whole strings (Spring 5.2)
//	v1.8.0           the same, with Spring 6.1
//
// validateRedirectURI accepts when any registered URI matches. It runs at
// /authorize (oauth-details) against the client's registered URIs, at
// /oauth/par (v1.7+) likewise, and at /oauth/token: up to v1.6 against the
// registered URIs, from v1.7 against the URI stored with the authorization
// code, in both cases after checking that the token request's redirect_uri
// equals that stored URI exactly. Before the service code runs, the
// request's redirect_uri must also pass @URL (java.net.URL, v1.0/v1.1) or
// @RedirectURL (the same UrlValidator, v1.2+).
//
// Valid is UrlValidator(ALLOW_ALL_SCHEMES+ALLOW_LOCAL_URLS).isValid, that
// is @RedirectURL; Accepts is validateRedirectURI for a release line, Valid
// and MatchFor combined as above; Match and MatchFor are the AntPathMatcher
// part alone (MatchFor is complete for v1.0/v1.1). The list of top-level
// domains that Valid accepts (tld.go) is a data snapshot taken from the
// ICANN section of the Public Suffix List, not regenerated.
//
// Match and MatchFor implement the AntPathMatcher part without exponential
// backtracking: per segment in O(len(pattern)·len(segment)), and per URI in
// O(len(pattern)·len(URI)), "**" included.
package redirecturi
