package pgapply

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openg2p/esignet-operator/internal/render"
	"github.com/openg2p/esignet-operator/test/consumers"
)

// The tests below run Apply against a real PostgreSQL on 127.0.0.1 (test/consumers), with the
// consumers' real tables, TLS on (a test CA's certificate for 127.0.0.1) and scram-sha-256 for
// TCP logins, as the least-privileged role a deployment would give the operator.

const (
	operatorRole  = "esignet_operator"
	cleartextRole = "esignet_operator_cleartext"
)

type pgFixture struct {
	d  *consumers.DB
	ca testCA
}

func startFixture(t *testing.T) *pgFixture {
	t.Helper()
	d := consumers.StartPostgres(t)
	ca := newTestCA(t, net.IPv4(127, 0, 0, 1))
	d.EnableTLS(t, ca.serverCertPEM, ca.serverKeyPEM)
	// cleartextRole's server asks for its password in clear text (pg_hba method "password").
	d.RequirePasswordOnTCP(t, "host all "+cleartextRole+" 127.0.0.1/32 password")
	f := &pgFixture{d: d, ca: ca}
	for _, role := range []string{operatorRole, cleartextRole} {
		f.exec(t, "postgres", "CREATE ROLE "+role+" LOGIN PASSWORD "+consumers.QuoteLiteral(testPassword))
	}
	return f
}

func (f *pgFixture) exec(t *testing.T, db, sql string) {
	t.Helper()
	if err := f.d.Exec(t, db, sql); err != nil {
		t.Fatal(err)
	}
}

func (f *pgFixture) query(t *testing.T, db, sql string) [][]string {
	t.Helper()
	rows, err := f.d.Query(t, db, sql)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func (f *pgFixture) one(t *testing.T, db, sql string) string {
	t.Helper()
	rows := f.query(t, db, sql)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("%s: want one value, got %q", sql, rows)
	}
	return rows[0][0]
}

// newDB creates database name with a consumer's tables and, when grant is set, the privileges
// the package documents: SELECT, INSERT, UPDATE on the tables, USAGE on the sequences.
func (f *pgFixture) newDB(t *testing.T, name, consumer string, grant bool) {
	t.Helper()
	f.d.CreateDatabase(t, name)
	if consumer != "" {
		f.exec(t, name, consumers.TableDDL(consumer))
	}
	if grant {
		f.exec(t, name, "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO "+operatorRole+";\n"+
			"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "+operatorRole+";")
	}
}

// secret is the connection Secret's data for db: TLS verified against the test CA by default.
func (f *pgFixture) secret(db string, kv ...string) map[string][]byte {
	data := map[string][]byte{"host": []byte("127.0.0.1"), "port": []byte(strconv.Itoa(f.d.Port())),
		"database": []byte(db), "user": []byte(operatorRole), "password": []byte(testPassword), "ca.crt": f.ca.certPEM}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<delete>" {
			delete(data, kv[i])
		} else {
			data[kv[i]] = []byte(kv[i+1])
		}
	}
	return data
}

func (f *pgFixture) conn(t *testing.T, db string, kv ...string) Conn {
	t.Helper()
	c, err := ParseConn(f.secret(db, kv...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func apply(t *testing.T, c Conn, target Target, last *Record, o Options) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return Apply(ctx, c, target, last, o)
}

func mustApply(t *testing.T, c Conn, target Target, last *Record, wantApplied bool, wantCause Cause) Result {
	t.Helper()
	res, err := apply(t, c, target, last, Options{})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if res.Applied != wantApplied || res.Cause != wantCause {
		t.Fatalf("Apply: applied %v cause %s, want %v %s", res.Applied, res.Cause, wantApplied, wantCause)
	}
	return res
}

// keyWhere selects the target's rows with psql.
func keyWhere(r rendered) string {
	return tables[r.format].key + " = " + consumers.QuoteLiteral(r.in.ClientID)
}

// nextXID is the next transaction id the cluster will assign: unchanged across a call means the
// call wrote nothing anywhere (a read-only transaction takes no id).
func (f *pgFixture) nextXID(t *testing.T) string {
	return f.one(t, "postgres", "SELECT pg_snapshot_xmax(pg_current_snapshot())")
}

// rowVersions are xmin, ctid and the text of every row selected: any write changes them.
func (f *pgFixture) rowVersions(t *testing.T, db, table, where string) string {
	t.Helper()
	rows := f.query(t, db, fmt.Sprintf("SELECT xmin::text, ctid::text, r::text FROM %s r WHERE %s ORDER BY ctid", table, where))
	return fmt.Sprint(rows)
}

// waitNoSessions fails unless every session Apply opened is gone: no connection is kept.
func (f *pgFixture) waitNoSessions(t *testing.T) {
	t.Helper()
	q := "SELECT count(*) FROM pg_stat_activity WHERE application_name = " + consumers.QuoteLiteral(ApplicationName)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n := f.one(t, "postgres", q)
		if n == "0" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s sessions still open after Apply returned", n)
		}
	}
}

