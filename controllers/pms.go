package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/metrics"
	"github.com/openg2p/esignet-operator/internal/pms"
	"github.com/openg2p/esignet-operator/internal/schedule"
	"github.com/openg2p/esignet-operator/internal/step"
)

// pmsAPI registers clients through MOSIP's Partner Management Service: the registrar's client
// seam (Create, Update, SetStatus) over PMS, with PMS's answers told in the registrar's terms
// (an existing public key is the operator's own earlier create, an unknown client is missing).
type pmsAPI struct {
	client          *pms.Client
	partner, policy string
}

func newPMSClient(key providerKey, spec *v1.ESignetProviderSpec, rp *resolvedProvider, hc *http.Client, providerToken esignet.TokenSource) (*pmsAPI, error) {
	pm := spec.PartnerManagement
	token := providerToken
	if am := pm.AuthManager; am != nil {
		t, err := pms.NewAuthManager(pms.AuthManagerConfig{URL: am.URL, AppID: am.AppID, ClientID: am.ClientID, SecretKey: rp.pmsSecret, HTTPClient: hc})
		if err != nil {
			return nil, &configError{v1.ReasonInvalidProvider, "spec.partnerManagement.authManager: " + err.Error()}
		}
		token = t
	}
	if token == nil {
		return nil, &configError{v1.ReasonInvalidProvider, "spec.partnerManagement: PMS needs a token: set partnerManagement.authManager, or the provider's auth"}
	}
	gen, err := pms.ParseGeneration(pm.Generation)
	if err != nil {
		return nil, &configError{v1.ReasonInvalidProvider, "spec.partnerManagement.generation: " + err.Error()}
	}
	c, err := pms.New(pms.Config{BaseURL: pm.URL, Generation: gen, Token: token, HTTPClient: hc, AllowInsecureHTTP: spec.AllowInsecureHTTP,
		UserAgent: "esignet-operator",
		Observe:   func(op, outcome string, d time.Duration) { metrics.ObserveRequest(key.String(), "pms "+op, outcome, d) }})
	if err != nil {
		return nil, &configError{v1.ReasonInvalidProvider, "spec.partnerManagement: " + err.Error()}
	}
	return &pmsAPI{client: c, partner: pm.AuthPartnerID, policy: pm.PolicyID}, nil
}

func (p *pmsAPI) detail(d esignet.ClientDetail) pms.ClientDetail {
	return pms.ClientDetail{ClientID: d.ClientID, Name: d.ClientName, NameLangMap: d.ClientNameLangMap, AuthPartnerID: p.partner,
		PolicyID: p.policy, PublicKey: d.PublicKey, LogoURI: d.LogoURI, RedirectURIs: d.RedirectURIs, GrantTypes: d.GrantTypes,
		ClientAuthMethods: d.ClientAuthMethods, AdditionalConfig: d.AdditionalConfig}
}

// Create registers the client; PMS chooses its id from the public key, which the operator
// computed before (d.ClientID) and must find again.
func (p *pmsAPI) Create(ctx context.Context, d esignet.ClientDetail) (*esignet.ClientResult, error) {
	res, err := p.client.Create(ctx, p.detail(d))
	if err != nil {
		return nil, pmsFailure(err)
	}
	if res.ClientID != d.ClientID {
		return nil, &esignet.InputError{Field: "client id", Reason: fmt.Sprintf("PMS chose %q for the key, the operator derived %q", res.ClientID, d.ClientID)}
	}
	return &esignet.ClientResult{ClientID: res.ClientID, Status: esignet.Status(res.Status)}, nil
}

// Update sends the desired client; a desired INACTIVE status is a deactivation (PMS's update
// ignores status).
func (p *pmsAPI) Update(ctx context.Context, d esignet.ClientDetail) (*esignet.ClientResult, error) {
	if d.Status == esignet.StatusInactive {
		return p.SetStatus(ctx, d, esignet.StatusInactive)
	}
	res, err := p.client.Update(ctx, p.detail(d))
	if err != nil {
		return nil, pmsFailure(err)
	}
	return &esignet.ClientResult{ClientID: res.ClientID, Status: esignet.Status(res.Status)}, nil
}

// SetStatus deactivates (PMS cannot activate a client again: a deactivation is final there).
func (p *pmsAPI) SetStatus(ctx context.Context, d esignet.ClientDetail, s esignet.Status) (*esignet.ClientResult, error) {
	if s != esignet.StatusInactive {
		return nil, &esignet.UnsupportedError{Op: "set status", Feature: "reactivating a client through PMS", Version: "PMS"}
	}
	res, err := p.client.Deactivate(ctx, d.ClientID)
	if err != nil {
		return nil, pmsFailure(err)
	}
	return &esignet.ClientResult{ClientID: res.ClientID, Status: esignet.Status(res.Status)}, nil
}

// pmsError tells the registrar what a PMS failure means: whether PMS itself answered (so a
// refused create did not take effect), eSignet's code for "exists" and "unknown", the
// condition reason and remedy a person acts on, and a status-safe description.
type pmsError struct{ err error }

func pmsFailure(err error) error { return &pmsError{err} }

func (e *pmsError) Error() string { return e.err.Error() }
func (e *pmsError) Unwrap() error { return e.err }

// Kind classifies for retries (pms errors know their kind).
func (e *pmsError) Kind() esignet.Kind { return esignet.KindOf(e.err) }

