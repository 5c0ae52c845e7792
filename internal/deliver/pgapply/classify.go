package pgapply

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openg2p/esignet-operator/internal/render"
)

// classifier turns driver and server errors into *Error. It reads the server's message only to
// pull out identifiers (table, column, type names) with fixed patterns; the text itself, and the
// driver's (which holds addresses), never reach the result.
type classifier struct {
	conn   Conn
	target Target
	opts   Options
	sniff  *sniffer
}

// Patterns over PostgreSQL's English messages for the identifier they name. With another
// lc_messages they fail to match and the message goes without the name.
var (
	reRelation   = regexp.MustCompile(`^relation "([^"]+)" does not exist`)
	reColumn     = regexp.MustCompile(`^column (?:"([^"]+)"|[A-Za-z_][A-Za-z0-9_$]*\.([A-Za-z_][A-Za-z0-9_$]*))(?: of relation "([^"]+)")? does not exist`)
	reType       = regexp.MustCompile(`^type "([^"]+)" does not exist`)
	rePermission = regexp.MustCompile(`^permission denied for (table|sequence|relation|schema|database|function) ("[^"]+"|[^ ]+)`)
	reEnum       = regexp.MustCompile(`^invalid input value for enum ([^:" ]+):`)
	reColumnType = regexp.MustCompile(`^column "([^"]+)" is of type`)
	reIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$`)
)

// ident returns s quoted if it looks like an SQL identifier, else the fallback.
func ident(s, fallback string) string {
	s = strings.Trim(s, `"`)
	if reIdentifier.MatchString(s) {
		return `"` + s + `"`
	}
	return fallback
}

func match(re *regexp.Regexp, msg string, group int) string {
	if m := re.FindStringSubmatch(msg); m != nil && group < len(m) {
		return m[group]
	}
	return ""
}

// contextError reports the caller's own cancellation or deadline, which wins over whatever the
// driver made of it.
func contextError(parent context.Context) *Error {
	switch err := parent.Err(); {
	case errors.Is(err, context.Canceled):
		e := newError(Canceled, "", "the delivery was cancelled before it finished; nothing was committed")
		e.cause = err
		return e
	case errors.Is(err, context.DeadlineExceeded):
		e := newError(Timeout, "", "the caller's deadline passed before the delivery finished; nothing was committed")
		e.cause = err
		return e
	}
	return nil
}

// connectError classifies a failed connection attempt.
func (c *classifier) connectError(parent context.Context, err error) *Error {
	if e := contextError(parent); e != nil {
		return e
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return c.serverError(pgErr)
	}
	if e := c.tlsError(err); e != nil {
		return e
	}
	// pgx's own wording, searched but never returned.
	if strings.Contains(err.Error(), "require_auth check failed") {
		return newError(AuthFailed, "", "the server asked for the password in clear text; the operator sends it so only "+
			"to a server whose certificate it verified: use sslmode verify-full or verify-ca, or scram-sha-256 in pg_hba.conf")
	}
	// One class for everything before PostgreSQL answered, so that the status of an output is
	// no port scanner for whoever writes the Secret.
	return newError(DatabaseUnavailable, "", "connection failed: no PostgreSQL server answered at the Secret's host "+
		"and port within %s (the name does not resolve, nothing listens there, the network drops the connection, or "+
		"it is not PostgreSQL); check host, port, the server and network policies between the operator and the database",
		c.opts.ConnectTimeout)
}

