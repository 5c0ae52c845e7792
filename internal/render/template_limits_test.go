package render

import (
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Tenants write templates and are not trusted: every attack below must stop promptly, allocate
// little, and fail with an error that carries a position and a category, never a value.

// attackMemoryLimit bounds what one attack may allocate in total (runtime.MemStats.TotalAlloc,
// so garbage counts too): a cap on everything the attack could have held at once.
const attackMemoryLimit = 16 << 20

// attackWatchdog is how long a test waits for a render before calling it a hang. The render's
// own deadline is far shorter; this only has to be long enough never to flake.
const attackWatchdog = 20 * time.Second

type attackResult struct {
	err     error
	elapsed time.Duration
	alloc   uint64 // bytes allocated while rendering, garbage included
	outLen  int
	done    bool
}

// runAttack renders tmpl with the test key in a goroutine and gives up after watchdog, so a hang
// shows as a failure rather than a stuck test (the goroutine is then left running: the test
// binary is failing anyway).
func runAttack(t testing.TB, tmpl string, watchdog time.Duration) attackResult {
	t.Helper()
	in := testInput(t)
	in.Template = tmpl
	type result struct {
		doc Document
		err error
	}
	ch := make(chan result, 1)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	go func() {
		doc, err := Render(FormatTemplate, in)
		ch <- result{doc, err}
	}()
	select {
	case r := <-ch:
		elapsed := time.Since(start)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		n := 0
		for _, v := range r.doc.Data {
			n += len(v)
		}
		return attackResult{err: r.err, elapsed: elapsed, alloc: after.TotalAlloc - before.TotalAlloc, outLen: n, done: true}
	case <-time.After(watchdog):
		return attackResult{elapsed: watchdog}
	}
}

// doubling builds $x of 2*2^n bytes by repeated self-concatenation through fn.
func doubling(fn string, n int) string {
	return `{{ $x := "ab" }}{{ range ` + itoa(n) + ` }}{{ $x = ` + fn + ` $x $x }}{{ end }}{{ len $x }}`
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{digits[n%10]}, b...)
	}
	return string(b)
}

// near512K binds $x to a string exactly the size of the output cap: 2^18 copies of s (len 2).
func near512K(s string) string {
	return `{{ $x := "` + s + `" }}{{ range 18 }}{{ $x = print $x $x }}{{ end }}`
}

