package pgapply

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
)

const testPassword = "s3cr3t pa'ss\"word; drop"

func TestParseConn(t *testing.T) {
	ca := newTestCA(t, net.IPv4(127, 0, 0, 1))
	other := newTestCA(t, net.IPv4(127, 0, 0, 1))
	base := func() map[string][]byte {
		return map[string][]byte{"host": []byte("db.openg2p.svc"), "database": []byte("odoo"),
			"user": []byte("odoo"), "password": []byte(testPassword)}
	}
	with := func(kv ...string) map[string][]byte {
		d := base()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "<delete>" {
				delete(d, kv[i])
				continue
			}
			d[kv[i]] = []byte(kv[i+1])
		}
		return d
	}
	tests := []struct {
		name string
		data map[string][]byte
		want Conn   // compared field by field when wantErr is ""
		pass string // expected password
		err  string // substring of the error message
	}{
		{name: "minimal: defaults port 5432, verify-full, system roots", data: base(),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyFull}, pass: testPassword},
		{name: "CloudNativePG and Crunchy spellings", data: with("database", "<delete>", "dbname", "app", "user", "<delete>", "username", "app", "port", "6432"),
			want: Conn{Host: "db.openg2p.svc", Port: 6432, Database: "app", User: "app", SSLMode: SSLVerifyFull}, pass: testPassword},
		{name: "aliases agreeing", data: with("dbname", "odoo", "username", "odoo"),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyFull}, pass: testPassword},
		{name: "aliases disagreeing", data: with("dbname", "other"), err: "keys database and dbname are aliases"},
		{name: "values trimmed, password only of line breaks", data: with("host", " db \n", "password", " pw \r\n"),
			want: Conn{Host: "db", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyFull}, pass: " pw "},
		{name: "Bitnami postgres-password for the superuser", data: with("user", "postgres", "password", "<delete>", "postgres-password", "su"),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "postgres", SSLMode: SSLVerifyFull}, pass: "su"},
		{name: "password wins over postgres-password", data: with("user", "postgres", "postgres-password", "su"),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "postgres", SSLMode: SSLVerifyFull}, pass: testPassword},
		{name: "postgres-password is not another user's", data: with("password", "<delete>", "postgres-password", "su"), err: "superuser's password"},
		{name: "IPv4", data: with("host", "127.0.0.7"), want: Conn{Host: "127.0.0.7", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyFull}, pass: testPassword},
		{name: "IPv6 with brackets", data: with("host", "[::1]"), want: Conn{Host: "::1", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyFull}, pass: testPassword},
		{name: "sslmode disable only when given", data: with("sslmode", "disable"),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLDisable}, pass: testPassword},
		{name: "sslmode verify-ca", data: with("sslmode", "verify-ca"),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyCA}, pass: testPassword},
		{name: "sslmode require", data: with("sslmode", "require"),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLRequire}, pass: testPassword},
		{name: "require with a CA is verify-ca (libpq)", data: with("sslmode", "require", "ca.crt", string(ca.certPEM)),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyCA, CA: ca.certPEM}, pass: testPassword},
		{name: "sslrootcert spelling", data: with("sslrootcert", string(ca.certPEM)),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyFull, CA: ca.certPEM}, pass: testPassword},
		{name: "CA bundle of two", data: with("ca.crt", string(ca.certPEM)+string(other.certPEM)),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyFull, CA: []byte(string(ca.certPEM) + string(other.certPEM))}, pass: testPassword},
		{name: "empty ca.crt is no CA", data: with("ca.crt", " \n"),
			want: Conn{Host: "db.openg2p.svc", Port: 5432, Database: "odoo", User: "odoo", SSLMode: SSLVerifyFull}, pass: testPassword},
		{name: "CA aliases disagreeing", data: with("ca.crt", string(ca.certPEM), "sslrootcert", string(other.certPEM)), err: "aliases"},
		{name: "CA not PEM", data: with("ca.crt", "not a certificate"), err: "holds no PEM certificate"},
		{name: "CA holding a key", data: with("ca.crt", string(ca.serverKeyPEM)), err: `PEM block of type "PRIVATE KEY"`},
		{name: "CA with trailing junk", data: with("ca.crt", string(ca.certPEM)+"junk"), err: "text after its last PEM certificate"},
		{name: "CA garbage certificate", data: with("ca.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), err: "certificate 1 cannot be parsed"},
		{name: "prefer refused", data: with("sslmode", "prefer"), err: "sslmode prefer is not accepted"},
		{name: "allow refused", data: with("sslmode", "allow"), err: "sslmode allow is not accepted"},
		{name: "unknown sslmode", data: with("sslmode", "verify_full"), err: "key sslmode must be one of"},
		{name: "missing host", data: with("host", "<delete>"), err: "key host is missing"},
		{name: "host with scheme", data: with("host", "postgres://db"), err: "one DNS name or IP address"},
		{name: "host with port", data: with("host", "db:5432"), err: "one DNS name or IP address"},
		{name: "host list", data: with("host", "a,b"), err: "one DNS name or IP address"},
		{name: "unix socket", data: with("host", "/var/run/postgresql"), err: "one DNS name or IP address"},
		{name: "host too long", data: with("host", strings.Repeat("a", 254)), err: "longer than 253"},
		{name: "port zero", data: with("port", "0"), err: "key port must be a number"},
		{name: "port text", data: with("port", "postgres"), err: "key port must be a number"},
		{name: "port too large", data: with("port", "65536"), err: "key port must be a number"},
		{name: "missing database", data: with("database", "<delete>"), err: "key database is missing"},
		{name: "database too long", data: with("database", strings.Repeat("d", 64)), err: "longer than 63 bytes"},
		{name: "user with control character", data: with("user", "od\x01oo"), err: "control characters"},
		{name: "missing user", data: with("user", "<delete>"), err: "key user is missing"},
		{name: "missing password", data: with("password", "<delete>"), err: "key password is missing"},
		{name: "blank password", data: with("password", "\n"), err: "key password is missing"},
		{name: "password with NUL", data: with("password", "a\x00b"), err: "NUL byte"},
		{name: "password too long", data: with("password", strings.Repeat("p", 1025)), err: "longer than 1024"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConn(tc.data)
			if tc.err != "" {
				e := wantReason(t, err, SecretInvalid, false)
				if !strings.Contains(e.Message, tc.err) {
					t.Fatalf("error %q does not say %q", e.Message, tc.err)
				}
				assertClean(t, err, testPassword, "s3cr3t")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Host != tc.want.Host || got.Port != tc.want.Port || got.Database != tc.want.Database ||
				got.User != tc.want.User || got.SSLMode != tc.want.SSLMode || string(got.CA) != string(tc.want.CA) {
				t.Fatalf("got %s CA %d bytes, want %s CA %d bytes", got, len(got.CA), tc.want, len(tc.want.CA))
			}
			if got.password != tc.pass {
				t.Fatalf("password not as expected (lengths %d, %d)", len(got.password), len(tc.pass))
			}
			if (got.roots != nil) != (len(tc.want.CA) > 0) {
				t.Fatalf("roots %v with CA %d bytes", got.roots != nil, len(tc.want.CA))
			}
		})
	}
}