func TestApplyAgainstPostgres(t *testing.T) {
	f := startFixture(t)
	for _, format := range Formats() {
		t.Run("lifecycle "+string(format), func(t *testing.T) { f.lifecycle(t, format) })
	}
	t.Run("target moved", f.targetMoved)
	t.Run("failures", f.failures)
	t.Run("TLS", f.tls)
	t.Run("timeouts", f.timeouts)
}

// lifecycle: first delivery, no write when nothing changed, an insert-only column edited by hand
// kept, a managed column edited by hand restored, a deleted row restored, new content
// delivered, odoo's ID type link restored; another row of the table, another table and other ID
// types untouched throughout; no session left behind.
func (f *pgFixture) lifecycle(t *testing.T, format render.Format) {
	db := "life_" + strings.ReplaceAll(string(format), "-", "_")
	f.newDB(t, db, string(format), true)
	idType := func(in *render.Input) {}
	if format == render.FormatOdoo {
		f.exec(t, db, "INSERT INTO g2p_id_type (name) VALUES ('NATIONAL ID'), ('OTHER ID');")
		idType = func(in *render.Input) { in.Odoo.IDType = "NATIONAL ID" }
	}
	other := renderOutput(t, format, "other-client", nil)
	f.exec(t, db, string(other.target.SQL)+"CREATE TABLE unrelated (id int PRIMARY KEY, v text);\n"+
		"INSERT INTO unrelated VALUES (1, 'untouched');\n"+
		"GRANT SELECT, INSERT, UPDATE, DELETE ON unrelated TO "+operatorRole+";\n")
	table := tables[format].name
	untouched := func() string {
		s := f.rowVersions(t, db, table, keyWhere(other)) + f.rowVersions(t, db, "unrelated", "true")
		if format == render.FormatOdoo {
			s += f.rowVersions(t, db, "g2p_id_type", "name = 'OTHER ID'") + f.rowVersions(t, db, "res_company", "true")
		}
		return s
	}
	before := untouched()

	r := renderOutput(t, format, "openg2p-"+string(format), idType)
	c := f.conn(t, db)
	scope := "scope"
	if format == render.FormatFastAPIAuth {
		scope = "authorization_parameters->>'scope'"
	}
	count := "SELECT count(*) FROM " + table + " WHERE " + keyWhere(r)
	readScope := "SELECT " + scope + " FROM " + table + " WHERE " + keyWhere(r)

	start := time.Now()
	first := mustApply(t, c, r.target, nil, true, NeverApplied)
	want := Location{Host: "127.0.0.1", Port: uint16(f.d.Port()), Database: db, Table: table}
	if first.Record.Hash != r.target.Hash() || !strings.HasPrefix(first.Record.RowHash, "sha256:") ||
		len(first.Record.RowHash) != len("sha256:")+64 || first.Record.Location != want ||
		first.Record.At.Before(start.Add(-time.Second)) || first.Record.At.After(time.Now()) {
		t.Fatalf("record %+v", first.Record)
	}
	if f.one(t, db, count) != "1" || f.one(t, db, readScope) != render.DefaultScope {
		t.Fatal("the row was not written")
	}
	assertClean(t, fmt.Errorf("%+v %#v", first, first), append(r.secrets, testPassword)...)
	linked := "SELECT count(*) FROM g2p_id_type t JOIN auth_oauth_provider p ON t.auth_oauth_provider_id = p.id " +
		"WHERE t.name = 'NATIONAL ID' AND p.client_id = " + consumers.QuoteLiteral(r.in.ClientID)
	if format == render.FormatOdoo && f.one(t, db, linked) != "1" {
		t.Fatal("the ID type is not linked")
	}
	f.waitNoSessions(t)

	// Nothing changed: the row is probed, nothing written (no transaction id taken, no row version).
	xid, versions := f.nextXID(t), f.rowVersions(t, db, table, keyWhere(r))
	again := mustApply(t, c, r.target, &first.Record, false, UpToDate)
	if again.Record != first.Record {
		t.Fatalf("record changed without a write: %+v", again.Record)
	}
	if f.nextXID(t) != xid || f.rowVersions(t, db, table, keyWhere(r)) != versions {
		t.Fatal("an Apply with nothing to do wrote to the database")
	}

	// A column only the INSERT sets is the app's (or a person's) to change: kept.
	insertOnly := "UPDATE " + table + " SET created_at = created_at - interval '1 day' WHERE " + keyWhere(r)
	if format == render.FormatOdoo {
		insertOnly = "UPDATE auth_oauth_provider SET allow_signup = 'yes' WHERE " + keyWhere(r)
	}
	f.exec(t, db, insertOnly)
	edited := f.rowVersions(t, db, table, keyWhere(r))
	mustApply(t, c, r.target, &first.Record, false, UpToDate)
	if f.rowVersions(t, db, table, keyWhere(r)) != edited {
		t.Fatal("Apply overwrote a column the upsert leaves to the app")
	}

	// A managed column edited by hand is restored.
	if format == render.FormatFastAPIAuth {
		f.exec(t, db, "UPDATE login_providers SET active = false WHERE "+keyWhere(r))
	} else {
		f.exec(t, db, "UPDATE "+table+" SET scope = 'openid' WHERE "+keyWhere(r))
	}
	fixed := mustApply(t, c, r.target, &first.Record, true, RowChanged)
	if fixed.Record.RowHash != first.Record.RowHash || f.one(t, db, readScope) != render.DefaultScope ||
		f.one(t, db, count) != "1" {
		t.Fatalf("edited row not restored: %+v", fixed.Record)
	}
	if format == render.FormatFastAPIAuth && f.one(t, db, "SELECT active FROM login_providers WHERE "+keyWhere(r)) != "t" {
		t.Fatal("active not restored")
	}

	// A deleted row is written again.
	f.exec(t, db, "DELETE FROM "+table+" WHERE "+keyWhere(r))
	restored := mustApply(t, c, r.target, &fixed.Record, true, RowMissing)
	if f.one(t, db, count) != "1" || restored.Record.RowHash == "" {
		t.Fatal("deleted row not restored")
	}
	if format == render.FormatOdoo && f.one(t, db, linked) != "1" {
		t.Fatal("the ID type is not linked to the restored row")
	}

	// New content is delivered, into the same row.
	in := r.in
	in.Scope = "openid profile"
	doc, err := render.Render(format, in)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := NewTarget(format, doc)
	if err != nil {
		t.Fatal(err)
	}
	next := mustApply(t, c, changed, &restored.Record, true, ContentChanged)
	if next.Record.Hash != changed.Hash() || next.Record.Hash == restored.Record.Hash ||
		f.one(t, db, readScope) != "openid profile" || f.one(t, db, count) != "1" {
		t.Fatalf("new content not delivered: %+v", next.Record)
	}
	mustApply(t, c, changed, &next.Record, false, UpToDate)

	// Odoo: the ID type's link back to the provider is part of what is delivered.
	if format == render.FormatOdoo {
		f.exec(t, db, "UPDATE g2p_id_type SET auth_oauth_provider_id = NULL WHERE name = 'NATIONAL ID'")
		mustApply(t, c, changed, &next.Record, true, RowChanged)
		if f.one(t, db, linked) != "1" {
			t.Fatal("the ID type link was not restored")
		}
	}

	if after := untouched(); after != before {
		t.Fatalf("Apply touched another row or table:\nbefore %s\nafter  %s", before, after)
	}
	f.waitNoSessions(t)
}