var templateAttacks = []struct {
	name, tmpl string
	want       string // substring of the error after the fix
}{
	// 1. Time.
	{"range-int", `{{ range 100000000000000 }}{{ end }}`, "step budget exceeded"},
	{"range-int-continue", `{{ range 100000000000000 }}{{ continue }}{{ end }}`, "step budget exceeded"},
	{"range-int-var", `{{ range $i := 100000000000000 }}{{ if lt $i -1 }}{{ break }}{{ end }}{{ end }}`, "step budget exceeded"},
	{"nested-range-len", `{{ $s := "` + strings.Repeat("a", 2000) + `" }}{{ range len $s }}{{ range len $s }}{{ range len $s }}{{ end }}{{ end }}{{ end }}`, "step budget exceeded"},
	{"range-claims-nested", `{{ range 1000 }}{{ range $.Claims }}{{ range $.Claims }}{{ range $.Claims }}{{ range $.Claims }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}`, "step budget exceeded"},
	{"recursion", `{{ define "a" }}{{ template "a" }}{{ end }}{{ template "a" }}`, "template depth exceeded"},
	{"recursion-mutual", `{{ define "a" }}{{ template "b" . }}{{ end }}{{ define "b" }}{{ template "a" . }}{{ end }}{{ template "a" . }}`, "template depth exceeded"},
	{"recursion-branching", `{{ define "a" }}{{ if . }}{{ template "a" (slice . 1) }}{{ template "a" (slice . 1) }}{{ end }}{{ end }}{{ template "a" "` + strings.Repeat("a", 60) + `" }}`, "step budget exceeded"},
	{"eq-512KiB", near512K("ab") + `{{ $y := print (slice $x 0 1) (slice $x 1) }}{{ range 100000000000000 }}` + strings.Repeat(`{{ if eq $x $y }}{{ end }}`, 500) + `{{ end }}`, "exceeded"},
	{"wide-body", `{{ range 100000000000000 }}` + strings.Repeat(`{{ $y := 1 }}`, 2000) + `{{ end }}`, "step budget exceeded"},

	// 2. Memory: functions asked to allocate far beyond the output cap.
	{"indent", `{{ indent 200000000 "x" }}`, "indent: result too large"},
	{"indent-lines", `{{ $x := "` + strings.Repeat(`\n`, 1000) + `" }}{{ indent 1000000 $x }}`, "indent: result too large"},
	{"indent-negative", `{{ indent -1 "x" }}`, "indent: invalid argument"},
	{"printf-width", `{{ printf "%0999999999d" 1 }}`, "printf: width or precision too large"},
	{"printf-width-1e6", `{{ printf "%0999999d%0999999d%0999999d%0999999d%0999999d%0999999d%0999999d%0999999d" 1 2 3 4 5 6 7 8 }}`, "printf: width or precision too large"},
	{"printf-star", `{{ printf "%*d" 999999 1 }}`, "printf: width or precision too large"},
	{"printf-precision", `{{ printf "%.999999f" 1.5 }}`, "printf: width or precision too large"},
	{"printf-repeat-verbs", near512K("ab") + `{{ printf "` + strings.Repeat(`%[1]s`, 2000) + `" $x }}`, "printf: result too large"},
	{"doubling-printf", doubling(`printf "%s%s"`, 60), "printf: result too large"},
	{"doubling-print", doubling(`print`, 60), "print: result too large"},
	{"doubling-println", doubling(`println`, 60), "println: result too large"},
	{"hoard", near512K("ab") + strings.Repeat(`{{ $y := print (slice $x 1) "." }}`, 200), "memory budget exceeded"},
	{"print-many", near512K("ab") + `{{ print ` + strings.Repeat(`$x `, 200) + `}}`, "print: result too large"},
	{"html", near512K(`\"\"`) + `{{ html $x }}`, "html: result too large"},
	{"html-many", near512K(`\"\"`) + `{{ html ` + strings.Repeat(`$x `, 100) + `}}`, "html: result too large"},
	{"js", near512K(`<>`) + `{{ js $x }}`, "js: result too large"},
	{"urlquery", near512K(`<>`) + `{{ urlquery ` + strings.Repeat(`$x `, 50) + `}}`, "urlquery: result too large"},
	{"b64enc", near512K("ab") + `{{ b64enc $x }}`, "b64enc: result too large"},
	{"json", near512K(`\x01\x01`) + `{{ json $x }}`, "json: result too large"},
	{"sqlString", near512K(`''`) + `{{ sqlString $x }}`, "sqlString: result too large"},
	{"upper-invalid-utf8", near512K(`\xff\xff`) + `{{ upper $x }}`, "upper: result too large"},
	{"lower-invalid-utf8", near512K(`\xff\xff`) + `{{ lower $x }}`, "lower: result too large"},
	{"output", `{{ range 100000000 }}{{ $.PrivateKeyPEM }}{{ end }}`, "output exceeds 512 KiB"},
}

// TestTemplateAttacksStop: every attack stops within the deadline, allocates under
// attackMemoryLimit, and fails with a safe error naming what stopped it.
func TestTemplateAttacksStop(t *testing.T) {
	for _, a := range templateAttacks {
		t.Run(a.name, func(t *testing.T) {
			r := runAttack(t, a.tmpl, attackWatchdog)
			if !r.done {
				t.Fatalf("still running after %v", attackWatchdog)
			}
			t.Logf("stopped after %v, allocated %.2f MiB, output %d bytes: %v", r.elapsed.Round(time.Microsecond), float64(r.alloc)/(1<<20), r.outLen, r.err)
			if r.err == nil {
				t.Fatalf("rendered %d bytes without error", r.outLen)
			}
			if !strings.Contains(r.err.Error(), a.want) {
				t.Errorf("error %q does not say %q", r.err, a.want)
			}
			if r.alloc > attackMemoryLimit {
				t.Errorf("allocated %.1f MiB, over the %d MiB bound", float64(r.alloc)/(1<<20), attackMemoryLimit>>20)
			}
			assertSafeError(t, r.err, a.tmpl)
		})
	}
}

