package tenancy

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

func TestDeriveClientID(t *testing.T) {
	cases := []struct{ prefix, ns, name, want string }{
		{"", "openg2p", "sr", "openg2p.sr"},
		{"prod-", "openg2p", "sr", "prod-openg2p.sr"},
		{"", "openg2p", "portal.v2", "openg2p.portal.v2"},
	}
	for _, tc := range cases {
		if got := DeriveClientID(tc.prefix, tc.ns, tc.name); got != tc.want {
			t.Errorf("DeriveClientID(%q,%q,%q) = %q, want %q", tc.prefix, tc.ns, tc.name, got, tc.want)
		}
	}
	long := DeriveClientID("", strings.Repeat("n", 63), strings.Repeat("r", 90))
	other := DeriveClientID("", strings.Repeat("n", 63), strings.Repeat("r", 89)+"s")
	if len(long) != 100 || long == other || !InSpace(long, "", strings.Repeat("n", 63)) {
		t.Fatalf("long ids must be cut to 100 characters, stay distinct and stay in their namespace: %q %q", long, other)
	}
}

// Regression: <namespace>-<name> made namespace a-b + name c and namespace a + name b-c share an id.
func TestDerivedIDsAreInjective(t *testing.T) {
	pairs := [][2]string{{"a-b", "c"}, {"a", "b-c"}, {"a", "b.c"}, {"a-b", "c.d"}, {"a", "b-c.d"}, {"ab", "c"}, {"a", "bc"}}
	seen := map[string][2]string{}
	for _, p := range pairs {
		id := DeriveClientID("", p[0], p[1])
		if q, dup := seen[id]; dup {
			t.Fatalf("%v and %v both derive %q", p, q, id)
		}
		seen[id] = p
		for _, q := range pairs {
			if q[0] != p[0] && InSpace(id, "", q[0]) {
				t.Fatalf("%q (namespace %s) is in namespace %s's space", id, p[0], q[0])
			}
		}
	}
}

func TestAdmitClientID(t *testing.T) {
	shared := ForCluster("shared", v1.Tenancy{ClientIDs: v1.ClientIDsNamespaced}, "p-")
	anyIDs := ForCluster("shared", v1.Tenancy{ClientIDs: v1.ClientIDsAny}, "p-")
	cases := []struct {
		name  string
		fence Fence
		ns    string
		id    string
		ok    bool
	}{
		{"own derived id", shared, "mallory", "p-mallory.app", true},
		{"another namespace's id", shared, "mallory", "p-victim.app", false},
		{"a namespace whose name extends ours", shared, "mal", "p-mallory.app", false},
		{"the bare space", shared, "mallory", "p-mallory.", false},
		{"no prefix", shared, "mallory", "mallory.app", false},
		{"a hand-registered id", shared, "mallory", "mosip-resident", false},
		{"Any lets trusted namespaces choose", anyIDs, "mallory", "mosip-resident", true},
		{"a namespaced provider is the namespace's own", Fence{}, "mallory", "anything", true},
	}
	for _, tc := range cases {
		if r := tc.fence.AdmitClientID(tc.ns, tc.id, "spec.clientID"); (r == nil) != tc.ok {
			t.Errorf("%s: refusal %v, want ok=%v", tc.name, r, tc.ok)
		} else if r != nil && r.Reason != v1.ReasonClientIDNotAllowed {
			t.Errorf("%s: reason %s", tc.name, r.Reason)
		}
	}
}

func TestAdmitNamespace(t *testing.T) {
	team := ForCluster("shared", v1.Tenancy{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"esignet": "allowed"}}}, "")
	all := ForCluster("shared", v1.Tenancy{}, "")
	bad := ForCluster("shared", v1.Tenancy{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "x", Operator: "Bogus"}}}}, "")
	cases := []struct {
		name   string
		fence  Fence
		labels map[string]string
		ok     bool
	}{
		{"selected", team, map[string]string{"esignet": "allowed"}, true},
		{"not selected", team, map[string]string{"esignet": "no"}, false},
		{"no labels", team, nil, false},
		{"no selector: every namespace", all, nil, true},
		{"an invalid selector admits none", bad, map[string]string{"x": "y"}, false},
		{"namespaced provider", Fence{}, nil, true},
	}
	for _, tc := range cases {
		if r := tc.fence.AdmitNamespace("ns", tc.labels); (r == nil) != tc.ok {
			t.Errorf("%s: refusal %v, want ok=%v", tc.name, r, tc.ok)
		}
	}
}

func TestSealer(t *testing.T) {
	s, err := NewSealer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	seal := s.Seal("registration", "ns", "rp", "ns.rp", "kid")
	if !s.Verify(seal, "registration", "ns", "rp", "ns.rp", "kid") {
		t.Fatal("own seal not verified")
	}
	for _, parts := range [][]string{
		{"registration", "ns", "rp", "ns.rp", "kid2"},
		{"registration", "ns", "rpns.rp", "", "kid"}, // parts are length-prefixed: no shifting
		{"registration", "other", "rp", "ns.rp", "kid"},
	} {
		if s.Verify(seal, parts...) {
			t.Errorf("seal verified for %v", parts)
		}
	}
	if (Sealer{}).Verify(seal, "registration", "ns", "rp", "ns.rp", "kid") {
		t.Fatal("a Sealer without a key verified a seal")
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
}
