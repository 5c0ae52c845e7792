package consumers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// What a deployment's PostgreSQL looks like to a client, for tests of code that connects the way
// the operator does: TLS and password authentication on TCP. Both settings are changed on the
// running server (a configuration reload, not a restart) and wait until new connections see them.
// The unix socket that Exec and Query use stays "trust", so tests keep their superuser access.

// EnableTLS turns TLS on for TCP connections with certPEM (the server certificate, then any
// intermediates) and keyPEM (its private key). Connections without TLS are still accepted (the
// pg_hba "host" lines match both); a client that requires TLS now gets it.
func (d *DB) EnableTLS(t testing.TB, certPEM, keyPEM []byte) {
	t.Helper()
	crt, key := filepath.Join(d.dir, "server.crt"), filepath.Join(d.dir, "server.key")
	d.writeServerFile(t, crt, certPEM)
	d.writeServerFile(t, key, keyPEM)
	d.reload(t, "ALTER SYSTEM SET ssl_cert_file = "+QuoteLiteral(crt)+";\n"+
		"ALTER SYSTEM SET ssl_key_file = "+QuoteLiteral(key)+";\n"+
		"ALTER SYSTEM SET ssl = on;\n")
	rows, err := d.Query(t, "postgres", "SHOW ssl")
	if err != nil || len(rows) != 1 || rows[0][0] != "on" {
		t.Fatalf("consumers: TLS not on after reload: %v %v", rows, err)
	}
}

// RequirePasswordOnTCP makes every TCP connection (127.0.0.1 and ::1) authenticate with
// scram-sha-256; the unix socket stays trust. Roles need a password to log in over TCP then
// (ALTER ROLE … PASSWORD; the superuser "postgres" has none). Lines in first are pg_hba.conf
// entries matched before those, e.g. "host all legacy 127.0.0.1/32 password".
func (d *DB) RequirePasswordOnTCP(t testing.TB, first ...string) {
	t.Helper()
	hba := "# written by test/consumers RequirePasswordOnTCP\nlocal all all trust\n"
	for _, l := range first {
		hba += l + "\n"
	}
	hba += "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n"
	d.writeServerFile(t, filepath.Join(d.dataDir(), "pg_hba.conf"), []byte(hba))
	d.reload(t, "")
}

// writeServerFile writes a file the server reads, owned by the user it runs as, mode 0600 (the
// server refuses a key file others can read).
func (d *DB) writeServerFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("consumers: %v", err)
	}
	if d.cred != nil {
		if err := os.Chown(path, int(d.cred.Uid), int(d.cred.Gid)); err != nil {
			t.Fatalf("consumers: %v", err)
		}
	}
}

// reload runs sql (statements that must run outside a transaction, such as ALTER SYSTEM), asks
// the server to reload its configuration and waits until a new session reports a later load
// time: the postmaster finishes a reload (settings, pg_hba.conf, TLS) before it forks the next
// backend, so every connection from then on sees the change.
func (d *DB) reload(t testing.TB, sql string) {
	t.Helper()
	before, err := d.Query(t, "postgres", "SELECT pg_conf_load_time()")
	if err != nil || len(before) != 1 {
		t.Fatalf("consumers: reading the configuration load time: %v", err)
	}
	if err := d.Exec(t, "postgres", sql+"SELECT pg_reload_conf();\n"); err != nil {
		t.Fatalf("consumers: reloading the configuration: %v", err)
	}
	check := "SELECT pg_conf_load_time() > " + QuoteLiteral(before[0][0]) + "::timestamptz"
	deadline := time.Now().Add(psqlTimeout)
	for {
		rows, err := d.Query(t, "postgres", check)
		if err == nil && len(rows) == 1 && strings.TrimSpace(rows[0][0]) == "t" {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(d.dir, "server.log"))
			t.Fatalf("consumers: the server did not reload its configuration: %v\nserver.log:\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
