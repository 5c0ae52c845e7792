package render

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/internal/keys"
)

// The tenant who writes a template reads the relying party's status, where a failed render is
// reported, but maybe not the Secret the output goes to. So whether a template fails, where,
// and everything it writes apart from the key material itself, must be the same for every key
// of an algorithm and size: otherwise a template can test a key bit and fail on it, and each
// reconcile tells the tenant one more bit.

// keyGroup is a set of keys of one algorithm and size (testdata/keys, generated for these tests
// only; the RSA ones were picked to have PEMs of three different lengths).
type keyGroup struct {
	name  string
	alg   keys.Algorithm
	files []string
}

var opaqueKeyGroups = []keyGroup{
	{"RS256-2048", keys.RS256, []string{"rsa2048-1.pem", "rsa2048-2.pem", "rsa2048-3.pem", "rsa2048-4.pem", "rsa2048-5.pem"}},
	{"ES256", keys.ES256, []string{"es256-1.pem", "es256-2.pem", "es256-3.pem"}},
}

// groupInputs are testInput with the private key of each key of g: the private material (PEM,
// private JWK, and the code verifier derived from them) changes, what is public about the key
// (public JWK, kid, algorithm) stays that of the group's first key, so only secrets differ.
func groupInputs(t testing.TB, g keyGroup) []Input {
	t.Helper()
	var ins []Input
	for i, f := range g.files {
		b, err := os.ReadFile(filepath.Join("testdata", "keys", f))
		if err != nil {
			t.Fatal(err)
		}
		kp, err := keys.ParsePrivatePEM(b, g.alg)
		if err != nil {
			t.Fatal(err)
		}
		in := testInput(t)
		in.Algorithm = string(g.alg)
		in.PrivateKeyPEM, _ = kp.PrivatePEM()
		in.PrivateJWK, _ = kp.PrivateJWK()
		if i == 0 {
			in.PublicJWK, _ = kp.PublicJWK()
			in.KeyID = kp.KeyID
		} else {
			in.PublicJWK, in.KeyID = ins[0].PublicJWK, ins[0].KeyID
		}
		ins = append(ins, in)
	}
	return ins
}

// keyForms are the texts a template may legitimately write for the secrets of in: each secret
// and its encodings by the functions that keep it opaque. redactKey replaces them, longest
// first, by a placeholder naming the form, so outputs of two keys compare equal exactly when
// nothing else in them depends on the key.
func keyForms(in Input) map[string]string {
	forms := map[string]string{}
	for name, s := range map[string]string{"PEM": string(in.PrivateKeyPEM), "JWK": string(in.PrivateJWK), "CV": CodeVerifier(in)} {
		add := func(form, v string) {
			if _, ok := forms[v]; !ok { // trim(JWK) is the JWK: keep the first name
				forms[v] = "<" + form + "(" + name + ")>"
			}
		}
		add("raw", s)
		add("trim", strings.TrimSpace(s))
		add("b64", base64.StdEncoding.EncodeToString([]byte(s)))
		j, _ := json.Marshal(s)
		add("json", string(j))
		add("sql", "'"+strings.ReplaceAll(s, "'", "''")+"'")
		for n := 1; n <= 4; n++ {
			pad := strings.Repeat(" ", n)
			add(fmt.Sprintf("indent%d", n), pad+strings.ReplaceAll(s, "\n", "\n"+pad))
		}
	}
	return forms
}

func redactKey(out string, in Input) string {
	forms := keyForms(in)
	texts := make([]string, 0, len(forms))
	for s := range forms {
		texts = append(texts, s)
	}
	sort.Slice(texts, func(i, j int) bool { return len(texts[i]) > len(texts[j]) })
	for _, s := range texts {
		out = strings.ReplaceAll(out, s, forms[s])
	}
	return out
}

