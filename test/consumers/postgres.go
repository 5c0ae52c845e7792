package consumers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PostgresRoot is where Debian installs PostgreSQL server binaries, one
// directory per major version.
const PostgresRoot = "/usr/lib/postgresql"

// Separators Query asks psql for: ASCII unit separator between fields and
// record separator between rows, neither of which the consumers' values hold.
const (
	fieldSep  = "\x1f"
	recordSep = "\x1e"
)

const psqlTimeout = 60 * time.Second

// DB is a throw-away PostgreSQL server on 127.0.0.1 with trust
// authentication for the superuser "postgres".
type DB struct {
	bin  string // PostgreSQL bin directory
	dir  string // holds data/, the unix socket and server.log
	port int
	cred *syscall.Credential // run server tools as this user (root cannot run postgres)

	// StartupTime is how long initdb plus server start took.
	StartupTime time.Duration
}

// StartPostgres initialises a cluster in a fresh temporary directory and
// starts a server on a free loopback port, with its unix socket in that
// directory. When the test runs as root, initdb and the server run as the
// "postgres" user. The server is stopped and the directory removed in
// t.Cleanup. A missing PostgreSQL fails the test.
//
// Durability is off (fsync, synchronous_commit, full_page_writes) and
// autovacuum is disabled: start-up is dominated by initdb.
func StartPostgres(t testing.TB) *DB {
	t.Helper()
	start := time.Now()
	bin, err := postgresBin()
	if err != nil {
		t.Fatalf("consumers: %v; run hack/install-test-deps.sh", err)
	}
	d := &DB{bin: bin}
	if os.Geteuid() == 0 {
		d.cred, err = postgresCredential()
		if err != nil {
			t.Fatalf("consumers: running as root and %v; run hack/install-test-deps.sh", err)
		}
	}
	d.dir, err = os.MkdirTemp("", "consumers-pg-")
	if err != nil {
		t.Fatalf("consumers: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d.dir) })
	if d.cred != nil {
		if err := os.Chown(d.dir, int(d.cred.Uid), int(d.cred.Gid)); err != nil {
			t.Fatalf("consumers: %v", err)
		}
	}

	if out, err := d.serverTool("initdb", "-D", d.dataDir(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("consumers: initdb: %v\n%s", err, out)
	}
	var lastErr error
	for range 3 { // a free port can be taken between probing and binding
		if d.port, err = freePort(); err != nil {
			t.Fatalf("consumers: %v", err)
		}
		if lastErr = d.start(); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("consumers: starting postgres: %v", lastErr)
	}
	t.Cleanup(func() {
		if out, err := d.serverTool("pg_ctl", "stop", "-D", d.dataDir(), "-m", "immediate", "-w", "-t", "30"); err != nil {
			t.Logf("consumers: stopping postgres: %v\n%s", err, out)
		}
	})
	d.StartupTime = time.Since(start)
	return d
}

func (d *DB) dataDir() string { return filepath.Join(d.dir, "data") }

// start writes the server settings and starts it, waiting until it accepts
// connections.
func (d *DB) start() error {
	conf := fmt.Sprintf(`
# written by test/consumers
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
shared_preload_libraries = ''
max_connections = 20
logging_collector = off
`, d.port, d.dir)
	// postgresql.auto.conf is read last, so these win over earlier attempts.
	if err := os.WriteFile(filepath.Join(d.dataDir(), "postgresql.auto.conf"), []byte(conf), 0o600); err != nil {
		return err
	}
	if d.cred != nil {
		if err := os.Chown(filepath.Join(d.dataDir(), "postgresql.auto.conf"), int(d.cred.Uid), int(d.cred.Gid)); err != nil {
			return err
		}
	}
	logFile := filepath.Join(d.dir, "server.log")
	out, err := d.serverTool("pg_ctl", "start", "-D", d.dataDir(), "-l", logFile, "-w", "-t", "30")
	if err != nil {
		log, _ := os.ReadFile(logFile) //nolint:gosec // our own temporary directory
		return fmt.Errorf("%w\n%s\nserver.log:\n%s", err, out, log)
	}
	return nil
}

// serverTool runs a PostgreSQL server program (as the postgres user when
// we are root) in the cluster directory.
func (d *DB) serverTool(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), psqlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(d.bin, name), args...) //nolint:gosec // PostgreSQL's own tools
	cmd.Dir = d.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if d.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: d.cred}
	}
	return cmd.CombinedOutput()
}