// exfiltrationAttempts try to move key bytes into an error message, which reaches the relying
// party's status (readable by more people than the Secret).
var exfiltrationAttempts = []string{
	`{{ index .Claims (index .PrivateKeyPEM 60) }}`,
	`{{ index .PrivateKeyPEM 5000 }}`,
	`{{ slice .Claims (index .PrivateKeyPEM 60) }}`,
	`{{ slice .PrivateKeyPEM (index .PrivateKeyPEM 60) 1 }}`,
	`{{ slice .PrivateKeyPEM 0 (index .PrivateKeyPEM 60) 99 }}`,
	`{{ range .PrivateKeyPEM }}{{ end }}`,
	`{{ range slice .PrivateKeyPEM 28 60 }}{{ end }}`,
	`{{ range $i, $c := index .PrivateKeyPEM 60 }}{{ end }}`,
	`{{ range $i, $c := len .PrivateKeyPEM }}{{ end }}`,
	`{{ slice .PrivateKeyPEM 28 60 | call }}`,
	`{{ call .PrivateKeyPEM }}`,
	`{{ printf "%d" (index .PrivateKeyPEM 60) | index .Claims }}`,
	`{{ index .Claims (printf "%d" (index .PrivateKeyPEM 60)) }}`,
	`{{ eq .PrivateKeyPEM 1 }}`,
	`{{ eq (index .PrivateKeyPEM 60) "B" }}`,
	`{{ lt .Claims .PrivateJWK }}`,
	`{{ (index .PrivateKeyPEM 60) 1 }}`,
	`{{ (slice .PrivateKeyPEM 28 60).Foo }}`,
	`{{ .PrivateKeyPEM.Foo }}`,
	`{{ json (index .PrivateKeyPEM 60) | printf "%s" | index .Claims }}`,
	`{{ json 1i }}`,
	`{{ template "x" }}`,
	`{{ with $x := slice .PrivateKeyPEM 28 60 }}{{ $x.Bar }}{{ end }}`,
	`{{ printf (index .PrivateKeyPEM 60) }}`,
	`{{ len (index .PrivateKeyPEM 60) }}`,
	`{{ sqlString (printf "%s%c" (slice .PrivateKeyPEM 28 40) 0) }}`,
	`{{ indent (index .PrivateKeyPEM 60) (slice .PrivateKeyPEM 28 60) | index .Claims }}`,
	`{{ not }}`,
	`{{ index .Claims 1 2 }}`,
	`{{ index (slice .PrivateKeyPEM 28 60) -1 }}`,
	`{{ .Claims.Name }}`,
}

// TestTemplateErrorsLeakNothing: whatever the template does, its error holds no key bytes.
func TestTemplateErrorsLeakNothing(t *testing.T) {
	for _, tmpl := range exfiltrationAttempts {
		in := testInput(t)
		in.Template = tmpl
		_, err := Render(FormatTemplate, in)
		if err == nil {
			t.Errorf("%s: rendered without error", tmpl)
			continue
		}
		t.Logf("%s -> %v", tmpl, err)
		assertSafeError(t, err, tmpl)
	}
}

var (
	execErrorShape  = regexp.MustCompile(`^executing template: (?:template:\d+:\d+: )?(.*)$`)
	safeParseError  = regexp.MustCompile(`^(?:parsing template: template: template:\d+: .*|template is empty|template exceeds \d+ KiB)$`)
	detailShape     = regexp.MustCompile(`^(.*?)(?: (?:for )?([A-Za-z_][A-Za-z0-9_]*))?$`)
	undefinedShape  = regexp.MustCompile(`^template ("(?:[^"\\]|\\.)*") not defined$`)
	ourFuncFailures = []string{"result too large", "invalid argument", "width or precision too large",
		"value cannot be encoded", "value contains NUL", "value is not valid UTF-8", "failed",
		catWrongType, catSecretFormat, catSecretValue}
)

// safeCategories is every category an execution error may name, from the tables errors are
// built from and the fixed strings of the functions and limits.
func safeCategories() map[string]bool {
	ok := map[string]bool{"execution failed": true, "function failed": true}
	for _, e := range []error{errDeadline, errSteps, errDepth, errAlloc, errOutputTooLarge} {
		ok[e.Error()] = true
	}
	for _, c := range evalCategories {
		ok[c.category] = true
	}
	for _, c := range evalSuffixes {
		ok[c.category] = true
	}
	for _, fn := range builtinNames {
		ok[fn+": failed"] = true
		for _, c := range builtinCategories {
			ok[fn+": "+c.category] = true
		}
	}
	for fn := range TemplateFuncs() {
		for _, c := range ourFuncFailures {
			ok[fn+": "+c] = true
		}
	}
	return ok
}

