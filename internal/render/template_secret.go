package render

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// Secret is private key material as a template sees it: .PrivateKeyPEM, .PrivateJWK and
// .CodeVerifier. A template may print a Secret, whole, and hand it to the encoders (b64enc, json,
// sqlString, indent, trim, print, println, and printf with a plain %s or %v), which return
// another Secret; it can never observe the content. The tenant who writes the template reads
// the relying party's status, where a failed render is reported, but maybe not the Secret the
// output goes to; so whether a template fails, where, and what it writes besides Secrets must
// not depend on the key. Everything that could tell (index, slice, len, eq and the other
// comparisons, range, html, js, urlquery, upper, lower, printf with a width, a precision or
// another verb) fails on a Secret as a type error, decided before any byte of it is read, for
// every key alike; a Secret is always true (if, with, and, or, not). The one content-dependent
// thing that remains, its length, is never used for a decision: output, result and memory
// bounds count a Secret at a public upper bound (bound), never at its length.
//
// A Secret has exactly one exported method, Format, which returns nothing, so a template
// calling it fails whatever the key; it prints the text for fmt's plain %v and %s (how
// text/template prints a value) and nothing otherwise.
type Secret struct {
	_ [0]func() // not comparable: eq and ne refuse a Secret, whatever it holds
	t *secretText
}

type secretText struct {
	s string
	// bound is a public upper bound on len(s): a function of the algorithm and size of the key
	// and of the functions applied, never of the bytes of the key.
	bound int
	// public is the length of a prefix of s that is the same for every key of the algorithm:
	// the BEGIN line of a PEM, and its base64 image. printf may cut a Secret within it.
	public int
	acct   *secretAccount // the execution's; nil for a Secret made outside one
}

// secretAccount is what Secrets report as fmt prints them, since the last take.
type secretAccount struct {
	// redact makes Secrets print nothing (their public prefix when cut within it): the text of
	// such a pass is public, and its length plus bound bounds the real text.
	redact  bool
	printed int  // bytes of Secret text written
	bound   int  // the bounds of the Secrets printed, except cuts of a public prefix
	whole   int  // how many Secrets were printed whole
	refused bool // a Secret was asked for anything but a plain %s or %v or a cut of its public prefix
}

// Format prints the Secret for fmt. A template cannot call it: it returns nothing, and
// text/template refuses such a call before evaluating its arguments; the nil checks only make
// sure it never panics.
func (s Secret) Format(f fmt.State, verb rune) {
	if f == nil || s.t == nil {
		return
	}
	t, a := s.t, s.t.acct
	if a == nil {
		a = &secretAccount{}
	}
	switch secretVerb(verb, formatFlags(f), hasWidth(f), precision(f), t.public) {
	case printWhole:
		a.bound += t.bound
		a.whole++
		if a.redact {
			return
		}
		a.printed += len(t.s)
		_, _ = io.WriteString(f, t.s)
	case printPublic:
		// What fmt prints for the whole text with this precision: it keeps at most prec runes
		// (bytes for %x), all within the public, ASCII prefix.
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), t.s[:t.public])
	default:
		a.bound += t.bound // still counted: a measuring pass (printf's size) sizes any verb by it
		a.refused = true
	}
}

func formatFlags(f fmt.State) bool {
	return f.Flag('#') || f.Flag('0') || f.Flag('+') || f.Flag('-') || f.Flag(' ')
}

func hasWidth(f fmt.State) bool {
	_, ok := f.Width()
	return ok
}

func precision(f fmt.State) int {
	if p, ok := f.Precision(); ok {
		return p
	}
	return -1
}

const (
	printRefused = iota
	printWhole   // the text, in full: a plain %s or %v
	printPublic  // a precision that keeps only the public prefix
)

// secretVerb is what a verb does to a Secret: print it whole (a plain %s or %v: no flag, no
// width, no precision), print a cut of its public prefix (%s, %v, %q, %x or %X with a precision
// at most that prefix, flags and width as fmt allows), or nothing. It is decided on the format
// and the Secret's public prefix alone; printf checks it before fmt runs, and Format again.
func secretVerb(verb rune, flags, width bool, prec, public int) int {
	switch {
	case (verb == 's' || verb == 'v') && !flags && !width && prec < 0:
		return printWhole
	case strings.ContainsRune("svqxX", verb) && prec >= 0 && prec <= public:
		return printPublic
	}
	return printRefused
}

// take returns the account since the last take and starts a new one in the same mode.
func (l *execLimits) take() secretAccount {
	a := l.acct
	l.acct = secretAccount{redact: a.redact}
	return a
}

// redacted runs print with Secrets printing nothing (or their public prefix): its text is public.
// It returns that text and the account of the Secrets fmt printed in it.
func (l *execLimits) redacted(print func() string) (string, secretAccount) {
	saved := l.acct
	l.acct = secretAccount{redact: true}
	s := print()
	a := l.acct
	l.acct = saved
	return s, a
}

// revealed runs print with Secrets printing their text; the account is left as it was.
func (l *execLimits) revealed(print func() string) string {
	saved := l.acct
	l.acct = secretAccount{}
	s := print()
	l.acct = saved
	return s
}

// secret makes a Secret of s for this execution. bound is an upper bound on len(s) computed
// from public numbers; it is one by construction, and a longer s (a bug) is counted at its length.
func (l *execLimits) secret(s string, bound, public int) Secret {
	if len(s) > bound {
		l.overBound++ // tests require none
	}
	return Secret{t: &secretText{s: s, bound: max(bound, len(s)), public: min(public, len(s)), acct: &l.acct}}
}

