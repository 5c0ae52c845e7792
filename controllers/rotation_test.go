package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/test/consumers"
)

// nudge wakes the reconciler for a relying party (an annotation of a person's), as a test that
// moved the clock forward needs: the operator's own timer waits in real time.
func (f *fixture) nudge(name string) {
	f.t.Helper()
	f.update(name, func(r *v1.ESignetRelyingParty) {
		if r.Annotations == nil {
			r.Annotations = map[string]string{}
		}
		r.Annotations["test.esignet.openg2p.org/nudge"] = fmt.Sprint(time.Now().UnixNano())
	})
}

// ring reads the key Secret's slots.
func (f *fixture) ring(rp *v1.ESignetRelyingParty) keys.Ring {
	f.t.Helper()
	return keys.ReadRing(f.secret(SecretNameFor(rp)).Data)
}

// login runs a real python3-jose login for the client with the key, as an OpenG2P app holding
// the rendered configuration does (with a jti: the fake speaks eSignet v1.8).
func (f *fixture) login(rp *v1.ESignetRelyingParty, clientID string, kp *keys.KeyPair) error {
	f.t.Helper()
	jwk, err := kp.PrivateJWK()
	if err != nil {
		f.t.Fatal(err)
	}
	ep := rp.Status.Endpoints
	if ep == nil {
		f.t.Fatal("no endpoints in status")
	}
	_, err = consumers.Login(f.t, consumers.LoginRequest{Form: consumers.KeyJWKObject, Key: consumers.KeyJSON(consumers.KeyJWKObject, jwk),
		ClientID: clientID, AuthorizeEndpoint: ep.AuthorizationEndpoint, TokenEndpoint: ep.TokenEndpoint, JWKSURI: ep.JWKSURI,
		UserinfoEndpoint: ep.UserinfoEndpoint, RedirectURI: rp.Spec.RedirectURIs[0], Issuer: ep.Issuer, AddJTI: true})
	return err
}

func (f *fixture) mustLogin(rp *v1.ESignetRelyingParty, clientID string, kp *keys.KeyPair) {
	f.t.Helper()
	if err := f.login(rp, clientID, kp); err != nil {
		f.t.Fatalf("login as %s: %v", clientID, err)
	}
}

func (f *fixture) clientStatus(id string) string {
	c, ok := f.fake.Client(id)
	if !ok {
		return "absent"
	}
	return c.Status
}

// waitRotated waits until the resource's current client is rotation n and Ready.
func (f *fixture) waitRotated(name string, n int32) *v1.ESignetRelyingParty {
	f.t.Helper()
	var rp *v1.ESignetRelyingParty
	f.eventually(fmt.Sprintf("%s rotated to %d", name, n), func() (bool, string) {
		rp = f.get(name)
		reg := rp.Status.Registration
		c := meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionReady)
		if c == nil {
			return false, "no Ready condition"
		}
		return reg != nil && reg.Rotation == n && reg.Next == nil && c.Status == metav1.ConditionTrue && rp.Status.ObservedGeneration == rp.Generation,
			fmt.Sprintf("%+v; Ready %s/%s: %s", reg, c.Status, c.Reason, c.Message)
	})
	return rp
}

func rotating(requested string, overlap time.Duration) func(*v1.ESignetRelyingParty) {
	return func(r *v1.ESignetRelyingParty) {
		if r.Spec.Key.Rotation == nil {
			r.Spec.Key.Rotation = &v1.KeyRotation{}
		}
		r.Spec.Key.Rotation.RequestedAt = requested
		r.Spec.Key.Rotation.Overlap = &metav1.Duration{Duration: overlap}
	}
}