// renderOutcome renders tmpl for in: the error message, or the output with the key redacted.
func renderOutcome(in Input, tmpl string) string {
	in.Template = tmpl
	in.Deadline = time.Now().Add(time.Minute) // the wall-clock bound is not what is tested here
	doc, err := Render(FormatTemplate, in)
	if err != nil {
		return "error: " + err.Error()
	}
	return "ok: " + redactKey(string(doc.Data[DefaultTemplateKey]), in)
}

// opaqueProbes try to make a render's outcome depend on the private key, one channel each. want
// is what the error says now (for every key), or "" for a template that renders.
var opaqueProbes = []struct{ channel, tmpl, want string }{
	// index: read a byte, or fail depending on it.
	{"index", `{{ if lt (index .PrivateKeyPEM 150) 97 }}{{ index .Claims 99 }}{{ end }}`, "1:10: index: cannot index this value"},
	{"index", `{{ index .PrivateKeyPEM 150 }}`, "1:3: index: cannot index this value"},
	{"index", `{{ index .PrivateJWK 200 }}`, "1:3: index: cannot index this value"},
	{"index", `{{ index .CodeVerifier 3 }}`, "1:3: index: cannot index this value"},
	{"index", `{{ index .Claims (index .PrivateKeyPEM 150) }}`, "1:18: index: cannot index this value"},
	{"index", `{{ index .Claims .PrivateKeyPEM }}`, "1:3: index: invalid index"},
	// slice
	{"slice", `{{ slice .PrivateKeyPEM 140 160 }}`, "1:3: slice: cannot slice this value"},
	{"slice", `{{ if lt (slice .PrivateJWK 200 201) "a" }}{{ index .Claims 99 }}{{ end }}`, "1:10: slice: cannot slice this value"},
	{"slice", `{{ slice .Claims 0 (index .PrivateKeyPEM 150) }}`, "1:20: index: cannot index this value"},
	// len: the PEM of a 2048-bit RSA key is 1700 to 1708 bytes long.
	{"len", `{{ len .PrivateKeyPEM }}`, "1:3: len: value has no length"},
	{"len", `{{ len .PrivateJWK }}`, "1:3: len: value has no length"},
	{"len", `{{ if eq (len .PrivateKeyPEM) 1704 }}{{ index .Claims 99 }}{{ end }}`, "1:10: len: value has no length"},
	{"len", `{{ range len .PrivateKeyPEM }}{{ end }}`, "1:9: len: value has no length"},
	// printf with a precision, a width, or a verb that is not a plain %s or %v, then compare.
	{"printf", `{{ printf "%.151s" .PrivateKeyPEM }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ if eq (printf "%.151s" .PrivateKeyPEM) (printf "%.150sA" .PrivateKeyPEM) }}{{ index .Claims 99 }}{{ end }}`, "1:10: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%.29s" .PrivateKeyPEM }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%.37s" (b64enc .PrivateKeyPEM) }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%x" .PrivateKeyPEM | len }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%q" .PrivateJWK }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%d" .PrivateKeyPEM }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%-1000s|" .PrivateKeyPEM | len }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%[1]s%.3[1]s" .CodeVerifier }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%s%d" "a" .CodeVerifier }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%v" . | len }}`, "1:19: len: value has no length"},
	{"printf", `{{ printf "%+v" . }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%.5v" . }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%s" .PrivateKeyPEM | len }}`, "1:32: len: value has no length"},
	{"printf", `{{ printf "x" .PrivateKeyPEM | len }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%p" .PrivateKeyPEM }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%w" .PrivateKeyPEM }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf "%T" .PrivateKeyPEM }}`, "1:3: printf: secret value needs a plain %s or %v"},
	{"printf", `{{ printf .PrivateKeyPEM }}`, "1:10: wrong type for value"},
	{"printf", `{{ printf "%*s" 5 .PrivateKeyPEM }}`, "1:3: printf: width or precision too large"},
	{"print", `{{ print .PrivateKeyPEM | len }}`, "1:26: len: value has no length"},
	{"print", `{{ println . | len }}`, "1:15: len: value has no length"},
	// eq, ne, lt, le, gt, ge.
	{"compare", `{{ eq .PrivateKeyPEM .PrivateJWK }}`, "1:3: eq: non-comparable types"},
	{"compare", `{{ eq .PrivateKeyPEM .PrivateKeyPEM }}`, "1:3: eq: non-comparable types"},
	{"compare", `{{ ne .CodeVerifier "x" }}`, "1:3: ne: incompatible types for comparison"},
	{"compare", `{{ eq "x" .CodeVerifier }}`, "1:3: eq: incompatible types for comparison"},
	{"compare", `{{ lt .PrivateKeyPEM .PrivateJWK }}`, "1:3: lt: invalid type for comparison"},
	{"compare", `{{ gt .CodeVerifier "M" }}`, "1:3: gt: invalid type for comparison"},
	{"compare", `{{ le (b64enc .PrivateJWK) (b64enc .PrivateKeyPEM) }}`, "1:3: le: invalid type for comparison"},
	{"compare", `{{ ge "a" .PrivateJWK }}`, "1:3: ge: invalid type for comparison"},
	{"compare", `{{ eq .PrivateKeyPEM nil }}{{ eq nil .PrivateJWK }}`, ""},
	{"compare", `{{ eq (json .PrivateJWK) (json .PrivateJWK) }}`, "1:3: eq: non-comparable types"},
	{"compare", `{{ eq . . }}`, "1:3: eq: non-comparable types"},
	// range over the key, or over a number read from it (iterations, steps).
	{"range", `{{ range .PrivateKeyPEM }}{{ end }}`, "1:9: range over a value that cannot be iterated"},
	{"range", `{{ range $i, $c := .PrivateJWK }}{{ end }}`, "1:19: range over a value that cannot be iterated"},
	{"range", `{{ range (index .PrivateKeyPEM 150) }}.{{ end }}`, "1:10: index: cannot index this value"},
	// and/or short-circuit on a value derived from the key; truthiness of the key.
	{"and/or", `{{ and (lt (index .PrivateKeyPEM 150) 97) (index .Claims 99) }}`, "1:12: index: cannot index this value"},
	{"and/or", `{{ or (lt .CodeVerifier "M") (index .Claims 99) }}`, "1:7: lt: invalid type for comparison"},
	{"and/or", `{{ if and .PrivateKeyPEM (lt (slice .PrivateKeyPEM 150 151) "a") }}{{ index .Claims 99 }}{{ end }}`, "1:30: slice: cannot slice this value"},
	{"and/or", `{{ and .PrivateKeyPEM (index .Claims 99) }}`, "1:23: index: index out of range"},
	{"and/or", `{{ or .PrivateKeyPEM (index .Claims 99) }}`, ""},
	{"truth", `{{ if .PrivateKeyPEM }}T{{ else }}F{{ end }}{{ not .PrivateJWK }}{{ with .CodeVerifier }}W{{ end }}{{ and .PrivateKeyPEM "A" }}{{ if json . }}J{{ end }}`, ""},
	// html, js, urlquery: their output length depends on the characters escaped.
	{"escapers", `{{ html .PrivateJWK | len }}`, "1:3: html: secret value not allowed"},
	{"escapers", `{{ js .PrivateKeyPEM | len }}`, "1:3: js: secret value not allowed"},
	{"escapers", `{{ urlquery .PrivateKeyPEM | len }}`, "1:3: urlquery: secret value not allowed"},
	{"escapers", `{{ html . }}`, "1:3: html: secret value not allowed"},
	{"escapers", `{{ js "a" (b64enc .CodeVerifier) }}`, "1:3: js: secret value not allowed"},
	// b64enc, json, and the other encoders, then index or measure.
	{"b64enc", `{{ index (b64enc .PrivateKeyPEM) 100 }}`, "1:3: index: cannot index this value"},
	{"b64enc", `{{ b64enc .PrivateKeyPEM | len }}`, "1:27: len: value has no length"},
	{"json", `{{ index (json .PrivateKeyPEM) 100 }}`, "1:3: index: cannot index this value"},
	{"json", `{{ json . | len }}`, "1:12: len: value has no length"},
	{"json", `{{ json .PrivateJWK | slice 0 10 }}`, "1:22: slice: cannot slice this value"},
	{"encoders", `{{ sqlString .PrivateKeyPEM | len }}`, "1:30: len: value has no length"},
	{"encoders", `{{ indent 2 .PrivateKeyPEM | len }}`, "1:29: len: value has no length"},
	{"encoders", `{{ trim .PrivateKeyPEM | len }}`, "1:25: len: value has no length"},
	{"encoders", `{{ upper .PrivateKeyPEM | len }}`, "1:9: wrong type for value"},
	{"encoders", `{{ lower .CodeVerifier }}`, "1:9: wrong type for value"},
	{"encoders", `{{ sqlString (printf "%s\xff" .CodeVerifier) }}`, "1:3: sqlString: value is not valid UTF-8"},
	{"encoders", `{{ sqlString (print "\xc3" .PrivateKeyPEM "\xa9") }}`, "1:3: sqlString: value is not valid UTF-8"},
	{"encoders", `{{ sqlString (print "\xc3\xa9" .PrivateKeyPEM "\x00") }}`, "1:3: sqlString: value contains NUL"},
	{"encoders", `{{ indent 200 .PrivateKeyPEM }}`, "1:3: indent: result too large"},
	{"encoders", `{{ json (json (json .PrivateJWK)) }}`, "1:3: json: result too large"},
	// Budgets: steps, memory, output. Each was tuned to the lengths and bytes of the RSA keys:
	// each one failed for some keys and not others.
	{"steps", `{{ range (index .PrivateKeyPEM 150) }}{{ range 1000 }}{{ end }}{{ end }}`, "1:10: index: cannot index this value"},
	{"memory", `{{ range 3685 }}{{ $y := b64enc $.PrivateKeyPEM }}{{ end }}`, "1:25: memory budget exceeded (8 MiB)"},
	{"output", `{{ range 307 }}{{ $.PrivateKeyPEM }}{{ end }}`, "output exceeds 512 KiB"},
	{"output", `{{ range 300 }}{{ json $.PrivateJWK }}{{ end }}`, "output exceeds 512 KiB"},
	{"output", `{{ range 100 }}{{ $.PrivateKeyPEM }}{{ end }}`, ""},
	// Calls and fields on the key.
	{"methods", `{{ call .PrivateKeyPEM }}`, "1:3: call: not a function"},
	{"methods", `{{ .PrivateKeyPEM.t }}`, "1:17: unexported field"},
	{"methods", `{{ .PrivateKeyPEM._ }}`, "1:17: unexported field"},
	{"methods", `{{ .PrivateKeyPEM.Format nil 118 }}`, "1:17: execution failed"},
	{"methods", `{{ .PrivateKeyPEM.Format }}`, "1:17: wrong number of arguments for Format"},
	{"methods", `{{ .PrivateJWK.Foo }}`, "1:14: can't evaluate field Foo"},
	// What a template may do with the key: print it, whole or encoded (compared redacted).
	{"print-ok", `{{ .PrivateKeyPEM }}|{{ .PrivateJWK }}|{{ .CodeVerifier }}`, ""},
	{"print-ok", `{{ b64enc .PrivateKeyPEM }}|{{ json .PrivateJWK }}|{{ sqlString .CodeVerifier }}|{{ indent 4 .PrivateKeyPEM }}|{{ trim .PrivateKeyPEM }}`, ""},
	{"print-ok", `{{ printf "%s=%v" .CodeVerifier .PrivateKeyPEM }}|{{ print .PrivateJWK "x" 1 }}|{{ println .CodeVerifier }}`, ""},
	{"print-ok", `{{ json . }}`, ""},
	{"print-ok", `{{ . }}`, ""},
	{"print-ok", `{{ print . }}`, ""},
	{"print-ok", `{{ printf "%.8s|%-30.28q|%.27x" (b64enc .PrivateKeyPEM) .PrivateKeyPEM .PrivateKeyPEM }}`, ""},
	{"print-ok", `{{ $k := .PrivateKeyPEM }}{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" $k }}{{ or "" $k }}`, ""},
}

