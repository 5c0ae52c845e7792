// Package pms is a typed client for MOSIP Partner Management Service's OIDC-client API: it
// registers, updates, reads back and deactivates eSignet relying-party clients through PMS, which
// is how a full MOSIP deployment (with the IDA plugin) must register them (API.md §6): a client
// created directly at eSignet is unknown to PMS and IDA, and kyc-auth fails.
//
// # The contract
//
// PMS, not the caller, decides two things:
//
//   - the client id: ClientID(publicJWK), base64url of SHA-256 of the standard base64 of the
//     key's SubjectPublicKeyInfo. It is known before the call, so a caller that crashed after
//     PMS created the client recognises it (AlreadyCreated on PMS_ESI_001);
//   - the user claims and ACRs: derived from the partner's policy (allowedKycAttributes through
//     PMS's identity mapping, filtered by eSignet's claims_supported; allowedAuthTypes through
//     the amr-acr mapping). Get reads back what PMS holds.
//
// The caller names the auth partner and the policy; PMS checks that the partner is an active
// Auth_Partner, the policy an Auth policy, and their mapping approved, then forwards the client to
// eSignet (relyingPartyId = the partner id) with its own token.
//
// # Generations
//
// GenerationOIDC (/oidc/client), GenerationOAuth (/oauth/client) and GenerationOIDCClients
// (/oidc-clients, PMS 1.3.0-beta.4+) differ in paths, envelope (requesttime vs requestTime; id
// and version checked on /oidc-clients), DTOs (clientNameLangMap, additionalConfig) and
// deactivation (PUT with status INACTIVE after a Get, or PATCH).
//
// # Errors
//
// Every PMS error code of API.md §6 maps to a Reason with a Class (terminal, retryable, auth,
// conflict) and a remedy a person can act on; errors also implement Kind() so esignet.KindOf
// classifies them. Describe(err) is the status-safe form (codes, reason, remedy; never the
// remote's words, an address or a token); Error() is the detailed form for logs.
//
// # What the remote cannot make this package do
//
// Follow a redirect (the token goes in a header and a cookie), hold more than 1 MiB of an answer
// (64 KiB from the auth manager), or leak the token or secret key into an error string.
// Transport failures before a connection are all "connection failed".
package pms
