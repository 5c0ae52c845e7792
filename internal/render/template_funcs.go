package render

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds on one template execution. Tenants write templates and are not trusted, so a template
// stops when any of these is reached, with an error naming which.
const (
	// maxTemplateOutput caps a rendered template (a Secret holds at most 1 MiB) and every
	// string a function returns.
	maxTemplateOutput = 512 << 10
	// maxTemplateSize caps the template text, as the CRD does (spec.outputs[].template).
	maxTemplateSize = 64 << 10
	// maxTemplateSteps caps the work of loops and template calls: each range iteration, if/with
	// branch and template call costs the number of nodes it evaluates directly.
	maxTemplateSteps = 100_000
	// maxTemplateDepth caps nested template calls ({{template}} and {{block}}), recursion included.
	maxTemplateDepth = 100
	// maxTemplateAlloc caps the bytes all function calls of one execution may produce together,
	// so values kept in variables cannot add up to more than this.
	maxTemplateAlloc = 8 << 20
	// maxFormatWidth caps a printf width or precision.
	maxFormatWidth = 1000
	// DefaultTemplateTimeout bounds a template execution when Input.Deadline is zero.
	DefaultTemplateTimeout = time.Second
)

// execLimits is the budget of one execution. Functions and the step counter run on the
// executing goroutine only, so there is no locking.
type execLimits struct {
	timeout  time.Duration // used when deadline is zero: the deadline is set at the first check
	deadline time.Time
	steps    int
	depth    int
	alloc    int
	acct     secretAccount // what Secrets printed since the last take (template_secret.go)
	// overBound counts Secrets longer than their bound, which their construction rules out.
	overBound int
}

func newLimits(deadline time.Time) *execLimits {
	return &execLimits{timeout: DefaultTemplateTimeout, deadline: deadline}
}

func (l *execLimits) checkDeadline() error {
	now := time.Now()
	if l.deadline.IsZero() {
		l.deadline = now.Add(l.timeout)
	}
	if !now.Before(l.deadline) {
		return errDeadline
	}
	return nil
}

// Operations of the step markers inserted into the parsed template (see instrument).
const (
	tickStep  = 0 // a range iteration or an if/with branch
	tickEnter = 1 // a template body starts
	tickLeave = 2 // a template body ended
)

// tick counts one step marker; its error fails the marker's write, which ends the execution.
func (l *execLimits) tick(op, weight int) error {
	if err := l.checkDeadline(); err != nil {
		return err
	}
	switch op {
	case tickLeave:
		l.depth--
		return nil
	case tickEnter:
		l.depth++
		if l.depth > maxTemplateDepth {
			return errDepth
		}
	}
	l.steps += max(weight, 1)
	if l.steps > maxTemplateSteps {
		return errSteps
	}
	return nil
}

// reserve is called before a function allocates size bytes: it refuses a result over the
// output cap, an allocation over the execution's budget, and work past the deadline.
func (l *execLimits) reserve(fn string, size int) error {
	if err := l.checkDeadline(); err != nil {
		return err
	}
	if size > maxTemplateOutput || size < 0 {
		return funcErr(fn, "result too large")
	}
	if l.alloc+size > maxTemplateAlloc {
		return errAlloc
	}
	return nil
}

// charge records n bytes allocated against the execution's budget.
func (l *execLimits) charge(n int) error {
	l.alloc += n
	if l.alloc > maxTemplateAlloc {
		return errAlloc
	}
	return nil
}

// result charges and returns a function's string result, refusing one over the output cap.
func (l *execLimits) result(fn, s string) (string, error) {
	if len(s) > maxTemplateOutput {
		return "", funcErr(fn, "result too large")
	}
	if err := l.charge(len(s)); err != nil {
		return "", err
	}
	return s, nil
}