// TestKeyIsOpaque: every probe has one outcome for all keys of a group, the expected one: the
// same error, at the same position, or the same output once the key material is taken out.
func TestKeyIsOpaque(t *testing.T) {
	for _, g := range opaqueKeyGroups {
		ins := groupInputs(t, g)
		t.Run(g.name, func(t *testing.T) {
			for _, p := range opaqueProbes {
				first := renderOutcome(ins[0], p.tmpl)
				for i, in := range ins[1:] {
					if got := renderOutcome(in, p.tmpl); got != first {
						t.Errorf("%s: %s:\n  key 1: %.200s\n  key %d: %.200s", p.channel, p.tmpl, first, i+2, got)
						break
					}
				}
				switch {
				case p.want == "" && !strings.HasPrefix(first, "ok: "):
					t.Errorf("%s: %s: %s, want it to render", p.channel, p.tmpl, first)
				case p.want != "" && !strings.HasSuffix(first, p.want):
					t.Errorf("%s: %s: %s, want an error ending %q", p.channel, p.tmpl, first, p.want)
				}
				e0 := executeOutcome(ins[0], p.tmpl)
				for _, in := range ins {
					o := executeOutcome(in, p.tmpl)
					if o.overBound > 0 {
						t.Errorf("%s: %d Secrets longer than their bound", p.tmpl, o.overBound)
					}
					if o.alloc != e0.alloc || o.steps != e0.steps || o.counted != e0.counted {
						t.Errorf("%s: budgets count differently: %d/%d/%d and %d/%d/%d", p.tmpl, e0.alloc, e0.steps, e0.counted, o.alloc, o.steps, o.counted)
					}
				}
			}
		})
	}
}

