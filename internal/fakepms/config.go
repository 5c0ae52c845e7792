package fakepms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// Config is a fake PMS set-up as JSON, for processes (cmd/fake-esignet --pms).
type Config struct {
	Release Release `json:"release,omitempty"`
	// ESignetClient is PMS's own realm client (mosip-pms-client): it is added to the fake
	// eSignet with scopes add_oidc_client and update_oidc_client.
	ESignetClient Credentials `json:"esignetClient"`
	// Callers are realm clients that may call PMS (directly with a Keycloak token, or through the
	// auth manager): they are added to the fake eSignet's realm with their roles.
	Callers            []Caller               `json:"callers"`
	Partners           []Partner              `json:"partners"`
	Policies           []Policy               `json:"policies"`
	Mappings           []Mapping              `json:"mappings"`
	ClaimsMapping      map[string][]string    `json:"claimsMapping,omitempty"`
	AuthFactors        map[string][]string    `json:"authFactors,omitempty"`
	OIDCClientDisabled bool                   `json:"oidcClientDisabled,omitempty"`
	SupportedLanguages []string               `json:"supportedLanguages,omitempty"`
	Roles              map[Operation][]string `json:"roles,omitempty"`
	AppIDs             []string               `json:"appIds,omitempty"`
	LenientCredentials bool                   `json:"lenientCredentials,omitempty"`
}

// Credentials are a realm client's id and secret.
type Credentials struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// Caller is a realm client allowed to call PMS, with its realm roles.
type Caller struct {
	ID     string   `json:"id"`
	Secret string   `json:"secret"`
	Roles  []string `json:"roles"`
}

// Names of DefaultConfig's set-up.
const (
	DefaultPartnerID = "openg2p-auth-partner"
	DefaultPolicyID  = "openg2p-oidc-policy"
	DefaultCallerID  = "openg2p-pms-operator"
)

// DefaultConfig is a working set-up: an active Auth_Partner, DefaultPolicy, their approved
// mapping, PMS's eSignet client mosip-pms-client and one caller with PARTNER_ADMIN and
// AUTH_PARTNER (every operation of every generation). The secrets are fixed: the fake listens on
// loopback for demos and tests only.
func DefaultConfig() Config {
	return Config{
		ESignetClient: Credentials{ID: "mosip-pms-client", Secret: "fake-pms-esignet-secret"},
		Callers:       []Caller{{ID: DefaultCallerID, Secret: "fake-pms-operator-secret", Roles: []string{"PARTNER_ADMIN", "AUTH_PARTNER"}}},
		Partners:      []Partner{{ID: DefaultPartnerID, Type: "Auth_Partner"}},
		Policies:      []Policy{DefaultPolicy(DefaultPolicyID)},
		Mappings:      []Mapping{{PartnerID: DefaultPartnerID, PolicyID: DefaultPolicyID}},
	}
}

// LoadConfig reads a JSON config file; "default" is DefaultConfig. Unknown members are errors.
func LoadConfig(path string) (Config, error) {
	if path == "default" {
		return DefaultConfig(), nil
	}
	b, err := os.ReadFile(path) //nolint:gosec // whoever starts the fake chooses its config file
	if err != nil {
		return Config{}, err
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, c.Validate()
}

// Validate reports a config New or the fake eSignet would reject.
func (c Config) Validate() error {
	switch {
	case c.Release != "" && c.Release != Release12 && c.Release != Release13:
		return fmt.Errorf("fakepms: unknown release %q (want %q or %q)", c.Release, Release12, Release13)
	case c.ESignetClient.ID == "" || c.ESignetClient.Secret == "":
		return errors.New("fakepms: esignetClient needs an id and a secret")
	}
	for _, cl := range c.Callers {
		if cl.ID == "" || cl.Secret == "" {
			return errors.New("fakepms: every caller needs an id and a secret")
		}
	}
	return nil
}

// ManagementClients are the realm clients the fake eSignet must know for this set-up: PMS's
// own (scopes to manage clients) and the callers (roles).
func (c Config) ManagementClients() []fakeesignet.ManagementClient {
	out := []fakeesignet.ManagementClient{{ID: c.ESignetClient.ID, Secret: c.ESignetClient.Secret,
		Scopes: []string{"add_oidc_client", "update_oidc_client"}}}
	for _, cl := range c.Callers {
		out = append(out, fakeesignet.ManagementClient{ID: cl.ID, Secret: cl.Secret, Roles: cl.Roles})
	}
	return out
}

// Options turns the config into Options for an eSignet at esignetURL reached with hc (nil: a
// plain client).
func (c Config) Options(esignetURL string, hc *http.Client) Options {
	return Options{
		Release: c.Release, ESignetURL: esignetURL, ESignetClientID: c.ESignetClient.ID,
		ESignetClientSecret: c.ESignetClient.Secret, HTTPClient: hc, Partners: c.Partners, Policies: c.Policies,
		Mappings: c.Mappings, ClaimsMapping: c.ClaimsMapping, AuthFactors: c.AuthFactors,
		OIDCClientDisabled: c.OIDCClientDisabled, SupportedLanguages: c.SupportedLanguages, Roles: c.Roles,
		AppIDs: c.AppIDs, LenientCredentials: c.LenientCredentials,
	}
}

// HandlerClient is an http.Client whose requests h serves in-process, without a network: for a
// fake PMS in the same process as the fake eSignet (whatever TLS the listener uses). A handler
// that aborts (a fault resetting the connection) is a transport error.
func HandlerClient(h http.Handler) *http.Client {
	return &http.Client{Transport: handlerTransport{h}}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, fmt.Errorf("in-process handler aborted: %v", r)
		}
	}()
	rec := httptest.NewRecorder()
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	if in.Body == nil {
		in.Body = http.NoBody
	}
	t.h.ServeHTTP(rec, in)
	out := rec.Result()
	out.Request = req
	return out, nil
}