// TemplateFuncs is the function set templates may call: the functions docs/openg2p.md lists,
// plus bounded replacements for text/template's built-ins that can build large strings
// (print, printf, println, html, js, urlquery). Functions given to Funcs take precedence over
// the built-ins of the same name. Each function checks the size of its result before
// allocating it and refuses one over the output cap. Each call returns functions with a fresh
// budget that starts its DefaultTemplateTimeout at its first use.
//
// The encoders (json, b64enc, sqlString, indent, trim, print, println, printf) take a Secret as
// well as a string and then return a Secret, sized by its bound; html, js and urlquery refuse a
// Secret; upper, lower and join take strings only (template_secret.go).
func TemplateFuncs() template.FuncMap { return newLimits(time.Time{}).funcs() }

func (l *execLimits) funcs() template.FuncMap {
	return template.FuncMap{
		// json encodes a value as compact JSON (strings quoted and escaped).
		"json": l.json,
		// b64enc is standard base64 with padding.
		"b64enc": l.b64enc,
		// sqlString quotes a PostgreSQL string literal.
		"sqlString": l.sqlString,
		// indent prefixes every line with n spaces (for YAML blocks).
		"indent": l.indent,
		"join":   l.join,
		"upper":  func(s string) (string, error) { return l.mapCase("upper", s, unicode.ToUpper, strings.ToUpper) },
		"lower":  func(s string) (string, error) { return l.mapCase("lower", s, unicode.ToLower, strings.ToLower) },
		"trim":   l.trim,

		// Bounded versions of text/template's built-ins.
		"print":    func(args ...any) (any, error) { return l.print("print", args) },
		"println":  func(args ...any) (any, error) { return l.print("println", args) },
		"printf":   l.printf,
		"html":     l.html,
		"js":       l.js,
		"urlquery": l.urlquery,
	}
}

// Categories of the errors functions give for Secrets and for arguments of the wrong type.
const (
	catWrongType    = "wrong type for value"
	catSecretFormat = "secret value needs a plain %s or %v"
	catSecretValue  = "secret value not allowed"
)

// text is the Secret's text (empty for a zero Secret, which templates cannot make).
func (s Secret) text() *secretText {
	if s.t == nil {
		return &secretText{}
	}
	return s.t
}

// builtinNames are text/template's own functions, kept as they are: they return parts of their
// arguments or small values, never allocate in proportion to a size the template chooses.
var builtinNames = []string{"and", "call", "eq", "ge", "gt", "index", "le", "len", "lt", "ne", "not", "or", "slice"}

func (l *execLimits) b64enc(v any) (any, error) {
	switch v := v.(type) {
	case string:
		if err := l.reserve("b64enc", base64.StdEncoding.EncodedLen(len(v))); err != nil {
			return nil, err
		}
		return l.result("b64enc", base64.StdEncoding.EncodeToString([]byte(v)))
	case Secret:
		t := v.text()
		// Each 3 bytes of the public prefix make 4 public characters.
		return l.secretResult("b64enc", base64.StdEncoding.EncodedLen(t.bound), 1, t.public/3*4, func() string {
			return base64.StdEncoding.EncodeToString([]byte(t.s))
		})
	}
	return nil, funcErr("b64enc", catWrongType)
}

func (l *execLimits) sqlString(v any) (any, error) {
	switch v := v.(type) {
	case string:
		if err := l.reserve("sqlString", len(v)+strings.Count(v, "'")+2); err != nil {
			return nil, err
		}
		q, err := sqlString(v)
		if err != nil {
			return nil, sqlStringError(err)
		}
		return l.result("sqlString", q)
	case Secret:
		t := v.text()
		// A Secret's text is ASCII without NUL between public text (keyText), so whether it
		// is refused depends on the public text only.
		if err := sqlRefusal(t.s); err != nil {
			return nil, sqlStringError(err)
		}
		return l.secretResult("sqlString", 2*t.bound+2, 1, 0, func() string {
			q, _ := sqlString(t.s)
			return q
		})
	}
	return nil, funcErr("sqlString", catWrongType)
}