// No way of printing a Conn shows its password.
func TestConnNeverShowsPassword(t *testing.T) {
	c, err := ParseConn(map[string][]byte{"host": []byte("db"), "database": []byte("odoo"), "user": []byte("odoo"),
		"password": []byte(testPassword)})
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	slog.New(slog.NewJSONHandler(&log, nil)).Info("connecting", "conn", c, "ptr", &c)
	js, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c),
		fmt.Sprintf("%q", c), fmt.Sprintf("%x", c), fmt.Sprintf("%v", &c), fmt.Sprintf("%+v", []Conn{c}), c.String(),
		log.String(), string(js)} {
		if strings.Contains(s, "s3cr3t") || strings.Contains(s, fmt.Sprintf("%x", "s3cr3t")) {
			t.Fatalf("password printed: %s", s)
		}
	}
	if !strings.Contains(c.String(), `database "odoo"`) {
		t.Fatalf("String: %s", c)
	}
}

// The TLS configuration follows the sslmode: verify-full checks chain and name, verify-ca the
// chain, require nothing, disable has no TLS; only the unverified modes refuse to send a
// password in clear text.
func TestTLSConfigPerMode(t *testing.T) {
	ca := newTestCA(t, net.IPv4(127, 0, 0, 1))
	for _, tc := range []struct {
		mode                     string
		tls, skipVerify, hasName bool
		requireAuth              string
	}{
		{"", true, false, true, ""},
		{"verify-full", true, false, true, ""},
		{"verify-ca", true, true, false, ""},
		{"require", true, true, false, "!password"},
		{"disable", false, false, false, "!password"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			c, err := ParseConn(map[string][]byte{"host": []byte("db.example"), "database": []byte("d"), "user": []byte("u"),
				"password": []byte("p"), "sslmode": []byte(tc.mode)})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := c.pgxConfig(Options{}.withDefaults(), &sniffer{})
			if err != nil {
				t.Fatal(err)
			}
			tc2 := cfg.TLSConfig
			if (tc2 != nil) != tc.tls {
				t.Fatalf("TLS %v", tc2 != nil)
			}
			if tc2 != nil {
				if tc2.InsecureSkipVerify != tc.skipVerify || (tc2.ServerName == "db.example") != tc.hasName || tc2.MinVersion != tls.VersionTLS12 {
					t.Fatalf("tls config %+v", tc2)
				}
				if tc.mode == "verify-ca" && tc2.VerifyConnection == nil {
					t.Fatal("verify-ca without VerifyConnection")
				}
			}
			if cfg.RequireAuth != tc.requireAuth || len(cfg.Fallbacks) != 0 || cfg.RuntimeParams["application_name"] != ApplicationName ||
				len(cfg.RuntimeParams) != 1 || cfg.Tracer != nil || cfg.StatementCacheCapacity != 0 || cfg.ConnectTimeout != DefaultConnectTimeout {
				t.Fatalf("config: require_auth %q, fallbacks %d, params %v, tracer %v, cache %d, connect %s", cfg.RequireAuth,
					len(cfg.Fallbacks), cfg.RuntimeParams, cfg.Tracer, cfg.StatementCacheCapacity, cfg.ConnectTimeout)
			}
		})
	}
	c, err := ParseConn(map[string][]byte{"host": []byte("db"), "database": []byte("d"), "user": []byte("u"),
		"password": []byte("p"), "ca.crt": ca.certPEM})
	if err != nil {
		t.Fatal(err)
	}
	if c.tlsConfig().RootCAs == nil {
		t.Fatal("verify-full with ca.crt does not use it")
	}
}

