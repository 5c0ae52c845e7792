// Package fakepms is a strict in-process fake of MOSIP Partner Management Service's OIDC-client
// API (/v1/partnermanager: /oidc/client, /oauth/client, /oidc-clients) and of the kernel auth
// manager's clientidsecretkey login, in front of an eSignet — normally the fake of package
// internal/fakeesignet. Like PMS it checks the caller's token and roles, the envelope and the
// request DTO, the partner, the policy and their mapping, derives the client id from the public
// key and the user claims and ACRs from the policy, and forwards the client to eSignet's
// client-management API with its own management token, so the client really exists there. The
// behaviour follows PMS's source (docs: /work/shared/esignet/API.md §6 and docs/pms.md).
package fakepms

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// Release is the PMS release line mimicked.
type Release string

const (
	// Release12 is PMS 1.2.x: /oidc/client and /oauth/client; /oidc-clients answers 404.
	Release12 Release = "1.2"
	// Release13 is PMS 1.3.0-beta.4 and later: also /oidc-clients (the default).
	Release13 Release = "1.3"
)

// Options configure a fake.
type Options struct {
	Release Release // "" = Release13
	// ESignetURL is the eSignet's root URL (the fake eSignet's URL()): clients are forwarded
	// to <root>/v1/esignet/client-mgmt/…, claims_supported is read from its discovery document,
	// and callers' tokens must come from its Keycloak realm <root>/realms/mosip.
	ESignetURL string
	// ESignetClientID and ESignetClientSecret are PMS's own realm client (mosip-pms-client):
	// the fake gets client-credentials tokens with them to call eSignet, as PMS does.
	ESignetClientID, ESignetClientSecret string
	// HTTPClient is used for every call to eSignet and its realm; default a plain client with a
	// 30 s timeout. HandlerClient serves an in-process eSignet without a network.
	HTTPClient *http.Client
	Partners   []Partner
	Policies   []Policy
	Mappings   []Mapping
	// ClaimsMapping is PMS's identity mapping: OIDC claim → identity attribute names that grant
	// it. Default DefaultClaimsMapping.
	ClaimsMapping map[string][]string
	// AuthFactors is the amr-acr mapping, folded: ACR → auth factor types that grant it.
	// Default DefaultAuthFactors.
	AuthFactors map[string][]string
	// OIDCClientDisabled is mosip.pms.oidc.client.available=false: every endpoint answers
	// PMS_FEATURE_002.
	OIDCClientDisabled bool
	// SupportedLanguages is mosip.pms.supported.oidc.languages (checked on /oidc-clients);
	// default eng, fra, ara, hin, kan, tam.
	SupportedLanguages []string
	// Roles are the realm roles each operation needs (any one of them); DefaultRoles fills the
	// missing ones.
	Roles map[Operation][]string
	// AppIDs the auth manager accepts; nil = any non-blank app id.
	AppIDs []string
	// LenientCredentials accepts the token in the Authorization header or the cookie alone.
	// Without it the fake demands both, equal, as MOSIP services send them (PMS's kernel auth
	// adapter reads either; demanding both pins the client's behaviour).
	LenientCredentials bool
	Now                func() time.Time
	Logger             *slog.Logger // per-request lines; nil = silent
}

// Server is the fake, an http.Handler.
type Server struct {
	opts   Options
	now    func() time.Time
	log    *slog.Logger
	hc     *http.Client
	routes []*route

	opMu sync.Mutex // serialises mutating operations, as PMS's transactions would

	mu        sync.Mutex // guards everything below
	url       string
	partners  map[string]Partner
	policies  map[string]Policy
	mappings  map[[2]string]Mapping
	disabled  bool
	clients   map[string]*record
	counters  map[string]int
	faults    fakeesignet.Faults
	eToken    string
	eTokenExp time.Time
	jwks      *keySet
	claimsSup []string
	ts        *httptest.Server
}

// New builds a fake. It panics on an unknown Release.
func New(opts Options) *Server {
	switch opts.Release {
	case "":
		opts.Release = Release13
	case Release12, Release13:
	default:
		panic(fmt.Sprintf("fakepms: unknown release %q", opts.Release))
	}
	s := &Server{
		opts: opts, now: opts.Now, log: opts.Logger, hc: opts.HTTPClient,
		partners: map[string]Partner{}, policies: map[string]Policy{}, mappings: map[[2]string]Mapping{},
		clients: map[string]*record{}, counters: map[string]int{}, disabled: opts.OIDCClientDisabled,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if s.opts.ClaimsMapping == nil {
		s.opts.ClaimsMapping = DefaultClaimsMapping
	}
	if s.opts.AuthFactors == nil {
		s.opts.AuthFactors = DefaultAuthFactors
	}
	if s.opts.SupportedLanguages == nil {
		s.opts.SupportedLanguages = []string{"eng", "fra", "ara", "hin", "kan", "tam"}
	}
	roles := map[Operation][]string{}
	for op, r := range DefaultRoles {
		roles[op] = r
	}
	for op, r := range opts.Roles {
		roles[op] = r
	}
	s.opts.Roles = roles
	for _, p := range opts.Partners {
		s.partners[p.ID] = p
	}
	for _, p := range opts.Policies {
		s.policies[p.ID] = p
	}
	for _, m := range opts.Mappings {
		s.mappings[[2]string{m.PartnerID, m.PolicyID}] = m
	}
	s.buildRoutes()
	return s
}

// SetURL records the root URL the fake is served at (for logs and inspection only).
func (s *Server) SetURL(root string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = strings.TrimRight(root, "/")
}

// URL is the root URL given to SetURL.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// BaseURL is PMS's context path, URL()+"/v1/partnermanager".
func (s *Server) BaseURL() string { return s.URL() + basePath }

// AuthManagerURL is the auth manager's base, URL()+"/v1/authmanager".
func (s *Server) AuthManagerURL() string { return s.URL() + authManagerPath }

// ServeHTTP counts and logs the request, applies a matching fault, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	rt, id := s.resolve(r)
	s.count(r.Method + " " + rt.pattern)
	defer func() {
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration", time.Since(start).Round(time.Microsecond))
	}()
	if s.faults.Apply(rec, r, func(w http.ResponseWriter) { s.dispatch(w, r, rt, id) }) {
		return
	}
	s.dispatch(rec, r, rt, id)
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, rt *route, id string) {
	if rt.methods == nil {
		writeBootError(w, http.StatusNotFound, r.URL.Path)
		return
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		allowed := make([]string, 0, len(rt.methods))
		for m := range rt.methods {
			allowed = append(allowed, m)
		}
		slices.Sort(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeBootError(w, http.StatusMethodNotAllowed, r.URL.Path)
		return
	}
	h(w, r, id)
}

func (s *Server) count(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters[key]++
}

// Counters returns requests seen per "METHOD /path-pattern".
func (s *Server) Counters() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counters))
	for k, v := range s.counters {
		out[k] = v
	}
	return out
}

// StartTest serves a new fake over plain HTTP on a loopback port for the test's duration.
func StartTest(tb interface {
	Helper()
	Cleanup(func())
}, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	s.SetURL(ts.URL)
	s.mu.Lock()
	s.ts = ts
	s.mu.Unlock()
	tb.Cleanup(s.Close)
	return s
}

// Close stops a server started by StartTest; otherwise a no-op.
func (s *Server) Close() {
	s.mu.Lock()
	ts := s.ts
	s.ts = nil
	s.mu.Unlock()
	if ts != nil {
		ts.Close()
	}
}

// recorder captures the status for logging; Unwrap keeps Hijack reachable.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
