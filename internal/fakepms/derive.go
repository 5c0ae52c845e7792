package fakepms

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"sort"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// clientID is processCreateOIDCClient's id: base64url_nopad(SHA-256(ASCII(std_base64(key
// bytes)))), key bytes = the SubjectPublicKeyInfo DER (PublicKey.getEncoded()) for RSA and EC,
// the raw x for OKP. This is the fake's own implementation, independent of internal/pms.
func clientID(jwk []byte) (string, error) {
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(jwk); err != nil {
		return "", err
	}
	var raw []byte
	switch pub := k.Public().Key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", err
		}
		raw = der
	case ed25519.PublicKey:
		raw = pub
	default:
		return "", errors.New("unsupported key type")
	}
	sum := sha256.Sum256([]byte(base64.StdEncoding.EncodeToString(raw)))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// deriveClaims is getPolicySupportedClaims: each claim whose identity attributes include one
// of the policy's allowedKycAttributes (case-insensitive), kept only if eSignet's discovery
// lists it in claims_supported. Sorted (PMS's order is a hash set's).
func (s *Server) deriveClaims(ctx context.Context, p Policy) ([]string, error) {
	supported, err := s.claimsSupported(ctx)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, attr := range p.KycAttributes {
		for claim, attrs := range s.opts.ClaimsMapping {
			for _, a := range attrs {
				if strings.EqualFold(a, attr) && contains(supported, claim) {
					set[claim] = true
				}
			}
		}
	}
	return sortedKeys(set), nil
}

// errMandatory is getReqAttributeFromPolicyJson meeting mandatory: true.
var errMandatory = errors.New("mandatory auth type")

// deriveACRs is getAuthFactors: each ACR one of whose factor types equals (case-insensitive)
// one of the policy's allowedAuthTypes. Any mandatory auth type is an error (PMS_ESI_003).
func (s *Server) deriveACRs(p Policy) ([]string, error) {
	set := map[string]bool{}
	for _, at := range p.AuthTypes {
		if at.Mandatory {
			return nil, errMandatory
		}
		for acr, factors := range s.opts.AuthFactors {
			for _, f := range factors {
				if strings.EqualFold(f, at.AuthType) {
					set[acr] = true
				}
			}
		}
	}
	return sortedKeys(set), nil
}

// claimsSupported reads claims_supported from eSignet's discovery document (PMS's
// mosip.pms.esignet.config-url), once.
func (s *Server) claimsSupported(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	cached := s.claimsSup
	s.mu.Unlock()
	if cached != nil {
		return cached, nil
	}
	var d struct {
		Claims []string `json:"claims_supported"`
	}
	u := strings.TrimRight(s.opts.ESignetURL, "/") + "/v1/esignet/oidc/.well-known/openid-configuration"
	if err := s.getJSON(ctx, u, &d); err != nil {
		return nil, err
	}
	if d.Claims == nil {
		d.Claims = []string{}
	}
	s.mu.Lock()
	s.claimsSup = d.Claims
	s.mu.Unlock()
	return d.Claims, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
