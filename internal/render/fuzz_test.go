package render

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzTemplate runs arbitrary template text against the fixed test data (a real RSA key): it
// must never panic, must stop within its time and memory bounds, must not write more than the
// output cap, and its errors must be a position and a category holding no key fragment.
// Seeds: testdata/fuzz/FuzzTemplate.
func FuzzTemplate(f *testing.F) {
	f.Add(goldenTemplate)
	base := testInput(f)
	f.Fuzz(func(t *testing.T, tmpl string) {
		in := base
		in.Template = tmpl
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		doc, err := Render(FormatTemplate, in)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		if elapsed > 5*DefaultTemplateTimeout {
			t.Errorf("took %v, over 5 × the %v deadline", elapsed, DefaultTemplateTimeout)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > attackMemoryLimit {
			t.Errorf("allocated %.1f MiB, over the %d MiB bound", float64(alloc)/(1<<20), attackMemoryLimit>>20)
		}
		for k, v := range doc.Data {
			if len(v) > maxTemplateOutput {
				t.Errorf("%s: %d bytes, over the %d-byte cap", k, len(v), maxTemplateOutput)
			}
		}
		assertSafeError(t, err, tmpl)
		if err == nil {
			// The bounds change nothing a template that stays within them renders.
			want, ok := referenceRender(t, in)
			if ok && want != string(doc.Data[DefaultTemplateKey]) {
				t.Errorf("output differs from plain text/template:\n--- got\n%q\n--- want\n%q", doc.Data[DefaultTemplateKey], want)
			}
		}
	})
}

// referenceFuncs is the function set as it was before the bounds: the plain functions, and
// text/template's own built-ins.
func referenceFuncs() template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := marshal(v, false)
			return string(b), err
		},
		"b64enc":    func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"sqlString": sqlString,
		"indent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
		},
		"join":  func(sep string, elems []string) string { return strings.Join(elems, sep) },
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		"trim":  strings.TrimSpace,
	}
}

// plainTemplateData is TemplateData as it was before the key fields became Secrets: every field
// a string. TestReferenceDataMatches keeps its fields those of TemplateData, in order, so
// printing the whole data gives the same text.
type plainTemplateData struct {
	ClientID, Name                                                  string
	Issuer, DiscoveryURL                                            string
	AuthorizationEndpoint, TokenEndpoint, UserinfoEndpoint, JWKSURI string
	Scope, ACRValues, ClaimsRequest, RedirectURI, TokenMap          string
	ClientAssertionType, CodeChallengeMethod                        string
	CodeVerifier                                                    string
	EnablePKCE, VerifyAtHash                                        bool
	Algorithm, KeyID                                                string
	PrivateKeyPEM, PrivateJWK                                       string
	PublicJWK                                                       string
	Claims                                                          []Claim
}

func referenceData(in Input) plainTemplateData {
	e := in.Endpoints
	return plainTemplateData{
		ClientID: in.ClientID, Name: providerName(in), Issuer: e.Issuer, DiscoveryURL: e.DiscoveryURL,
		AuthorizationEndpoint: e.AuthorizationEndpoint, TokenEndpoint: e.TokenEndpoint,
		UserinfoEndpoint: e.UserinfoEndpoint, JWKSURI: e.JWKSURI,
		Scope: in.Scope, ACRValues: strings.Join(in.ACRValues, " "), ClaimsRequest: ClaimsRequest(in.Claims),
		RedirectURI: in.RedirectURI, TokenMap: in.TokenMap,
		ClientAssertionType: ClientAssertionType, CodeChallengeMethod: CodeChallengeMethod, CodeVerifier: CodeVerifier(in),
		EnablePKCE: in.EnablePKCE, VerifyAtHash: in.VerifyAtHash,
		Algorithm: in.Algorithm, KeyID: in.KeyID,
		PrivateKeyPEM: string(in.PrivateKeyPEM), PrivateJWK: string(in.PrivateJWK), PublicJWK: string(in.PublicJWK),
		Claims: in.Claims,
	}
}

