package fakeesignet

import (
	"net/http"
	"net/url"
	"strings"
)

const (
	servicePath    = "/v1/esignet"
	clientMgmtPath = servicePath + "/client-mgmt"
	realmPath      = "/realms/mosip"
)

type handlerFunc func(w http.ResponseWriter, r *http.Request, id string)

// route is one path (pattern) with its handlers per method. A nil methods
// map stands for "no such path" (404).
type route struct {
	pattern string // counter key, e.g. "/v1/esignet/client-mgmt/client/{id}"
	prefix  string // for {id} routes: pattern without "{id}"
	methods map[string]handlerFunc
}

// endpoint is a client-management resource.
type endpoint int

const (
	epOIDCClient  endpoint = iota // V1, /oidc-client
	epOAuthClient                 // V2, /oauth-client
	epClient                      // V3, /client
)

func (e endpoint) path() string {
	return clientMgmtPath + [...]string{"/oidc-client", "/oauth-client", "/client"}[e]
}

func (s *Server) buildRoutes() {
	s.routes = map[string]*route{}
	static := func(path string, methods map[string]handlerFunc) {
		s.routes[path] = &route{pattern: path, methods: methods}
	}
	withID := func(path string, methods map[string]handlerFunc) {
		s.idRoutes = append(s.idRoutes, &route{pattern: path + "/{id}", prefix: path + "/", methods: methods})
	}
	s.clientMgmtRoutes(static, withID)
	discovery := map[string]handlerFunc{http.MethodGet: s.handleDiscovery}
	static("/.well-known/openid-configuration", discovery)
	static(servicePath+"/oidc/.well-known/openid-configuration", discovery)
	asMeta := map[string]handlerFunc{http.MethodGet: s.handleASMetadata}
	static("/.well-known/oauth-authorization-server", asMeta)
	static(servicePath+"/oauth/.well-known/oauth-authorization-server", asMeta)
	jwks := map[string]handlerFunc{http.MethodGet: s.handleJWKS}
	static("/.well-known/jwks.json", jwks)
	static(servicePath+"/oauth/.well-known/jwks.json", jwks)
	static("/authorize", map[string]handlerFunc{http.MethodGet: s.handleAuthorize})
	static(servicePath+"/oauth/v2/token", map[string]handlerFunc{http.MethodPost: s.tokenHandler(true)})
	static(servicePath+"/oauth/token", map[string]handlerFunc{http.MethodPost: s.tokenHandler(false)})
	static(servicePath+"/oidc/userinfo", map[string]handlerFunc{http.MethodGet: s.handleUserinfo, http.MethodPost: s.handleUserinfo})
	static(realmPath+"/protocol/openid-connect/token", map[string]handlerFunc{http.MethodPost: s.handleRealmToken})
	static(realmPath+"/protocol/openid-connect/certs", map[string]handlerFunc{http.MethodGet: s.handleRealmCerts})
	static("/_fake/clients", map[string]handlerFunc{http.MethodGet: s.handleFakeClients})
	static("/_fake/counters", map[string]handlerFunc{http.MethodGet: s.handleFakeCounters})
	withID("/_fake/clients", map[string]handlerFunc{http.MethodGet: s.handleFakeClient})
}

// clientMgmtRoutes registers the endpoints that exist in the generation.
func (s *Server) clientMgmtRoutes(static, withID func(string, map[string]handlerFunc)) {
	type ep struct {
		e              endpoint
		create, update dtoKind
		exists         bool
	}
	for _, x := range []ep{
		{epOIDCClient, kindCreateV1, kindUpdateV1, true},
		{epOAuthClient, kindCreateV2, kindUpdateV2, s.gen.hasOAuthClient()},
		{epClient, kindCreateV3, kindUpdateV3, s.gen.hasClientV3()},
	} {
		if !x.exists {
			continue
		}
		static(x.e.path(), map[string]handlerFunc{http.MethodPost: s.clientMgmtHandler(x.e, x.create)})
		byID := map[string]handlerFunc{http.MethodPut: s.clientMgmtHandler(x.e, x.update)}
		if x.e == epClient && s.gen.hasPatch() {
			byID[http.MethodPatch] = s.clientMgmtHandler(x.e, kindPatch)
		}
		withID(x.e.path(), byID)
	}
}

// resolve finds the route for the request; unknown paths get a route with
// no methods whose pattern is the literal path.
func (s *Server) resolve(r *http.Request) (*route, string) {
	if rt, ok := s.routes[r.URL.Path]; ok {
		return rt, ""
	}
	raw := r.URL.EscapedPath()
	for _, rt := range s.idRoutes {
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

func (s *Server) count(r *http.Request, rt *route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters[r.Method+" "+rt.pattern]++
	if strings.HasPrefix(r.URL.Path, clientMgmtPath+"/") {
		s.mgmtCalls++
	}
}

// Counters returns requests seen per "METHOD /path-pattern", e.g.
// "PUT /v1/esignet/client-mgmt/client/{id}". Unknown paths count under
// their literal path.
func (s *Server) Counters() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counters))
	for k, v := range s.counters {
		out[k] = v
	}
	return out
}

// ClientMgmtCalls is the number of requests under /v1/esignet/client-mgmt/.
func (s *Server) ClientMgmtCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mgmtCalls
}

// ResetCounters zeroes Counters and ClientMgmtCalls.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters = map[string]int{}
	s.mgmtCalls = 0
}