// The operator's own PG* environment changes nothing: every setting comes from the Secret.
func TestEnvironmentIgnored(t *testing.T) {
	for k, v := range map[string]string{"PGHOST": "evil.example", "PGPORT": "1", "PGSSLMODE": "disable",
		"PGPASSWORD": "from-env", "PGOPTIONS": "-c search_path=evil", "PGAPPNAME": "evil", "PGTARGETSESSIONATTRS": "standby",
		"PGSSLROOTCERT": "/nonexistent/root.crt", "PGPASSFILE": "/nonexistent/pgpass", "PGCONNECT_TIMEOUT": "999"} {
		t.Setenv(k, v)
	}
	c, err := ParseConn(map[string][]byte{"host": []byte("db"), "database": []byte("d"), "user": []byte("u"),
		"password": []byte("p")})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.pgxConfig(Options{}.withDefaults(), &sniffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "db" || cfg.Port != 5432 || cfg.Password != "p" || cfg.TLSConfig == nil || cfg.ValidateConnect != nil ||
		len(cfg.RuntimeParams) != 1 || cfg.ConnectTimeout != DefaultConnectTimeout {
		t.Fatalf("environment leaked into the config: host %s port %d tls %v params %v", cfg.Host, cfg.Port, cfg.TLSConfig != nil, cfg.RuntimeParams)
	}
}