// TestKeyBoundsArePublic: the bounds Secrets are counted at are the same for every key of a
// group (they depend on the public JWK's length only), and above every key's length.
func TestKeyBoundsArePublic(t *testing.T) {
	for _, g := range opaqueKeyGroups {
		ins := groupInputs(t, g)
		for _, in := range ins {
			for _, m := range [][]byte{in.PrivateKeyPEM, in.PrivateJWK} {
				if b := keySecretBound(in, m); b != keySecretBound(ins[0], ins[0].PrivateKeyPEM) || b < len(m) {
					t.Errorf("%s: bound %d for %d bytes, want %d for all", g.name, b, len(m), keySecretBound(ins[0], ins[0].PrivateKeyPEM))
				}
			}
			if pemArmor(string(in.PrivateKeyPEM)) != len("-----BEGIN PRIVATE KEY-----\n") {
				t.Errorf("%s: public prefix %d", g.name, pemArmor(string(in.PrivateKeyPEM)))
			}
		}
	}
	// Keys of every size the operator generates stay under the bound the public JWK gives.
	for _, f := range []string{"rsa2048-1.pem", "rsa3072.pem", "rsa4096.pem", "es256-1.pem"} {
		b, err := os.ReadFile(filepath.Join("testdata", "keys", f))
		if err != nil {
			t.Fatal(err)
		}
		alg := keys.RS256
		if strings.HasPrefix(f, "es") {
			alg = keys.ES256
		}
		kp, err := keys.ParsePrivatePEM(b, alg)
		if err != nil {
			t.Fatal(err)
		}
		pemBytes, _ := kp.PrivatePEM()
		jwk, _ := kp.PrivateJWK()
		pub, _ := kp.PublicJWK()
		for _, m := range [][]byte{pemBytes, jwk} {
			// Every size the operator generates is counted at 4 KiB, and stays under the
			// rule for larger keys too.
			if b := keySecretBound(Input{PublicJWK: pub}, m); b != minKeySecretBound || len(m) > 5*len(pub) {
				t.Errorf("%s: %d bytes, bound %d, public JWK %d bytes", f, len(m), b, len(pub))
			}
		}
	}
	if codeVerifierBound != base64.RawURLEncoding.EncodedLen(sha256.Size) {
		t.Errorf("codeVerifierBound = %d", codeVerifierBound)
	}
}