// tlsError classifies TLS trouble: a PostgreSQL server that offers no TLS, and certificates
// that do not verify. A handshake with something that is not TLS is left to connectError.
func (c *classifier) tlsError(err error) *Error {
	if c.conn.SSLMode == SSLDisable {
		return nil
	}
	var (
		hostname x509.HostnameError
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		alert    tls.AlertError
		op       *net.OpError
	)
	switch {
	case errors.As(err, &hostname):
		return newError(TLSFailed, "", "the server's TLS certificate is not valid for the host name in the Secret "+
			"(sslmode verify-full checks it): set host to a name the certificate holds, or sslmode: verify-ca to check the CA only")
	case errors.As(err, &unknown):
		where := "the Secret's ca.crt"
		if c.conn.roots == nil {
			where = "the system roots (the Secret has no ca.crt)"
		}
		return newError(TLSFailed, "", "the server's TLS certificate is not signed by a CA in %s: put the CA "+
			"that issued the server's certificate into the Secret's ca.crt", where)
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return newError(TLSFailed, "", "the server's TLS certificate (or one of its chain) has expired or is not yet valid: renew it")
		}
		return newError(TLSFailed, "", "the server's TLS certificate chain is not valid for a TLS server: reissue it")
	case errors.As(err, &verify):
		return newError(TLSFailed, "", "the server's TLS certificate could not be verified")
	case errors.As(err, &alert), errors.As(err, &op) && op.Op == "remote error":
		return newError(TLSFailed, "", "the server aborted the TLS handshake (it may want a client certificate, "+
			"which the operator does not send, or TLS settings the operator does not offer)")
	case c.sniff != nil && c.sniff.first() == 'N':
		// PostgreSQL answers the TLS request with 'N' when it has no TLS (ssl = off).
		return newError(TLSFailed, "", "the server does not offer TLS: turn TLS on in the server (ssl = on), or "+
			"set sslmode: disable in the Secret if the connection runs only over a network you trust")
	}
	return nil
}

// execError classifies a failure after the connection was made.
func (c *classifier) execError(parent context.Context, err error) *Error {
	if e := contextError(parent); e != nil {
		return e
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return c.serverError(pgErr)
	}
	if pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return newError(Timeout, "", "the database stopped answering: the delivery's time limit of %s passed; "+
			"nothing was committed", c.opts.Timeout)
	}
	return newError(DatabaseUnavailable, "", "the connection to the database was lost during the delivery; "+
		"nothing was committed unless it was lost during COMMIT (the next delivery checks the row either way)")
}

// serverError classifies an error the server reported, by SQLSTATE.
func (c *classifier) serverError(pe *pgconn.PgError) *Error {
	code, msg := pe.Code, pe.Message
	class := ""
	if len(code) >= 2 {
		class = code[:2]
	}
	tb := tables[c.target.Format]
	switch {
	case code == "28P01":
		return newError(AuthFailed, code, "the server rejected the password of user %q: fix user and password in the Secret", c.conn.User)
	case class == "28":
		return newError(AuthFailed, code, "the server rejected the login of user %q to database %q: its pg_hba.conf "+
			"allows no such connection from the operator (or only with TLS, and sslmode is disable)", c.conn.User, c.conn.Database)
	case code == "3D000":
		return newError(DatabaseMissing, code, "database %q does not exist on the server: fix database in the "+
			"Secret, or create it (the app's chart usually does)", c.conn.Database)
	case code == "42501":
		return newError(PermissionDenied, code, "user %q lacks a privilege on %s: %s", c.conn.User,
			privilegeObject(msg), c.grants())
	case code == "P0001" && c.target.IDType != "" && strings.Contains(msg, "no such ID type"):
		return c.idTypeMissing()
	case code == "57014":
		return newError(Timeout, code, "a statement ran longer than the statement timeout (%s), or an administrator "+
			"cancelled it; nothing was committed", c.opts.StatementTimeout)
	case code == "55P03":
		return newError(Timeout, code, "could not lock %s within the lock timeout (%s): another session holds a "+
			"conflicting lock; nothing was committed", ident(tb.name, "the table"), c.opts.LockTimeout)
	case code == "25P03":
		return newError(Timeout, code, "the server ended the transaction after it sat idle too long; nothing was committed")
	case code == "40001" || code == "40P01":
		return newError(Conflict, code, "a concurrent transaction conflicted with the upsert (deadlock or "+
			"serialization failure); nothing was committed")
	case code == "25006":
		return newError(ReadOnly, code, "the server is read-only (a standby, or default_transaction_read_only for "+
			"user %q): point the Secret's host at the primary", c.conn.User)
	case class == "08" || class == "53" || class == "57" || class == "58":
		return newError(DatabaseUnavailable, code, "the server is shutting down, starting up or out of resources "+
			"(connections, memory, disk); nothing was committed")
	case code == "42P01" || code == "42703" || code == "42704" || code == "3F000" || code == "42883":
		return newError(SchemaMissing, code, "%s does not exist in database %q: %s", c.missingObject(code, msg),
			c.conn.Database, tb.hint)
	case code == "42804" || class == "22" || class == "23":
		return newError(SchemaMismatch, code, "%s: the table is not the shape this output is rendered for (%s)",
			c.mismatch(pe), tb.hint)
	}
	return newError(ApplyFailed, code, "the database rejected the upsert")
}

