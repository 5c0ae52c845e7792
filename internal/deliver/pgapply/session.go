package pgapply

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ApplicationName is how the operator's sessions show in pg_stat_activity.
const ApplicationName = "esignet-operator"

// maxMessageLen caps a protocol message from the server; Apply's results are a few digests.
const maxMessageLen = 16 << 20

// baseConnString only gets pgx to build a Config (it must come from ParseConfig); every field it
// sets is overwritten below. It names every file-reading setting empty and carries a password,
// so that no PG* variable of the operator's environment makes the driver read a file.
const baseConnString = "host=localhost port=5432 dbname=postgres user=esignet-operator password=unused " +
	"sslmode=disable sslrootcert='' sslcert='' sslkey='' sslcertmode=disable target_session_attrs=any"

// pgxConfig is the driver configuration for one connection: nothing from the environment, TLS
// as the Secret says, a bounded connect, no statement cache, no tracer (nothing is logged).
func (c Conn) pgxConfig(o Options, s *sniffer) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(baseConnString)
	if err != nil {
		return nil, err
	}
	pc := &cfg.Config
	pc.Host, pc.Port, pc.Database, pc.User, pc.Password = c.Host, c.Port, c.Database, c.User, c.password
	pc.TLSConfig = c.tlsConfig()
	pc.Fallbacks = nil
	pc.ConnectTimeout = o.ConnectTimeout
	dial := o.dial
	if dial == nil {
		d := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 15 * time.Second}
		dial = d.DialContext
	}
	pc.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return sniffConn{Conn: nc, s: s}, nil
	}
	if o.lookup != nil {
		pc.LookupFunc = o.lookup
	} else {
		pc.LookupFunc = net.DefaultResolver.LookupHost
	}
	pc.RuntimeParams = map[string]string{"application_name": ApplicationName}
	pc.KerberosSrvName, pc.KerberosSpn = "", ""
	pc.SSLNegotiation, pc.SSLCertMode = "", "disable"
	pc.AfterNetConnect, pc.ValidateConnect, pc.AfterConnect = nil, nil, nil
	pc.OnNotice, pc.OnNotification, pc.OAuthTokenProvider = nil, nil, nil
	pc.MinProtocolVersion, pc.MaxProtocolVersion, pc.ChannelBinding = "3.0", "3.0", "prefer"
	pc.MaxProtocolMessageBodyLen = maxMessageLen
	// A server whose certificate was not verified may be an impostor: never hand it the
	// password in clear text (md5 and SCRAM do not reveal it).
	pc.RequireAuth = ""
	if c.SSLMode == SSLDisable || c.SSLMode == SSLRequire {
		pc.RequireAuth = "!password"
	}
	cfg.Tracer = nil
	cfg.StatementCacheCapacity, cfg.DescriptionCacheCapacity = 0, 0
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	return cfg, nil
}

// tlsConfig implements the sslmode: verify-full checks chain and name, verify-ca the chain
// only, require neither.
func (c Conn) tlsConfig() *tls.Config {
	switch c.SSLMode {
	case SSLDisable:
		return nil
	case SSLRequire:
		// The Secret asked for encryption without verification (libpq's require).
		return &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true} //nolint:gosec // sslmode require
	case SSLVerifyCA:
		roots := c.roots
		return &tls.Config{
			MinVersion: tls.VersionTLS12,
			// The chain is verified in VerifyConnection, without the host name (libpq's verify-ca).
			InsecureSkipVerify: true, //nolint:gosec // see VerifyConnection
			VerifyConnection:   func(cs tls.ConnectionState) error { return verifyChain(cs, roots) },
		}
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.Host, RootCAs: c.roots}
}

// verifyChain checks the server's certificate against roots (nil: the system's), not its name.
func verifyChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// sniffer remembers the first byte the server sent. PostgreSQL answers a TLS request with one
// byte, 'S' or 'N'; pgx reports anything but 'S' alike, and only 'N' means "a PostgreSQL
// server without TLS" rather than "something else listens there".
type sniffer struct{ b atomic.Int32 } // first byte + 1; 0 until one arrives

func (s *sniffer) first() int32 { return s.b.Load() - 1 }

type sniffConn struct {
	net.Conn
	s *sniffer
}

func (c sniffConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.s.b.CompareAndSwap(0, int32(p[0])+1)
	}
	return n, err
}

// closeConn ends the session (the server rolls back whatever is open), within a short time
// even when ctx is done.
func closeConn(ctx context.Context, c *pgx.Conn) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	_ = c.Close(cctx)
}

const closeTimeout = 2 * time.Second

// lookupFunc and dialFunc are the driver's hooks, settable by this package's tests only.
type (
	lookupFunc = pgconn.LookupFunc
	dialFunc   = pgconn.DialFunc
)