// A record for another database is no proof for this one.
func (f *pgFixture) targetMoved(t *testing.T) {
	f.newDB(t, "moved_a", consumers.ConsumerIAM, true)
	f.newDB(t, "moved_b", consumers.ConsumerIAM, true)
	r := renderOutput(t, render.FormatIAM, "moving", nil)
	a := mustApply(t, f.conn(t, "moved_a"), r.target, nil, true, NeverApplied)
	b := mustApply(t, f.conn(t, "moved_b"), r.target, &a.Record, true, TargetChanged)
	if b.Record.Location.Database != "moved_b" || b.Record.RowHash != a.Record.RowHash {
		t.Fatalf("records %+v / %+v", a.Record, b.Record)
	}
	mustApply(t, f.conn(t, "moved_b"), r.target, &b.Record, false, UpToDate)
}

// Each failure has its reason, says what to do, and shows no secret, no address, no port.
func (f *pgFixture) failures(t *testing.T) {
	iam := renderOutput(t, render.FormatIAM, "fail-iam", nil)
	fastapi := renderOutput(t, render.FormatFastAPIAuth, "fail-fastapi", nil)
	odoo := renderOutput(t, render.FormatOdoo, "fail-odoo", func(in *render.Input) { in.Odoo.IDType = "NATIONAL ID" })
	port := strconv.Itoa(f.d.Port())
	clean := func(t *testing.T, err error, r rendered) {
		t.Helper()
		assertClean(t, err, append(r.secrets, testPassword, "127.0.0.1", port)...)
	}

	f.newDB(t, "fail_iam", consumers.ConsumerIAM, true)
	f.newDB(t, "fail_iam_old", consumers.ConsumerIAM, true)
	f.exec(t, "fail_iam_old", "ALTER TABLE login_providers DROP COLUMN client_private_key;")
	f.newDB(t, "fail_empty", "", true)
	f.newDB(t, "fail_odoo", consumers.ConsumerOdoo, true)
	f.newDB(t, "fail_fastapi", consumers.ConsumerFastAPIAuth, true)
	f.exec(t, "fail_fastapi", "ALTER TABLE login_providers ADD COLUMN tenant varchar NOT NULL;")
	f.newDB(t, "fail_nogrant", consumers.ConsumerIAM, false)
	f.newDB(t, "fail_iam_enum", "", true)
	f.exec(t, "fail_iam_enum", strings.Replace(consumers.TableDDL(consumers.ConsumerIAM), "    'private_key_jwt',\n", "", 1)+
		"GRANT SELECT, INSERT, UPDATE ON login_providers TO "+operatorRole+"; GRANT USAGE ON login_providers_id_seq TO "+operatorRole+";")
	f.newDB(t, "fail_readonly", consumers.ConsumerIAM, true)
	f.exec(t, "postgres", "ALTER ROLE "+operatorRole+" IN DATABASE fail_readonly SET default_transaction_read_only = on;")

	for _, tc := range []struct {
		name   string
		conn   Conn
		r      rendered
		reason Reason
		says   string
		check  func(t *testing.T)
	}{
		{name: "wrong password", conn: f.conn(t, "fail_iam", "password", "wrong password"), r: iam, reason: AuthFailed,
			says: `rejected the password of user "esignet_operator"`},
		{name: "unknown user", conn: f.conn(t, "fail_iam", "user", "nobody"), r: iam, reason: AuthFailed, says: `user "nobody"`},
		{name: "database missing", conn: f.conn(t, "no_such_db"), r: iam, reason: DatabaseMissing, says: `database "no_such_db" does not exist`},
		{name: "table missing", conn: f.conn(t, "fail_empty"), r: iam, reason: SchemaMissing,
			says: `table "login_providers" does not exist in database "fail_empty": the iam format needs`},
		{name: "odoo tables missing", conn: f.conn(t, "fail_empty"), r: odoo, reason: SchemaMissing, says: `does not exist in database "fail_empty"`},
		{name: "schema version: iam 1.0 lacks client_private_key", conn: f.conn(t, "fail_iam_old"), r: iam, reason: SchemaMissing,
			says: `column "client_private_key" of table "login_providers" does not exist`},
		{name: "schema version: enum without private_key_jwt", conn: f.conn(t, "fail_iam_enum"), r: iam, reason: SchemaMismatch,
			says: `enum type "tokenendpointauthmethod" lacks a value the operator writes`},
		{name: "id type missing", conn: f.conn(t, "fail_odoo"), r: odoo, reason: IDTypeMissing,
			says: `Odoo has no ID type (g2p.id.type) named "NATIONAL ID"`, check: func(t *testing.T) {
				if f.one(t, "fail_odoo", "SELECT count(*) FROM auth_oauth_provider") != "0" {
					t.Fatal("a provider was written although its ID type is missing")
				}
			}},
		{name: "unknown NOT NULL column (the DETAIL would quote the key)", conn: f.conn(t, "fail_fastapi"), r: fastapi,
			reason: SchemaMismatch, says: `column "tenant" must not be null`},
		{name: "no privileges", conn: f.conn(t, "fail_nogrant"), r: iam, reason: PermissionDenied,
			says: `user "esignet_operator" lacks a privilege on table "login_providers": grant`},
		{name: "read-only", conn: f.conn(t, "fail_readonly"), r: iam, reason: ReadOnly, says: "read-only"},
		{name: "clear-text password to an unverified server", conn: f.conn(t, "fail_iam", "user", cleartextRole, "sslmode", "require", "ca.crt", "<delete>"),
			r: iam, reason: AuthFailed, says: "asked for the password in clear text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := apply(t, tc.conn, tc.r.target, nil, Options{})
			e := wantReason(t, err, tc.reason, retryable[tc.reason])
			if !strings.Contains(e.Message, tc.says) {
				t.Fatalf("message %q does not say %q", e.Message, tc.says)
			}
			clean(t, err, tc.r)
			assertClean(t, err, "wrong password")
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
	f.waitNoSessions(t)

	t.Run("database down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		_ = ln.Close()
		_, err = apply(t, f.conn(t, "fail_iam", "port", closed), iam.target, nil, Options{})
		e := wantReason(t, err, DatabaseUnavailable, true)
		if !strings.Contains(e.Message, "connection failed") {
			t.Fatal(e.Message)
		}
		assertClean(t, err, append(iam.secrets, testPassword, "127.0.0.1", closed, "refused", "dial")...)
	})
	t.Run("server silent: connect timeout", func(t *testing.T) {
		addr := silentListener(t, nil)
		start := time.Now()
		_, err := apply(t, f.conn(t, "fail_iam", "port", addr), iam.target, nil, Options{ConnectTimeout: 300 * time.Millisecond})
		wantReason(t, err, DatabaseUnavailable, true)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("connecting took %s with a 300ms connect timeout", d)
		}
		assertClean(t, err, "127.0.0.1", addr, testPassword)
	})
	t.Run("not PostgreSQL", func(t *testing.T) {
		addr := silentListener(t, []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		_, err := apply(t, f.conn(t, "fail_iam", "port", addr), iam.target, nil, Options{ConnectTimeout: 2 * time.Second})
		wantReason(t, err, DatabaseUnavailable, true)
		_, err = apply(t, f.conn(t, "fail_iam", "port", addr, "sslmode", "disable"), iam.target, nil, Options{ConnectTimeout: 2 * time.Second})
		wantReason(t, err, DatabaseUnavailable, true)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Apply(ctx, f.conn(t, "fail_iam"), iam.target, nil, Options{})
		wantReason(t, err, Canceled, true)
	})
	t.Run("incomplete Conn", func(t *testing.T) {
		_, err := Apply(context.Background(), Conn{Host: "127.0.0.1"}, iam.target, nil, Options{})
		wantReason(t, err, SecretInvalid, false)
	})
}

// silentListener accepts on a loopback port and writes greeting (if any) to every connection,
// then says nothing more until the test ends. It returns the port.
func silentListener(t *testing.T, greeting []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if greeting != nil {
				_, _ = c.Write(greeting)
			}
			go func() { <-done; _ = c.Close() }()
		}
	}()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TLS: verify-full against the CA in the Secret works; another CA, the system roots, or a host