// assertSafeError: an execution error is a position and a category from the fixed set,
// optionally followed by an identifier (or a template name) written in the template itself,
// and holds no fragment of the key that the template text does not hold.
func assertSafeError(t testing.TB, err error, tmpl string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	m := execErrorShape.FindStringSubmatch(msg)
	if m == nil {
		if !safeParseError.MatchString(msg) {
			t.Errorf("%q: unexpected error shape %q", tmpl, msg)
		}
		return // parsing never sees data
	}
	if _, ok := errors.AsType[*TemplateError](err); !ok {
		t.Errorf("%q: execution error %q is not a *TemplateError", tmpl, msg)
	}
	tail, categories := m[1], safeCategories()
	switch d := detailShape.FindStringSubmatch(tail); {
	case categories[tail]:
	case d != nil && categories[d[1]] && strings.Contains(tmpl, d[2]):
	case undefinedShape.MatchString(tail) && strings.Contains(tmpl, undefinedShape.FindStringSubmatch(tail)[1][1:len(undefinedShape.FindStringSubmatch(tail)[1])-1]):
	default:
		t.Errorf("%q: error %q is not a position and a fixed category", tmpl, msg)
	}
	if frag := keyFragment(t, msg, tmpl); frag != "" {
		t.Errorf("%q: error %q holds key fragment %q", tmpl, msg, frag)
	}
}

// keyFragment returns a 4-byte window of the private key (PEM or JWK) found in msg but not in
// the template text, or "".
func keyFragment(t testing.TB, msg, tmpl string) string {
	in := testInput(t)
	for _, key := range []string{string(in.PrivateKeyPEM), string(in.PrivateJWK)} {
		for i := 0; i+4 <= len(key); i++ {
			w := key[i : i+4]
			if strings.Contains(msg, w) && !strings.Contains(tmpl, w) && !strings.Contains(safeWords, w) {
				return w
			}
		}
	}
	return ""
}

// safeWords are the fixed strings errors are built from; a key window equal to a piece of them
// (such as "----" of the PEM armour) is not a leak.
const safeWords = "-----BEGIN PRIVATE KEY----- -----END PRIVATE KEY-----"

