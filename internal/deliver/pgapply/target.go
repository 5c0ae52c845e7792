package pgapply

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/openg2p/esignet-operator/internal/render"
)

// Target is one rendered upsert and what identifies its row. NewTarget builds it from a render
// Document; the fields are exported for tests and for callers that keep them elsewhere.
type Target struct {
	Format render.Format
	// SQL is the rendered script as render writes it: header comments, BEGIN;, the statements,
	// COMMIT;. Apply runs the statements inside its own transaction.
	SQL Script
	// ClientID keys the row (client_id, or authorization_parameters->>'client_id').
	ClientID string
	// IDType (odoo only) is the g2p.id.type name the provider is linked with, or "".
	IDType string
}

// String names the target without its SQL, which holds the private key.
func (t Target) String() string {
	s := fmt.Sprintf("%s upsert for client %q (%s)", t.Format, t.ClientID, t.Hash())
	if t.IDType != "" {
		s += fmt.Sprintf(" with ID type %q", t.IDType)
	}
	return s
}

// GoString is String for %#v.
func (t Target) GoString() string { return t.String() }

// LogValue keeps structured loggers from reflecting over the SQL.
func (t Target) LogValue() slog.Value { return slog.StringValue(t.String()) }

// Script is rendered SQL. It holds the private key, so printing, logging or encoding it as JSON
// shows only its length.
type Script []byte

func (s Script) String() string { return fmt.Sprintf("<%d bytes of SQL>", len(s)) }

// Format makes every fmt verb print String.
func (s Script) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, s.String()) }

