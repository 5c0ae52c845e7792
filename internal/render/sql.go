package render

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// column is one column of a generated upsert: its SQL expression, and whether it is written only
// when the row is first inserted (creation timestamps, defaults a person may later change).
type column struct {
	name, expr string
	insertOnly bool
}

// Values sqlString refuses.
var (
	errSQLNUL     = errors.New("value contains a NUL character, which PostgreSQL text cannot hold")
	errSQLNotUTF8 = errors.New("value is not valid UTF-8, which a UTF8 database refuses")
)

// sqlString quotes s as a PostgreSQL string literal. With standard_conforming_strings on (the
// default since 9.1) only the single quote needs doubling; NUL cannot be stored at all, and
// invalid UTF-8 would fail the whole script in a UTF8 database (and is how multibyte client
// encodings have swallowed a quote), so both are refused.
func sqlString(s string) (string, error) {
	if err := sqlRefusal(s); err != nil {
		return "", err
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}

// sqlRefusal is why sqlString refuses s, or nil.
func sqlRefusal(s string) error {
	if strings.ContainsRune(s, 0) {
		return errSQLNUL
	}
	if !utf8.ValidString(s) {
		return errSQLNotUTF8
	}
	return nil
}

// sqlLiterals quotes every value, failing on the first that cannot be quoted.
type sqlLiterals struct{ err error }

func (q *sqlLiterals) str(s string) string {
	lit, err := sqlString(s)
	if err != nil && q.err == nil {
		q.err = err
	}
	return lit
}

func (q *sqlLiterals) nullable(s string) string {
	if s == "" {
		return "NULL"
	}
	return q.str(s)
}

func sqlBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// keyCondition matches the row of the client id, or of a client it replaced.
func keyCondition(expr string, q *sqlLiterals, id string, former []string) string {
	if len(former) == 0 {
		return expr + " = " + q.str(id)
	}
	lits := []string{q.str(id)}
	for _, f := range former {
		lits = append(lits, q.str(f))
	}
	return expr + " IN (" + strings.Join(lits, ", ") + ")"
}

// upsertSQL is an idempotent update-or-insert of the row matching cond. The consumers' tables
// have no unique constraint on the key (Odoo's has none on client_id), so ON CONFLICT is not
// available; a table lock makes the UPDATE-then-INSERT pair safe against a concurrent run.
// pre statements (checks) run inside the transaction first, post statements (links) last.
func upsertSQL(header, table, cond string, cols []column, pre, post []string) string {
	var b strings.Builder
	for _, l := range strings.Split(header, "\n") {
		b.WriteString("-- " + l + "\n")
	}
	b.WriteString("BEGIN;\n")
	fmt.Fprintf(&b, "LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE;\n", table)
	for _, p := range pre {
		b.WriteString(p + "\n")
	}
	fmt.Fprintf(&b, "UPDATE %s SET\n", table)
	first := true
	for _, c := range cols {
		if c.insertOnly {
			continue
		}
		if !first {
			b.WriteString(",\n")
		}
		first = false
		fmt.Fprintf(&b, "  %s = %s", c.name, c.expr)
	}
	fmt.Fprintf(&b, "\nWHERE %s;\n", cond)
	names := make([]string, len(cols))
	exprs := make([]string, len(cols))
	for i, c := range cols {
		names[i], exprs[i] = c.name, c.expr
	}
	fmt.Fprintf(&b, "INSERT INTO %s (\n  %s\n)\nSELECT\n  %s\nWHERE NOT EXISTS (SELECT 1 FROM %s WHERE %s);\n",
		table, strings.Join(names, ",\n  "), strings.Join(exprs, ",\n  "), table, cond)
	for _, p := range post {
		b.WriteString(p + "\n")
	}
	b.WriteString("COMMIT;\n")
	return b.String()
}
