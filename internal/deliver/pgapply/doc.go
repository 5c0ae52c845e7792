// Package pgapply delivers a rendered login-provider upsert (render's odoo, fastapi-auth and iam
// formats) into the consumer's own PostgreSQL database.
//
// One call to Apply opens one connection (no pool; nothing is kept between calls), and in one
// transaction with a statement and a lock timeout it either finds the row still holding what was
// applied last (and writes nothing) or runs the rendered upsert, checks the row it left, and
// commits. The caller keeps the returned Record (content hash, row fingerprint, where, when) in
// the object's status and hands it back next time.
//
// The connection comes from a Secret in the relying party's namespace, parsed by ParseConn. TLS
// with full verification (sslmode verify-full) is the default; "disable" happens only when the
// Secret says so. Nothing is logged, and no error carries the password, a DSN, a host or port, or
// text of the rendered SQL: errors are *Error values with a Reason, a message a person can act on
// and whether retrying soon can help.
//
// Secret keys (values are trimmed of surrounding white space; the password only of trailing
// line breaks):
//
//	host         required  DNS name or IP address of the server (one host; no unix socket)
//	port         optional  default 5432
//	database     required  alias dbname (CloudNativePG, Crunchy)
//	user         required  alias username (CloudNativePG, Zalando, Bitnami's auth.username)
//	password     required  for user "postgres" the Bitnami key postgres-password is used when
//	                       password is absent; Bitnami's password key is auth.username's
//	sslmode      optional  verify-full (default), verify-ca, require, disable; libpq's
//	                       allow and prefer are refused (they fall back to plain text silently)
//	ca.crt       optional  PEM CA bundle the server certificate must chain to (alias
//	                       sslrootcert); without it the system roots are used. With require,
//	                       a CA makes the mode verify-ca, as in libpq.
//
// Other keys are ignored, so the Secret a chart already has for the app's database can be used
// once host, database and user are added to it.
package pgapply
