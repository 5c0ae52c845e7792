package render

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"
	"unicode/utf8"
)

// TemplateError is a failed template execution as the relying party's status shows it: where
// (line and byte column of the template text; 0 when unknown) and a category built from fixed
// strings. It never holds a value: text/template's own messages print values (an index, the
// string a range could not iterate, the callee of call), and the values here include the
// private key. The only template-chosen words it may hold are identifiers written at that
// position (a field name, a function name, a template name), which the template text shows anyway.
type TemplateError struct {
	Line, Column int
	Category     string
}

func (e *TemplateError) Error() string {
	if e.Line == 0 {
		return "executing template: " + e.Category
	}
	return fmt.Sprintf("executing template: %s:%d:%d: %s", templateName, e.Line, e.Column, e.Category)
}

// limitError is a bound reached (time, steps, depth, memory, output).
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

var (
	errDeadline       = &limitError{"deadline exceeded"}
	errSteps          = &limitError{fmt.Sprintf("step budget exceeded (%d steps)", maxTemplateSteps)}
	errDepth          = &limitError{fmt.Sprintf("template depth exceeded (%d)", maxTemplateDepth)}
	errAlloc          = &limitError{fmt.Sprintf("memory budget exceeded (%d MiB)", maxTemplateAlloc>>20)}
	errOutputTooLarge = &limitError{fmt.Sprintf("output exceeds %d KiB", maxTemplateOutput>>10)}
)

// funcError is a template function refusing its arguments; both fields are fixed strings.
type funcError struct{ fn, category string }

func (e *funcError) Error() string { return e.fn + ": " + e.category }

func funcErr(fn, category string) error { return &funcError{fn, category} }

// execLocation is how text/template starts an execution error that has a node: the location
// "NAME:LINE:COL" uses the name given to the top-level template (templateName) for every
// template parsed with it, defined ones included.
var execLocation = regexp.MustCompile(`^template: ` + templateName + `:(\d+):(\d+): `)

// safeError turns an error of Execute into a TemplateError.
func (p *parsedTemplate) safeError(err error) error {
	if te, ok := errors.AsType[*TemplateError](err); ok { // a step marker's
		return te
	}
	te := &TemplateError{Category: "execution failed"}
	var ee template.ExecError
	isExec := errors.As(err, &ee) && ee.Err != nil
	var msg string
	if isExec {
		msg = ee.Err.Error()
		if m := execLocation.FindStringSubmatch(msg); m != nil {
			te.Line, _ = strconv.Atoi(m[1])
			te.Column, _ = strconv.Atoi(m[2])
		}
	}
	var le *limitError
	var fe *funcError
	switch {
	case errors.As(err, &le):
		te.Category = le.msg
	case errors.As(err, &fe):
		te.Category = fe.Error()
	case isExec && errors.Unwrap(ee.Err) != nil:
		te.Category = functionCategory(msg, errors.Unwrap(ee.Err))
	case isExec && te.Line > 0:
		te.Category = p.evalCategory(msg, te.Line, te.Column)
	}
	return te
}

// functionCategory handles "... error calling FN: INNER", the only execution error that wraps
// another: FN is found by removing INNER from the end, and compared with the known names.
func functionCategory(msg string, inner error) string {
	head, ok := strings.CutSuffix(msg, ": "+inner.Error())
	if !ok {
		return "function failed"
	}
	for _, fn := range builtinNames {
		if strings.HasSuffix(head, "error calling "+fn) {
			return fn + ": " + builtinCategory(fn, inner.Error())
		}
	}
	for fn := range (&execLimits{}).funcs() {
		if strings.HasSuffix(head, "error calling "+fn) {
			return fn + ": failed" // our functions return funcError; this is a recovered panic
		}
	}
	return "function failed"
}

// builtinCategories classify the errors of text/template's built-in functions by the fixed text
// they start with (their values follow it).
var builtinCategories = []struct{ prefix, category string }{
	{"index out of range", "index out of range"},
	{"cannot index slice/array with", "invalid index"},
	{"value has type", "invalid index"},
	{"value is nil", "invalid index"},
	{"index of untyped nil", "index of nil"},
	{"index of nil pointer", "index of nil"},
	{"can't index item of type", "cannot index this value"},
	{"slice of untyped nil", "slice of nil"},
	{"slice of nil pointer", "slice of nil"},
	{"too many slice indexes", "too many slice indexes"},
	{"cannot 3-index slice a string", "cannot slice a string with three indexes"},
	{"can't slice item of type", "cannot slice this value"},
	{"invalid slice index", "invalid slice index"},
	{"len of nil pointer", "len of nil"},
	{"len of type", "value has no length"},
	{"incompatible types for comparison", "incompatible types for comparison"},
	{"invalid type for comparison", "invalid type for comparison"},
	{"missing argument for comparison", "missing argument for comparison"},
	{"non-comparable type", "non-comparable types"},
	{"call of nil", "call of nil"},
	{"non-function", "not a function"},
	{"wrong number of args", "wrong number of arguments"},
	{"arg ", "invalid argument"},
}

func builtinCategory(fn, inner string) string {
	for _, c := range builtinCategories {
		if strings.HasPrefix(inner, c.prefix) {
			return c.category
		}
	}
	return "failed"
}