// A rotation on request: a new key and a new client, the outputs switched to them, the previous
// client and key kept for the overlap (both log in), then retired (only the new one logs in).
func TestRotationOnRequestWithOverlap(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("app", rotating("created-with", time.Hour))
	first := f.waitReady("app")
	if first.Status.Registration.Rotation != 0 || first.Status.Registration.RotationRequest != "created-with" {
		t.Fatalf("the request a resource is created with rotated it: %+v", first.Status.Registration)
	}
	oldID, oldKey := first.Status.ClientID, f.ring(first)[keys.SlotCurrent].Key
	f.mustLogin(first, oldID, oldKey)

	f.update("app", rotating("2026-12-02T10:00:00Z", time.Hour))
	rp := f.waitRotated("app", 1)
	reg := rp.Status.Registration
	newID := oldID + "-r1"
	if rp.Status.ClientID != newID || reg.ClientID != newID || reg.Previous == nil || reg.Previous.ClientID != oldID ||
		reg.Previous.KeyID != oldKey.KeyID || reg.Previous.RetireAt == nil || reg.RotationRequest != "2026-12-02T10:00:00Z" {
		t.Fatalf("status after rotation: %+v", rp.Status)
	}
	ring := f.ring(rp)
	cur, prev := ring[keys.SlotCurrent], ring[keys.SlotPrevious]
	if cur.ClientID != newID || cur.Key == nil || cur.Key.KeyID != rp.Status.KeyID || cur.Key.Equal(oldKey) ||
		prev.ClientID != oldID || !prev.Key.Equal(oldKey) || ring[keys.SlotNext].Key != nil {
		t.Fatalf("key Secret after rotation: current %s/%v, previous %s/%v", cur.ClientID, cur.Err, prev.ClientID, prev.Err)
	}
	if got := string(f.secret("app-oidc").Data["client_id"]); got != newID {
		t.Fatalf("the oidc output names client %q, want %q", got, newID)
	}
	if f.clientStatus(oldID) != "ACTIVE" || f.clientStatus(newID) != "ACTIVE" || len(f.fake.Clients()) != 2 {
		t.Fatalf("during the overlap: old %s, new %s, %d clients", f.clientStatus(oldID), f.clientStatus(newID), len(f.fake.Clients()))
	}
	f.mustLogin(rp, newID, cur.Key)
	f.mustLogin(rp, oldID, oldKey) // consumers not yet reloaded keep working
	if c := f.condition(rp, v1.ConditionRegistered); !strings.Contains(c.Message, "previous client "+oldID+" stays ACTIVE until") {
		t.Fatalf("Registered does not tell about the previous client: %s", c.Message)
	}
	// The rotation's pass: one event named for it, telling each of its steps.
	f.waitEvent("app", "a Rotated event telling the rotation's steps", func(e string) bool {
		return strings.HasPrefix(e, v1.EventRotated+": ") && strings.Contains(e, "Rotating (Requested): new RS256 key") &&
			strings.Contains(e, "Created client "+newID+" at eSignet") && strings.Contains(e, "Rotated (Requested) to client "+newID)
	})
	// A second request during the overlap waits: never a third client at once.
	f.update("app", rotating("again", time.Hour))
	f.eventually("the waiting rotation reported", func() (bool, string) {
		c := f.condition(f.get("app"), v1.ConditionRegistered)
		return strings.Contains(c.Message, "rotation waits for the previous client"), c.Message
	})
	if n := len(f.fake.Clients()); n != 2 {
		t.Fatalf("%d clients during the overlap", n)
	}

	// The overlap ends: the previous client is retired, its key leaves the Secret; the waiting
	// request then rotates once more.
	testClock.advance(time.Hour + time.Minute)
	f.nudge("app")
	rp = f.waitRotated("app", 2)
	if f.clientStatus(oldID) != "INACTIVE" || f.clientStatus(newID) != "ACTIVE" {
		t.Fatalf("after the overlap: old %s, new %s", f.clientStatus(oldID), f.clientStatus(newID))
	}
	if err := f.login(rp, oldID, oldKey); err == nil {
		t.Fatal("the retired client still logs in")
	}
	f.mustLogin(rp, newID, cur.Key) // now the previous one, in its own overlap
	ring = f.ring(rp)
	if ring.Find(oldKey.KeyID) != nil || ring[keys.SlotPrevious].ClientID != newID {
		t.Fatalf("the retired key is still in the Secret, or the slots are wrong: previous %s", ring[keys.SlotPrevious].ClientID)
	}
	// Told in the event of that pass (named for the rotation that followed the retirement).
	f.waitEvent("app", "an event telling of the retirement", func(e string) bool {
		return strings.Contains(e, "Set previous client "+oldID+" INACTIVE at eSignet; its overlap ended")
	})
	if n, _ := metricValue(t, "esignet_operator_key_rotations_total", map[string]string{"trigger": v1.TriggerRequested}); n < 2 {
		t.Fatalf("esignet_operator_key_rotations_total{trigger=Requested} = %v, want at least 2", n)
	}
	if _, ok := metricValue(t, "esignet_operator_previous_client_retire_timestamp_seconds", map[string]string{"namespace": f.ns, "relying_party": "app"}); !ok {
		t.Fatal("no retirement time metric for the previous client")
	}
	// Deletion deactivates every client of the resource.
	f.deleteAndExpectAllInactive("app", oldID, newID, oldID+"-r2")
}

