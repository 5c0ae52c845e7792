package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/metrics"
)

// resolvedProvider is a provider spec with its Secrets read.
type resolvedProvider struct {
	version      esignet.APIVersion
	caBundle     []byte
	clientSecret string
	staticToken  string
	pmsSecret    string // the auth manager's secret key (spec.partnerManagement.authManager)
	hash         string
}

// configError is a provider misconfiguration a person must fix; reason is a condition reason.
type configError struct{ reason, msg string }

func (e *configError) Error() string { return e.msg }

// resolveProvider reads the referenced Secrets through the API reader: the cache deliberately
// holds no data of Secrets the operator does not own.
func resolveProvider(ctx context.Context, reader client.Reader, spec *v1.ESignetProviderSpec, secretNS string) (*resolvedProvider, error) {
	version, err := esignet.ParseAPIVersion(spec.APIVersion)
	if err != nil {
		return nil, &configError{v1.ReasonInvalidProvider, fmt.Sprintf("spec.apiVersion: %v", err)}
	}
	rp := &resolvedProvider{version: version, caBundle: spec.CABundle}
	if ref := spec.CABundleSecretRef; ref != nil {
		if rp.caBundle, err = readSecretKey(ctx, reader, secretNS, ref, "caBundleSecretRef"); err != nil {
			return nil, err
		}
	}
	if cc := spec.Auth.ClientCredentials; cc != nil {
		b, err := readSecretKey(ctx, reader, secretNS, &cc.ClientSecretRef, "auth.clientCredentials.clientSecretRef")
		if err != nil {
			return nil, err
		}
		rp.clientSecret = string(b)
	}
	if ref := spec.Auth.TokenSecretRef; ref != nil {
		b, err := readSecretKey(ctx, reader, secretNS, ref, "auth.tokenSecretRef")
		if err != nil {
			return nil, err
		}
		rp.staticToken = string(b)
	}
	if pm := spec.PartnerManagement; pm != nil && pm.AuthManager != nil {
		b, err := readSecretKey(ctx, reader, secretNS, &pm.AuthManager.SecretKeyRef, "partnerManagement.authManager.secretKeyRef")
		if err != nil {
			return nil, err
		}
		rp.pmsSecret = string(b)
	}
	rp.hash = hashConfig(spec, rp)
	return rp, nil
}

func readSecretKey(ctx context.Context, reader client.Reader, ns string, ref *v1.SecretKeySelector, field string) ([]byte, error) {
	s := &corev1.Secret{}
	if err := reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &configError{v1.ReasonCredentialsMissing, fmt.Sprintf("spec.%s: Secret %s/%s not found", field, ns, ref.Name)}
		}
		return nil, fmt.Errorf("reading Secret %s/%s: %w", ns, ref.Name, err)
	}
	v, ok := s.Data[ref.Key]
	if !ok || len(v) == 0 {
		return nil, &configError{v1.ReasonCredentialsMissing, fmt.Sprintf("spec.%s: Secret %s/%s has no key %q", field, ns, ref.Name, ref.Key)}
	}
	return v, nil
}

// hashConfig fingerprints everything a connection is built from, so a changed Secret or spec
// gives a new client (and a new token) while an unchanged one keeps the cached token.
func hashConfig(spec *v1.ESignetProviderSpec, rp *resolvedProvider) string {
	h := sha256.New()
	for _, s := range []string{spec.URL, spec.DiscoveryURL, string(rp.version), fmt.Sprint(spec.AllowInsecureHTTP),
		string(rp.caBundle), rp.clientSecret, rp.staticToken, fmt.Sprintf("%+v", spec.Auth.ClientCredentials),
		rp.pmsSecret, fmt.Sprintf("%+v", spec.PartnerManagement)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// newConnection builds the eSignet client for a resolved provider.
func newConnection(key providerKey, spec *v1.ESignetProviderSpec, rp *resolvedProvider) (*connection, error) {
	httpClient, err := esignet.NewHTTPClient(rp.caBundle, 30*time.Second)
	if err != nil {
		return nil, &configError{v1.ReasonInvalidProvider, fmt.Sprintf("CA bundle: %v", err)}
	}
	token, err := tokenSource(spec, rp, httpClient)
	if err != nil {
		return nil, err
	}
	c, err := esignet.New(esignet.Config{
		BaseURL: spec.URL, APIVersion: rp.version, Token: token, HTTPClient: httpClient,
		AllowInsecureHTTP: spec.AllowInsecureHTTP, UserAgent: "esignet-operator",
		Observe: func(op, outcome string, d time.Duration) { metrics.ObserveRequest(key.String(), op, outcome, d) },
	})
	if err != nil {
		return nil, &configError{v1.ReasonInvalidProvider, err.Error()}
	}
	conn := &connection{client: c, api: c, token: token, version: rp.version, defaults: spec.RelyingPartyDefaults, configHash: rp.hash,
		slots: make(chan struct{}, maxWorkersPerProvider), reassert: rate.NewLimiter(reassertRate, reassertBurst)}
	if pm := spec.PartnerManagement; pm != nil {
		if conn.pms, err = newPMSClient(key, spec, rp, httpClient, token); err != nil {
			return nil, err
		}
		conn.api = conn.pms
	}
	return conn, nil
}

func tokenSource(spec *v1.ESignetProviderSpec, rp *resolvedProvider, hc *http.Client) (esignet.TokenSource, error) {
	switch {
	case spec.Auth.ClientCredentials != nil:
		cc := spec.Auth.ClientCredentials
		return esignet.NewClientCredentials(esignet.ClientCredentialsConfig{
			TokenURL: cc.TokenURL, ClientID: cc.ClientID, ClientSecret: rp.clientSecret, Scopes: cc.Scopes, HTTPClient: hc,
		})
	case spec.Auth.TokenSecretRef != nil:
		return esignet.NewStaticToken(rp.staticToken), nil
	}
	return nil, nil
}
