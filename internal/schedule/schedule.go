// Package schedule decides when the operator acts on a relying party of its own accord: a key
// rotation (scheduled, requested, or recovering a lost key), the retirement of the previous
// client after the overlap, and the re-assertion of a client eSignet may have drifted from.
// Everything here is a pure function of the registration record, the spec and the time.
package schedule

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/registration"
)

// DefaultOverlap keeps the previous client ACTIVE for a day after a rotation.
const DefaultOverlap = 24 * time.Hour

// DefaultDriftInterval is how often a Reassert drift policy sends the client.
const DefaultDriftInterval = time.Hour

// Policy is the rotation part of the spec.
type Policy struct {
	Scheduled    bool
	Every        time.Duration
	Overlap      time.Duration
	Request      string // spec.key.rotation.requestedAt
	RotateOnLoss bool
}

// PolicyFor reads the spec's key settings, with defaults.
func PolicyFor(k v1.KeySpec) Policy {
	p := Policy{Overlap: DefaultOverlap, RotateOnLoss: k.OnKeyLoss == v1.KeyLossRotate}
	if r := k.Rotation; r != nil {
		p.Scheduled = r.Policy == v1.RotationScheduled && r.Every != nil && r.Every.Duration > 0
		if r.Every != nil {
			p.Every = r.Every.Duration
		}
		if r.Overlap != nil {
			p.Overlap = r.Overlap.Duration
		}
		p.Request = r.RequestedAt
	}
	return p
}

// Decision is what the record, the policy and the time call for.
type Decision struct {
	// Trigger starts (or continues) a rotation: v1.TriggerScheduled, Requested or KeyLost.
	Trigger string
	// Waiting explains a rotation that is due but waits for the previous client to retire.
	Waiting string
	// NextRotation is when the schedule falls due (zero when not scheduled or not registered).
	NextRotation time.Time
	// Retire: the previous client's overlap is over.
	Retire bool
	// Wake is the earliest future time something falls due (zero: nothing scheduled).
	Wake time.Time
}

// Decide is the rotation table. A rotation in progress is always finished first. A lost key
// rotates at once when the spec allows it. Otherwise a rotation needs a registered client and
// waits while a previous client is still in its overlap: at most two clients are ever ACTIVE
// for a resource (three only for the moment a lost key is replaced during an overlap).
func Decide(reg registration.Record, p Policy, keyLost bool, now time.Time) Decision {
	var d Decision
	if prev := reg.Previous; prev != nil {
		d.Retire = !now.Before(prev.RetireAt)
		d.Wake = earliest(d.Wake, future(prev.RetireAt, now))
	}
	if p.Scheduled && !reg.Since.IsZero() {
		d.NextRotation = reg.Since.Add(p.Every)
	}
	switch {
	case reg.Next != nil:
		d.Trigger = reg.Next.Trigger
		return d
	case keyLost && p.RotateOnLoss && reg.Exists():
		d.Trigger = v1.TriggerKeyLost
		return d
	case reg.State != v1.RegistrationRegistered || keyLost:
		return d
	}
	trigger := ""
	switch {
	case p.Request != "" && p.Request != reg.Request:
		trigger = v1.TriggerRequested
	case !d.NextRotation.IsZero() && !now.Before(d.NextRotation):
		trigger = v1.TriggerScheduled
	}
	d.Wake = earliest(d.Wake, future(d.NextRotation, now))
	switch {
	case trigger == "":
	case reg.Previous != nil: // retired first, in an earlier step of the pass, when its time has come
		d.Waiting = fmt.Sprintf("a %s rotation waits for the previous client %s to retire at %s",
			map[string]string{v1.TriggerRequested: "requested", v1.TriggerScheduled: "scheduled"}[trigger],
			reg.Previous.ClientID, reg.Previous.RetireAt.UTC().Format(time.RFC3339))
	default:
		d.Trigger = trigger
	}
	return d
}

// ClientID is the id of the client of rotation n: the base id for the first client, then the
// base id with "-r<n>". An id that would pass eSignet's 100 characters keeps its start (the
// tenant's id space) and ends in a hash of the base.
func ClientID(base string, n int32) string {
	if n == 0 {
		return base
	}
	suffix := "-r" + strconv.Itoa(int(n))
	if len(base)+len(suffix) <= maxClientID {
		return base + suffix
	}
	sum := sha256.Sum256([]byte(base))
	tail := "-" + hex.EncodeToString(sum[:4]) + suffix
	return base[:maxClientID-len(tail)] + tail
}

const maxClientID = 100

// Reassert says whether a Reassert drift policy is due: interval after the last assertion,
// stretched by a jitter of up to a tenth that is fixed per resource (seed), so that resources
// created together do not all call eSignet at once. It returns when it falls due.
func Reassert(asserted time.Time, interval time.Duration, seed string, now time.Time) (bool, time.Time) {
	if interval <= 0 {
		interval = DefaultDriftInterval
	}
	if asserted.IsZero() {
		return true, now
	}
	sum := sha256.Sum256([]byte(seed))
	frac := float64(binary.BigEndian.Uint16(sum[:2])) / 65536
	at := asserted.Add(interval + time.Duration(frac*float64(interval)/10))
	return !now.Before(at), at
}

func future(t, now time.Time) time.Time {
	if t.IsZero() || !t.After(now) {
		return time.Time{}
	}
	return t
}

// earliest is the earlier of two times, ignoring zero ones.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// Earliest is exported for callers combining wake-up times.
func Earliest(a, b time.Time) time.Time { return earliest(a, b) }