// Answered: PMS's own envelope answered, so the request provably did not take effect.
func (e *pmsError) Answered() bool {
	var api *pms.APIError
	return errors.As(e.err, &api) && !errors.Is(e.err, pms.ErrAlreadyCreated)
}

// ESignetCodes maps PMS's "public key exists" and "unknown client" to eSignet's codes.
func (e *pmsError) ESignetCodes() []string {
	var codes []string
	if _, ok := pms.AlreadyCreated(e.err); ok {
		codes = append(codes, esignet.CodeDuplicateClientID)
	}
	if pms.IsNotFound(e.err) {
		codes = append(codes, esignet.CodeInvalidClientID)
	}
	return codes
}

// ConditionReason is PMS's reason and what to do about it.
func (e *pmsError) ConditionReason() (reason, remedy string) {
	r := pms.ReasonOf(e.err)
	return string(r), r.Remedy()
}

// DescribeForStatus is the failure in words safe for a status message.
func (e *pmsError) DescribeForStatus() string { return pms.Describe(e.err) }

// pmsClientID is the id PMS gives a client with this key.
func pmsClientID(kp *keys.KeyPair) (string, error) {
	pub, err := kp.PublicJWK()
	if err != nil {
		return "", err
	}
	return pms.ClientID(pub)
}

// keyClientID is the client id a key is registered under: PMS's, derived from the key, for a
// provider registering through it; otherwise the desired id.
func keyClientID(sc *rpScope, kp *keys.KeyPair) (string, *step.Stop) {
	if sc.conn.pms == nil || sc.reg.Exists() {
		return sc.want.detail.ClientID, nil
	}
	id, st := rotatedClientID(sc, kp, 0)
	if st != nil {
		return "", st
	}
	sc.want.detail.ClientID, sc.want.baseID = id, id
	return id, nil
}

// rotatedClientID is the id of the client of rotation n with key kp: PMS's derivation from the
// key for a provider registering through it, else the base id with its rotation suffix.
func rotatedClientID(sc *rpScope, kp *keys.KeyPair, n int32) (string, *step.Stop) {
	if sc.conn.pms == nil {
		return schedule.ClientID(sc.want.baseID, n), nil
	}
	id, err := pmsClientID(kp)
	if err != nil {
		return "", &step.Stop{Condition: v1.ConditionKeyReady, Reason: v1.ReasonKeyInvalid, Terminal: true, Message: "deriving PMS's client id: " + err.Error()}
	}
	return id, nil
}

// readBack reads the client back from PMS after a write, and when the drift policy says so:
// what PMS derived from the policy (claims, ACRs) goes to status, and a client that differs
// from the desired one (changed behind the operator's back) is corrected with one update.
func (r *RelyingPartyReconciler) readBack(ctx context.Context, sc *rpScope, det esignet.ClientDetail) *step.Stop {
	release, st := r.providerSlot(sc)
	if st != nil {
		return st
	}
	defer release()
	ctx = loggerFor(ctx, sc, "register")
	got, err := sc.conn.pms.client.Get(ctx, sc.reg.ClientID)
	if err != nil {
		reason, remedy := (&pmsError{err}).ConditionReason()
		if reason == "" {
			reason = v1.ReasonESignetUnavailable
		}
		return &step.Stop{Condition: v1.ConditionRegistered, Reason: reason, Err: err,
			Message: fmt.Sprintf("reading client %s back from Partner Management: %s; %s", sc.reg.ClientID, pms.Describe(err), remedy)}
	}
	sc.reg.GrantedClaims, sc.reg.GrantedACRs = sorted(got.UserClaims), sorted(got.AuthContextRefs)
	if drift := pmsDrift(got, det); drift != "" {
		if _, err := sc.conn.pms.Update(ctx, det); err != nil {
			return &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonESignetUnavailable, Err: err,
				Message: fmt.Sprintf("correcting client %s at Partner Management (%s): %s", sc.reg.ClientID, drift, esignet.Describe(err))}
		}
		r.record(ctx, sc, "register", corev1.EventTypeNormal, v1.EventClientReasserted, "UpdateClient",
			fmt.Sprintf("Corrected client %s at Partner Management: %s differed from the spec", sc.reg.ClientID, drift))
	}
	sc.reg.AssertedAt = sc.now
	return nil
}

// pmsDrift names what PMS holds differently from the desired client ("" when nothing).
func pmsDrift(got *pms.OIDCClient, det esignet.ClientDetail) string {
	var diff []string
	if got.Name != det.ClientName && (got.NameLangMap == nil || got.NameLangMap["eng"] != det.ClientName) {
		diff = append(diff, "name")
	}
	if got.LogoURI != det.LogoURI {
		diff = append(diff, "logoURI")
	}
	if !slices.Equal(sorted(got.RedirectURIs), sorted(det.RedirectURIs)) {
		diff = append(diff, "redirectURIs")
	}
	if string(got.Status) != string(det.Status) {
		diff = append(diff, "status")
	}
	return strings.Join(diff, ", ")
}

// grantNote tells which requested claims the partner's policy does not grant.
func grantNote(requested, granted []string) string {
	if granted == nil {
		return ""
	}
	var missing []string
	for _, c := range requested {
		if !slices.Contains(granted, c) {
			missing = append(missing, c)
		}
	}
	note := fmt.Sprintf("; the partner's policy grants claims %s", strings.Join(granted, ", "))
	if len(missing) > 0 {
		note += fmt.Sprintf(" (not %s, which the spec asks for: grant them in the policy or drop them from spec.userClaims)", strings.Join(missing, ", "))
	}
	return note
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
