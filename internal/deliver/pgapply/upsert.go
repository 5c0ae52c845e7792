package pgapply

import (
	"errors"
	"regexp"
	"strings"
)

// upsert is what Apply reads from the rendered statements: the table and key of the UPDATE and
// the columns it sets from rendered values. Reading them from the SQL rather than keeping a list
// here means the fingerprint follows render's upserts as they change; what is read is checked
// against the format (table, key) and the shape of an identifier.
type upsert struct {
	table, key string
	// columns are the columns the UPDATE sets, in order, except those set from now() (its
	// timestamps), which change on every run.
	columns []string
}

var (
	reUpdateHead = regexp.MustCompile(`^UPDATE ([a-z_][a-z0-9_]*) SET\s`)
	reColumnName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// parseUpsert finds the first UPDATE of the statements in body and reads it.
func parseUpsert(body string) (upsert, error) {
	statements, err := splitTop(body, ';')
	if err != nil {
		return upsert{}, err
	}
	for _, st := range statements {
		st = strings.TrimSpace(st)
		head := reUpdateHead.FindStringSubmatch(st)
		if head == nil {
			continue
		}
		u := upsert{table: head[1]}
		rest := st[len(head[0]):]
		where, err := indexTop(rest, "\nWHERE ")
		if err != nil || where < 0 {
			return upsert{}, errors.New("the UPDATE has no WHERE")
		}
		cond := rest[where+len("\nWHERE "):]
		eq, err := indexTop(cond, " = ")
		if err == nil && eq < 0 {
			// The row of a client this one replaced is taken over: key IN (new, former…).
			eq, err = indexTop(cond, " IN (")
		}
		if err != nil || eq < 0 {
			return upsert{}, errors.New("the UPDATE's WHERE is not key = value or key IN (values)")
		}
		u.key = strings.TrimSpace(cond[:eq])
		items, err := splitTop(rest[:where], ',')
		if err != nil {
			return upsert{}, err
		}
		for _, it := range items {
			name, expr, ok := strings.Cut(strings.TrimSpace(it), " = ")
			if !ok || !reColumnName.MatchString(name) {
				return upsert{}, errors.New("the UPDATE sets something other than a plain column")
			}
			if !containsUnquoted(expr, "now()") {
				u.columns = append(u.columns, name)
			}
		}
		if len(u.columns) == 0 {
			return upsert{}, errors.New("the UPDATE sets no column from a rendered value")
		}
		return u, nil
	}
	return upsert{}, errors.New("the SQL has no UPDATE")
}

// scan walks SQL text and reports, for each byte, whether it is inside a string literal, a
// quoted identifier, a dollar-quoted body or a comment ("quoted"), and the parenthesis depth
// outside those. Literals are standard-conforming: a doubled quote stands for one, and a
// backslash is just a character (render writes no escape-string literals).
func scan(s string, visit func(i int, quoted bool, depth int)) error {
	depth := 0
	for i := 0; i < len(s); {
		c := s[i]
		end := -1
		switch {
		case c == '\'' || c == '"':
			end = closeQuote(s, i, c)
		case c == '$':
			if tag := dollarTag(s[i:]); tag != "" {
				if j := strings.Index(s[i+len(tag):], tag); j >= 0 {
					end = i + len(tag) + j + len(tag)
				}
			} else {
				end = i + 1 // a parameter or part of a name
				visit(i, false, depth)
				i = end
				continue
			}
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				end = i + j
			} else {
				end = len(s)
			}
		default:
			if c == '(' {
				depth++
			}
			if c == ')' {
				depth--
				if depth < 0 {
					return errors.New("the SQL's parentheses do not balance")
				}
			}
			visit(i, false, depth)
			i++
			continue
		}
		if end < 0 {
			return errors.New("the SQL has an unterminated quote")
		}
		for ; i < end; i++ {
			visit(i, true, depth)
		}
	}
	if depth != 0 {
		return errors.New("the SQL's parentheses do not balance")
	}
	return nil
}

// closeQuote is the index after the quote closing the one at s[i] (a doubled quote is part of
// the text), or -1.
func closeQuote(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] != q {
			continue
		}
		if j+1 < len(s) && s[j+1] == q {
			j++
			continue
		}
		return j + 1
	}
	return -1
}

var reDollarTag = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z0-9_]*\$|^\$\$`)

func dollarTag(s string) string { return reDollarTag.FindString(s) }

// splitTop splits s at sep outside quotes and parentheses.
func splitTop(s string, sep byte) ([]string, error) {
	var parts []string
	start := 0
	err := scan(s, func(i int, quoted bool, depth int) {
		if !quoted && depth == 0 && s[i] == sep {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	})
	return append(parts, s[start:]), err
}

// indexTop is the first index of sub in s that starts outside quotes and parentheses, or -1.
func indexTop(s, sub string) (int, error) {
	found := -1
	err := scan(s, func(i int, quoted bool, depth int) {
		if found < 0 && !quoted && depth == 0 && strings.HasPrefix(s[i:], sub) {
			found = i
		}
	})
	return found, err
}

// containsUnquoted reports whether sub occurs in s outside quotes.
func containsUnquoted(s, sub string) bool {
	found := false
	_ = scan(s, func(i int, quoted bool, _ int) {
		if !quoted && strings.HasPrefix(s[i:], sub) {
			found = true
		}
	})
	return found
}