// As docs/openg2p.md says: an output can hold the key 128 times, for every key; 129 fail.
func TestKeyPrintedAtItsBound(t *testing.T) {
	for _, g := range opaqueKeyGroups {
		for _, in := range groupInputs(t, g) {
			if o := renderOutcome(in, `{{ range 128 }}{{ $.PrivateKeyPEM }}{{ end }}`); !strings.HasPrefix(o, "ok: ") {
				t.Errorf("%s: 128 prints: %.100s", g.name, o)
			}
			if o := renderOutcome(in, `{{ range 129 }}{{ $.PrivateKeyPEM }}{{ end }}`); o != "error: executing template: output exceeds 512 KiB" {
				t.Errorf("%s: 129 prints: %.100s", g.name, o)
			}
		}
	}
}

// Key material that is not ASCII text fails every template the same way, before it runs.
func TestKeyNotTextRefused(t *testing.T) {
	for _, tmpl := range []string{`{{ .ClientID }}`, `{{ index .Claims 99 }}`} {
		in := testInput(t)
		in.PrivateJWK = append([]byte(nil), in.PrivateJWK...)
		in.PrivateJWK[10] = 0xc3
		in.Template = tmpl
		if _, err := Render(FormatTemplate, in); err == nil || err.Error() != errKeyNotText.Error() {
			t.Errorf("%s: err = %v", tmpl, err)
		}
	}
}

