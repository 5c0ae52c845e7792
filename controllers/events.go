package controllers

import (
	"slices"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// A pass's events are sent when it ends, its normal ones as one: a new resource's first pass
// generates a key, creates the client and writes the outputs, and three events for it cost
// about a tenth of the CPU of applying many new resources (measured: docs/performance.md).
// Warnings stay one each: each asks for attention of its own.

// pendingEvent is an event recorded during a pass.
type pendingEvent struct{ eventType, reason, action, note string }

// eventRank orders normal reasons by what a person most needs to see first: what happened to
// the client at eSignet, then to its key, then to the objects written from it. The combined
// event takes the reason of the highest-ranked event of the pass.
var eventRank = []string{
	v1.EventRotated, v1.EventClientCreated, v1.EventClientAdopted, v1.EventRotationStarted, v1.EventClientUpdated,
	v1.EventClientConverged, v1.EventClientReasserted, v1.EventClientRetired, v1.EventClientDeactivated, v1.EventRetained,
	v1.EventForceDeleted, v1.EventKeyGenerated, v1.EventSecretAdopted, v1.EventRolledOut, v1.EventApplied,
	v1.EventOutputWritten, v1.EventOutputDeleted,
}

// maxEventNote is the longest note the events API accepts (1 kB).
const maxEventNote = 1024

// combineEvents gives the events to send for a pass's events, in the order recorded: warnings
// as they are, and every normal event as one, placed where the first of them was, whose reason
// and action are the highest-ranked one's and whose note joins all notes in order.
func combineEvents(evs []pendingEvent) []pendingEvent {
	var out []pendingEvent
	first := -1
	var notes []string
	for _, e := range evs {
		if e.eventType != corev1.EventTypeNormal {
			out = append(out, e)
			continue
		}
		notes = append(notes, e.note)
		if first < 0 {
			first = len(out)
			out = append(out, e)
		} else if rankOf(e.reason) < rankOf(out[first].reason) {
			out[first].reason, out[first].action = e.reason, e.action
		}
	}
	if first >= 0 {
		out[first].note = truncateNote(strings.Join(notes, "; "))
	}
	return out
}

func rankOf(reason string) int {
	if i := slices.Index(eventRank, reason); i >= 0 {
		return i
	}
	return len(eventRank)
}

// truncateNote cuts a note to what the events API accepts, on a character boundary.
func truncateNote(s string) string {
	if len(s) <= maxEventNote {
		return s
	}
	const more = "…"
	cut := maxEventNote - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}