// LogValue is String for structured loggers.
func (s Script) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes String, never the bytes.
func (s Script) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Document keys NewTarget reads (render's names).
const (
	odooSQLKey     = "auth_oauth_provider.sql"
	odooJSONKey    = "auth_oauth_provider.json"
	fastapiSQLKey  = "login_provider.sql"
	fastapiJSONKey = "authorization_parameters.json"
	iamSQLKey      = "login_provider.sql"
	iamJSONKey     = "login_provider.json"
)

// Formats lists the formats Apply delivers.
func Formats() []render.Format {
	return []render.Format{render.FormatOdoo, render.FormatFastAPIAuth, render.FormatIAM}
}

// NewTarget takes the upsert and the row's identity from a rendered document of an odoo,
// fastapi-auth or iam output. Its errors are *Error with Reason TargetInvalid.
func NewTarget(format render.Format, doc render.Document) (Target, error) {
	var sqlKey, jsonKey string
	switch format {
	case render.FormatOdoo:
		sqlKey, jsonKey = odooSQLKey, odooJSONKey
	case render.FormatFastAPIAuth:
		sqlKey, jsonKey = fastapiSQLKey, fastapiJSONKey
	case render.FormatIAM:
		sqlKey, jsonKey = iamSQLKey, iamJSONKey
	default:
		return Target{}, targetInvalid("format %q has no database delivery (only odoo, fastapi-auth and iam render an upsert)", format)
	}
	var rec struct {
		ClientID string `json:"client_id"`
		IDType   string `json:"g2p_id_type"`
	}
	if err := json.Unmarshal(doc.Data[jsonKey], &rec); err != nil {
		return Target{}, targetInvalid("rendered %s is missing or not the expected JSON object", jsonKey)
	}
	t := Target{Format: format, SQL: doc.Data[sqlKey], ClientID: rec.ClientID}
	if format == render.FormatOdoo {
		t.IDType = rec.IDType
	}
	if err := t.validate(); err != nil {
		return Target{}, err
	}
	return t, nil
}

func targetInvalid(format string, a ...any) *Error {
	return &Error{Reason: TargetInvalid, Message: fmt.Sprintf(format, a...)}
}

// Hash identifies the rendered content: "sha256:" and the hex digest of SQL. Renders are
// deterministic, so it changes exactly when the upsert does.
func (t Target) Hash() string {
	sum := sha256.Sum256(t.SQL)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (t Target) validate() error {
	if _, ok := tables[t.Format]; !ok {
		return targetInvalid("format %q has no database delivery (only odoo, fastapi-auth and iam render an upsert)", t.Format)
	}
	if t.ClientID == "" {
		return targetInvalid("the rendered document names no client_id")
	}
	if t.Format != render.FormatOdoo && t.IDType != "" {
		return targetInvalid("idType applies to the odoo format only")
	}
	_, err := t.upsert()
	return err
}

// body is the rendered script without its header and its own BEGIN;/COMMIT; lines, which
// Apply replaces by a transaction it controls (timeouts, the check after the upsert). The shape
// is render's upsertSQL exactly; anything else is refused rather than guessed at.
func (t Target) body() (string, error) {
	rest := string(t.SQL)
	for strings.HasPrefix(rest, "--") || strings.HasPrefix(rest, "\n") {
		_, after, found := strings.Cut(rest, "\n")
		if !found {
			rest = ""
			break
		}
		rest = after
	}
	const begin, commit = "BEGIN;\n", "\nCOMMIT;"
	end := strings.TrimRight(rest, "\n")
	if !strings.HasPrefix(rest, begin) || !strings.HasSuffix(end, commit) {
		return "", targetInvalid("the rendered SQL is not one BEGIN; … COMMIT; block as render writes it")
	}
	body := end[len(begin) : len(end)-len(commit)+1]
	if strings.TrimSpace(body) == "" {
		return "", targetInvalid("the rendered SQL has no statements")
	}
	return body, nil
}

// upsert reads the rendered UPDATE and checks it is the format's: its table and key.
func (t Target) upsert() (upsert, error) {
	body, err := t.body()
	if err != nil {
		return upsert{}, err
	}
	u, err := parseUpsert(body)
	if err != nil {
		return upsert{}, targetInvalid("the rendered SQL cannot be read: %v", err)
	}
	tb := tables[t.Format]
	if u.table != tb.name || u.key != tb.key {
		return upsert{}, targetInvalid("the rendered SQL updates another table or key than the %s format's", t.Format)
	}
	return u, nil
}

// table is what Apply knows of a format's table: the name and key its upsert must use.
type table struct {
	name string
	key  string // the UPDATE's WHERE expression, compared with the client id
	hint string // where the table comes from, for SchemaMissing
}

var tables = map[render.Format]table{
	render.FormatOdoo: {
		name: "auth_oauth_provider",
		key:  "client_id",
		hint: "the odoo format needs Odoo's auth_oauth and OpenG2P's g2p_auth_oidc modules installed in this " +
			"database (g2p_auth_id_oidc for idType, g2p_portal_auth for selfServicePortal); install or upgrade them",
	},
	render.FormatFastAPIAuth: {
		name: "login_providers",
		key:  "authorization_parameters->>'client_id'",
		hint: "the fastapi-auth format needs the login_providers table openg2p-fastapi-auth 1.x (the SPAR " +
			"self-service API) creates at start-up; check the Secret names that app's database",
	},
	render.FormatIAM: {
		name: "login_providers",
		key:  "client_id",
		hint: "the iam format needs the login_providers table of openg2p-iam-service 1.1 or later (1.0 lacks " +
			"client_private_key and private_key_jwt), created by the service's migrate step",
	},
}

// probe selects one fingerprint per row with the target's key: the SHA-256 of the row text of
// the columns the upsert's UPDATE sets from rendered values (bytea_output is hex in Apply's
// transaction), computed by the server so that only digests leave it. For an odoo target with
// an ID type it also covers the link back from g2p_id_type that the upsert sets. Parameters: $1
// the client id, $2 the ID type.
func (t Target) probe() (sql string, args []any, err error) {
	u, err := t.upsert()
	if err != nil {
		return "", nil, err
	}
	exprs := make([]string, 0, len(u.columns)+1)
	for _, c := range u.columns {
		exprs = append(exprs, "p."+c)
	}
	args = []any{t.ClientID}
	if t.Format == render.FormatOdoo && t.IDType != "" {
		exprs = append(exprs, "NOT EXISTS (SELECT 1 FROM g2p_id_type t WHERE t.name = $2 AND "+
			"t.auth_oauth_provider_id IS DISTINCT FROM (SELECT p2.id FROM auth_oauth_provider p2 "+
			"WHERE p2.client_id = $1 ORDER BY p2.id LIMIT 1))")
		args = append(args, t.IDType)
	}
	sql = fmt.Sprintf("SELECT encode(sha256(convert_to(ROW(%s)::text, 'UTF8')), 'hex') FROM %s p WHERE p.%s = $1 ORDER BY p.id",
		strings.Join(exprs, ", "), u.table, u.key)
	return sql, args, nil
}