// templateFeatures are templates within the bounds: each renders exactly as plain text/template
// does with the functions as they were before the bounds.
var templateFeatures = []string{
	goldenTemplate,
	`{{ range $i := 10 }}{{ if eq $i 3 }}{{ continue }}{{ end }}{{ if gt $i 6 }}{{ break }}{{ end }}{{ $i }}{{ end }}`,
	`{{ range $i, $c := .Claims }}{{ if $i }},{{ end }}{{ $c.Name }}{{ if $c.Essential }}!{{ else if eq $c.Name "email" }}@{{ else }}?{{ end }}{{ else }}none{{ end }}`,
	`{{ define "a" }}[{{ . }}]{{ end }}{{ template "a" .Scope }}{{ block "b" .Name }}{{ upper . }}{{ end }}{{ template "b" "x" }}`,
	`{{ define "t" }}{{ if . }}{{ len . }}{{ template "t" (slice . 1) }}{{ end }}{{ end }}{{ template "t" "abcdefghij" }}`,
	`{{ with .RedirectURI }}{{ urlquery . }}{{ else }}-{{ end }}{{ with $x := .Claims }}{{ len $x }}{{ end }}{{ with "" }}x{{ else with .Name }}{{ . }}{{ end }}`,
	`{{ printf "%-10s|%5.2f|%x|%q|%v|%d%%|%+v|%#v|%T" .ClientID 3.14159 .KeyID .Name .Claims 7 (index .Claims 0) .EnablePKCE .Claims }}`,
	`{{ printf "%[2]s %[1]s %s" "a" "b" }}|{{ printf "%s" }}|{{ printf "%s" 1 2 }}|{{ printf "%!" }}|{{ printf "%" }}|{{ printf "%.3s|%8.3f|%08b" "abcdef" 2.5 5 }}`,
	`{{ html .ClaimsRequest }} {{ js .ClaimsRequest }} {{ js "<a href='x'>é\u2028" }} {{ html "<&>\"'\x00" }} {{ urlquery "a b&c/d?é" }} {{ html 1 "a" nil }}`,
	`{{ print 1 2 "a" "b" 3 nil true }}|{{ println .EnablePKCE nil "x" 2 }}|{{ print }}|{{ println }}|{{ print .Claims }}|{{ print (index .Claims 0) }}`,
	`{{ json .Claims | len }} {{ json .Claims }} {{ json "\u2028<>&\"\\\x01\n" }} {{ json 1.5 }} {{ json nil }} {{ json (index .PublicJWK 0) }}`,
	`{{ indent 4 .PublicJWK }}|{{ indent 0 "a\nb" }}|{{ indent 2 "" }}|{{ b64enc .KeyID }}|{{ sqlString "it's" }}|{{ upper "straße ǅ" }}|{{ lower "ÀÉ" }}|{{ trim "  x  " }}`,
	`{{ $x := "ab" }}{{ range 17 }}{{ $x = print $x $x }}{{ end }}{{ len $x }}{{ $x }}`,
	`{{ and 1 0 "x" }} {{ or 0 "" "y" }} {{ not .EnablePKCE }} {{ eq .Algorithm "RS256" "ES256" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ index .PublicJWK 0 }} {{ slice .KeyID 0 4 }}`,
	// The key fields are Secrets: printed, whole or encoded, as they were as strings.
	`{{ .PrivateKeyPEM }}|{{ .PrivateJWK }}|{{ .CodeVerifier }}|{{ . }}|{{ print . }}|{{ printf "%v|%s" . . }}|{{ println .PrivateJWK 1 2 .CodeVerifier }}`,
	`{{ json . }}|{{ json .PrivateKeyPEM }}|{{ b64enc .PrivateJWK }}|{{ sqlString .PrivateKeyPEM }}|{{ indent 4 .PrivateKeyPEM }}|{{ trim .PrivateKeyPEM }}|{{ .PrivateKeyPEM | trim | json | b64enc | sqlString }}`,
	`{{ print .PrivateKeyPEM "x" 1 2 .CodeVerifier 3 }}|{{ printf "%s-%v-%[1]s-%[3]d" .CodeVerifier .PrivateJWK 7 }}|{{ printf "%.8s|%-12.10q|%.6x" (b64enc .PrivateKeyPEM) .PrivateKeyPEM .PrivateKeyPEM }}`,
	`{{ if .PrivateKeyPEM }}T{{ end }}{{ not .PrivateJWK }}{{ with .CodeVerifier }}[{{ . }}]{{ end }}{{ and .PrivateKeyPEM "a" }}{{ or "" .CodeVerifier }}{{ eq .PrivateKeyPEM nil }}{{ $k := .PrivateJWK }}{{ define "k" }}<{{ . }}>{{ end }}{{ template "k" $k }}`,
}

func TestTemplateFeaturesUnchanged(t *testing.T) {
	for _, tmpl := range templateFeatures {
		in := testInput(t)
		in.Template = tmpl
		doc, err := Render(FormatTemplate, in)
		if err != nil {
			t.Errorf("%s: %v", tmpl, err)
			continue
		}
		if want, ok := referenceRender(t, in); ok && want != string(doc.Data[DefaultTemplateKey]) {
			t.Errorf("%s:\n--- got\n%s\n--- want\n%s", tmpl, doc.Data[DefaultTemplateKey], want)
		}
	}
}

// The bounded functions replace the built-ins of the same name (text/template looks a name up
// in the template's functions before its built-ins): a built-in left in place would be unbounded.
func TestBoundedFuncsOverrideBuiltins(t *testing.T) {
	funcs := TemplateFuncs()
	for _, name := range []string{"print", "printf", "println", "html", "js", "urlquery"} {
		if funcs[name] == nil {
			t.Errorf("%s is not replaced", name)
		}
	}
	for _, tmpl := range []string{`{{ printf "%01001d" 1 }}`, `{{ print "` + strings.Repeat("x", 64) + `" }}`} {
		in := testInput(t)
		in.Template = tmpl
		_, err := Render(FormatTemplate, in)
		if strings.Contains(tmpl, "printf") && (err == nil || !strings.Contains(err.Error(), "printf: width or precision too large")) {
			t.Errorf("%s: err = %v: the built-in printf ran", tmpl, err)
		}
	}
	l := newLimits(time.Time{})
	l.alloc = maxTemplateAlloc // a budget already spent: only the bounded print refuses
	if _, err := l.funcs()["print"].(func(...any) (any, error))("x"); !errors.Is(err, errAlloc) {
		t.Errorf("print with a spent budget: err = %v", err)
	}
}