func sqlStringError(err error) error {
	if errors.Is(err, errSQLNUL) {
		return funcErr("sqlString", "value contains NUL")
	}
	return funcErr("sqlString", "value is not valid UTF-8")
}

func (l *execLimits) indent(n int, v any) (any, error) {
	if n < 0 {
		return nil, funcErr("indent", "invalid argument")
	}
	if n > maxTemplateOutput {
		return nil, funcErr("indent", "result too large")
	}
	switch v := v.(type) {
	case string:
		lines := strings.Count(v, "\n") + 1
		if lines > maxTemplateOutput/max(n, 1)+1 { // n*lines would exceed the cap (and cannot overflow)
			return nil, funcErr("indent", "result too large")
		}
		if err := l.reserve("indent", len(v)+n*lines); err != nil {
			return nil, err
		}
		return l.result("indent", indentText(n, v, len(v)+n*lines))
	case Secret:
		t := v.text()
		lines := t.bound + 1 // every byte could be a newline: the count of them is not public
		if lines > maxTemplateOutput/max(n, 1)+1 {
			return nil, funcErr("indent", "result too large")
		}
		return l.secretResult("indent", t.bound+n*lines, 1, 0, func() string { return indentText(n, t.s, t.bound+n*lines) })
	}
	return nil, funcErr("indent", catWrongType)
}

// indentText is pad + strings.ReplaceAll(s, "\n", "\n"+pad), built in one allocation of size.
func indentText(n int, s string, size int) string {
	pad := strings.Repeat(" ", n)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(pad)
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i+1])
		b.WriteString(pad)
		s = s[i+1:]
	}
	return b.String()
}

// trim is strings.TrimSpace: a substring, which allocates nothing.
func (l *execLimits) trim(v any) (any, error) {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v), nil
	case Secret:
		t := v.text()
		return l.secret(strings.TrimSpace(t.s), t.bound, 0), nil
	}
	return nil, funcErr("trim", catWrongType)
}

func (l *execLimits) join(sep string, elems []string) (string, error) {
	size := 0
	for i, e := range elems {
		size += len(e)
		if i > 0 {
			size += len(sep)
		}
		if size > maxTemplateOutput {
			return "", funcErr("join", "result too large")
		}
	}
	if err := l.reserve("join", size); err != nil {
		return "", err
	}
	return l.result("join", strings.Join(elems, sep))
}

// mapCase is strings.ToUpper/ToLower with the result's size computed first: a rune can change
// length, and an invalid byte becomes the 3-byte U+FFFD.
func (l *execLimits) mapCase(fn, s string, r func(rune) rune, f func(string) string) (string, error) {
	if err := l.reserve(fn, caseSize(s, r)); err != nil {
		return "", err
	}
	return l.result(fn, f(s))
}

// caseSize is the length of strings.Map(r, s), or a number over the output cap.
func caseSize(s string, r func(rune) rune) int {
	size := 0
	for _, c := range s {
		size += utf8.RuneLen(r(c))
		if size > maxTemplateOutput {
			break
		}
	}
	return size
}

// json is the template's json function: the marshal the other renderers use (sorted keys, no
// HTML escaping, no trailing newline), into one buffer. A value that holds Secrets (a Secret, or
// the data itself) is encoded as if they were strings, into a Secret: its bound is the JSON with
// the Secrets left out, plus 6 bytes (\u00XX) for each byte of their bounds.
func (l *execLimits) json(v any) (any, error) {
	if !tainted(v) {
		if s, ok := v.(string); ok {
			if err := l.reserve("json", jsonStringSize(s)); err != nil {
				return nil, err
			}
		}
		s, err := jsonEncode(v)
		if err != nil {
			return nil, err
		}
		return l.result("json", s)
	}
	rv := reflect.ValueOf(v)
	pt, ok := plainType(rv.Type())
	if !ok {
		return nil, funcErr("json", "value cannot be encoded")
	}
	var acct secretAccount
	public, err := jsonEncode(plainValue(rv, pt, true, &acct).Interface())
	if err != nil {
		return nil, err
	}
	if err := l.charge(len(public)); err != nil {
		return nil, err
	}
	return l.secretResult("json", len(public)+6*acct.bound, 1, 0, func() string {
		s, _ := jsonEncode(plainValue(rv, pt, false, &secretAccount{}).Interface())
		return s
	})
}

