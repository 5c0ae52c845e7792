package pgapply

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openg2p/esignet-operator/internal/render"
)

func TestDecide(t *testing.T) {
	loc := Location{Host: "db", Port: 5432, Database: "odoo", Table: "auth_oauth_provider"}
	last := &Record{Hash: "sha256:h", RowHash: "sha256:r", Location: loc}
	rows := func(r ...string) func() ([]string, error) { return func() ([]string, error) { return r, nil } }
	noProbe := func() ([]string, error) { return nil, errors.New("probe must not run") }
	moved := *last
	moved.Location.Database = "odoo2"
	for _, tc := range []struct {
		name  string
		last  *Record
		hash  string
		probe func() ([]string, error)
		want  Cause
	}{
		{"no record", nil, "sha256:h", noProbe, NeverApplied},
		{"empty record", &Record{}, "sha256:h", noProbe, NeverApplied},
		{"record without row hash", &Record{Hash: "sha256:h", Location: loc}, "sha256:h", noProbe, NeverApplied},
		{"other place", &moved, "sha256:h", noProbe, TargetChanged},
		{"new content", last, "sha256:new", noProbe, ContentChanged},
		{"row deleted", last, "sha256:h", rows(), RowMissing},
		{"row edited", last, "sha256:h", rows("x"), RowChanged},
		{"one of two rows edited", last, "sha256:h", rows("r", "x"), RowChanged},
		{"row as applied", last, "sha256:h", rows("r"), UpToDate},
		{"two rows as applied", last, "sha256:h", rows("r", "r"), UpToDate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decide(tc.last, tc.hash, loc, tc.probe)
			if err != nil || got != tc.want {
				t.Fatalf("decide = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
	if _, err := decide(last, "sha256:h", loc, func() ([]string, error) { return nil, io.EOF }); !errors.Is(err, io.EOF) {
		t.Fatalf("probe error lost: %v", err)
	}
}

// Server errors map to reasons by SQLSTATE; the message names identifiers only, never the
// server's DETAIL, HINT or CONTEXT (which quote rows and statements, key material included).
func TestServerErrorClassification(t *testing.T) {
	r := renderOutput(t, render.FormatFastAPIAuth, "c", nil)
	odoo := renderOutput(t, render.FormatOdoo, "c", func(in *render.Input) { in.Odoo.IDType = "NATIONAL ID" })
	conn := Conn{Host: "db.internal", Port: 5432, Database: "spar", User: "spar", SSLMode: SSLVerifyFull, password: testPassword}
	leak := strings.Join(r.secrets, " ")
	cl := &classifier{conn: conn, target: r.target, opts: Options{}.withDefaults()}
	clOdoo := &classifier{conn: conn, target: odoo.target, opts: Options{}.withDefaults()}
	for _, tc := range []struct {
		pe     pgconn.PgError
		odoo   bool
		reason Reason
		says   string
	}{
		{pgconn.PgError{Code: "28P01", Message: `password authentication failed for user "spar"`}, false, AuthFailed, `password of user "spar"`},
		{pgconn.PgError{Code: "28000", Message: `no pg_hba.conf entry for host "127.1.2.3", user "spar", database "spar", no encryption`}, false, AuthFailed, "pg_hba.conf"},
		{pgconn.PgError{Code: "3D000", Message: `database "spar" does not exist`}, false, DatabaseMissing, `database "spar" does not exist`},
		{pgconn.PgError{Code: "42501", Message: "permission denied for table login_providers"}, false, PermissionDenied, `table "login_providers"`},
		{pgconn.PgError{Code: "42501", Message: "permission denied for sequence login_providers_id_seq"}, false, PermissionDenied, `sequence "login_providers_id_seq"`},
		{pgconn.PgError{Code: "42501", Message: "permission denied for table g2p_id_type"}, true, PermissionDenied, "SELECT and UPDATE on g2p_id_type"},
		{pgconn.PgError{Code: "42P01", Message: `relation "login_providers" does not exist`}, false, SchemaMissing, `table "login_providers" does not exist in database "spar"`},
		{pgconn.PgError{Code: "42703", Message: `column "client_private_key" of relation "login_providers" does not exist`}, false, SchemaMissing, `column "client_private_key" of table "login_providers"`},
		{pgconn.PgError{Code: "42703", Message: `column p.enable_pkce does not exist`}, true, SchemaMissing, `column "enable_pkce" of table "auth_oauth_provider"`},
		{pgconn.PgError{Code: "42703", Message: `column "enable_pkce" does not exist`}, true, SchemaMissing, `column "enable_pkce" of table "auth_oauth_provider"`},
		{pgconn.PgError{Code: "42704", Message: `type "loginprovidertypes" does not exist`}, false, SchemaMissing, `type "loginprovidertypes"`},
		{pgconn.PgError{Code: "42883", Message: "function sha256(bytea) does not exist"}, false, SchemaMissing, "PostgreSQL 11"},
		{pgconn.PgError{Code: "22P02", Message: `invalid input value for enum tokenendpointauthmethod: "private_key_jwt"`}, false, SchemaMismatch, `enum type "tokenendpointauthmethod"`},
		{pgconn.PgError{Code: "22P02", Message: "invalid input syntax for type json", Detail: "Token \"" + leak + "\" is invalid.", Where: "JSON data, line 1: " + leak}, false, SchemaMismatch, "a column rejects a value"},
		{pgconn.PgError{Code: "23502", Message: `null value in column "tenant" of relation "login_providers" violates not-null constraint`, Detail: "Failing row contains (" + leak + ").", ColumnName: "tenant", TableName: "login_providers"}, false, SchemaMismatch, `column "tenant" must not be null`},
		{pgconn.PgError{Code: "23505", Message: "duplicate key value violates unique constraint", Detail: "Key (name)=(" + leak + ") already exists.", ConstraintName: "login_providers_name_key"}, false, SchemaMismatch, `unique constraint "login_providers_name_key"`},
		{pgconn.PgError{Code: "42804", Message: `column "body" is of type character varying but expression is of type jsonb`}, true, SchemaMismatch, `column "body" has another type`},
		{pgconn.PgError{Code: "P0001", Message: "g2p_id_type NATIONAL ID: no such ID type; create it in Odoo first"}, true, IDTypeMissing, `named "NATIONAL ID"`},
		{pgconn.PgError{Code: "P0001", Message: "some trigger said no: " + leak}, false, ApplyFailed, "the database rejected the upsert"},
		{pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}, false, Timeout, "statement timeout (15s)"},
		{pgconn.PgError{Code: "55P03", Message: `canceling statement due to lock timeout`}, false, Timeout, `could not lock "login_providers" within the lock timeout (5s)`},
		{pgconn.PgError{Code: "40P01", Message: "deadlock detected", Detail: leak}, false, Conflict, "deadlock"},
		{pgconn.PgError{Code: "25006", Message: "cannot execute UPDATE in a read-only transaction"}, false, ReadOnly, "primary"},
		{pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, false, DatabaseUnavailable, "starting up"},
		{pgconn.PgError{Code: "53300", Message: "sorry, too many clients already"}, false, DatabaseUnavailable, "out of resources"},
		{pgconn.PgError{Code: "XX000", Message: "internal error " + leak, Hint: leak, InternalQuery: leak}, false, ApplyFailed, "rejected the upsert"},
	} {
		t.Run(tc.pe.Code+" "+tc.pe.Message[:min(len(tc.pe.Message), 30)], func(t *testing.T) {
			c := cl
			if tc.odoo {
				c = clOdoo
			}
			pe := tc.pe
			err := c.serverError(&pe)
			e := wantReason(t, err, tc.reason, retryable[tc.reason])
			if !strings.Contains(e.Message, tc.says) {
				t.Fatalf("message %q does not say %q", e.Message, tc.says)
			}
			if tc.reason != IDTypeMissing && e.SQLState != tc.pe.Code {
				t.Fatalf("SQLState %q", e.SQLState)
			}
			assertClean(t, err, append(r.secrets, testPassword, "db.internal", "127.1.2.3")...)
			// Through execError as the driver returns it, wrapped.
			err2 := c.execError(context.Background(), fmt.Errorf("wrapped: %w", &pe))
			if ReasonOf(err2) != tc.reason {
				t.Fatalf("execError: %v", err2)
			}
		})
	}
}

// Failures before PostgreSQL answers are one class without addresses (no port scanner); TLS
// trouble is told apart only when it is certainly TLS.
func TestConnectErrorClassification(t *testing.T) {
	conn := Conn{Host: "db.internal", Port: 5432, Database: "d", User: "u", SSLMode: SSLVerifyFull, password: testPassword}
	o := Options{}.withDefaults()
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5432}, Err: errors.New("connect: connection refused")}
	nSniff, sSniff := &sniffer{}, &sniffer{}
	nSniff.b.Store('N' + 1)
	sSniff.b.Store('S' + 1)
	for _, tc := range []struct {
		name   string
		err    error
		sniff  *sniffer
		mode   SSLMode
		reason Reason
		says   string
	}{
		{"refused", fmt.Errorf("failed to connect to 127.0.0.1:5432 (db.internal): dial error: %w", refused), nil, SSLVerifyFull, DatabaseUnavailable, "connection failed"},
		{"timeout", fmt.Errorf("db.internal:5432: %w", context.DeadlineExceeded), nil, SSLVerifyFull, DatabaseUnavailable, "within 10s"},
		{"no TLS", errors.New("tls error: server refused TLS connection"), nSniff, SSLVerifyFull, TLSFailed, "does not offer TLS"},
		{"something else refused TLS", errors.New("tls error: server refused TLS connection"), &sniffer{}, SSLVerifyFull, DatabaseUnavailable, "connection failed"},
		{"not TLS after S", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, sSniff, SSLVerifyFull, DatabaseUnavailable, "connection failed"},
		{"unknown CA", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, sSniff, SSLVerifyFull, TLSFailed, "system roots"},
		{"host name", &tls.CertificateVerificationError{Err: x509.HostnameError{Host: "db.internal", Certificate: &x509.Certificate{}}}, sSniff, SSLVerifyFull, TLSFailed, "not valid for the host name"},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired}, sSniff, SSLVerifyCA, TLSFailed, "expired"},
		{"remote alert", &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}, sSniff, SSLVerifyFull, TLSFailed, "aborted the TLS handshake"},
		{"clear-text password refused", errors.New(`db.internal:5432: require_auth check failed: authentication method requirement "!password" failed`), nil, SSLRequire, AuthFailed, "clear text"},
		{"TLS checks skipped with disable", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, sSniff, SSLDisable, DatabaseUnavailable, "connection failed"},
		{"server error while connecting", fmt.Errorf("server error: %w", &pgconn.PgError{Code: "28P01"}), nil, SSLVerifyFull, AuthFailed, "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := conn
			c.SSLMode = tc.mode
			cl := &classifier{conn: c, target: Target{Format: render.FormatIAM}, opts: o, sniff: tc.sniff}
			err := cl.connectError(context.Background(), tc.err)
			e := wantReason(t, err, tc.reason, retryable[tc.reason])
			if !strings.Contains(e.Message, tc.says) {
				t.Fatalf("message %q does not say %q", e.Message, tc.says)
			}
			assertClean(t, err, testPassword, "db.internal", "127.0.0.1", "5432 ", ":5432", "refused", "dial")
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cl := &classifier{conn: conn, opts: o}
	if err := cl.connectError(ctx, errors.New("x")); ReasonOf(err) != Canceled || !errors.Is(err, context.Canceled) || !IsRetryable(err) {
		t.Fatalf("cancelled: %v", err)
	}
	if err := cl.execError(context.Background(), fmt.Errorf("read: %w", io.ErrUnexpectedEOF)); ReasonOf(err) != DatabaseUnavailable {
		t.Fatalf("lost connection: %v", err)
	}
	if ReasonOf(nil) != "" || ReasonOf(io.EOF) != ApplyFailed || IsRetryable(io.EOF) {
		t.Fatal("ReasonOf/IsRetryable on foreign errors")
	}
}
