package esignet

import (
	"slices"
	"testing"
)

func TestParseAPIVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    APIVersion
		wantErr bool
	}{
		{"v1.0", V1_0, false}, {"1.0.0", V1_0, false}, {"v1.1", V1_0, false},
		{"v1.2", V1_2, false}, {"v1.3.0", V1_2, false}, {"v1.4.2", V1_2, false},
		{"v1.5", V1_5, false}, {"v1.5.1", V1_5, false},
		{"v1.6", V1_6, false}, {"v1.6.2", V1_6, false},
		{"v1.7", V1_7, false}, {"1.7.1", V1_7, false},
		{"v1.8", V1_8, false}, {"v1.8.0", V1_8, false},
		{"v1.9", "", true}, {"v1.10", "", true}, {"v2.0", "", true}, {"", "", true},
		{"latest", "", true}, {"v1.8 ", "", true}, {"v1", "", true},
	}
	for _, tt := range tests {
		got, err := ParseAPIVersion(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseAPIVersion(%q) = %q, %v; want %q, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCapabilities(t *testing.T) {
	type caps struct {
		ep                                 Endpoint
		patch, addCfg, langReq, langOK, ec bool
		emptyClaimsPUT                     bool
		algs                               []string
		grantCode                          string
		cfgKeys                            int
	}
	rs := []string{"RS256"}
	all := []string{"RS256", "PS256", "ES256"}
	tests := map[APIVersion]caps{
		V1_0: {EndpointOIDCClient, false, false, false, false, false, false, rs, CodeInvalidGrantType, 0},
		V1_2: {EndpointOAuthClient, false, false, true, true, false, false, rs, CodeInvalidGrantType, 0},
		V1_5: {EndpointOAuthClient, false, false, true, true, false, false, rs, CodeInvalidGrantType, 0},
		V1_6: {EndpointClient, false, true, false, true, false, false, rs, CodeInvalidGrantType, 5},
		V1_7: {EndpointClient, false, true, false, true, true, false, all, CodeUnsupportedGrantType, 7},
		V1_8: {EndpointClient, true, true, false, true, true, true, all, CodeUnsupportedGrantType, 8},
	}
	for v, want := range tests {
		got := caps{v.Endpoint(), v.SupportsPatch(), v.SupportsAdditionalConfig(),
			v.RequiresClientNameLangMap(), v.SupportsClientNameLangMap(), v.SupportsECKeys(),
			v.AllowsEmptyUserClaimsOnUpdate(), v.SupportedSigningAlgs(), v.GrantTypeErrorCode(),
			len(v.AdditionalConfigKeys())}
		if got.ep != want.ep || got.patch != want.patch || got.addCfg != want.addCfg ||
			got.langReq != want.langReq || got.langOK != want.langOK || got.ec != want.ec ||
			got.emptyClaimsPUT != want.emptyClaimsPUT || !slices.Equal(got.algs, want.algs) ||
			got.grantCode != want.grantCode || got.cfgKeys != want.cfgKeys {
			t.Errorf("%s: got %+v, want %+v", v, got, want)
		}
	}
}

func TestAdditionalConfigKeysPerVersion(t *testing.T) {
	tests := []struct {
		v    APIVersion
		key  string
		want bool
	}{
		{V1_5, "purpose", false},
		{V1_6, "purpose", true},
		{V1_6, "userinfo_response_type", true},
		{V1_6, "require_pushed_authorization_requests", false},
		{V1_7, "require_pushed_authorization_requests", true},
		{V1_7, "dpop_bound_access_tokens", true},
		{V1_7, "require_pkce", false},
		{V1_8, "require_pkce", true},
		{V1_8, "unknown_key", false},
	}
	for _, tt := range tests {
		if got := tt.v.AllowsAdditionalConfigKey(tt.key); got != tt.want {
			t.Errorf("%s.AllowsAdditionalConfigKey(%q) = %v, want %v", tt.v, tt.key, got, tt.want)
		}
	}
}

func TestInvalidVersionHasNoCapabilities(t *testing.T) {
	v := APIVersion("v9.9")
	if v.Valid() || v.SupportsPatch() || v.SupportsAdditionalConfig() || v.Endpoint() != EndpointOIDCClient {
		t.Errorf("unknown version must not claim capabilities")
	}
}

func TestRequiresAssertionJTI(t *testing.T) {
	for v, want := range map[APIVersion]bool{V1_0: false, V1_2: false, V1_5: false, V1_6: true, V1_7: true, V1_8: true} {
		if got := v.RequiresAssertionJTI(); got != want {
			t.Errorf("%s: RequiresAssertionJTI = %v, want %v", v, got, want)
		}
	}
}