// The Secret prints its text for a plain %s or %v only, and a cut of its public prefix.
func TestSecretFormat(t *testing.T) {
	l := newLimits(time.Time{})
	s := l.secret("-----BEGIN X-----\nsecret\n", 64, len("-----BEGIN X-----\n"))
	for format, want := range map[string]string{
		"%s": "-----BEGIN X-----\nsecret\n", "%v": "-----BEGIN X-----\nsecret\n", "%.5s": "-----",
		"%8.3q": `   "---"`, "%.2x": "2d2d", "%+v": "", "%5s": "", "%.19s": "", "%d": "", "%q": "", "%x": "",
	} {
		if got := fmt.Sprintf(format, s); got != want {
			t.Errorf("%s: %q, want %q", format, got, want)
		}
	}
	if got := fmt.Sprint(Secret{}); got != "" {
		t.Errorf("zero Secret prints %q", got)
	}
	s.Format(nil, 'v') // never panics
}

// executeResult is what one execution did: its outcome, its output with each write that held
// Secret text replaced by a placeholder, and how many Secrets broke their bound.
type executeResult struct {
	err       string
	redacted  string
	overBound int
	// What the budgets count: equal for two keys, no template can tune itself to reach a
	// bound for one key and not the other.
	alloc, steps, counted int
}

func executeOutcome(in Input, tmpl string) executeResult {
	in.Template = tmpl
	w, err := executeTemplate(in, time.Now().Add(time.Minute))
	var r executeResult
	if err != nil {
		r.err = err.Error()
	}
	if w == nil {
		return r
	}
	r.overBound = w.p.limits.overBound
	r.alloc, r.steps, r.counted = w.p.limits.alloc, w.p.limits.steps, w.counted
	if err == nil {
		out, last := w.out.Bytes(), 0
		var b strings.Builder
		for _, sp := range w.secrets {
			b.Write(out[last:sp[0]])
			b.WriteString("\x00secret\x00")
			last = sp[1]
		}
		b.Write(out[last:])
		r.redacted = b.String()
		if w.counted < len(out) {
			r.err = fmt.Sprintf("output counted as %d bytes, written %d", w.counted, len(out))
		}
	}
	return r
}

