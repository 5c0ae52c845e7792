package pms_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/fakepms"
	"github.com/openg2p/esignet-operator/internal/pms"
)

// TestErrorCodesFromTheFake: each PMS error a fake configured for it produces, with its reason
// and class.
func TestErrorCodesFromTheFake(t *testing.T) {
	type call func(w *world, c *pms.Client, d pms.ClientDetail) error
	create := func(w *world, c *pms.Client, d pms.ClientDetail) error { _, err := c.Create(ctx(w.t), d); return err }
	created := func(w *world, d pms.ClientDetail) pms.ClientDetail {
		res, err := w.admin(pms.GenerationOIDCClients).Create(ctx(w.t), d)
		if err != nil {
			w.t.Fatal(err)
		}
		d.ClientID = res.ClientID
		return d
	}
	update := func(w *world, c *pms.Client, d pms.ClientDetail) error {
		d = created(w, d)
		_, err := c.Update(ctx(w.t), d)
		return err
	}
	otherOwner := func(w *world) {
		w.pms.SetPartner(fakepms.Partner{ID: fakepms.DefaultPartnerID, UserID: "service-account-someone-else"})
		w.pms.SetPartner(fakepms.Partner{ID: "partner-of-the-caller", UserID: "service-account-" + fakepms.DefaultCallerID})
		w.pms.SetPartner(fakepms.Partner{ID: "partner-of-auth-user", UserID: "service-account-auth-partner-user"})
	}
	cases := []struct {
		name    string
		g       pms.Generation
		caller  string
		setup   func(w *world)
		edit    func(d *pms.ClientDetail)
		call    call
		code    string
		reason  pms.Reason
		class   pms.Class
		release fakepms.Release
	}{
		{name: "partner missing", edit: func(d *pms.ClientDetail) { d.AuthPartnerID = "no-such-partner" },
			code: "PMS_PRT_058", reason: pms.ReasonPartnerNotFound, class: pms.ClassRetryable},
		{name: "not an auth partner", setup: func(w *world) {
			w.pms.SetPartner(fakepms.Partner{ID: fakepms.DefaultPartnerID, Type: "Credential_Partner"})
		}, code: "PMS_PRT_059", reason: pms.ReasonNotAuthPartner, class: pms.ClassTerminal},
		{name: "partner inactive", setup: func(w *world) { w.pms.SetPartner(fakepms.Partner{ID: fakepms.DefaultPartnerID, Inactive: true}) },
			code: "PMS_PMP_016", reason: pms.ReasonPartnerInactive, class: pms.ClassRetryable},
		{name: "policy missing", edit: func(d *pms.ClientDetail) { d.PolicyID = "no-such-policy" },
			code: "PMS_PRT_073", reason: pms.ReasonPolicyNotFound, class: pms.ClassRetryable},
		{name: "policy not Auth", setup: func(w *world) {
			p := fakepms.DefaultPolicy(fakepms.DefaultPolicyID)
			p.Type = "DataShare"
			w.pms.SetPolicy(p)
		}, code: "PMS_PRT_057", reason: pms.ReasonPolicyNotAuth, class: pms.ClassTerminal},
		{name: "mapping missing", setup: func(w *world) { w.pms.RemoveMapping(fakepms.DefaultPartnerID, fakepms.DefaultPolicyID) },
			code: "PMS_PRT_061", reason: pms.ReasonPolicyNotMapped, class: pms.ClassRetryable},
		{name: "mapping not approved", setup: func(w *world) {
			w.pms.SetMapping(fakepms.Mapping{PartnerID: fakepms.DefaultPartnerID, PolicyID: fakepms.DefaultPolicyID, NotApproved: true})
		}, code: "PMS_ESI_002", reason: pms.ReasonPolicyNotApproved, class: pms.ClassRetryable},
		{name: "no claims", setup: func(w *world) {
			p := fakepms.DefaultPolicy(fakepms.DefaultPolicyID)
			p.KycAttributes = []string{"residenceStatus"}
			w.pms.SetPolicy(p)
		}, code: "PMS_ESI_005", reason: pms.ReasonPolicyNoClaims, class: pms.ClassTerminal},
		{name: "no ACRs", setup: func(w *world) {
			p := fakepms.DefaultPolicy(fakepms.DefaultPolicyID)
			p.AuthTypes = []fakepms.AuthType{{AuthType: "demo"}, {AuthType: "kyc"}}
			w.pms.SetPolicy(p)
		}, code: "PMS_ESI_006", reason: pms.ReasonPolicyNoACRs, class: pms.ClassTerminal},
		{name: "mandatory auth", setup: func(w *world) {
			p := fakepms.DefaultPolicy(fakepms.DefaultPolicyID)
			p.AuthTypes = []fakepms.AuthType{{AuthType: "otp", Mandatory: true}}
			w.pms.SetPolicy(p)
		}, code: "PMS_ESI_003", reason: pms.ReasonPolicyMandatoryAuth, class: pms.ClassTerminal},
		{name: "feature disabled", setup: func(w *world) { w.pms.SetOIDCClientDisabled(true) },
			code: "PMS_FEATURE_002", reason: pms.ReasonFeatureDisabled, class: pms.ClassRetryable},
		{name: "unknown client", call: func(w *world, c *pms.Client, d pms.ClientDetail) error {
			d.ClientID, _ = pms.ClientID(d.PublicKey)
			_, err := c.Update(ctx(w.t), d)
			return err
		}, code: "PMS_ESI_004", reason: pms.ReasonClientNotFound, class: pms.ClassTerminal},
		{name: "already inactive", call: func(w *world, c *pms.Client, d pms.ClientDetail) error {
			d = created(w, d)
			if _, err := c.Deactivate(ctx(w.t), d.ClientID); err != nil {
				return err
			}
			_, err := c.Update(ctx(w.t), d)
			return err
		}, code: "PMS_ESI_008", reason: pms.ReasonClientInactive, class: pms.ClassTerminal},
		{name: "eSignet unreachable on update", call: func(w *world, c *pms.Client, d pms.ClientDetail) error {
			d = created(w, d)
			w.es.InjectFault(fakeesignet.Fault{Method: http.MethodPut, PathPrefix: "/v1/esignet/client-mgmt/", Status: 503})
			_, err := c.Update(ctx(w.t), d)
			return err
		}, code: "PMS_PRT_500", reason: pms.ReasonESignetUnavailable, class: pms.ClassRetryable},
		{name: "eSignet unreachable on create", setup: func(w *world) {
			w.es.InjectFault(fakeesignet.Fault{Method: http.MethodPost, PathPrefix: "/v1/esignet/client-mgmt/", Reset: true})
		}, code: "PMS_KKS_001", reason: pms.ReasonESignetUnavailable, class: pms.ClassRetryable},
		{name: "key exists", call: func(w *world, c *pms.Client, d pms.ClientDetail) error {
			created(w, d)
			_, err := c.Create(ctx(w.t), d)
			return err
		}, code: "PMS_ESI_001", reason: pms.ReasonKeyExists, class: pms.ClassConflict},
		{name: "eSignet refuses the redirect URI", edit: func(d *pms.ClientDetail) { d.RedirectURIs = []string{"https://app.internal/cb"} },
			code: "invalid_redirect_uri", reason: pms.ReasonESignetRejected, class: pms.ClassTerminal},
		{name: "eSignet has the key already", call: func(w *world, c *pms.Client, d pms.ClientDetail) error {
			direct(w, d)
			_, err := c.Create(ctx(w.t), d)
			return err
		}, code: "duplicate_public_key", reason: pms.ReasonESignetHasClient, class: pms.ClassTerminal},
		{name: "partner of another user", caller: "auth-partner-user", setup: otherOwner,
			code: "PMS_POLICY_ERROR_009", reason: pms.ReasonPartnerNotOwned, class: pms.ClassAuth},
		{name: "update on oidc-clients needs ownership even for PARTNER_ADMIN", setup: otherOwner, call: update,
			code: "PMS_POLICY_ERROR_010", reason: pms.ReasonPartnerNotOwned, class: pms.ClassAuth},
		{name: "read-back of another user's client", caller: "auth-partner-user", call: func(w *world, c *pms.Client, d pms.ClientDetail) error {
			d = created(w, d)
			otherOwner(w)
			_, err := c.Get(ctx(w.t), d.ClientID)
			return err
		}, code: "PMS_POLICY_ERROR_011", reason: pms.ReasonPartnerNotOwned, class: pms.ClassAuth},
		{name: "user owns no partner", caller: "auth-partner-user", setup: func(w *world) {
			w.pms.SetPartner(fakepms.Partner{ID: fakepms.DefaultPartnerID, UserID: "service-account-someone-else"})
		}, code: "PMS_CERTIFICATE_ERROR_002", reason: pms.ReasonUserHasNoPartner, class: pms.ClassAuth},
		{name: "no role", caller: "no-roles", code: "KER-ATH-403", reason: pms.ReasonForbidden, class: pms.ClassAuth},
		{name: "token not from the realm", caller: "bogus", code: "KER-ATH-401", reason: pms.ReasonUnauthenticated, class: pms.ClassAuth},
		{name: "legacy endpoint without a legacy role", g: pms.GenerationOAuth, caller: "auth-partner-user",
			code: "KER-ATH-403", reason: pms.ReasonForbidden, class: pms.ClassAuth},
		{name: "language PMS does not support", edit: func(d *pms.ClientDetail) { d.NameLangMap = map[string]string{"deu": "X"} },
			code: "PMS_POLICY_ERROR_019", reason: pms.ReasonInvalidLanguage, class: pms.ClassTerminal},
		{name: "bad additionalConfig", edit: func(d *pms.ClientDetail) {
			d.AdditionalConfig = json.RawMessage(`{"userinfo_response_type":"XML"}`)
		}, code: "PMS_POLICY_ERROR_014", reason: pms.ReasonInvalidConfig, class: pms.ClassTerminal},
		{name: "bean validation", g: pms.GenerationOAuth, edit: func(d *pms.ClientDetail) { d.LogoURI = "not a url" },
			code: "PMS_COR_001", reason: pms.ReasonInvalidRequest, class: pms.ClassTerminal},
		{name: "PMS 1.2 has no /oidc-clients", release: fakepms.Release12,
			reason: pms.ReasonEndpointNotFound, class: pms.ClassTerminal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := startWorld(t, func(_ *fakepms.Config, o *fakepms.Options) {
				if c.release != "" {
					o.Release = c.release
				}
			})
			g := c.g
			if g == "" {
				g = pms.GenerationOIDCClients
			}
			cl := w.admin(g)
			if c.caller == "bogus" {
				cl = w.clientWith(g, esignet.NewStaticToken("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"))
			} else if c.caller != "" {
				secret := map[string]string{"auth-partner-user": authPartnerSecret, "no-roles": noRolesSecret}[c.caller]
				cl = w.client(g, c.caller, secret)
			}
			if c.setup != nil {
				c.setup(w)
			}
			d := detail(t, newKey(t))
			if c.edit != nil {
				c.edit(&d)
			}
			call := c.call
			if call == nil {
				call = create
			}
			err := call(w, cl, d)
			if pms.ReasonOf(err) != c.reason || pms.ClassOf(err) != c.class {
				t.Fatalf("%s/%v, want %s/%v: %v", pms.ReasonOf(err), pms.ClassOf(err), c.reason, c.class, err)
			}
			d2 := pms.Describe(err)
			if c.code != "" && !strings.Contains(d2, c.code) {
				t.Fatalf("Describe %q lacks %s", d2, c.code)
			}
			if !strings.Contains(d2, c.reason.Remedy()) {
				t.Fatalf("Describe %q lacks the remedy", d2)
			}
			if strings.Contains(d2, "127.0.0.1") {
				t.Fatalf("Describe names an address: %s", d2)
			}
			t.Log(d2)
		})
	}
}

// direct registers the key at eSignet under another id, bypassing PMS.
func direct(w *world, d pms.ClientDetail) {
	w.t.Helper()
	cc, err := esignet.NewClientCredentials(esignet.ClientCredentialsConfig{TokenURL: w.es.ManagementTokenURL(),
		ClientID: w.cfg.ESignetClient.ID, ClientSecret: w.cfg.ESignetClient.Secret})
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := esignet.New(esignet.Config{BaseURL: w.es.ServiceURL(), Token: cc, AllowInsecureHTTP: true})
	if err != nil {
		w.t.Fatal(err)
	}
	_, err = c.Create(ctx(w.t), esignet.ClientDetail{ClientID: "registered-directly", ClientName: "direct", RelyingPartyID: "rp",
		LogoURI: d.LogoURI, RedirectURIs: d.RedirectURIs, UserClaims: []string{"name"}, AuthContextRefs: []string{"mosip:idp:acr:generated-code"},
		GrantTypes: []string{"authorization_code"}, ClientAuthMethods: []string{"private_key_jwt"}, PublicKey: d.PublicKey})
	if err != nil {
		w.t.Fatal(err)
	}
}