// A deadline passed in stops the execution (steps alone would allow this one to run on).
func TestTemplateDeadline(t *testing.T) {
	in := testInput(t)
	in.Template = `{{ range 100000000000000 }}{{ end }}`
	in.Deadline = time.Now().Add(-time.Second)
	_, err := Render(FormatTemplate, in)
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("past deadline: err = %v", err)
	}
	in.Template = `{{ .ClientID }}`
	if _, err := Render(FormatTemplate, in); err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("a template with no step still checks the deadline: err = %v", err)
	}
	in.Deadline = time.Now().Add(time.Minute)
	if doc, err := Render(FormatTemplate, in); err != nil || string(doc.Data["config"]) != in.ClientID {
		t.Errorf("future deadline: %v", err)
	}
}

// Execution stops where the budget runs out, on the rendering goroutine: nothing keeps running.
func TestTemplateLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, a := range templateAttacks[:9] {
		in := testInput(t)
		in.Template = a.tmpl
		if _, err := Render(FormatTemplate, in); err == nil {
			t.Errorf("%s: no error", a.name)
		}
	}
	time.Sleep(10 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before, %d after", before, after)
	}
}

// The step budget is not the depth limit: a legitimate template that recurses a little and
// loops a little renders, and one depth too many fails.
func TestTemplateDepth(t *testing.T) {
	nest := func(n int) string {
		return `{{ define "d" }}{{ if . }}{{ template "d" (slice . 1) }}{{ end }}{{ end }}{{ template "d" "` + strings.Repeat("a", n) + `" }}`
	}
	in := testInput(t)
	in.Template = nest(maxTemplateDepth - 2) // the top level is a template body too
	if _, err := Render(FormatTemplate, in); err != nil {
		t.Errorf("depth %d: %v", maxTemplateDepth-1, err)
	}
	in.Template = nest(maxTemplateDepth - 1)
	if _, err := Render(FormatTemplate, in); err == nil || !strings.Contains(err.Error(), "template depth exceeded") {
		t.Errorf("depth %d: err = %v", maxTemplateDepth, err)
	}
}

// BenchmarkTemplateWorstCase measures how long each attack runs before its bound stops it and
// what it allocates (B/op: everything, garbage included). TestTemplateAttacksStop asserts the
// memory bound; this reports the figures:
//
//	go test -run '^$' -bench TemplateWorstCase -benchtime 20x ./internal/render/
func BenchmarkTemplateWorstCase(b *testing.B) {
	for _, a := range templateAttacks {
		b.Run(a.name, func(b *testing.B) {
			in := testInput(b)
			in.Template = a.tmpl
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Render(FormatTemplate, in); err == nil {
					b.Fatal("no error")
				}
			}
		})
	}
}

// Results up to the output cap are allowed: the bounds refuse what is over it, not what is near.
func TestTemplateLargeResultsAllowed(t *testing.T) {
	x := `{{ $x := "abcd" }}{{ range 17 }}{{ $x = print $x $x }}{{ end }}{{ $x = slice $x 0 400000 }}` // 400 000 bytes
	for _, tail := range []string{
		`{{ printf "%s" $x | len }}`, `{{ printf "%v|%s" 1 $x | len }}`, `{{ print $x | len }}`, `{{ println $x | len }}`,
		`{{ html $x | len }}`, `{{ js $x | len }}`, `{{ urlquery $x | len }}`, `{{ json $x | len }}`, `{{ sqlString $x | len }}`,
		`{{ indent 1 $x | len }}`, `{{ upper $x | len }}`, `{{ lower $x | len }}`, `{{ trim $x | len }}`, `{{ $x }}`,
		`{{ b64enc (slice $x 0 300000) | len }}`,
	} {
		in := testInput(t)
		in.Template = x + tail
		doc, err := Render(FormatTemplate, in)
		if err != nil {
			t.Errorf("%s: %v", tail, err)
			continue
		}
		if want, ok := referenceRender(t, in); ok && want != string(doc.Data[DefaultTemplateKey]) {
			t.Errorf("%s: got %.40q, want %.40q", tail, doc.Data[DefaultTemplateKey], want)
		}
	}
}