func jsonEncode(v any) (string, error) {
	var b strings.Builder
	w := &cappedWriter{w: &b, n: maxTemplateOutput + 1} // + the newline Encode appends
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		if w.over {
			return "", funcErr("json", "result too large")
		}
		return "", funcErr("json", "value cannot be encoded")
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// jsonStringSize bounds the length of s encoded as a JSON string by encoding/json.
func jsonStringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == '"' || c == '\\':
			n += 2
		case c < ' ', c == '\u2028', c == '\u2029', c == utf8.RuneError && size == 1:
			n += 6
		default:
			n += size
		}
		i += size
		if n > maxTemplateOutput {
			return n
		}
	}
	return n
}

// print is fmt.Sprint (or Sprintln) with the result's size bounded before it is built. fmt
// would grow its buffer by doubling and copy it out; this builds the result in one allocation,
// operand by operand, as Sprint and Sprintln print them. A Secret operand counts at its bound
// and spaces as a string would; with one, the result is a Secret.
func (l *execLimits) print(fn string, args []any) (any, error) {
	pieces := make([]string, len(args))
	size, bound := 0, 0 // Sprintln: a space between operands and a newline; Sprint: a space between non-strings
	secrets := false
	for i, a := range args {
		if fn == "println" || i > 0 && !isStringOperand(a) && !isStringOperand(args[i-1]) {
			size++
		}
		switch {
		case isScalarOperand(a):
			if s, ok := a.(string); ok {
				pieces[i] = s
			} else {
				pieces[i] = fmt.Sprint(a) // at most 64 bytes
			}
		default:
			// The data's structs and slices, and Secrets: printed once with Secrets left out
			// (public text, charged), Secrets counted at their bounds.
			s, acct := l.redacted(func() string { return fmt.Sprint(a) })
			if err := l.charge(len(s)); err != nil {
				return nil, err
			}
			pieces[i], bound, secrets = s, bound+acct.bound, secrets || acct.whole > 0
		}
		size += len(pieces[i])
		if size+bound > maxTemplateOutput {
			return nil, funcErr(fn, "result too large")
		}
	}
	if err := l.reserve(fn, size+bound); err != nil {
		return nil, err
	}
	if !secrets {
		return l.result(fn, joinOperands(fn, args, pieces, size))
	}
	return l.secretResult(fn, size+bound, 1, 0, func() string {
		for i, a := range args {
			if tainted(a) {
				pieces[i] = fmt.Sprint(a)
			}
		}
		return joinOperands(fn, args, pieces, size+bound)
	})
}

