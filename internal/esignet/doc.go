// Package esignet is a typed client for MOSIP eSignet's client-management
// API (register, update, patch and deactivate OIDC relying-party clients),
// the management token it needs (OAuth2 client credentials against
// Keycloak), and the public OIDC metadata (discovery, JWKS) relying parties
// are configured from.
//
// The wire format follows /work/shared/esignet/API.md: eSignet rejects
// unknown JSON members, reports validation errors with HTTP 200 and an
// errors array, and changed its endpoints and DTOs between releases, so
// every request is built for one APIVersion. Errors carry a Kind (KindOf)
// so that a controller decides by type, not by string; no error string
// ever contains a client secret, a bearer token or a private key.
//
// # Status messages: Describe
//
// Error() is the detailed form, for logs: it names the URL path and quotes
// (sanitised) server text and transport errors such as "dial tcp
// 127.1.2.3:22: connect: connection refused". A namespaced provider's URL is
// chosen by a tenant, so whatever reaches a Kubernetes status must not let
// the tenant read internal services through the operator. Controllers put
// Describe(err) into conditions instead: a fixed vocabulary ("HTTP 503",
// "eSignet error codes: invalid_redirect_uri, invalid_claim", "response is
// not an eSignet JSON envelope", "connection failed", "timed out", "TLS
// handshake failed (certificate not trusted)", …) that never holds an
// address, a port, a host name or words of the remote. Refused,
// unreachable, no route, unknown host, dial timeout and reset are all
// "connection failed".
//
// # What the remote cannot make this package do
//
//   - Follow a redirect: no request (client management, token, discovery,
//     JWKS) follows one, whatever the http.Client passed in says; a 3xx is
//     an error matching ErrRedirect (KindTerminal), the Location is not
//     quoted, and neither the token, the client secret nor the body is
//     sent anywhere but the configured URL.
//   - Make it hold unbounded data: client-management answers are read up
//     to 1 MiB, discovery documents and JWK sets up to MaxMetadataBody
//     (256 KiB), token answers up to 64 KiB. A discovery document's lists
//     hold at most MaxDiscoveryListEntries (200) entries of at most
//     MaxDiscoveryEntryLen (256) bytes, its URLs at most MaxDiscoveryURLLen
//     (2048) bytes, the whole document at most MaxDiscoveryValues (5000)
//     JSON values nested at most MaxDiscoveryDepth (32) deep; a JWK set at
//     most MaxJWKSKeys (50) keys; an access token at most
//     MaxAccessTokenLen (16 KiB) of visible ASCII. Beyond a limit the
//     document is refused (InvalidDocumentError naming field and limit),
//     never truncated.
//   - Break token caching: expires_in is clamped to [MinTokenLifetime,
//     MaxTokenLifetime] (10 s … 24 h); zero, negative or non-numeric values
//     mean 60 s.
package esignet
