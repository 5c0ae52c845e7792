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
package esignet