// joinOperands lays printed operands out as Sprint (or Sprintln) does, in one allocation of size.
func joinOperands(fn string, args []any, pieces []string, size int) string {
	var b strings.Builder
	b.Grow(size)
	for i, p := range pieces {
		if i > 0 && (fn == "println" || !isStringOperand(args[i]) && !isStringOperand(args[i-1])) {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	if fn == "println" {
		b.WriteByte('\n')
	}
	return b.String()
}

// isStringOperand is fmt's test for adding no space next to an operand in Sprint. A Secret
// counts as a string, which is what the key fields were before they became Secrets.
func isStringOperand(a any) bool {
	return a != nil && (reflect.TypeOf(a).Kind() == reflect.String || reflect.TypeOf(a) == secretType)
}

// operandSize bounds what fmt prints for a: exactly for strings, generously for scalars. Other
// values (the data's structs and slices, and Secrets; templates cannot build any) are printed
// once, with Secrets left out, to measure them, and that is charged; Secrets count at their bounds.
func (l *execLimits) operandSize(a any, goSyntax bool) (int, error) {
	if s, ok := a.(string); ok {
		return len(s), nil
	}
	if isScalarOperand(a) {
		return 64, nil
	}
	format := "%v"
	if goSyntax {
		format = "%#v"
	}
	s, acct := l.redacted(func() string { return fmt.Sprintf(format, a) })
	if err := l.charge(len(s)); err != nil {
		return 0, err
	}
	return len(s) + acct.bound, nil
}

// isScalarOperand: a string or a value fmt prints in at most 64 bytes before padding.
func isScalarOperand(a any) bool {
	switch a.(type) {
	case string, nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
		float32, float64, complex64, complex128:
		return true
	}
	return false
}

// printf is fmt.Sprintf with the result's size bounded before it is built: widths and
// precisions are at most maxFormatWidth, * (a width taken from an argument) is refused, and
// every verb is counted at the size of the operand it prints.
//
// An operand that is or holds a Secret may only be printed whole, by a plain %s or %v, or, for
// a Secret, cut within its public prefix by a precision; nor may it be left over (fmt would list
// it as EXTRA, with its type). checkSecretFormat decides that on the format and the operands'
// types before fmt runs. fmt then runs with Secrets left out: that text is public, and with the
// Secrets' bounds bounds the result, which is a Secret if any was printed whole.
func (l *execLimits) printf(format string, args ...any) (any, error) {
	if anyTainted(args) {
		if err := checkSecretFormat(format, args); err != nil {
			return nil, err
		}
	}
	size, err := l.printfSize(format, args)
	if err != nil {
		return nil, err
	}
	if err := l.reserve("printf", size); err != nil {
		return nil, err
	}
	s, acct := l.redacted(func() string { return fmt.Sprintf(format, args...) })
	// fmt grew a buffer by doubling and copied it out: about twice the result, besides it.
	if err := l.charge(2 * len(s)); err != nil {
		return nil, err
	}
	if acct.refused { // checkSecretFormat refuses first: fmt made the same decision
		return nil, funcErr("printf", catSecretFormat)
	}
	if acct.whole == 0 {
		return l.result("printf", s) // no Secret, or only public prefixes: s is the text
	}
	return l.secretResult("printf", len(s)+acct.bound, 3, 0, func() string { return fmt.Sprintf(format, args...) })
}

// checkSecretFormat refuses a format that would print an operand holding a Secret other than
// whole (a plain %s or %v) or, for a Secret, cut within its public prefix; and one that leaves
// such an operand over.
func checkSecretFormat(format string, args []any) error {
	if _, err := scanFormat(format); err != nil { // widths bounded, no *: what formatUses expects
		return err
	}
	uses, extra := formatUses(format, len(args))
	for _, u := range uses {
		a := args[u.arg]
		if !tainted(a) {
			continue
		}
		public := -1 // a value holding Secrets has no public prefix
		if s, ok := a.(Secret); ok {
			public = s.text().public
		}
		if secretVerb(u.verb, u.flags, u.width, u.precision, public) == printRefused {
			return funcErr("printf", catSecretFormat)
		}
	}
	for _, i := range extra {
		if tainted(args[i]) {
			return funcErr("printf", catSecretFormat)
		}
	}
	return nil
}

// formatUse is one verb of a format and the operand it prints.
type formatUse struct {
	arg       int
	verb      rune
	flags     bool // any of # 0 + - and space
	width     bool
	precision int // -1 when absent
}

// formatUses lists the operand each verb of format prints, as fmt.Sprintf does with n operands
// (its doPrintf, statement by statement), and the operands it then lists as EXTRA. It expects a
// format scanFormat accepted: no *, numbers at most maxFormatWidth. Verbs that print no operand
// (%%, a bad or missing argument index, a missing operand) are not listed. FuzzFormatUses checks
// it against fmt.
func formatUses(format string, n int) (uses []formatUse, extra []int) {
	end := len(format)
	argNum, reordered := 0, false
	// argNumber is fmt's: an explicit [n] at format[i] selects operand n-1.
	argNumber := func(i int, good *bool) (int, bool) {
		if i >= end || format[i] != '[' {
			return i, false
		}
		reordered = true
		index, wid, ok := fmtArgNumber(format[i:])
		if ok && 0 <= index && index < n {
			argNum = index
			return i + wid, true
		}
		*good = false
		return i + wid, ok
	}
verbs:
	for i := 0; i < end; {
		good := true
		for i < end && format[i] != '%' {
			i++
		}
		if i >= end {
			break
		}
		i++
		u := formatUse{precision: -1}
	flags:
		for ; i < end; i++ {
			switch c := format[i]; c {
			case '#', '0', '+', '-', ' ':
				u.flags = true
			default:
				if 'a' <= c && c <= 'z' && argNum < n { // fmt's fast path: flags and a verb
					u.arg, u.verb = argNum, rune(c)
					uses = append(uses, u)
					argNum++
					i++
					continue verbs
				}
				break flags
			}
		}
		// fmt keeps afterIndex across verbs, but always sets it here before reading it.
		var afterIndex bool
		i, afterIndex = argNumber(i, &good)
		var present bool
		if _, present, i = fmtParseNum(format, i, end); present && afterIndex { // "%[3]2d"
			good = false
		}
		u.width = present
		if i+1 < end && format[i] == '.' {
			i++
			if afterIndex { // "%[3].2d"
				good = false
			}
			i, afterIndex = argNumber(i, &good)
			u.precision, _, i = fmtParseNum(format, i, end) // absent digits: precision 0
		}
		if !afterIndex {
			i, _ = argNumber(i, &good)
		}
		if i >= end {
			break // %!(NOVERB)
		}
		verb, size := utf8.DecodeRuneInString(format[i:])
		i += size
		switch {
		case verb == '%', !good, argNum >= n:
		default:
			u.arg, u.verb = argNum, verb
			uses = append(uses, u)
			argNum++
		}
	}
	if !reordered {
		for i := argNum; i < n; i++ {
			extra = append(extra, i)
		}
	}
	return uses, extra
}

// fmtParseNum is fmt's parsenum: the decimal number at s[start:end], and the offset after it.
func fmtParseNum(s string, start, end int) (num int, isnum bool, newi int) {
	if start >= end {
		return 0, false, end
	}
	for newi = start; newi < end && '0' <= s[newi] && s[newi] <= '9'; newi++ {
		if num > 1e6 || num < -1e6 { // fmt's tooLarge
			return 0, false, end
		}
		num = num*10 + int(s[newi]-'0')
		isnum = true
	}
	return num, isnum, newi
}

// fmtArgNumber is fmt's parseArgNumber: the operand index of "[n]" at the start of format, the
// length of what it consumed, and whether it is well formed.
func fmtArgNumber(format string) (index, wid int, ok bool) {
	if len(format) < 3 {
		return 0, 1, false
	}
	for i := 1; i < len(format); i++ {
		if format[i] == ']' {
			width, ok, newi := fmtParseNum(format, 1, i)
			if !ok || newi != i {
				return 0, i + 1, false
			}
			return width - 1, i + 1, true
		}
	}
	return 0, 1, false
}

// printfSize bounds the length of fmt.Sprintf(format, args...).
func (l *execLimits) printfSize(format string, args []any) (int, error) {
	verbs, err := scanFormat(format)
	if err != nil {
		return 0, err
	}
	// fmt formats a struct or slice leaf by leaf, each padded to the width: count the leaves.
	sizes, leaves := make([]int, len(args)), make([]int, len(args))
	largest, most := 0, 1
	for i, a := range args {
		n, err := l.operandSize(a, true)
		if err != nil {
			return 0, err
		}
		leaves[i] = 1
		if !isScalarOperand(a) {
			n = 2*n + 64 // %#v quotes and names fields; %v, %+v print less, and mult covers %q, %x
			leaves[i] = leafCount(reflect.ValueOf(a), 0)
		}
		sizes[i], largest, most = n, max(largest, n), max(most, leaves[i])
	}
	size, next, reordered := len(format)+len("%!(NOVERB)"), 0, false // a trailing % prints that
	for _, v := range verbs {
		reordered = reordered || v.indexed
		operand, n := largest, most // with explicit argument indexes, assume the largest operand
		if !reordered {
			operand, n = 0, 1
			if next < len(sizes) {
				operand, n = sizes[next], leaves[next]
			}
			next++
		}
		mult := 1
		switch v.verb {
		case 'q':
			mult = 4 // \xff for each byte of invalid UTF-8
		case 'x', 'X':
			mult = 5 // "%# x": "0x61 " for each byte
		}
		// Per leaf: the padding, a float's digits (up to 309 and the precision), %!verb(type=).
		size += mult*operand + n*(v.width+v.precision+400)
		if size > maxTemplateOutput {
			return 0, funcErr("printf", "result too large")
		}
	}
	if !reordered { // fmt lists unused operands as %!(EXTRA type=value, ...)
		for i := next; i < len(sizes); i++ {
			size += sizes[i] + 64
		}
	}
	return size, nil
}

// leafCount counts the values fmt prints one by one inside v (struct fields, elements, map
// keys and values), at least 1. The data is shallow; depth stops a cycle all the same.
func leafCount(v reflect.Value, depth int) int {
	if depth > 10 {
		return 1
	}
	n := 0
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			n += leafCount(v.Field(i), depth+1)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			n += leafCount(v.Index(i), depth+1)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			n += leafCount(it.Key(), depth+1) + leafCount(it.Value(), depth+1)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			n = leafCount(v.Elem(), depth+1)
		}
	}
	return max(n, 1)
}