// name the certificate does not hold fail with TLSFailed; verify-ca ignores the name; require
// encrypts without checking.
func (f *pgFixture) tls(t *testing.T) {
	f.newDB(t, "tls_iam", consumers.ConsumerIAM, true)
	f.exec(t, "tls_iam", "GRANT SELECT, INSERT, UPDATE ON login_providers TO "+cleartextRole+"; GRANT USAGE ON login_providers_id_seq TO "+cleartextRole+";")
	r := renderOutput(t, render.FormatIAM, "tls-client", nil)
	otherCA := newTestCA(t, net.IPv4(127, 0, 0, 1))
	// "db.test" resolves to 127.0.0.1 here without asking DNS.
	toLoopback := Options{lookup: func(_ context.Context, host string) ([]string, error) {
		if host != "db.test" {
			return nil, fmt.Errorf("unexpected lookup of %q", host)
		}
		return []string{"127.0.0.1"}, nil
	}}
	for _, tc := range []struct {
		name   string
		conn   Conn
		opts   Options
		reason Reason
		says   string
	}{
		{"verify-full with the CA", f.conn(t, "tls_iam"), Options{}, "", ""},
		{"another CA", f.conn(t, "tls_iam", "ca.crt", string(otherCA.certPEM)), Options{}, TLSFailed, "not signed by a CA in the Secret's ca.crt"},
		{"system roots", f.conn(t, "tls_iam", "ca.crt", "<delete>"), Options{}, TLSFailed, "system roots"},
		{"host name not in the certificate", f.conn(t, "tls_iam", "host", "db.test"), toLoopback, TLSFailed, "not valid for the host name"},
		{"verify-ca ignores the name", f.conn(t, "tls_iam", "host", "db.test", "sslmode", "verify-ca"), toLoopback, "", ""},
		{"verify-ca with another CA", f.conn(t, "tls_iam", "sslmode", "verify-ca", "ca.crt", string(otherCA.certPEM)), Options{}, TLSFailed, "not signed"},
		{"require encrypts without checking", f.conn(t, "tls_iam", "sslmode", "require", "ca.crt", "<delete>"), Options{}, "", ""},
		{"clear-text password to a verified server", f.conn(t, "tls_iam", "user", cleartextRole), Options{}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := apply(t, tc.conn, r.target, nil, tc.opts)
			if tc.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := wantReason(t, err, tc.reason, false)
			if !strings.Contains(e.Message, tc.says) {
				t.Fatalf("message %q does not say %q", e.Message, tc.says)
			}
			assertClean(t, err, append(r.secrets, testPassword, "127.0.0.1", "db.test")...)
		})
	}
	// The sessions that got through used TLS.
	if n := f.one(t, "postgres", "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'esignet-operator' AND NOT s.ssl"); n != "0" {
		t.Fatalf("%s operator sessions without TLS", n)
	}
	f.waitNoSessions(t)
}

