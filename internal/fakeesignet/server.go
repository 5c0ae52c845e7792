// Package fakeesignet is a strict in-process fake of MOSIP eSignet's
// client-management API and of the relying-party side of its OIDC provider,
// plus the Keycloak client-credentials endpoint that issues management
// tokens. It mimics the eSignet release line chosen in Options.Generation:
// paths, DTOs, bean validation, error codes and envelopes as read from
// eSignet's source (docs: /work/shared/esignet/API.md).
package fakeesignet

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
)

// Options configure a fake. The zero value mimics eSignet v1.8 with its
// default claims and ACRs, no management clients and auth enabled.
type Options struct {
	Generation         string             // "v1.8" (default), "v1.7", "v1.6", "v1.5", … "v1.2"
	Claims             []string           // allowed userClaims = discovery claims_supported
	ACRs               []string           // allowed ACRs (keys of the amr/acr mapping)
	ManagementClients  []ManagementClient // who may get a client-credentials token
	ManagementTokenTTL time.Duration      // default 300 s
	AuthDisabled       bool               // permitAll: no token needed (API.md §4.1)
	JTIRequired        *bool              // client-assertion jti single-use; default true for ≥ v1.7
	Issuer             string             // OIDC issuer override
	Now                func() time.Time   // clock; default time.Now
	Logger             *slog.Logger       // per-request log lines; nil = silent
}

// ManagementClient is a Keycloak client of realm "mosip".
type ManagementClient struct {
	ID, Secret string
	Scopes     []string
	// Roles are realm roles, put into the token's realm_access.roles: MOSIP services that
	// authorise by role (PMS: PARTNER_ADMIN, AUTH_PARTNER, …) read them; eSignet does not.
	Roles []string
}

// DefaultClaims is eSignet v1.8's discovery claims_supported.
var DefaultClaims = []string{"name", "address", "gender", "birthdate", "picture", "email",
	"phone_number", "individual_id", "phone_number_verified", "registration_type", "updated_at"}

// DefaultACRs is the bundled amr_acr_mapping.json of eSignet v1.5–v1.8.
var DefaultACRs = []string{"mosip:idp:acr:static-code", "mosip:idp:acr:generated-code",
	"mosip:idp:acr:linked-wallet", "mosip:idp:acr:biometrics", "mosip:idp:acr:knowledge",
	"mosip:idp:acr:password", "mosip:idp:acr:id-token"}

// Validate reports options New would reject.
func (o Options) Validate() error {
	_, err := parseGeneration(o.Generation)
	return err
}

// Server is the fake. It is an http.Handler; SetURL must be called with the
// address it is served on before OIDC or token endpoints are used.
type Server struct {
	opts      Options
	gen       generation
	now       func() time.Time
	log       *slog.Logger
	claims    map[string]bool
	acrs      map[string]bool
	jtiUnique bool
	routes    map[string]*route // static paths
	idRoutes  []*route          // paths ending in {id}

	mu        sync.Mutex // guards everything below
	url       string
	clients   map[string]*clientEntry
	counters  map[string]int
	mgmtCalls int
	faults    Faults
	realmKey  *signingKey
	oidcKey   *signingKey
	codes     map[string]*authCode
	jtis      map[string]time.Time
	grants    map[string]*grant
	ts        *httptest.Server
}

// New builds a fake. It panics on an invalid Generation (see Options.Validate).
func New(opts Options) *Server {
	g, err := parseGeneration(opts.Generation)
	if err != nil {
		panic(err)
	}
	s := &Server{
		opts: opts, gen: g, now: opts.Now, log: opts.Logger,
		claims: toSet(opts.Claims, DefaultClaims), acrs: toSet(opts.ACRs, DefaultACRs),
		jtiUnique: g.defaultJTIUnique(),
		clients:   map[string]*clientEntry{}, counters: map[string]int{},
		codes: map[string]*authCode{}, jtis: map[string]time.Time{}, grants: map[string]*grant{},
		realmKey: sharedKey(0), oidcKey: sharedKey(1),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.JTIRequired != nil {
		s.jtiUnique = *opts.JTIRequired
	}
	if s.opts.ManagementTokenTTL <= 0 {
		s.opts.ManagementTokenTTL = 300 * time.Second
	}
	s.buildRoutes()
	return s
}

func toSet(v, def []string) map[string]bool {
	if v == nil {
		v = def
	}
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[s] = true
	}
	return m
}

// SetURL sets the root URL the fake is reachable at, e.g. "https://127.0.0.1:8443".
func (s *Server) SetURL(rootURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = strings.TrimRight(rootURL, "/")
}

// URL is the root URL.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// ServiceURL is eSignet's servlet root, URL()+"/v1/esignet".
func (s *Server) ServiceURL() string { return s.URL() + "/v1/esignet" }

// ManagementTokenURL is the Keycloak token endpoint of realm mosip.
func (s *Server) ManagementTokenURL() string {
	return s.URL() + "/realms/mosip/protocol/openid-connect/token"
}

// Issuer is the OIDC issuer: URL() for v1.8, URL()+"/v1/esignet" before.
func (s *Server) Issuer() string {
	if s.opts.Issuer != "" {
		return s.opts.Issuer
	}
	if s.gen.issuerOnServicePath() {
		return s.ServiceURL()
	}
	return s.URL()
}

// Generation is the eSignet release line mimicked, e.g. "v1.8".
func (s *Server) Generation() string { return s.gen.String() }

// ServeHTTP counts and logs the request, applies any matching fault, then
// routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	rt, id := s.resolve(r)
	s.count(r, rt)
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
	if strings.HasPrefix(r.URL.Path, servicePath+"/") && firewallRejects(r) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "error": "Bad Request", "path": r.URL.Path})
		return
	}
	if s.needsAuth(r) && !s.checkManagementAuth(w, r) {
		return
	}
	if rt.methods == nil {
		writeProblem(w, http.StatusNotFound, fmt.Sprintf("No static resource %s.",
			strings.TrimPrefix(r.URL.Path, servicePath+"/")), "")
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
		writeProblem(w, http.StatusMethodNotAllowed, fmt.Sprintf("Request method '%s' is not supported.", r.Method), "")
		return
	}
	h(w, r, id)
}

// firewallRejects is Spring Security's StrictHttpFirewall (and Tomcat's
// encoded-slash rule): such requests never reach eSignet. Client ids holding
// "/", "%", ";" or "\" can be created but not updated.
func firewallRejects(r *http.Request) bool {
	raw := strings.ToLower(r.URL.EscapedPath())
	for _, bad := range []string{"%2f", "%25", "%5c", "%2e", "%3b", ";", "//", "\\", "%00", "/./", "/../"} {
		if strings.Contains(raw, bad) {
			return true
		}
	}
	return false
}

// needsAuth: everything under the servlet path except the OIDC/OAuth
// endpoints (mosip.esignet.security.ignore-auth-urls) is authenticated.
func (s *Server) needsAuth(r *http.Request) bool {
	p := r.URL.Path
	if s.opts.AuthDisabled || !strings.HasPrefix(p, servicePath+"/") {
		return false
	}
	return !strings.HasPrefix(p, servicePath+"/oauth/") && !strings.HasPrefix(p, servicePath+"/oidc/")
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