type formatVerb struct {
	verb             rune
	width, precision int
	indexed          bool // an explicit argument index ([n]) appears
}

// scanFormat lists the verbs of a fmt format string as fmt.Sprintf reads them (its doPrintf:
// flags, [n] argument indexes, width, precision, verb, at the same offsets), refusing * and
// widths or precisions over maxFormatWidth. %% prints a percent sign and takes no operand, so
// it is not listed.
func scanFormat(format string) ([]formatVerb, error) {
	var verbs []formatVerb
	end := len(format)
	for i := 0; i < end; {
		if format[i] != '%' {
			i++
			continue
		}
		i++ // past %
		var v formatVerb
		for i < end && strings.IndexByte("#0+- ", format[i]) >= 0 { // flags
			i++
		}
		var err error
		i = skipArgIndex(format, i, &v)
		if i < end && format[i] == '*' {
			return nil, funcErr("printf", "width or precision too large") // taken from an operand
		}
		if v.width, i, err = formatNumber(format, i); err != nil {
			return nil, err
		}
		afterIndex := v.indexed
		if i+1 < end && format[i] == '.' {
			i++
			i = skipArgIndex(format, i, &v)
			if i < end && format[i] == '*' {
				return nil, funcErr("printf", "width or precision too large")
			}
			if v.precision, i, err = formatNumber(format, i); err != nil {
				return nil, err
			}
			afterIndex = afterIndex || v.indexed
		}
		if !afterIndex {
			i = skipArgIndex(format, i, &v)
		}
		if i >= end {
			break // "%!(NOVERB)"
		}
		r, size := utf8.DecodeRuneInString(format[i:])
		i += size
		if r == '%' {
			continue
		}
		v.verb = r
		verbs = append(verbs, v)
	}
	return verbs, nil
}