// A lock held by the app's transaction: the lock timeout or the statement timeout ends the
// wait, with Timeout and nothing written.
func (f *pgFixture) timeouts(t *testing.T) {
	f.newDB(t, "locked", consumers.ConsumerFastAPIAuth, true)
	r := renderOutput(t, render.FormatFastAPIAuth, "locked-client", nil)
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=locked sslmode=disable", f.d.SocketDir(), f.d.Port()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Close(ctx) }()
	if _, err := holder.Exec(ctx, "BEGIN; LOCK TABLE login_providers IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		opts       Options
		state, msg string
	}{
		{"lock timeout", Options{LockTimeout: 200 * time.Millisecond, StatementTimeout: 30 * time.Second}, "55P03",
			`could not lock "login_providers" within the lock timeout (200ms)`},
		{"statement timeout", Options{StatementTimeout: 300 * time.Millisecond, LockTimeout: 30 * time.Second}, "57014",
			"statement timeout (300ms)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := apply(t, f.conn(t, "locked"), r.target, nil, tc.opts)
			e := wantReason(t, err, Timeout, true)
			if e.SQLState != tc.state || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("got %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("took %s", d)
			}
			assertClean(t, err, append(r.secrets, testPassword)...)
		})
	}
	if _, err := holder.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if f.one(t, "locked", "SELECT count(*) FROM login_providers") != "0" {
		t.Fatal("a timed-out Apply wrote a row")
	}
	mustApply(t, f.conn(t, "locked"), r.target, nil, true, NeverApplied)
	f.waitNoSessions(t)
}

