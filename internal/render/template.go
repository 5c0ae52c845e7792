package render

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"
)

// DefaultTemplateKey is the data key a template renders into unless the output names one.
const DefaultTemplateKey = "config"

// TemplateData is what a template sees, as {{ .ClientID }} and so on (docs/openg2p.md lists it).
// The private key, in both encodings, and the code verifier derived from it are Secrets: a
// template can print them, not read them (see Secret). The code verifier is opaque too: it is a
// credential of the client (with the key, it redeems an authorization code), only ever written
// to Secrets; and being derived from the key, a template must not be able to compare it either.
type TemplateData struct {
	ClientID, Name                                                  string
	Issuer, DiscoveryURL                                            string
	AuthorizationEndpoint, TokenEndpoint, UserinfoEndpoint, JWKSURI string
	Scope, ACRValues, ClaimsRequest, RedirectURI, TokenMap          string
	ClientAssertionType, CodeChallengeMethod                        string
	CodeVerifier                                                    Secret
	EnablePKCE, VerifyAtHash                                        bool
	Algorithm, KeyID                                                string
	PrivateKeyPEM, PrivateJWK                                       Secret
	PublicJWK                                                       string
	Claims                                                          []Claim
}

// errKeyNotText refuses key material that is not ASCII, whatever the template (see keyText).
var errKeyNotText = errors.New("key material is not ASCII text")

// templateData is the data of one execution: its Secrets report to l.
func templateData(in Input, l *execLimits) (TemplateData, error) {
	pemText, ok1 := keyText(in.PrivateKeyPEM)
	jwkText, ok2 := keyText(in.PrivateJWK)
	if !ok1 || !ok2 {
		return TemplateData{}, errKeyNotText
	}
	e := in.Endpoints
	return TemplateData{
		ClientID: in.ClientID, Name: providerName(in), Issuer: e.Issuer, DiscoveryURL: e.DiscoveryURL,
		AuthorizationEndpoint: e.AuthorizationEndpoint, TokenEndpoint: e.TokenEndpoint,
		UserinfoEndpoint: e.UserinfoEndpoint, JWKSURI: e.JWKSURI,
		Scope: in.Scope, ACRValues: strings.Join(in.ACRValues, " "), ClaimsRequest: ClaimsRequest(in.Claims),
		RedirectURI: in.RedirectURI, TokenMap: in.TokenMap,
		ClientAssertionType: ClientAssertionType, CodeChallengeMethod: CodeChallengeMethod,
		CodeVerifier: l.secret(CodeVerifier(in), codeVerifierBound, 0),
		EnablePKCE:   in.EnablePKCE, VerifyAtHash: in.VerifyAtHash,
		Algorithm: in.Algorithm, KeyID: in.KeyID,
		PrivateKeyPEM: l.secret(pemText, keySecretBound(in, in.PrivateKeyPEM), pemArmor(pemText)),
		PrivateJWK:    l.secret(jwkText, keySecretBound(in, in.PrivateJWK), 0),
		PublicJWK:     string(in.PublicJWK),
		Claims:        in.Claims,
	}, nil
}

// templateName names the top-level template; text/template puts it in every error location.
const templateName = "template"

// parsedTemplate is a user template parsed and instrumented, with what safeError needs to
// rebuild its errors.
type parsedTemplate struct {
	tmpl   *template.Template
	limits *execLimits
	text   string
	nodes  map[parse.Pos][]parse.Node // every node, by position
	ticks  map[*byte]tickSite         // the inserted step markers, by the address of their byte
}

// tickSite is one inserted step marker.
type tickSite struct {
	op, weight int
	pos        parse.Pos
}

// ParseTemplate checks a user template (size, syntax, functions). The template it returns has
// the bounded function set but not the step, depth and time bounds, which need Render's writer,
// and its execution errors are text/template's, which print values: templates run through
// Render. Errors name the line, never echo data.
func ParseTemplate(text string) (*template.Template, error) {
	if len(text) > maxTemplateSize {
		return nil, fmt.Errorf("template exceeds %d KiB", maxTemplateSize>>10)
	}
	t, err := template.New(templateName).Option("missingkey=error").Funcs(TemplateFuncs()).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parsing template: %s", truncate(err.Error(), 300))
	}
	return t, nil
}

