package registration

import (
	"encoding/json"
	"testing"
	"time"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

var rotated = Record{State: v1.RegistrationRegistered, ClientID: "ns-rp-r1", KeyID: "kid2", Rotation: 1, Fingerprint: "fp",
	Since: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Request: "r1",
	Next:     &Record{State: v1.RegistrationPending, ClientID: "ns-rp-r2", KeyID: "kid3", Rotation: 2, Trigger: v1.TriggerScheduled},
	Previous: &Record{State: v1.RegistrationRegistered, ClientID: "ns-rp", KeyID: "kid1", RetireAt: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}}

// The annotation carries what a rotation needs after status is lost: the rotation counter, the
// next client (so its create is recognised as the operator's) and the previous one (so it is
// still retired, and deactivated on deletion). The seal covers all of it.
func TestRotationSurvivesALostStatus(t *testing.T) {
	rp := relyingParty("ns", "rp")
	rp.Spec.Key.Rotation = &v1.KeyRotation{RequestedAt: "r2"}
	rp.Annotations = map[string]string{v1.AnnotationRegistration: rotated.Annotation(testSealer, rp)}
	got := Load(rp, testSealer)
	if got.State != v1.RegistrationPending || got.ClientID != "ns-rp-r1" || got.Rotation != 1 {
		t.Fatalf("current: %+v", got)
	}
	if got.Next == nil || got.Next.ClientID != "ns-rp-r2" || got.Next.KeyID != "kid3" || got.Next.State != v1.RegistrationPending ||
		got.Next.Rotation != 2 || got.Next.Trigger != v1.TriggerScheduled {
		t.Fatalf("next: %+v", got.Next)
	}
	if got.Previous == nil || got.Previous.ClientID != "ns-rp" || !got.Previous.RetireAt.Equal(rotated.Previous.RetireAt) {
		t.Fatalf("previous: %+v", got.Previous)
	}
	if got.Request != "r2" || !got.Since.IsZero() {
		t.Fatalf("a restore must count the resource's request as acted on and restart the schedule: %+v", got)
	}

	// Tampering with any part of it breaks the seal.
	var id map[string]any
	_ = json.Unmarshal([]byte(rp.Annotations[v1.AnnotationRegistration]), &id)
	id["previous"].(map[string]any)["clientID"] = "victim-app"
	b, _ := json.Marshal(id)
	rp.Annotations[v1.AnnotationRegistration] = string(b)
	if Load(rp, testSealer).Exists() {
		t.Fatal("an annotation with a changed previous client was trusted")
	}
}

// A status round trip keeps every rotation field.
func TestRotationStatusRoundTrip(t *testing.T) {
	rp := relyingParty("ns", "rp")
	rp.Status.Registration = rotated.Status()
	got := Load(rp, testSealer)
	if got.Rotation != 1 || !got.Since.Equal(rotated.Since) || got.Request != "r1" || got.Next == nil || got.Next.Trigger != v1.TriggerScheduled ||
		got.Previous == nil || !got.Previous.RetireAt.Equal(rotated.Previous.RetireAt) {
		t.Fatalf("status round trip: %+v", got)
	}
}

// An adopted client exists though the operator never created it: after status is lost it is
// updated, not created.
func TestAdoptedSurvivesALostStatus(t *testing.T) {
	rp := relyingParty("ns", "rp")
	adopted := Record{State: v1.RegistrationRegistered, ClientID: "by-hand", KeyID: "kid1", Adopted: true}
	rp.Annotations = map[string]string{v1.AnnotationRegistration: adopted.Annotation(testSealer, rp)}
	got := Load(rp, testSealer)
	if act, _ := Plan(got, Target{ClientID: "by-hand", KeyID: "kid1", Fingerprint: "fp"}); !got.Adopted || act != Update {
		t.Fatalf("loaded %+v, plan %q", got, act)
	}
	o := AfterCall(Update, got, Target{ClientID: "by-hand", KeyID: "kid1", Fingerprint: "fp"}, false, errUnknownID)
	if o.Next != None || o.Stop == nil || o.Stop.Reason != v1.ReasonAdoptedUnknown || o.Record.Refused == nil {
		t.Fatalf("an adopted client eSignet does not know: %+v", o)
	}
	if act, st := Plan(o.Record, Target{ClientID: "by-hand", KeyID: "kid1", Fingerprint: "fp"}); act != None || st == nil {
		t.Fatal("the refused adoption is sent again without a spec change")
	}
}

// An annotation written before rotation existed still verifies.
func TestAnnotationOfAnUnrotatedClientUnchanged(t *testing.T) {
	rp := relyingParty("ns", "rp")
	ann := recPending.Annotation(testSealer, rp)
	var id map[string]any
	_ = json.Unmarshal([]byte(ann), &id)
	if len(id) != 3 {
		t.Fatalf("annotation of an unrotated client grew: %s", ann)
	}
}

func TestReassertAndStamps(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	if act, _ := Plan(recCurrent, Target{ClientID: "ns-rp", KeyID: "kid1", RelyingPartyID: "rp", Fingerprint: "fp2", Reassert: true}); act != Update {
		t.Fatalf("reassert planned %q", act)
	}
	o := AfterCall(Create, recPending, Target{ClientID: "ns-rp", KeyID: "kid1", Fingerprint: "fp2", Now: now, Request: "r0"}, true, nil)
	if !o.Record.Since.Equal(now) || !o.Record.AssertedAt.Equal(now) || o.Record.Request != "r0" {
		t.Fatalf("a create stamps since, asserted and the request: %+v", o.Record)
	}
	// An adopted client's first update starts its life the same way.
	adopted := AfterCall(Update, Record{State: v1.RegistrationRegistered, ClientID: "by-hand", KeyID: "kid1", Adopted: true},
		Target{ClientID: "by-hand", KeyID: "kid1", Fingerprint: "fp", Now: now, Request: "set-at-creation"}, false, nil)
	if !adopted.Record.Since.Equal(now) || adopted.Record.Request != "set-at-creation" {
		t.Fatalf("an adopted client's first update: %+v", adopted.Record)
	}
	later := now.Add(time.Hour)
	o = AfterCall(Update, o.Record, Target{ClientID: "ns-rp", KeyID: "kid1", Fingerprint: "fp3", Now: later, Request: "r9"}, false, nil)
	if !o.Record.Since.Equal(now) || !o.Record.AssertedAt.Equal(later) || o.Record.Request != "r0" {
		t.Fatalf("an update stamps asserted only: %+v", o.Record)
	}
}