// skipArgIndex skips an argument index at format[i] as fmt's argNumber does: "[n]" up to the
// first ']', or only the '[' when no ']' follows.
func skipArgIndex(format string, i int, v *formatVerb) int {
	if i >= len(format) || format[i] != '[' {
		return i
	}
	v.indexed = true
	if len(format)-i < 3 {
		return i + 1
	}
	if j := strings.IndexByte(format[i+1:], ']'); j >= 0 {
		return i + 1 + j + 1
	}
	return i + 1
}

// formatNumber reads a width or precision at format[i], refusing one over maxFormatWidth.
func formatNumber(format string, i int) (int, int, error) {
	n := 0
	for ; i < len(format) && '0' <= format[i] && format[i] <= '9'; i++ {
		n = n*10 + int(format[i]-'0')
		if n > maxFormatWidth {
			return 0, i, funcErr("printf", "width or precision too large")
		}
	}
	return n, i, nil
}

// escaperInput is text/template's evalArgs: the one string argument as it is, else the
// arguments printed as fmt.Sprint would, with nil as "<no value>". A Secret is refused: how long
// its escaped text is depends on the characters escaped.
func (l *execLimits) escaperInput(fn string, args []any) (string, error) {
	if anyTainted(args) {
		return "", funcErr(fn, catSecretValue)
	}
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s, nil
		}
	}
	for i, a := range args {
		v := reflect.ValueOf(a)
		if v.Kind() == reflect.Pointer {
			v = reflect.Indirect(v)
		}
		switch {
		case !v.IsValid():
			args[i] = "<no value>"
		case v.Kind() != reflect.Chan && v.Kind() != reflect.Func:
			args[i] = v.Interface()
		}
	}
	s, err := l.print(fn, args)
	if err != nil {
		return "", err
	}
	return s.(string), nil // no Secret: a string
}

