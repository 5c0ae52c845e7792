package schedule

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/registration"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func registered(since time.Time) registration.Record {
	return registration.Record{State: v1.RegistrationRegistered, ClientID: "c", KeyID: "k1", Since: since, Request: "r0"}
}

func TestDecide(t *testing.T) {
	sched := Policy{Scheduled: true, Every: 100 * time.Hour, Overlap: time.Hour, Request: "r0"}
	withPrev := registered(t0)
	withPrev.Previous = &registration.Record{ClientID: "c-old", KeyID: "k0", RetireAt: t0.Add(time.Hour)}
	inFlight := registered(t0)
	inFlight.Next = &registration.Record{State: v1.RegistrationPending, ClientID: "c-r1", KeyID: "k2", Trigger: v1.TriggerRequested}
	pending := registered(t0)
	pending.State = v1.RegistrationPending
	for _, tc := range []struct {
		name    string
		reg     registration.Record
		p       Policy
		lost    bool
		now     time.Time
		trigger string
		waiting bool
		retire  bool
		wake    time.Time
		next    time.Time
	}{
		{name: "never: nothing", reg: registered(t0), p: Policy{Request: "r0"}, now: t0.Add(1000 * time.Hour)},
		{name: "scheduled, not yet due", reg: registered(t0), p: sched, now: t0.Add(99 * time.Hour),
			wake: t0.Add(100 * time.Hour), next: t0.Add(100 * time.Hour)},
		{name: "scheduled, due", reg: registered(t0), p: sched, now: t0.Add(100 * time.Hour),
			trigger: v1.TriggerScheduled, next: t0.Add(100 * time.Hour)},
		{name: "schedule unknown after a lost status: not due", reg: registered(time.Time{}), p: sched, now: t0},
		{name: "requested", reg: registered(t0), p: Policy{Request: "r1"}, now: t0, trigger: v1.TriggerRequested},
		{name: "request cleared: nothing", reg: registered(t0), p: Policy{}, now: t0},
		{name: "requested while the previous client is in its overlap: waits", reg: withPrev, p: Policy{Request: "r1"}, now: t0,
			waiting: true, wake: t0.Add(time.Hour)},
		{name: "overlap over: retire", reg: withPrev, p: Policy{Request: "r0"}, now: t0.Add(time.Hour), retire: true},
		{name: "a rotation in progress continues", reg: inFlight, p: Policy{}, now: t0, trigger: v1.TriggerRequested},
		{name: "lost key, Stop policy: nothing", reg: registered(t0), p: Policy{Request: "r0"}, lost: true, now: t0},
		{name: "lost key, Rotate policy", reg: registered(t0), p: Policy{RotateOnLoss: true}, lost: true, now: t0, trigger: v1.TriggerKeyLost},
		{name: "lost key during an overlap still rotates", reg: withPrev, p: Policy{RotateOnLoss: true}, lost: true, now: t0,
			trigger: v1.TriggerKeyLost, wake: t0.Add(time.Hour)},
		{name: "lost key of no client: nothing to recover", reg: registration.Record{}, p: Policy{RotateOnLoss: true}, lost: true, now: t0},
		{name: "not registered yet: no rotation", reg: pending, p: Policy{Request: "r1"}, now: t0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.reg, tc.p, tc.lost, tc.now)
			if d.Trigger != tc.trigger || (d.Waiting != "") != tc.waiting || d.Retire != tc.retire || !d.Wake.Equal(tc.wake) || !d.NextRotation.Equal(tc.next) {
				t.Fatalf("got %+v", d)
			}
			if tc.waiting && !strings.Contains(d.Waiting, "c-old") {
				t.Fatalf("waiting message %q does not name the previous client", d.Waiting)
			}
		})
	}
}

func TestPolicyFor(t *testing.T) {
	if p := PolicyFor(v1.KeySpec{}); p.Scheduled || p.Overlap != DefaultOverlap || p.RotateOnLoss {
		t.Fatalf("defaults: %+v", p)
	}
	p := PolicyFor(v1.KeySpec{OnKeyLoss: v1.KeyLossRotate, Rotation: &v1.KeyRotation{Policy: v1.RotationScheduled,
		Every: &metav1.Duration{Duration: 4380 * time.Hour}, Overlap: &metav1.Duration{}, RequestedAt: "x"}})
	if !p.Scheduled || p.Every != 4380*time.Hour || p.Overlap != 0 || !p.RotateOnLoss || p.Request != "x" {
		t.Fatalf("%+v", p)
	}
	if PolicyFor(v1.KeySpec{Rotation: &v1.KeyRotation{Policy: v1.RotationNever, Every: &metav1.Duration{Duration: time.Hour}}}).Scheduled {
		t.Fatal("policy Never is not scheduled")
	}
}

func TestClientID(t *testing.T) {
	long := "esignet.tenant-a." + strings.Repeat("x", 83) // 100 characters
	for _, tc := range []struct {
		base string
		n    int32
		want string
	}{
		{"ns.app", 0, "ns.app"},
		{"ns.app", 1, "ns.app-r1"},
		{"ns.app", 12, "ns.app-r12"},
	} {
		if got := ClientID(tc.base, tc.n); got != tc.want {
			t.Errorf("ClientID(%q, %d) = %q, want %q", tc.base, tc.n, got, tc.want)
		}
	}
	a, b := ClientID(long, 1), ClientID(long, 2)
	if len(a) != 100 || len(b) != 100 || a == b || !strings.HasPrefix(a, "esignet.tenant-a.") || !strings.HasSuffix(b, "-r2") {
		t.Fatalf("long ids %q %q", a, b)
	}
	if ClientID(long+"y", 1) == a {
		t.Fatal("different bases gave the same rotated id")
	}
}

func TestReassert(t *testing.T) {
	due, at := Reassert(time.Time{}, time.Hour, "uid", t0)
	if !due || !at.Equal(t0) {
		t.Fatal("never asserted: due now")
	}
	due, at = Reassert(t0, time.Hour, "uid-1", t0.Add(59*time.Minute))
	if due || at.Before(t0.Add(time.Hour)) || at.After(t0.Add(66*time.Minute)) {
		t.Fatalf("due %v at %v: want not yet, within the jitter", due, at)
	}
	if due, _ := Reassert(t0, time.Hour, "uid-1", at); !due {
		t.Fatal("not due at its own time")
	}
	_, a1 := Reassert(t0, time.Hour, "uid-1", t0)
	_, a2 := Reassert(t0, time.Hour, "uid-2", t0)
	if a1.Equal(a2) {
		t.Fatal("two resources got the same jitter")
	}
}