// referenceRender renders in.Template with plain text/template and referenceFuncs; ok is false
// when that fails (it may, where the bounded functions refused nothing but the plain ones err).
func referenceRender(t testing.TB, in Input) (string, bool) {
	t.Helper()
	tm, err := template.New(templateName).Option("missingkey=error").Funcs(referenceFuncs()).Parse(in.Template)
	if err != nil {
		t.Errorf("plain text/template does not parse what Render executed: %v", err)
		return "", false
	}
	var b strings.Builder
	if err := tm.Execute(&b, referenceData(in)); err != nil {
		t.Errorf("plain text/template fails where Render did not: %v", err)
		return "", false
	}
	return b.String(), true
}

// FuzzSQLString: a quoted literal reads back as the input under PostgreSQL's rules, and what
// PostgreSQL text cannot hold (NUL, invalid UTF-8) is refused. Seeds: testdata/fuzz/FuzzSQLString.
func FuzzSQLString(f *testing.F) {
	f.Add("it's")
	f.Fuzz(func(t *testing.T, s string) {
		lit, err := sqlString(s)
		if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
			if err == nil {
				t.Fatalf("%q: quoted as %q, want an error", s, lit)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		got, ok := pgStringConstant(lit)
		if !ok || got != s {
			t.Fatalf("%q: literal %q reads back as %q (complete: %v)", s, lit, got, ok)
		}
	})
}

// pgStringConstant reads lit as PostgreSQL's lexer reads a standard string constant in a UTF8
// database with standard_conforming_strings on (the default since 9.1): the text must be valid
// UTF-8 without NUL (pg_verify_mbstr), the constant starts with ' and ends at the first ' not
// doubled, ” stands for ', and backslash is an ordinary character. ok is false unless the
// constant is the whole of lit.
func pgStringConstant(lit string) (value string, ok bool) {
	if !utf8.ValidString(lit) || strings.ContainsRune(lit, 0) || !strings.HasPrefix(lit, "'") {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(lit); i++ {
		if lit[i] != '\'' {
			b.WriteByte(lit[i])
			continue
		}
		if i+1 < len(lit) && lit[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), i == len(lit)-1
	}
	return b.String(), false // unterminated
}

func TestPGStringConstant(t *testing.T) {
	for _, c := range []struct {
		lit, want string
		ok        bool
	}{
		{`''`, "", true},
		{`'it''s'`, "it's", true},
		{`'a\'`, `a\`, true},
		{`'a'b'`, "a", false},
		{`'a`, "a", false},
		{`'a' `, "a", false},
		{`E'a'`, "", false},
		{"'\xff'", "", false},
	} {
		if got, ok := pgStringConstant(c.lit); got != c.want || ok != c.ok {
			t.Errorf("%s: got %q, %v; want %q, %v", c.lit, got, ok, c.want, c.ok)
		}
	}
}

// FuzzPrintfSize: printf's estimate, made before fmt.Sprintf runs, is never below what
// fmt.Sprintf then prints, whatever the format; so printf's bound holds before it allocates.
// Seeds: testdata/fuzz/FuzzPrintfSize.
func FuzzPrintfSize(f *testing.F) {
	f.Add("%-10s|%5.2f|%x|%q|%[1]s|%v")
	in := testInput(f)
	l := newLimits(time.Time{})
	data, err := templateData(in, l) // its Secrets report to l, as in an execution
	if err != nil {
		f.Fatal(err)
	}
	args := []any{"abc\xff\x00<>", 42, 3.5, uint8(66), in.Claims, in.Claims[0], nil, true, strings.Repeat("é", 300), referenceData(in), -1e300,
		data, data.PrivateKeyPEM, data.CodeVerifier}
	f.Fuzz(func(t *testing.T, format string) {
		l.alloc, l.deadline = 0, time.Time{} // a fresh budget
		sets := [][]any{nil, args[:3], args}
		for _, a := range args { // alone, so no other operand's margin hides an error
			sets = append(sets, []any{a})
		}
		for _, set := range sets {
			size, err := l.printfSize(format, set)
			if err != nil {
				continue // refused: fmt never runs
			}
			if got := len(fmt.Sprintf(format, set...)); got > size {
				t.Fatalf("%q with operands %#v: printed %d bytes, estimated %d", format, set, got, size)
			}
		}
	})
}

// FuzzFuncBounds: the sizes the bounded functions compute before allocating are never below
// what they then build, and within the cap each function returns what the plain one returns.
// Seeds: testdata/fuzz/FuzzFuncBounds.
func FuzzFuncBounds(f *testing.F) {
	f.Add("it's <b>\"é\"</b>\n\x00\xff\u2028 ǅ ß")
	ref := referenceFuncs()
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			name      string
			estimate  int
			got, want string
		}{
			{"upper", caseSize(s, unicode.ToUpper), strings.ToUpper(s), ""},
			{"lower", caseSize(s, unicode.ToLower), strings.ToLower(s), ""},
			{"urlquery", urlQuerySize(s), url.QueryEscape(s), ""},
			{"json", jsonStringSize(s), mustString(ref["json"].(func(any) (string, error))(s)), ""},
		} {
			if len(c.got) > c.estimate {
				t.Errorf("%s(%q): %d bytes, estimated %d", c.name, s, len(c.got), c.estimate)
			}
		}
		l := newLimits(time.Now().Add(time.Minute))
		funcs := l.funcs()
		call := func(name string, args ...any) (string, error) {
			var v any
			var err error
			switch fn := funcs[name].(type) {
			case func(string) (string, error):
				v, err = fn(args[0].(string))
			case func(any) (any, error):
				v, err = fn(args[0])
			case func(...any) (string, error):
				v, err = fn(args...)
			case func(...any) (any, error):
				v, err = fn(args...)
			case func(int, any) (any, error):
				v, err = fn(args[0].(int), args[1])
			case func(string, ...any) (any, error):
				v, err = fn(args[0].(string), args[1:]...)
			default:
				t.Fatalf("%s: unexpected type %T", name, funcs[name])
			}
			s, _ := v.(string)
			return s, err
		}
		for _, c := range []struct {
			name string
			args []any
			want string
		}{
			{"upper", []any{s}, strings.ToUpper(s)},
			{"lower", []any{s}, strings.ToLower(s)},
			{"b64enc", []any{s}, base64.StdEncoding.EncodeToString([]byte(s))},
			{"json", []any{s}, mustString(ref["json"].(func(any) (string, error))(s))},
			{"indent", []any{3, s}, ref["indent"].(func(int, string) string)(3, s)},
			{"html", []any{s}, template.HTMLEscaper(s)},
			{"html", []any{s, 1, nil, s}, template.HTMLEscaper(s, 1, nil, s)},
			{"js", []any{s}, template.JSEscaper(s)},
			{"urlquery", []any{s, 2}, template.URLQueryEscaper(s, 2)},
			{"print", []any{s, 1, 2, s, nil, true}, fmt.Sprint(s, 1, 2, s, nil, true)},
			{"println", []any{s, 1, s}, fmt.Sprintln(s, 1, s)},
			{"printf", []any{"%s|%q|%x|%5.2s", s, s, s, s}, fmt.Sprintf("%s|%q|%x|%5.2s", s, s, s, s)},
		} {
			got, err := call(c.name, c.args...)
			if err != nil || got != c.want {
				t.Errorf("%s%q: %q, %v; want %q", c.name, c.args, got, err, c.want)
			}
		}
		if got, err := call("sqlString", s); err == nil {
			if want, _ := sqlString(s); got != want {
				t.Errorf("sqlString(%q) = %q, want %q", s, got, want)
			}
		}
	})
}

func mustString(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}
