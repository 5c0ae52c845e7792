package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// printer writes progress lines with the elapsed time and passes every byte through the redactor,
// so key material cannot reach the terminal even through a log tail or a kubectl output.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	red   redactor
}

const indent = "           " // width of "[  12.3 s] "

func (p *printer) elapsed() string {
	return fmt.Sprintf("[%6.1f s]", time.Since(p.start).Seconds())
}

// step prints one progress line: "[  12.3 s] message".
func (p *printer) step(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := p.red.apply(fmt.Sprintf(format, a...))
	lines := strings.Split(msg, "\n")
	fmt.Fprintf(p.w, "%s %s\n", p.elapsed(), lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(p.w, "%s%s\n", indent, l)
	}
}

// detail prints text under the last step, indented; extra is added after the indent.
func (p *printer) detail(extra, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	text = strings.TrimRight(p.red.apply(text), "\n")
	if text == "" {
		return
	}
	for _, l := range strings.Split(text, "\n") {
		fmt.Fprintf(p.w, "%s%s%s\n", indent, extra, strings.TrimRight(l, " "))
	}
}

// redactor replaces key material with a placeholder naming the key's kid. It knows the exact
// strings of every key Secret the demo has read and, for anything else, recognises PEM private
// keys and the private members of JWKs, also inside JSON-escaped or SQL-quoted text.
type redactor struct {
	mu      sync.Mutex
	exact   []exactSecret
	pemKids map[string]string // PEM body without whitespace -> kid
}

type exactSecret struct{ value, label string }

var (
	pemPrivateRE = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----`)
	jwkPrivateRE = regexp.MustCompile(`(\\*"(?:d|p|q|dp|dq|qi|k)\\*"\s*:\s*\\*")[A-Za-z0-9_\-]{16,}(\\*")`)
	pemNoiseRE   = regexp.MustCompile(`\\r|\\n|\s`)
)

// addSecret registers a string that must never be printed.
func (r *redactor) addSecret(value, label string) {
	if len(value) < 12 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.exact {
		if e.value == value {
			return
		}
	}
	r.exact = append(r.exact, exactSecret{value, label})
	sort.Slice(r.exact, func(i, j int) bool { return len(r.exact[i].value) > len(r.exact[j].value) })
}

// addKey registers every encoding of a key Secret's private key under its kid.
func (r *redactor) addKey(privatePEM, privateJWK []byte, kid string) {
	label := "key material, kid=" + kid
	body := pemBody(string(privatePEM))
	if body != "" {
		r.mu.Lock()
		if r.pemKids == nil {
			r.pemKids = map[string]string{}
		}
		r.pemKids[body] = kid
		r.mu.Unlock()
		for _, l := range strings.Split(string(privatePEM), "\n") {
			if !strings.HasPrefix(l, "-----") {
				r.addSecret(strings.TrimSpace(l), label)
			}
		}
		r.addSecret(body, label)
		r.addSecret(base64.StdEncoding.EncodeToString(privatePEM), label)
	}
	if len(privateJWK) > 0 {
		r.addSecret(string(privateJWK), label)
		r.addSecret(base64.StdEncoding.EncodeToString(privateJWK), label)
		var m map[string]any
		if json.Unmarshal(privateJWK, &m) == nil {
			for _, k := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
				if v, ok := m[k].(string); ok {
					r.addSecret(v, label)
				}
			}
		}
	}
}

// pemBody is the base64 body of a PEM text (also JSON-escaped), without armour or whitespace.
func pemBody(s string) string {
	s = pemNoiseRE.ReplaceAllString(s, "")
	s = regexp.MustCompile(`-----(BEGIN|END) [A-Z0-9 ]+-----`).ReplaceAllString(s, "")
	return s
}

func (r *redactor) apply(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s = pemPrivateRE.ReplaceAllStringFunc(s, func(block string) string {
		kid := ""
		body := pemBody(block)
		for known, k := range r.pemKids {
			if known == body {
				kid = ", kid=" + k
			}
		}
		return "<redacted " + pemPrivateRE.FindStringSubmatch(block)[1] + "PRIVATE KEY PEM" + kid + ">"
	})
	s = jwkPrivateRE.ReplaceAllString(s, "${1}<redacted>${2}")
	for _, e := range r.exact {
		s = strings.ReplaceAll(s, e.value, "<redacted "+e.label+">")
	}
	return s
}
