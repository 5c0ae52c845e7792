package pgapply

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SSLMode is how the connection uses TLS, with libpq's meaning.
type SSLMode string

// The accepted sslmode values.
const (
	// SSLVerifyFull requires TLS, a certificate chaining to the CA (or the system roots) and
	// valid for the host name. The default.
	SSLVerifyFull SSLMode = "verify-full"
	// SSLVerifyCA requires TLS and a certificate chaining to the CA, for any host name.
	SSLVerifyCA SSLMode = "verify-ca"
	// SSLRequire requires TLS without checking the certificate (verify-ca when a CA is given).
	SSLRequire SSLMode = "require"
	// SSLDisable connects without TLS. Only when the Secret says so.
	SSLDisable SSLMode = "disable"
)

// Secret keys ParseConn reads (see the package documentation).
const (
	KeyHost             = "host"
	KeyPort             = "port"
	KeyDatabase         = "database"
	KeyDBName           = "dbname"
	KeyUser             = "user"
	KeyUsername         = "username"
	KeyPassword         = "password"
	KeyPostgresPassword = "postgres-password"
	KeySSLMode          = "sslmode"
	KeyCA               = "ca.crt"
	KeySSLRootCert      = "sslrootcert"
)

// DefaultPort is PostgreSQL's port.
const DefaultPort = 5432

// Limits on Secret values: PostgreSQL truncates identifiers at 63 bytes, DNS names are at most
// 253 characters, and a CA bundle is a few certificates.
const (
	maxIdentifier = 63
	maxHost       = 253
	maxPassword   = 1024
	maxCABundle   = 1 << 20
)

// Conn is where and how to connect, parsed from a Secret by ParseConn. The password is kept
// unexported and no way of printing a Conn shows it.
type Conn struct {
	Host     string
	Port     uint16
	Database string
	User     string
	SSLMode  SSLMode
	// CA is the PEM bundle from ca.crt, or nil for the system roots.
	CA []byte

	password string
	roots    *x509.CertPool
}

// String describes the connection without its password.
func (c Conn) String() string {
	ca := "system roots"
	if c.roots != nil {
		ca = "ca.crt"
	}
	return fmt.Sprintf("postgres %s:%d database %q user %q sslmode %s (%s)", c.Host, c.Port, c.Database, c.User, c.SSLMode, ca)
}

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, …) print String, never the fields.
func (c Conn) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, c.String()) }

// LogValue keeps structured loggers from reflecting over the fields.
func (c Conn) LogValue() slog.Value { return slog.StringValue(c.String()) }

// ParseConn reads a connection Secret's data. Its errors are *Error with Reason SecretInvalid
// and name the key at fault; they never quote the password.
func ParseConn(data map[string][]byte) (Conn, error) {
	var c Conn
	var err error
	text := func(keys ...string) (string, string, error) { return pick(data, keys...) }

	host, _, err := text(KeyHost)
	if err != nil {
		return Conn{}, err
	}
	if c.Host, err = parseHost(host); err != nil {
		return Conn{}, err
	}
	port, _, err := text(KeyPort)
	if err != nil {
		return Conn{}, err
	}
	if c.Port, err = parsePort(port); err != nil {
		return Conn{}, err
	}
	var key string
	if c.Database, key, err = text(KeyDatabase, KeyDBName); err != nil {
		return Conn{}, err
	}
	if err := checkIdentifier(c.Database, "database", KeyDatabase, key); err != nil {
		return Conn{}, err
	}
	if c.User, key, err = text(KeyUser, KeyUsername); err != nil {
		return Conn{}, err
	}
	if err := checkIdentifier(c.User, "user", KeyUser, key); err != nil {
		return Conn{}, err
	}
	if c.password, err = parsePassword(data, c.User); err != nil {
		return Conn{}, err
	}
	mode, _, err := text(KeySSLMode)
	if err != nil {
		return Conn{}, err
	}
	if c.SSLMode, err = parseSSLMode(mode); err != nil {
		return Conn{}, err
	}
	if c.CA, c.roots, err = parseCA(data); err != nil {
		return Conn{}, err
	}
	if c.SSLMode == SSLRequire && c.roots != nil {
		c.SSLMode = SSLVerifyCA // libpq: a root certificate turns require into verify-ca
	}
	return c, nil
}

func secretInvalid(format string, a ...any) *Error {
	return &Error{Reason: SecretInvalid, Message: fmt.Sprintf(format, a...)}
}

// pick returns the trimmed value of the first present key among aliases, refusing two aliases
// with different values.
func pick(data map[string][]byte, keys ...string) (value, key string, err error) {
	for _, k := range keys {
		raw, ok := data[k]
		if !ok {
			continue
		}
		v := strings.TrimSpace(string(raw))
		if key != "" && v != value {
			return "", "", secretInvalid("keys %s and %s are aliases but hold different values; keep one", key, k)
		}
		if key == "" {
			value, key = v, k
		}
	}
	return value, key, nil
}