func (l *execLimits) html(args ...any) (string, error) {
	s, err := l.escaperInput("html", args)
	if err != nil {
		return "", err
	}
	if !strings.ContainsAny(s, "'\"&<>\000") {
		return s, nil
	}
	return l.escape("html", s, template.HTMLEscape)
}

func (l *execLimits) js(args ...any) (string, error) {
	s, err := l.escaperInput("js", args)
	if err != nil {
		return "", err
	}
	if strings.IndexFunc(s, jsIsSpecial) < 0 {
		return s, nil
	}
	return l.escape("js", s, template.JSEscape)
}

// jsIsSpecial is the test text/template's JSEscapeString uses to return its argument as it is.
func jsIsSpecial(r rune) bool {
	switch r {
	case '\\', '\'', '"', '<', '>', '&', '=':
		return true
	}
	return r < ' ' || utf8.RuneSelf <= r
}

// escape runs a streaming escaper into a buffer that stops growing at the output cap.
func (l *execLimits) escape(fn, s string, escaper func(w io.Writer, b []byte)) (string, error) {
	if err := l.reserve(fn, 2*len(s)); err != nil { // the []byte copy and at least s again
		return "", err
	}
	var b strings.Builder
	w := &cappedWriter{w: &b, n: maxTemplateOutput + 1}
	escaper(w, []byte(s))
	if err := l.charge(len(s)); err != nil { // the []byte copy
		return "", err
	}
	if w.over {
		return "", funcErr(fn, "result too large")
	}
	return l.result(fn, b.String())
}

func (l *execLimits) urlquery(args ...any) (string, error) {
	s, err := l.escaperInput("urlquery", args)
	if err != nil {
		return "", err
	}
	if err := l.reserve("urlquery", urlQuerySize(s)); err != nil {
		return "", err
	}
	return l.result("urlquery", url.QueryEscape(s))
}

// urlQuerySize is the length of url.QueryEscape(s).
func urlQuerySize(s string) int {
	size := len(s)
	for i := 0; i < len(s); i++ {
		if !urlUnreserved(s[i]) {
			size += 2 // %XX
		}
	}
	return size
}

// urlUnreserved: the bytes url.QueryEscape keeps (space becomes +); it writes any other as %XX.
func urlUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~ ", c) >= 0
}

// cappedWriter keeps at most n bytes and remembers that more were offered.
type cappedWriter struct {
	w    *strings.Builder
	n    int
	over bool
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if c.over || c.w.Len()+len(p) > c.n {
		c.over = true
		return 0, errOutputTooLarge
	}
	return c.w.Write(p)
}