func (c *classifier) idTypeMissing() *Error {
	return newError(IDTypeMissing, "", "Odoo has no ID type (g2p.id.type) named %q: create it in Odoo, or change "+
		"the output's odoo.idType", c.target.IDType)
}

func (c *classifier) missingObject(code, msg string) string {
	switch code {
	case "42P01":
		return "table " + ident(match(reRelation, msg, 1), "(name not reported)")
	case "42703":
		m := reColumn.FindStringSubmatch(msg)
		if m == nil {
			return "a column the upsert writes"
		}
		col := ident(m[1]+m[2], "(name not reported)")
		if m[3] != "" {
			return "column " + col + " of table " + ident(m[3], "(name not reported)")
		}
		return "column " + col + " of table " + ident(tables[c.target.Format].name, "")
	case "42704":
		return "type " + ident(match(reType, msg, 1), "(name not reported)")
	case "3F000":
		return "a schema on the search path"
	}
	return "a function the delivery uses (PostgreSQL 11 or later is needed)"
}

// mismatch names what rejected the row: constraint and column names come from the server's
// error fields, never its DETAIL (which quotes the row, key material included).
func (c *classifier) mismatch(pe *pgconn.PgError) string {
	switch pe.Code {
	case "23502":
		return "column " + ident(pe.ColumnName, "(name not reported)") + " must not be null and the operator does not write it"
	case "23505":
		return "unique constraint " + ident(pe.ConstraintName, "(name not reported)") + " rejects the row"
	case "23503":
		return "foreign key " + ident(pe.ConstraintName, "(name not reported)") + " rejects the row"
	case "23514":
		return "check constraint " + ident(pe.ConstraintName, "(name not reported)") + " rejects the row"
	case "22001":
		return "a value is longer than its column allows"
	case "42804":
		return "column " + ident(match(reColumnType, pe.Message, 1), "(name not reported)") + " has another type than the one the operator writes"
	case "22P02":
		if t := match(reEnum, pe.Message, 1); t != "" {
			return "enum type " + ident(t, "(name not reported)") + " lacks a value the operator writes"
		}
	}
	return "a column rejects a value the operator writes"
}

func privilegeObject(msg string) string {
	m := rePermission.FindStringSubmatch(msg)
	if m == nil {
		return "an object the upsert uses"
	}
	return m[1] + " " + ident(m[2], "(name not reported)")
}

// grants lists what the Secret's user needs.
func (c *classifier) grants() string {
	tb := tables[c.target.Format]
	s := "grant CONNECT on the database, SELECT, INSERT and UPDATE on " + tb.name + " (UPDATE also covers its " +
		"LOCK), and USAGE on " + tb.name + "_id_seq"
	if c.target.Format == render.FormatOdoo {
		s += ", SELECT on res_company"
		if c.target.IDType != "" {
			s += ", SELECT and UPDATE on g2p_id_type"
		}
	}
	return s
}