// secretResult builds a function's result from Secrets: refused over the output cap and charged
// cost times bound (the result, and the buffers of the building), all public numbers; never the
// result's actual length.
func (l *execLimits) secretResult(fn string, bound, cost, public int, build func() string) (Secret, error) {
	if bound > maxTemplateOutput || bound < 0 {
		return Secret{}, funcErr(fn, "result too large")
	}
	if err := l.reserve(fn, cost*bound); err != nil {
		return Secret{}, err
	}
	s := l.revealed(build)
	if err := l.charge(cost * bound); err != nil {
		return Secret{}, err
	}
	return l.secret(s, bound, public), nil
}

// Key material as Secrets. Their bounds are public: keySecretBound depends on the length of the
// public JWK, which is fixed by the algorithm and the key size (the modulus or curve point, e,
// kid, alg and use), and the code verifier always has the same length.
const (
	// minKeySecretBound covers the PEM and the private JWK of every key the operator generates
	// (RSA up to 4096 bits: about 3.3 KiB; ES256: about 240 bytes).
	minKeySecretBound = 4 << 10
	// codeVerifierBound is the length of CodeVerifier: base64url of a SHA-256 HMAC.
	codeVerifierBound = 43
)

// keySecretBound is the bound of a key's PEM and private JWK: 4 KiB, or for RSA keys over 4096
// bits, which the operator does not generate, 5 times the length of the public JWK. The private
// material of a two-prime RSA key with an N-byte modulus is at most about 6.1N+110 bytes as a PEM
// and 6N+150 as a JWK; its public JWK is 4N/3+80. A key longer still (only a hand-made one, with
// more primes, could be) counts at its length rounded up to 4 KiB, which might then differ
// between two such keys.
func keySecretBound(in Input, material []byte) int {
	b := max(minKeySecretBound, 5*len(in.PublicJWK))
	if len(material) > b {
		b = (len(material) + minKeySecretBound - 1) / minKeySecretBound * minKeySecretBound
	}
	return b
}

// keyText checks that key material is ASCII without NUL, as PEM, JWK and base64url always are.
// Every Secret is then ASCII text between public text, so what the encoders refuse (sqlString:
// NUL, invalid UTF-8) is decided by the public text alone. A key that is not refuses every
// template, whatever it does.
func keyText(b []byte) (string, bool) {
	for _, c := range b {
		if c == 0 || c >= utf8.RuneSelf {
			return "", false
		}
	}
	return string(b), true
}

// pemArmor is the length of a PEM's BEGIN line, newline included: public, and the same for
// every key of an algorithm ("-----BEGIN PRIVATE KEY-----" for PKCS#8).
func pemArmor(s string) int {
	i := strings.IndexByte(s, '\n')
	if !strings.HasPrefix(s, "-----BEGIN ") || i < 0 || i > 64 {
		return 0
	}
	return i + 1
}

var secretType = reflect.TypeFor[Secret]()

// tainted reports whether v is or holds a Secret, from its type alone: the data is a struct of
// fixed types, and the values a template builds are strings, numbers, booleans and Secrets.
func tainted(v any) bool { return v != nil && typeHoldsSecret(reflect.TypeOf(v)) }

func anyTainted(args []any) bool {
	for _, a := range args {
		if tainted(a) {
			return true
		}
	}
	return false
}

var holdsSecret sync.Map // reflect.Type -> bool

func typeHoldsSecret(t reflect.Type) bool {
	if v, ok := holdsSecret.Load(t); ok {
		return v.(bool)
	}
	h := typeHolds(t, map[reflect.Type]bool{})
	holdsSecret.Store(t, h)
	return h
}

func typeHolds(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == secretType {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true // what it holds is not known from the type: count it as secret
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
		return typeHolds(t.Elem(), seen)
	case reflect.Map:
		return typeHolds(t.Key(), seen) || typeHolds(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if typeHolds(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// plainType is t with every Secret replaced by string, for json: a struct of exported fields,
// or a Secret. Other types that hold a Secret are refused (the data has none).
func plainType(t reflect.Type) (reflect.Type, bool) {
	if t == secretType {
		return reflect.TypeFor[string](), true
	}
	if !typeHoldsSecret(t) {
		return t, true
	}
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	fields := make([]reflect.StructField, t.NumField())
	for i := range fields {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			return nil, false
		}
		pt, ok := plainType(f.Type)
		if !ok {
			return nil, false
		}
		fields[i] = reflect.StructField{Name: f.Name, Type: pt, Tag: f.Tag}
	}
	return reflect.StructOf(fields), true
}

// plainValue copies v into pt (plainType of its type), each Secret as its text, or as "" when
// redact; acct counts the Secrets and their bounds.
func plainValue(v reflect.Value, pt reflect.Type, redact bool, acct *secretAccount) reflect.Value {
	if v.Type() == secretType {
		t := v.Interface().(Secret).t
		if t == nil {
			return reflect.ValueOf("")
		}
		acct.bound += t.bound
		acct.whole++
		if redact {
			return reflect.ValueOf("")
		}
		return reflect.ValueOf(t.s)
	}
	if v.Type() == pt {
		return v
	}
	out := reflect.New(pt).Elem()
	for i := range v.NumField() {
		out.Field(i).Set(plainValue(v.Field(i), pt.Field(i).Type, redact, acct))
	}
	return out
}