func (f *fixture) deleteAndExpectAllInactive(name string, ids ...string) {
	f.t.Helper()
	if err := k8sClient.Delete(f.ctx, f.get(name)); err != nil {
		f.t.Fatal(err)
	}
	f.waitGone(name)
	for _, id := range ids {
		if s := f.clientStatus(id); s != "INACTIVE" {
			f.t.Fatalf("client %s is %s after deletion", id, s)
		}
	}
}

// A scheduled rotation falls due every interval from the key's registration; status says when.
func TestRotationScheduled(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("sched", func(r *v1.ESignetRelyingParty) {
		r.Spec.Key.Rotation = &v1.KeyRotation{Policy: v1.RotationScheduled, Every: &metav1.Duration{Duration: 4380 * time.Hour},
			Overlap: &metav1.Duration{Duration: 24 * time.Hour}}
	})
	rp := f.waitReady("sched")
	since := rp.Status.Registration.Since
	if since == nil || rp.Status.NextRotationAt == nil || !rp.Status.NextRotationAt.Equal(&metav1.Time{Time: since.Add(4380 * time.Hour)}) {
		t.Fatalf("nextRotationAt %v, since %v", rp.Status.NextRotationAt, since)
	}
	calls := f.fake.ClientMgmtCalls()
	testClock.advance(4379 * time.Hour)
	f.nudge("sched")
	time.Sleep(time.Second)
	if f.fake.ClientMgmtCalls() != calls || f.get("sched").Status.Registration.Rotation != 0 {
		t.Fatal("rotated, or called eSignet, before the schedule fell due")
	}
	testClock.advance(2 * time.Hour)
	f.nudge("sched")
	rp = f.waitRotated("sched", 1)
	if rp.Status.Registration.Previous == nil || !rp.Status.NextRotationAt.After(since.Add(4380*time.Hour)) {
		t.Fatalf("after the scheduled rotation: %+v, next %v", rp.Status.Registration, rp.Status.NextRotationAt)
	}
	f.waitEvent("sched", "a scheduled rotation event", func(e string) bool { return strings.Contains(e, "Rotated (Scheduled)") })
}

// Regression: with no overlap the previous client is retired at once. The operator's own writes
// no longer wake it, and the retirement's time had already come when it was scheduled, so no pass
// was asked for: the previous client stayed ACTIVE until the next resync.
func TestRotationWithoutOverlapRetiresAtOnce(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	f.newRP("zero")
	old := f.waitReady("zero").Status.ClientID
	f.update("zero", rotating("now", 0))
	f.eventually("the previous client retired without a nudge", func() (bool, string) {
		reg := f.get("zero").Status.Registration
		return reg != nil && reg.Rotation == 1 && reg.Previous == nil && f.clientStatus(old) == "INACTIVE", fmt.Sprintf("%+v", reg)
	})
}

// A time already come (the retirement of a rotation without overlap) asks for the next pass at
// once; before, it asked for none, and in a separate process nothing else woke the resource.
func TestWakeAtATimeAlreadyCome(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	sc := &rpScope{now: now}
	sc.wakeAt(now)
	if sc.wake.IsZero() || sc.wake.After(now.Add(time.Second)) {
		t.Fatalf("wake %v for a time already come", sc.wake)
	}
	sc.wakeAt(now.Add(time.Hour))
	if !sc.wake.Before(now.Add(time.Second)) {
		t.Fatal("a later time replaced an earlier one")
	}
	z := &rpScope{now: now}
	if z.wakeAt(time.Time{}); !z.wake.IsZero() {
		t.Fatal("a zero time asked for a pass")
	}
}