func parseHost(h string) (string, error) {
	if h == "" {
		return "", secretInvalid("key %s is missing or empty: set the database server's DNS name or IP address", KeyHost)
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if len(h) > maxHost {
		return "", secretInvalid("key %s is longer than %d characters", KeyHost, maxHost)
	}
	if net.ParseIP(h) != nil {
		return h, nil
	}
	if strings.IndexFunc(h, notHostRune) >= 0 {
		return "", secretInvalid("key %s must be one DNS name or IP address (no scheme, port, path, list or unix socket)", KeyHost)
	}
	return h, nil
}

// notHostRune is true for anything but the ASCII letters, digits, '.', '-' and '_' of a DNS name.
func notHostRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		return false
	}
	return true
}

func parsePort(p string) (uint16, error) {
	if p == "" {
		return DefaultPort, nil
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return 0, secretInvalid("key %s must be a number from 1 to 65535", KeyPort)
	}
	return uint16(n), nil
}

func checkIdentifier(v, what, canonical, key string) error {
	if key == "" || v == "" {
		return secretInvalid("key %s is missing or empty: set the %s name", canonical, what)
	}
	if len(v) > maxIdentifier {
		return secretInvalid("key %s is longer than %d bytes, which PostgreSQL would truncate", key, maxIdentifier)
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return secretInvalid("key %s holds control characters or invalid UTF-8", key)
	}
	return nil
}

// parsePassword takes password, or for the superuser Bitnami's postgres-password. Only trailing
// line breaks are trimmed (a file written with echo); spaces may belong to the password.
func parsePassword(data map[string][]byte, user string) (string, error) {
	raw, ok := data[KeyPassword]
	if !ok {
		if pg, found := data[KeyPostgresPassword]; found {
			if user != "postgres" {
				return "", secretInvalid("key %s is missing; %s (Bitnami) is the superuser's password and user is not postgres", KeyPassword, KeyPostgresPassword)
			}
			raw, ok = pg, true
		}
	}
	p := strings.TrimRight(string(raw), "\r\n")
	switch {
	case !ok || p == "":
		return "", secretInvalid("key %s is missing or empty", KeyPassword)
	case len(p) > maxPassword:
		return "", secretInvalid("key %s is longer than %d bytes", KeyPassword, maxPassword)
	case strings.ContainsRune(p, 0):
		return "", secretInvalid("key %s contains a NUL byte, which the PostgreSQL protocol cannot carry", KeyPassword)
	}
	return p, nil
}

func parseSSLMode(m string) (SSLMode, error) {
	switch SSLMode(m) {
	case "":
		return SSLVerifyFull, nil
	case SSLVerifyFull, SSLVerifyCA, SSLRequire, SSLDisable:
		return SSLMode(m), nil
	case "allow", "prefer":
		return "", secretInvalid("sslmode %s is not accepted: it falls back to an unencrypted connection without saying so; use verify-full (the default), verify-ca, require, or disable", m)
	}
	return "", secretInvalid("key %s must be one of verify-full (the default), verify-ca, require, disable", KeySSLMode)
}

// parseCA reads ca.crt (or sslrootcert): every PEM block must be a certificate.
func parseCA(data map[string][]byte) ([]byte, *x509.CertPool, error) {
	raw, key, err := pickRaw(data, KeyCA, KeySSLRootCert)
	if err != nil || key == "" {
		return nil, nil, err
	}
	if len(raw) > maxCABundle {
		return nil, nil, secretInvalid("key %s is larger than %d bytes", key, maxCABundle)
	}
	pool := x509.NewCertPool()
	rest, n := raw, 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, nil, secretInvalid("key %s holds a PEM block of type %q; it must hold CA certificates only", key, truncate(block.Type, 40))
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, secretInvalid("key %s: certificate %d cannot be parsed", key, n+1)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, nil, secretInvalid("key %s holds no PEM certificate", key)
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, nil, secretInvalid("key %s has text after its last PEM certificate", key)
	}
	return raw, pool, nil
}

// pickRaw is pick for binary values: present and non-blank aliases must be byte-identical.
func pickRaw(data map[string][]byte, keys ...string) (value []byte, key string, err error) {
	for _, k := range keys {
		v, ok := data[k]
		if !ok || len(strings.TrimSpace(string(v))) == 0 {
			continue
		}
		if key != "" && string(v) != string(value) {
			return nil, "", secretInvalid("keys %s and %s are aliases but hold different values; keep one", key, k)
		}
		if key == "" {
			value, key = v, k
		}
	}
	return value, key, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
