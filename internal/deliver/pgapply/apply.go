package pgapply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Defaults for Options' zero values.
const (
	DefaultConnectTimeout   = 10 * time.Second
	DefaultStatementTimeout = 15 * time.Second
	DefaultLockTimeout      = 5 * time.Second
	DefaultTimeout          = time.Minute
)

// Options bound one Apply. Zero values take the defaults.
type Options struct {
	// ConnectTimeout bounds connecting: DNS, TCP, TLS and authentication.
	ConnectTimeout time.Duration
	// StatementTimeout is the transaction's statement_timeout (SET LOCAL), for each statement.
	StatementTimeout time.Duration
	// LockTimeout is the transaction's lock_timeout: how long the upsert waits for its table
	// lock (SHARE ROW EXCLUSIVE, which waits for the app's writers to finish).
	LockTimeout time.Duration
	// Timeout bounds the whole call on the client side, should the server stop answering.
	Timeout time.Duration
	// Now stamps Record.At; time.Now when nil.
	Now func() time.Time

	lookup lookupFunc // tests: resolve names without DNS
	dial   dialFunc   // tests
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ConnectTimeout, DefaultConnectTimeout)
	def(&o.StatementTimeout, DefaultStatementTimeout)
	def(&o.LockTimeout, DefaultLockTimeout)
	def(&o.Timeout, DefaultTimeout)
	o.ConnectTimeout = min(o.ConnectTimeout, o.Timeout)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Location is where a row was applied. It holds no credentials.
type Location struct {
	Host     string
	Port     uint16
	Database string
	Table    string
}

func (l Location) String() string {
	return fmt.Sprintf("%s:%d database %s table %s", l.Host, l.Port, l.Database, l.Table)
}

// Record is what the caller keeps (in status) after a delivery and hands back to the next.
type Record struct {
	// Hash is the Target.Hash of the content applied.
	Hash string
	// RowHash fingerprints the row as the upsert left it: "sha256:" and the digest of its
	// managed columns (and, for odoo with an ID type, the link back to it). A different
	// fingerprint later means someone changed the row.
	RowHash  string
	Location Location
	At       time.Time
}

// Cause says why Apply did or did not run the upsert.
type Cause string

// Causes.
const (
	// UpToDate: same content at the same place, and every row with the key reads as applied.
	UpToDate Cause = "UpToDate"
	// NeverApplied: there was no record.
	NeverApplied Cause = "NeverApplied"
	// TargetChanged: the record is for another host, port, database or table.
	TargetChanged Cause = "TargetChanged"
	// ContentChanged: the rendered content differs from the recorded one.
	ContentChanged Cause = "ContentChanged"
	// RowMissing: no row holds the client id any more (deleted).
	RowMissing Cause = "RowMissing"
	// RowChanged: a row with the client id differs from what was applied (edited).
	RowChanged Cause = "RowChanged"
)

// Result is the outcome of a successful Apply.
type Result struct {
	// Applied is true when the upsert ran and committed.
	Applied bool
	Cause   Cause
	// Record is the new record when Applied, else the one passed in.
	Record Record
}

// decide says whether to run the upsert. probe reads the fingerprints of the rows with the
// target's key; it is called only when content and place match the record.
func decide(last *Record, hash string, loc Location, probe func() ([]string, error)) (Cause, error) {
	switch {
	case last == nil || last.Hash == "" || last.RowHash == "":
		return NeverApplied, nil
	case last.Location != loc:
		return TargetChanged, nil
	case last.Hash != hash:
		return ContentChanged, nil
	}
	rows, err := probe()
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return RowMissing, nil
	}
	for _, r := range rows {
		if rowHashPrefix+r != last.RowHash {
			return RowChanged, nil
		}
	}
	return UpToDate, nil
}

const rowHashPrefix = "sha256:"