func parseTemplate(text string, limits *execLimits) (*parsedTemplate, error) {
	if len(text) > maxTemplateSize {
		return nil, fmt.Errorf("template exceeds %d KiB", maxTemplateSize>>10)
	}
	t, err := template.New(templateName).Option("missingkey=error").Funcs(limits.funcs()).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parsing template: %s", truncate(err.Error(), 300))
	}
	p := &parsedTemplate{tmpl: t, limits: limits, text: text, nodes: map[parse.Pos][]parse.Node{}, ticks: map[*byte]tickSite{}}
	p.instrument()
	return p, nil
}

// truncate shortens a parse error (which quotes template text) so a condition message stays small.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// instrument inserts a step marker at the start of every template body (with one at its end,
// to track the depth of template calls), of every range body and else, and of every if/with
// branch; each costs the number of nodes its list evaluates directly. A marker is a text node
// whose one byte is a fresh allocation: text/template writes a text node's bytes to the writer
// as they are, so templateWriter recognises a marker by the address of its byte, counts the
// step, and fails the write past a budget or the deadline, which ends the execution where it
// is: no goroutine is left running. Nothing in the template can name a marker or produce those
// bytes, and a marker allocates nothing when it runs. break and continue are untouched: a
// marker only ever precedes them.
func (p *parsedTemplate) instrument() {
	seen := map[*parse.Tree]bool{}
	trees := []*parse.Tree{p.tmpl.Tree}
	for _, t := range p.tmpl.Templates() {
		trees = append(trees, t.Tree)
	}
	for _, tree := range trees {
		if tree == nil || tree.Root == nil || seen[tree] {
			continue
		}
		seen[tree] = true
		walkNodes(tree.Root, func(n parse.Node) {
			p.nodes[n.Position()] = append(p.nodes[n.Position()], n)
		})
		root := tree.Root
		p.instrumentList(root, root.Position(), tickEnter)
		root.Nodes = append(root.Nodes, p.marker(root.Position(), tickLeave, 0))
	}
}

func (p *parsedTemplate) instrumentList(l *parse.ListNode, pos parse.Pos, op int) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.IfNode:
			p.instrumentBranch(&n.BranchNode)
		case *parse.RangeNode:
			p.instrumentBranch(&n.BranchNode)
		case *parse.WithNode:
			p.instrumentBranch(&n.BranchNode)
		}
	}
	l.Nodes = append([]parse.Node{p.marker(pos, op, listWeight(l))}, l.Nodes...)
}

func (p *parsedTemplate) instrumentBranch(b *parse.BranchNode) {
	p.instrumentList(b.List, b.Position(), tickStep)
	p.instrumentList(b.ElseList, b.Position(), tickStep)
}

// marker is a step marker: a text node of one byte that no other slice shares.
func (p *parsedTemplate) marker(pos parse.Pos, op, weight int) *parse.TextNode {
	b := make([]byte, 1)
	p.ticks[&b[0]] = tickSite{op: op, weight: weight, pos: pos}
	return &parse.TextNode{NodeType: parse.NodeText, Pos: pos, Text: b}
}

// position is text/template's LINE:COL (1-based line, 0-based byte column) of an offset.
func (p *parsedTemplate) position(pos parse.Pos) (line, col int) {
	before := p.text[:min(int(pos), len(p.text))]
	line = 1 + strings.Count(before, "\n")
	return line, len(before) - (strings.LastIndexByte(before, '\n') + 1)
}

