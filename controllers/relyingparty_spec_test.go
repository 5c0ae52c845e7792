package controllers

import (
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/registration"
)

func TestClientIDFrozenOnceCreateAttempted(t *testing.T) {
	rp := &v1.ESignetRelyingParty{}
	rp.Namespace, rp.Name = "ns", "n"
	reg := registration.Record{State: v1.RegistrationPending, ClientID: "frozen", KeyID: "k"}
	if id, _, err := clientIDFor(rp, "changed-prefix-", reg); err != nil || id != "frozen" {
		t.Fatalf("got %q, %v; a frozen id must survive a prefix change", id, err)
	}
	rp.Spec.ClientID = "other"
	if _, _, err := clientIDFor(rp, "", reg); err == nil || !strings.Contains(err.Error(), "cannot rename") {
		t.Fatalf("changing a frozen id: err = %v", err)
	}
}

// A rotated client's id derives from the spec's: the spec is unchanged, so nothing was renamed.
func TestClientIDOfARotatedClient(t *testing.T) {
	rp := &v1.ESignetRelyingParty{}
	rp.Namespace, rp.Name, rp.Spec.ClientID = "ns", "n", "app"
	reg := registration.Record{State: v1.RegistrationRegistered, ClientID: "app-r2", KeyID: "k", Rotation: 2}
	id, base, err := clientIDFor(rp, "", reg)
	if err != nil || id != "app-r2" || base != "app" {
		t.Fatalf("got %q (base %q), %v", id, base, err)
	}
	reg.Rotation = 1 // a record whose id does not follow from the spec's
	if _, _, err := clientIDFor(rp, "", reg); err == nil {
		t.Fatal("an id that does not derive from spec.clientID was accepted")
	}
}

func TestConsumerRedirect(t *testing.T) {
	reg := []string{"https://sr.org/auth_oauth/signin", "https://spar.org/api/**"}
	if got, err := consumerRedirect("v1.8", reg, ""); err != nil || got != reg[0] {
		t.Fatalf("default: %q %v", got, err)
	}
	if _, err := consumerRedirect("v1.8", reg, "https://spar.org/api/selfservice/oauth2/callback"); err != nil {
		t.Fatalf("wildcard match refused: %v", err)
	}
	if _, err := consumerRedirect("v1.8", reg, "https://evil.org/cb"); err == nil {
		t.Fatal("unregistered redirect accepted")
	}
	// eSignet drops empty path segments when matching but refuses "//" in a URL: the old
	// controller matcher said yes to the first pair and no to the second.
	if _, err := consumerRedirect("v1.8", []string{"https://a.org/*/cb"}, "https://a.org//cb"); err == nil {
		t.Fatal(`"https://a.org//cb" accepted for "https://a.org/*/cb"; eSignet refuses it`)
	}
	if _, err := consumerRedirect("v1.8", []string{"https://a.org/cb?next=a/b"}, "https://a.org/cb?next=a//b"); err != nil {
		t.Fatalf("eSignet accepts a query differing in empty segments: %v", err)
	}
	if _, err := consumerRedirect("v1.8", []string{"https://x.org/**"}, ""); err == nil {
		t.Fatal("a wildcard pattern cannot be a consumer's redirect URI")
	}
}

func TestAdditionalConfigPerVersion(t *testing.T) {
	ac := &v1.AdditionalConfig{ConsentExpireInMins: ptr.To[int32](15), RequirePKCE: ptr.To(true),
		Purpose: &v1.Purpose{Type: "login", Title: map[string]string{"@none": "Log in"}}}
	cases := []struct {
		version esignet.APIVersion
		want    string // JSON, or an error fragment after "error:"
	}{
		{esignet.V1_8, `{"consent_expire_in_mins":15,"purpose":{"title":{"@none":"Log in"},"type":"login"},"require_pkce":true}`},
		{esignet.V1_7, "error:require_pkce"},
		{esignet.V1_5, "error:needs eSignet v1.6"},
	}
	for _, tc := range cases {
		got, err := additionalConfigJSON(ac, tc.version)
		if strings.HasPrefix(tc.want, "error:") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tc.want, "error:")) {
				t.Errorf("%s: err = %v, want %q", tc.version, err, tc.want)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %s, %v; want %s", tc.version, got, err, tc.want)
		}
	}
	if got, err := additionalConfigJSON(nil, esignet.V1_0); err != nil || got != nil {
		t.Fatalf("nil config: %s %v", got, err)
	}
}

func TestLangMapPerVersion(t *testing.T) {
	spec := &v1.ESignetRelyingPartySpec{ClientName: "Registry"}
	if m, _ := langMap(spec, esignet.V1_5); m["eng"] != "Registry" {
		t.Fatalf("v1.5 needs a map; got %v", m)
	}
	if m, _ := langMap(spec, esignet.V1_8); m != nil {
		t.Fatalf("v1.8 needs none; got %v", m)
	}
	spec.ClientNameLangMap = map[string]v1.LocalizedName{"fra": "Registre"}
	if _, err := langMap(spec, esignet.V1_0); err == nil {
		t.Fatal("v1.0 has no clientNameLangMap; the spec must be refused, not silently trimmed")
	}
}

func TestFingerprintChangesWithEveryRegisteredField(t *testing.T) {
	base := esignet.ClientDetail{ClientID: "c", ClientName: "n", LogoURI: "https://l", RedirectURIs: []string{"https://r"},
		UserClaims: []string{"name"}, AuthContextRefs: []string{"a"}, Status: esignet.StatusActive}
	fp := fingerprint(base, "kid")
	mutations := map[string]func(*esignet.ClientDetail){
		"name":   func(d *esignet.ClientDetail) { d.ClientName = "m" },
		"claims": func(d *esignet.ClientDetail) { d.UserClaims = []string{"name", "email"} },
		"status": func(d *esignet.ClientDetail) { d.Status = esignet.StatusInactive },
		"config": func(d *esignet.ClientDetail) { d.AdditionalConfig = []byte(`{"require_pkce":true}`) },
	}
	for name, m := range mutations {
		d := base
		m(&d)
		if fingerprint(d, "kid") == fp {
			t.Errorf("%s change does not change the fingerprint", name)
		}
	}
	if fingerprint(base, "other-kid") == fp {
		t.Error("key change does not change the fingerprint")
	}
	withKey := base
	withKey.PublicKey = []byte(`{"kty":"RSA"}`)
	if fingerprint(withKey, "kid") != fp {
		t.Error("the public key bytes must not matter, only its kid")
	}
}
