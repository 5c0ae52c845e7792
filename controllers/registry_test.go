package controllers

import "testing"

// A connection that is new or changed is announced once, so relying parties turned away before
// it existed are reconciled at once; an unchanged one (every provider resync) is not.
func TestRegistryAnnouncesNewConnections(t *testing.T) {
	reg := newRegistry()
	k := providerKey{Kind: "ESignetProvider", Namespace: "ns", Name: "esignet"}
	steps := []struct {
		hash     string
		announce bool
	}{{"a", true}, {"a", false}, {"b", true}, {"b", false}}
	for i, s := range steps {
		reg.put(k, &connection{configHash: s.hash})
		select {
		case ev := <-reg.ready:
			if !s.announce {
				t.Errorf("step %d: unchanged connection announced", i)
			}
			if ev.Object != k {
				t.Errorf("step %d: announced %v", i, ev.Object)
			}
		default:
			if s.announce {
				t.Errorf("step %d: new connection not announced", i)
			}
		}
	}
	reg.remove(k)
	reg.put(k, &connection{configHash: "b"})
	if len(reg.ready) != 1 {
		t.Error("a connection back after removal is not announced")
	}
}