// evalCategories classify text/template's own execution errors by the fixed text their message
// starts with (exec.go's errorf formats). Values, where a format prints one, come after it.
var evalCategories = []struct{ prefix, category string }{
	{"can't evaluate field ", "can't evaluate field"},
	{"map has no entry for key ", "missing key"},
	{"nil data; no entry for key ", "missing key"},
	{"nil pointer evaluating ", "nil pointer evaluating field"},
	{"range can't iterate over ", "range over a value that cannot be iterated"},
	{"range over send-only channel", "range over a value that cannot be iterated"},
	{"can't use ", "range with two variables over a value that has no index"},
	{"if/with can't use ", "condition has no truth value"},
	{"template ", "template not defined"},
	{"exceeded maximum template depth", "template depth exceeded"},
	{"can't give argument to non-function ", "argument given to a non-function"},
	{"nil is not a command", "nil is not a command"},
	{"can't evaluate command ", "invalid command"},
	{"wrong number of args for ", "wrong number of arguments"},
	{"wrong type for value", "wrong type for value"},
	{"invalid value; expected ", "wrong type for value"},
	{"dereference of nil pointer", "nil pointer dereference"},
	{"cannot assign nil to ", "cannot assign nil"},
	{"expected ", "wrong type for argument"},
	{"can't handle ", "wrong type for argument"},
	{"can't print ", "value cannot be printed"},
	{"undefined variable", "undefined variable"},
	{"indirection through explicit nil", "nil indirection"},
}

// evalSuffixes classify messages that start with template text (a name or constant) and end
// with fixed text; they hold no value.
var evalSuffixes = []struct{ suffix, category string }{
	{" overflows int", "constant overflows int"},
	{" is not a defined function", "function not defined"},
	{" is an incomplete or empty template", "template is empty"},
	{" is an unexported field of struct type", "unexported field"},
	{" has arguments but cannot be invoked as function", "field has arguments"},
	{" is not a method but has arguments", "field is not a method but has arguments"},
}

// evalCategory classifies an error text/template raised itself. Its message is
// `template: LOC: executing "NAME" at <NODE>: MSG` where NAME is a template's name and NODE the
// text of the node at LOC; both are found in the parse tree, so MSG, which starts with the
// fixed text of the format, is separated exactly even when the template text holds ">: ".
func (p *parsedTemplate) evalCategory(msg string, line, col int) string {
	pos, ok := p.offset(line, col)
	if !ok {
		return "execution failed"
	}
	// `template: LOC: executing "NAME" at <`, NAME quoted by %q, then the node's text.
	rest, ok := strings.CutPrefix(msg, fmt.Sprintf("template: %s:%d:%d: executing ", templateName, line, col))
	if !ok {
		return "execution failed"
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "execution failed"
	}
	rest, ok = strings.CutPrefix(rest[len(quoted):], " at <")
	if !ok {
		return "execution failed"
	}
	// Several nodes can share a position and print alike (a command and its only field).
	var body string
	var nodes []parse.Node
	for _, n := range p.nodes[pos] {
		if b, ok := strings.CutPrefix(rest, n.String()+">: "); ok {
			body, nodes = b, append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		return "execution failed"
	}
	for _, c := range evalCategories {
		if strings.HasPrefix(body, c.prefix) {
			for _, n := range nodes {
				if t, ok := n.(*parse.TemplateNode); ok && c.category == "template not defined" && len(t.Name) <= 64 && printableName(t.Name) {
					return "template " + strconv.Quote(t.Name) + " not defined"
				}
				if d := nodeDetail(c.category, body[len(c.prefix):], n); d != "" {
					return c.category + d
				}
			}
			return c.category
		}
	}
	for _, c := range evalSuffixes {
		if strings.Contains(body, c.suffix) {
			return c.category
		}
	}
	return "execution failed"
}

// nodeDetail names the field or template the message is about, when that name is an identifier
// of the failing node itself (template text, at the position the error already gives), so no
// value can be passed off as one.
func nodeDetail(category, rest string, n parse.Node) string {
	switch category {
	case "can't evaluate field", "missing key":
		for _, id := range nodeIdents(n) {
			if strings.HasPrefix(rest, id+" ") || strings.HasPrefix(rest, strconv.Quote(id)) {
				return " " + id
			}
		}
	case "wrong number of arguments":
		for _, id := range nodeIdents(n) {
			if strings.HasPrefix(rest, id+":") {
				return " for " + id
			}
		}
	}
	return ""
}

func nodeIdents(n parse.Node) []string {
	switch n := n.(type) {
	case *parse.FieldNode:
		return n.Ident
	case *parse.ChainNode:
		return n.Field
	case *parse.VariableNode:
		return n.Ident[1:]
	case *parse.IdentifierNode:
		return []string{n.Ident}
	}
	return nil
}

// offset turns text/template's LINE:COL (1-based line, 0-based byte column) back into a byte offset.
func (p *parsedTemplate) offset(line, col int) (parse.Pos, bool) {
	start := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(p.text[start:], '\n')
		if i < 0 {
			return 0, false
		}
		start += i + 1
	}
	if start+col > len(p.text) {
		return 0, false
	}
	return parse.Pos(start + col), true
}

// printableName reports a name that prints as itself: valid UTF-8 without control characters (a
// name with an invalid byte prints as U+FFFD, which the template does not contain).
func printableName(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError { // text/template reads an invalid byte as U+FFFD
			return false
		}
	}
	return true
}