// Apply delivers target into the database conn names, unless last shows it is there already:
// one connection, one transaction (statement, lock and idle timeouts set LOCAL), a probe of the
// row's fingerprint when the content is unchanged, then, if needed, the upsert, a read-back of
// the row and COMMIT. Nothing is written when nothing needs to be. Errors are *Error.
func Apply(ctx context.Context, conn Conn, target Target, last *Record, opts Options) (Result, error) {
	o := opts.withDefaults()
	if err := conn.check(); err != nil {
		return Result{}, err
	}
	if err := target.validate(); err != nil {
		return Result{}, err
	}
	a := &attempt{
		cl:     &classifier{conn: conn, target: target, opts: o, sniff: &sniffer{}},
		target: target,
		last:   last,
		hash:   target.Hash(),
		loc:    Location{Host: conn.Host, Port: conn.Port, Database: conn.Database, Table: tables[target.Format].name},
		opts:   o,
	}
	cfg, err := conn.pgxConfig(o, a.cl.sniff)
	if err != nil {
		// Only a PG* variable of the operator's own environment (PGSERVICE) can get here.
		return Result{}, newError(ApplyFailed, "", "the PostgreSQL driver refused its base settings; check the "+
			"operator's PG* environment variables")
	}
	callCtx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	pc, err := pgx.ConnectConfig(callCtx, cfg)
	if err != nil {
		return Result{}, a.cl.connectError(ctx, err)
	}
	defer closeConn(ctx, pc)
	res, err := a.run(callCtx, pc)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return Result{}, e
		}
		return Result{}, a.cl.execError(ctx, err)
	}
	return res, nil
}

// check refuses a Conn that did not come from ParseConn.
func (c Conn) check() error {
	if c.Host == "" || c.Port == 0 || c.Database == "" || c.User == "" || c.password == "" || c.SSLMode == "" {
		return secretInvalid("the connection is incomplete (build it with ParseConn)")
	}
	return nil
}

type attempt struct {
	cl     *classifier
	target Target
	last   *Record
	hash   string
	loc    Location
	opts   Options
}

// run is one transaction on pc. Driver errors are returned as they are, for Apply to classify.
func (a *attempt) run(ctx context.Context, pc *pgx.Conn) (Result, error) {
	tx, err := pc.Begin(ctx)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		_ = tx.Rollback(rctx) // after Commit a no-op
	}()
	ms := func(d time.Duration) int64 { return max(d.Milliseconds(), 1) }
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d; SET LOCAL lock_timeout = %d; "+
		"SET LOCAL idle_in_transaction_session_timeout = %d; SET LOCAL bytea_output = 'hex'",
		ms(a.opts.StatementTimeout), ms(a.opts.LockTimeout), ms(a.opts.StatementTimeout+a.opts.LockTimeout))); err != nil {
		return Result{}, err
	}
	cause, err := decide(a.last, a.hash, a.loc, func() ([]string, error) { return a.fingerprints(ctx, tx) })
	if err != nil {
		return Result{}, err
	}
	if cause == UpToDate {
		return Result{Cause: UpToDate, Record: *a.last}, nil
	}
	if a.target.IDType != "" {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM g2p_id_type WHERE name = $1)", a.target.IDType).Scan(&exists); err != nil {
			return Result{}, err
		}
		if !exists {
			return Result{}, a.cl.idTypeMissing()
		}
	}
	body, err := a.target.body()
	if err != nil {
		return Result{}, err
	}
	if _, err := tx.Exec(ctx, body); err != nil {
		return Result{}, err
	}
	if pc.PgConn().TxStatus() != 'T' {
		return Result{}, targetInvalid("the rendered SQL ended the transaction itself; nothing more was run")
	}
	rows, err := a.fingerprints(ctx, tx)
	if err != nil {
		return Result{}, err
	}
	if err := readBack(rows); err != nil {
		return Result{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Result{}, err
	}
	rec := Record{Hash: a.hash, RowHash: rowHashPrefix + rows[0], Location: a.loc, At: a.opts.Now().UTC()}
	return Result{Applied: true, Cause: cause, Record: rec}, nil
}

// readBack checks the rows after the upsert: at least one, all alike.
func readBack(rows []string) error {
	if len(rows) == 0 {
		return newError(ApplyFailed, "", "after the upsert no row with this client id reads back (a trigger, rule "+
			"or row-level security policy on the table?); nothing was committed")
	}
	for _, r := range rows[1:] {
		if r != rows[0] {
			return newError(ApplyFailed, "", "after the upsert the rows with this client id differ (a trigger on "+
				"the table?); nothing was committed")
		}
	}
	return nil
}

func (a *attempt) fingerprints(ctx context.Context, tx pgx.Tx) ([]string, error) {
	sql, args, err := a.target.probe()
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
