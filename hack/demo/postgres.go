package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pgServer is the demo's own PostgreSQL: a cluster initialised in <tmp>/postgres, served on a
// free 127.0.0.1 port and a unix socket in that directory, stopped at tear-down. Over TCP every
// role authenticates with scram-sha-256, as in a deployment; the unix socket, which only the
// demo uses (to create databases and read rows back), trusts the superuser.
type pgServer struct {
	bin     string // PostgreSQL bin directory
	version string // "15.8"
	dir     string // <tmp>/postgres: data/ and the unix socket
	port    int
	cred    *syscall.Credential // the server runs as the postgres user when the demo runs as root
	proc    *child
}

var pgVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\S+)`)

// pgRoot is where Debian and Ubuntu install the server binaries, one directory per major version.
const pgRoot = "/usr/lib/postgresql"

// findPostgres returns the bin directory holding initdb, postgres and psql: the newest major
// version under /usr/lib/postgresql, else the directory of initdb on PATH. why says what is
// missing when there is none.
func findPostgres() (bin string, why string) {
	type found struct {
		major int
		bin   string
	}
	var all []found
	matches, _ := filepath.Glob(filepath.Join(pgRoot, "*", "bin", "initdb"))
	for _, m := range matches {
		major, err := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m))))
		if err == nil {
			all = append(all, found{major, filepath.Dir(m)})
		}
	}
	slices.SortFunc(all, func(a, b found) int { return b.major - a.major })
	var dirs []string
	for _, f := range all {
		dirs = append(dirs, f.bin)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, dir := range dirs {
		if isExec(filepath.Join(dir, "postgres")) && isExec(filepath.Join(dir, "psql")) {
			return dir, ""
		}
	}
	return "", fmt.Sprintf("no PostgreSQL server (initdb, postgres and psql) under %s/*/bin or on PATH", pgRoot)
}

// startPostgres starts the demo's PostgreSQL when the machine has one; without it the demo goes
// on and says what it leaves out.
func (d *demo) startPostgres(ctx context.Context) error {
	bin, why := findPostgres()
	if bin == "" {
		why += " (Debian/Ubuntu: apt-get install postgresql)"
	}
	if !d.cfg.postgres {
		bin, why = "", "not used (-postgres=false)"
	}
	if bin == "" {
		d.step("PostgreSQL: %s; the demo goes on without a database: the Odoo row is rendered into its Secret but not applied, "+
			"and the login through OpenG2P's own service is skipped", why)
		return nil
	}
	p := &pgServer{bin: bin, dir: filepath.Join(d.tmp, "postgres")}
	if os.Geteuid() == 0 {
		cred, err := postgresUser()
		if err != nil {
			d.step("PostgreSQL: found in %s, but the demo runs as root and %v; going on without a database", bin, err)
			return nil
		}
		p.cred = cred
		// The server cannot run as root; the postgres user must reach <tmp>/postgres.
		if err := os.Chmod(d.tmp, 0o711); err != nil { //nolint:gosec // traverse only: every file inside stays 0600/0700
			return err
		}
	}
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return err
	}
	if p.cred != nil {
		if err := os.Chown(p.dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			return err
		}
	}
	out, err := p.tool(ctx, "postgres", "--version")
	if err != nil {
		return fmt.Errorf("postgres --version: %w: %s", err, out)
	}
	p.version = "(version unknown)"
	if m := pgVersionRE.FindSubmatch(out); m != nil {
		p.version = string(m[1])
	}
	start := time.Now()
	d.step("starting PostgreSQL %s from %s (initdb in %s; loopback only, scram-sha-256 over TCP)", p.version, bin, p.dir)
	if out, err := p.tool(ctx, "initdb", "-D", p.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	hba := "# written by hack/demo: the unix socket for the demo itself, passwords over TCP\n" +
		"local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(p.dataDir(), "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return err
	}
	if p.port, err = freePort(); err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", p.dataDir(), "-p", strconv.Itoa(p.port), //nolint:gosec // the machine's PostgreSQL
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+p.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "autovacuum=off", "-c", "max_connections=30", "-c", "logging_collector=off")
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	if p.proc, err = spawnCmd("postgres", filepath.Join(d.tmp, "logs", "postgres.log"), nil, cmd); err != nil {
		return err
	}
	d.pg = p
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := p.query(ctx, "postgres", "SELECT 1"); err == nil {
			break
		}
		if p.proc.exited() || time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL did not start (%s); log:\n%s", exitText(p.proc.err), tail(p.proc.logPath, 20))
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	d.step("PostgreSQL %s pid %d listening on 127.0.0.1:%d (up in %.1f s); log %s", p.version, p.proc.pid(), p.port,
		time.Since(start).Seconds(), p.proc.logPath)
	return nil
}

func (p *pgServer) dataDir() string { return filepath.Join(p.dir, "data") }

// tool runs a server program (initdb, postgres --version) as the server's user.
func (p *pgServer) tool(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, name), args...) //nolint:gosec // the machine's PostgreSQL
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd.CombinedOutput()
}

// exec runs an SQL script in database db as the superuser, over the unix socket, stopping at the
// first error.
func (p *pgServer) exec(ctx context.Context, db, sql string) error {
	_, err := p.psql(ctx, db, sql)
	return err
}

// query returns the rows one SELECT prints, every column as text.
func (p *pgServer) query(ctx context.Context, db, sql string) ([][]string, error) {
	out, err := p.psql(ctx, db, sql, "-A", "-t", "-F", "\x1f", "-R", "\x1e")
	if err != nil {
		return nil, err
	}
	text := strings.TrimSuffix(string(out), "\n")
	if text == "" {
		return nil, nil
	}
	var rows [][]string
	for rec := range strings.SplitSeq(text, "\x1e") {
		rows = append(rows, strings.Split(rec, "\x1f"))
	}
	return rows, nil
}

func (p *pgServer) psql(ctx context.Context, db, sql string, extra ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	args := append([]string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", p.dir, "-p", strconv.Itoa(p.port),
		"-U", "postgres", "-d", db, "-f", "-"}, extra...)
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, "psql"), args...) //nolint:gosec // the machine's PostgreSQL client
	cmd.Stdin = strings.NewReader(sql)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c client_min_messages=warning", "PGCONNECT_TIMEOUT=5", "PGCLIENTENCODING=UTF8", "PGTZ=UTC")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("psql on database %s: %w: %s", db, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// connSecret is the connection Secret an app's chart would hold for a role of this server.
func (p *pgServer) connSecret(database, role, password string) map[string]any {
	return map[string]any{"host": "127.0.0.1", "port": strconv.Itoa(p.port), "database": database,
		"user": role, "password": password, "sslmode": "disable"}
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("there is no postgres user to run the server as")
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("the postgres user's ids: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// sqlLiteral quotes an SQL string literal (standard_conforming_strings on).
func sqlLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
