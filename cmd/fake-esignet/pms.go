package main

import (
	"net/http"
	"strings"

	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/fakepms"
)

// pmsUsage documents --pms.
const pmsUsage = `also serve a fake MOSIP PMS (internal/fakepms) beside the fake eSignet: CONFIG is a JSON
file (partners, policies, mappings, PMS's eSignet client, callers with realm roles) or "default"
(partner openg2p-auth-partner, policy openg2p-oidc-policy, caller openg2p-pms-operator with secret
fake-pms-operator-secret and roles PARTNER_ADMIN, AUTH_PARTNER). PMS answers under
/v1/partnermanager, the kernel auth manager's clientidsecretkey under /v1/authmanager, its clients
under /_fake/pms/clients; it forwards clients to this fake eSignet in-process`

// setPMS loads the --pms config and gives the fake eSignet the realm clients it needs.
func (c *config) setPMS(v string) error {
	pc, err := fakepms.LoadConfig(v)
	if err != nil {
		return err
	}
	c.pms = &pc
	c.opts.ManagementClients = append(c.opts.ManagementClients, pc.ManagementClients()...)
	return nil
}

// withPMS routes PMS's and the auth manager's paths to a fake PMS in front of fake, when --pms
// was given; h serves everything else.
func (c *config) withPMS(h http.Handler, fake *fakeesignet.Server, root string) http.Handler {
	if c.pms == nil {
		return h
	}
	opts := c.pms.Options(root, fakepms.HandlerClient(fake))
	opts.Logger = c.opts.Logger
	p := fakepms.New(opts)
	p.SetURL(root)
	if c.opts.Logger != nil {
		c.opts.Logger.Info("fake PMS serving", "pms", p.BaseURL(), "authManager", p.AuthManagerURL(),
			"clients", root+"/_fake/pms/clients")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, prefix := range []string{"/v1/partnermanager/", "/v1/authmanager/", "/_fake/pms/"} {
			if strings.HasPrefix(r.URL.Path, prefix) {
				p.ServeHTTP(w, r)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