// Port is the server's TCP port on 127.0.0.1.
func (d *DB) Port() int { return d.port }

// SocketDir is the directory holding the server's unix socket.
func (d *DB) SocketDir() string { return d.dir }

// ConnString is a libpq keyword/value connection string for database db
// over TCP.
func (d *DB) ConnString(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", d.port, db)
}

// CreateDatabase creates a database; failure fails the test.
func (d *DB) CreateDatabase(t testing.TB, name string) {
	t.Helper()
	if err := d.Exec(t, "postgres", "CREATE DATABASE "+QuoteIdent(name)); err != nil {
		t.Fatalf("consumers: %v", err)
	}
}

// Exec runs a whole SQL script in database db with one psql call
// (psql -X -q -v ON_ERROR_STOP=1), stopping at the first error. The error
// holds psql's message, which may quote the failing statement.
func (d *DB) Exec(t testing.TB, db, sql string) error {
	t.Helper()
	_, err := d.psql(db, sql)
	return err
}

// Query runs SQL in database db and returns the rows it prints, every
// column as text (psql -A -t with a unit-separator field separator and a
// record-separator row separator). NULL reads as "". The script should
// print one result set: statements such as SET or INSERT print nothing,
// but the rows of several SELECTs would run together.
func (d *DB) Query(t testing.TB, db, sql string) ([][]string, error) {
	t.Helper()
	out, err := d.psql(db, sql, "-A", "-t", "-F", fieldSep, "-R", recordSep)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 { // no rows; one row of one empty column prints "\n"
		return nil, nil
	}
	text := strings.TrimSuffix(string(out), "\n")
	var rows [][]string
	for rec := range strings.SplitSeq(text, recordSep) {
		rows = append(rows, strings.Split(rec, fieldSep))
	}
	return rows, nil
}

func (d *DB) psql(db, sql string, extra ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), psqlTimeout)
	defer cancel()
	args := append([]string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", d.dir, "-p", strconv.Itoa(d.port),
		"-U", "postgres", "-d", db, "-f", "-"}, extra...)
	cmd := exec.CommandContext(ctx, filepath.Join(d.bin, "psql"), args...) //nolint:gosec // PostgreSQL's own client
	cmd.Stdin = strings.NewReader(sql)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c client_min_messages=warning", "PGCONNECT_TIMEOUT=10",
		"PGCLIENTENCODING=UTF8", "PGTZ=UTC")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("psql on database %s: %w: %s", db, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// QuoteIdent quotes an SQL identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// QuoteLiteral quotes an SQL string literal (standard_conforming_strings on).
func QuoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// postgresBin returns the bin directory of the newest installed major version.
func postgresBin() (string, error) {
	matches, _ := filepath.Glob(filepath.Join(PostgresRoot, "*", "bin", "initdb"))
	type version struct {
		major int
		bin   string
	}
	var found []version
	for _, m := range matches {
		bin := filepath.Dir(m)
		major, err := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(bin, "psql")); err != nil {
			continue
		}
		found = append(found, version{major, bin})
	}
	if len(found) == 0 {
		return "", fmt.Errorf("PostgreSQL server binaries not found under %s/*/bin", PostgresRoot)
	}
	slices.SortFunc(found, func(a, b version) int { return b.major - a.major })
	return found[0].bin, nil
}

func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("no postgres user to run the server as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("postgres user ids: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
