package fakepms

import (
	"net/http"
	"net/url"
	"strings"
)

const (
	basePath        = "/v1/partnermanager"
	authManagerPath = "/v1/authmanager"
	fakePath        = "/_fake/pms"
)

type handlerFunc func(w http.ResponseWriter, r *http.Request, id string)

// route is one path (pattern) with its handlers; nil methods = no such path (404).
type route struct {
	pattern string // counter key, e.g. "/v1/partnermanager/oidc-clients/{id}"
	prefix  string // for {id} routes: the pattern without "{id}"
	methods map[string]handlerFunc
}

// gen is a PMS endpoint generation.
type gen int

const (
	genOIDC  gen = iota // /oidc/client, RequestWrapper, V1 DTOs, eSignet /oidc-client
	genOAuth            // /oauth/client, + clientNameLangMap, eSignet /oauth-client
	genV3               // /oidc-clients, RequestWrapperV2, + additionalConfig, eSignet /client
)

func (g gen) String() string { return [...]string{"oidc", "oauth", "oidc-clients"}[g] }

func (g gen) path() string {
	return basePath + [...]string{"/oidc/client", "/oauth/client", "/oidc-clients"}[g]
}

// esignetPath is the eSignet endpoint PMS forwards to (mosip.pms.esignet.*-url).
func (g gen) esignetPath() string {
	return "/v1/esignet/client-mgmt" + [...]string{"/oidc-client", "/oauth-client", "/client"}[g]
}

func (g gen) hasLangMap() bool { return g != genOIDC }

// Operation names a PMS authorisation (mosip.role.pms.<operation>).
type Operation string

// Operations and their role properties.
const (
	OpPostOIDCClient            Operation = "postoidcclient"            // POST /oidc/client, /oauth/client
	OpPutOIDCClient             Operation = "putoidcclient"             // PUT /oidc/client/{id}, /oauth/client/{id}
	OpGetOIDCClient             Operation = "getoidcclient"             // GET /oidc/client/{id}, /oauth/client/{id}
	OpPostCreateOIDCClient      Operation = "postcreateoidcclient"      // POST /oidc-clients
	OpPutUpdateOIDCClient       Operation = "putupdateoidcclient"       // PUT /oidc-clients/{id}
	OpGetOIDCClientDetails      Operation = "getoidcclientdetails"      // GET /oidc-clients/{id}
	OpPatchDeactivateOIDCClient Operation = "patchdeactivateoidcclient" // PATCH /oidc-clients/{id}
)

// DefaultRoles are the roles of API.md §6: PMS's application-dev.properties for the legacy
// endpoints and PMS 1.3's docs/configuration.md for /oidc-clients.
var DefaultRoles = map[Operation][]string{
	OpPostOIDCClient:            {"MISP_PARTNER", "MISP", "PARTNERMANAGER", "PARTNER_ADMIN"},
	OpPutOIDCClient:             {"MISP_PARTNER", "MISP", "PARTNERMANAGER", "PARTNER_ADMIN"},
	OpGetOIDCClient:             {"MISP_PARTNER", "MISP", "PARTNERMANAGER", "PARTNER_ADMIN"},
	OpPostCreateOIDCClient:      {"AUTH_PARTNER"},
	OpPutUpdateOIDCClient:       {"AUTH_PARTNER"},
	OpGetOIDCClientDetails:      {"AUTH_PARTNER", "PARTNER_ADMIN"},
	OpPatchDeactivateOIDCClient: {"AUTH_PARTNER", "PARTNER_ADMIN"},
}

func (s *Server) buildRoutes() {
	static := func(path string, m map[string]handlerFunc) {
		s.routes = append(s.routes, &route{pattern: path, methods: m})
	}
	withID := func(path string, m map[string]handlerFunc) {
		s.routes = append(s.routes, &route{pattern: path + "/{id}", prefix: path + "/", methods: m})
	}
	legacy := [...]struct{ post, put, get Operation }{
		{OpPostOIDCClient, OpPutOIDCClient, OpGetOIDCClient},
		{OpPostOIDCClient, OpPutOIDCClient, OpGetOIDCClient},
	}
	for _, g := range []gen{genOIDC, genOAuth} {
		ops := legacy[g]
		static(g.path(), map[string]handlerFunc{http.MethodPost: s.api(g, ops.post, s.handleCreate)})
		withID(g.path(), map[string]handlerFunc{
			http.MethodPut: s.api(g, ops.put, s.handleUpdate),
			http.MethodGet: s.api(g, ops.get, s.handleGet),
		})
	}
	if s.opts.Release != Release12 {
		static(genV3.path(), map[string]handlerFunc{http.MethodPost: s.api(genV3, OpPostCreateOIDCClient, s.handleCreate)})
		withID(genV3.path(), map[string]handlerFunc{
			http.MethodPut:   s.api(genV3, OpPutUpdateOIDCClient, s.handleUpdate),
			http.MethodGet:   s.api(genV3, OpGetOIDCClientDetails, s.handleGet),
			http.MethodPatch: s.api(genV3, OpPatchDeactivateOIDCClient, s.handleDeactivate),
		})
	}
	static(authManagerPath+"/authenticate/clientidsecretkey", map[string]handlerFunc{http.MethodPost: s.handleAuthManager})
	static(fakePath+"/clients", map[string]handlerFunc{http.MethodGet: s.handleFakeClients})
	static(fakePath+"/counters", map[string]handlerFunc{http.MethodGet: s.handleFakeCounters})
	withID(fakePath+"/clients", map[string]handlerFunc{http.MethodGet: s.handleFakeClient})
}

// resolve finds the route; unknown paths get a route with no methods named by the literal
// path.
func (s *Server) resolve(r *http.Request) (*route, string) {
	raw := r.URL.EscapedPath()
	for _, rt := range s.routes {
		if rt.prefix == "" && rt.pattern == r.URL.Path {
			return rt, ""
		}
	}
	for _, rt := range s.routes {
		if rt.prefix == "" {
			continue
		}
		rest, ok := strings.CutPrefix(raw, rt.prefix)
		if !ok || rest == "" || strings.Contains(rest, "/") {
			continue
		}
		if id, err := url.PathUnescape(rest); err == nil {
			return rt, id
		}
	}
	return &route{pattern: r.URL.Path}, ""
}

// api wraps a PMS endpoint: the kernel auth adapter (token, roles) runs before PMS sees the
// request.
func (s *Server) api(g gen, op Operation, h func(http.ResponseWriter, *http.Request, gen, string, *caller)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		c, ok := s.authenticate(w, r, op)
		if !ok {
			return
		}
		h(w, r, g, id, c)
	}
}