// listWeight counts the nodes a list evaluates directly: its actions with their pipelines, and
// the pipelines of the control structures in it (their bodies pay for themselves).
func listWeight(l *parse.ListNode) int {
	w := 1
	for _, n := range l.Nodes {
		w++
		switch n := n.(type) {
		case *parse.ActionNode:
			w += nodeCount(n.Pipe)
		case *parse.IfNode:
			w += nodeCount(n.Pipe)
		case *parse.RangeNode:
			w += nodeCount(n.Pipe)
		case *parse.WithNode:
			w += nodeCount(n.Pipe)
		case *parse.TemplateNode:
			w += nodeCount(n.Pipe)
		}
	}
	return w
}

func nodeCount(n parse.Node) int {
	c := 0
	walkNodes(n, func(parse.Node) { c++ })
	return c
}

// walkNodes calls f on n and every node under it.
func walkNodes(n parse.Node, f func(parse.Node)) {
	if n == nil || isNilNode(n) {
		return
	}
	f(n)
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			walkNodes(c, f)
		}
	case *parse.ActionNode:
		walkNodes(n.Pipe, f)
	case *parse.PipeNode:
		for _, v := range n.Decl {
			walkNodes(v, f)
		}
		for _, c := range n.Cmds {
			walkNodes(c, f)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkNodes(a, f)
		}
	case *parse.ChainNode:
		walkNodes(n.Node, f)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, f)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, f)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, f)
	case *parse.TemplateNode:
		walkNodes(n.Pipe, f)
	}
}

func walkBranch(b *parse.BranchNode, f func(parse.Node)) {
	walkNodes(b.Pipe, f)
	walkNodes(b.List, f)
	walkNodes(b.ElseList, f)
}

// isNilNode reports a typed nil pointer in a parse.Node (an absent pipeline or list).
func isNilNode(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.ListNode:
		return n == nil
	case *parse.PipeNode:
		return n == nil
	}
	return false
}

func renderTemplate(in Input) (Document, error) {
	if strings.TrimSpace(in.Template) == "" {
		return Document{}, errors.New("template is empty")
	}
	deadline := in.Deadline
	if deadline.IsZero() {
		deadline = time.Now().Add(DefaultTemplateTimeout)
	}
	w, err := executeTemplate(in, deadline)
	if err != nil {
		return Document{}, err
	}
	key := in.TemplateKey
	if key == "" {
		key = DefaultTemplateKey
	}
	return Document{Secret: true, Data: map[string][]byte{key: w.out.Bytes()}}, nil
}

// executeTemplate runs in.Template; its writer holds the output (and, for tests, what the
// execution did, also when it failed).
func executeTemplate(in Input, deadline time.Time) (*templateWriter, error) {
	p, err := parseTemplate(in.Template, newLimits(deadline))
	if err != nil {
		return nil, err
	}
	w := &templateWriter{p: p}
	data, err := templateData(in, p.limits)
	if err != nil {
		return w, err
	}
	if err := p.tmpl.Execute(w, data); err != nil {
		return w, p.safeError(err)
	}
	return w, nil
}

// templateWriter is the execution's output: it counts the step markers and caps the rest. A
// write that holds Secret text (text/template prints a value with one write) counts each Secret
// at its bound, not its length, so where the cap is reached does not depend on the key.
type templateWriter struct {
	out     bytes.Buffer
	counted int // the output as the cap counts it: at least out.Len()
	p       *parsedTemplate
	secrets [][2]int // the writes that held Secret text, as [start, end) of out (for tests)
}

func (w *templateWriter) Write(b []byte) (int, error) {
	if len(b) == 1 {
		if site, ok := w.p.ticks[&b[0]]; ok {
			if err := w.p.limits.tick(site.op, site.weight); err != nil {
				line, col := w.p.position(site.pos)
				return 0, &TemplateError{Line: line, Column: col, Category: err.Error()}
			}
			return 1, nil
		}
	}
	a := w.p.limits.take()
	n := max(len(b)-a.printed, 0) + a.bound
	if w.counted+n > maxTemplateOutput {
		return 0, errOutputTooLarge
	}
	w.counted += n
	if a.whole > 0 {
		w.secrets = append(w.secrets, [2]int{w.out.Len(), w.out.Len() + len(b)})
	}
	return w.out.Write(b)
}