// FuzzTemplateOpaque: whatever the template, its outcome (rendered or not, and the error) is the
// same for two keys of the same algorithm and size, and so is its output apart from what it
// printed of Secrets; and no Secret is longer than its bound. Seeds: the probes of
// TestKeyIsOpaque, and the golden template.
func FuzzTemplateOpaque(f *testing.F) {
	for _, p := range opaqueProbes {
		f.Add(p.tmpl)
	}
	f.Add(goldenTemplate)
	var pairs [][2]Input
	for _, g := range opaqueKeyGroups {
		ins := groupInputs(f, g)
		if len(ins) > 3 {
			ins = ins[2:] // RSA: 1708 and 1700 bytes of PEM
		}
		pairs = append(pairs, [2]Input{ins[0], ins[1]})
	}
	f.Fuzz(func(t *testing.T, tmpl string) {
		for _, pair := range pairs {
			a, b := executeOutcome(pair[0], tmpl), executeOutcome(pair[1], tmpl)
			if a != b {
				t.Fatalf("%s: outcomes differ between two %s keys:\n  %q %.300q %d %d %d\n  %q %.300q %d %d %d", tmpl, pair[0].Algorithm,
					a.err, a.redacted, a.alloc, a.steps, a.counted, b.err, b.redacted, b.alloc, b.steps, b.counted)
			}
			if a.overBound > 0 {
				t.Fatalf("%s: %d Secrets longer than their bound", tmpl, a.overBound)
			}
		}
	})
}

// fmtProbe is an operand that records how fmt asks it to print itself.
type fmtProbe struct {
	i     int
	calls *[]formatUse
}

func (p fmtProbe) Format(f fmt.State, verb rune) {
	prec := -1
	if n, ok := f.Precision(); ok {
		prec = n
	}
	*p.calls = append(*p.calls, formatUse{arg: p.i, verb: verb, flags: formatFlags(f), width: hasWidth(f), precision: prec})
}

// FuzzFormatUses: formatUses says which operand each verb prints, with which flags, width and
// precision, exactly as fmt.Sprintf then asks the operands (a Formatter is asked for every verb
// but %T, %p and %w, which print the operand's type instead, as does the EXTRA list).
// Seeds: testdata/fuzz/FuzzFormatUses.
func FuzzFormatUses(f *testing.F) {
	for _, s := range []string{"%s%v%[1]s%d", "%[2]*d", "%.[2]d%[3]s", "%#w %+v %-5.3x", "%[1].2s%[5]s%s", "%", "%!", "%[0]s%s", "%[1]2d%s", "%.s", "%[3]%s", "x"} {
		f.Add(s)
	}
	const typeName = "render.fmtProbe"
	f.Fuzz(func(t *testing.T, format string) {
		if _, err := scanFormat(format); err != nil || strings.Contains(format, "fmtProbe") {
			return
		}
		for n := 0; n <= 4; n++ {
			var calls []formatUse
			args := make([]any, n)
			for i := range args {
				args[i] = fmtProbe{i: i, calls: &calls}
			}
			out := fmt.Sprintf(format, args...)
			uses, extra := formatUses(format, n)
			var want []formatUse
			typed, count := len(extra), true
			for _, u := range uses {
				switch u.verb {
				case 'T', 'p', 'w':
					typed++
					if u.verb == 'w' && u.flags || u.verb == 'T' && u.precision >= 0 {
						count = false // %#w prints the type twice, %.3T part of it: only check the calls
					}
				default:
					want = append(want, u)
				}
			}
			for _, i := range extra {
				want = append(want, formatUse{arg: i, verb: 'v', precision: -1})
			}
			if fmt.Sprint(calls) != fmt.Sprint(want) {
				t.Fatalf("%q with %d operands: fmt asked %v, formatUses says %v", format, n, calls, want)
			}
			if got := strings.Count(out, typeName); count && got != typed {
				t.Fatalf("%q with %d operands: %d operands printed by type, formatUses says %d (%q)", format, n, got, typed, out)
			}
		}
	})
}