// A server without TLS: the default (verify-full) and require fail with TLSFailed, saying so;
// sslmode disable, when the Secret says it, connects.
func TestTLSRequiredWithoutTLS(t *testing.T) {
	d := consumers.StartPostgres(t) // trust authentication, ssl off
	d.CreateDatabase(t, "plain")
	if err := d.Exec(t, "plain", consumers.TableDDL(consumers.ConsumerIAM)); err != nil {
		t.Fatal(err)
	}
	r := renderOutput(t, render.FormatIAM, "plain-client", nil)
	secret := func(mode string) Conn {
		data := map[string][]byte{"host": []byte("127.0.0.1"), "port": []byte(strconv.Itoa(d.Port())),
			"database": []byte("plain"), "user": []byte("postgres"), "password": []byte(testPassword)}
		if mode != "" {
			data["sslmode"] = []byte(mode)
		}
		c, err := ParseConn(data)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, mode := range []string{"", "verify-full", "verify-ca", "require"} {
		_, err := apply(t, secret(mode), r.target, nil, Options{})
		e := wantReason(t, err, TLSFailed, false)
		if !strings.Contains(e.Message, "the server does not offer TLS") {
			t.Fatalf("sslmode %q: %s", mode, e.Message)
		}
		assertClean(t, err, append(r.secrets, testPassword, "127.0.0.1")...)
	}
	res, err := apply(t, secret("disable"), r.target, nil, Options{})
	if err != nil || !res.Applied {
		t.Fatalf("sslmode disable: %+v %v", res, err)
	}
}
