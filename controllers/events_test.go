package controllers

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

func TestCombineEvents(t *testing.T) {
	normal := func(reason, note string) pendingEvent {
		return pendingEvent{corev1.EventTypeNormal, reason, "Act" + reason, note}
	}
	warning := func(reason, note string) pendingEvent {
		return pendingEvent{corev1.EventTypeWarning, reason, "Act" + reason, note}
	}
	cases := []struct {
		name string
		in   []pendingEvent
		want []pendingEvent
	}{
		{"none", nil, nil},
		{"one stays as it is", []pendingEvent{normal(v1.EventOutputWritten, "Wrote a")}, []pendingEvent{normal(v1.EventOutputWritten, "Wrote a")}},
		{"first pass: the client's creation names the event, notes in order",
			[]pendingEvent{normal(v1.EventKeyGenerated, "Generated k"), normal(v1.EventClientCreated, "Created c"), normal(v1.EventOutputWritten, "Wrote a")},
			[]pendingEvent{{corev1.EventTypeNormal, v1.EventClientCreated, "Act" + v1.EventClientCreated, "Generated k; Created c; Wrote a"}}},
		{"a rotation: Rotated outranks its start",
			[]pendingEvent{normal(v1.EventRotationStarted, "Started"), normal(v1.EventKeyGenerated, "Generated"), normal(v1.EventRotated, "Rotated")},
			[]pendingEvent{{corev1.EventTypeNormal, v1.EventRotated, "Act" + v1.EventRotated, "Started; Generated; Rotated"}}},
		{"warnings are sent one each, where they were",
			[]pendingEvent{warning(v1.EventESignetUnavailable, "down"), normal(v1.EventKeyGenerated, "Generated"), warning(v1.EventDeactivationFailed, "failed"), normal(v1.EventOutputWritten, "Wrote")},
			[]pendingEvent{warning(v1.EventESignetUnavailable, "down"), {corev1.EventTypeNormal, v1.EventKeyGenerated, "Act" + v1.EventKeyGenerated, "Generated; Wrote"}, warning(v1.EventDeactivationFailed, "failed")}},
		{"an unknown reason ranks last", []pendingEvent{normal("Other", "o"), normal(v1.EventOutputDeleted, "d")},
			[]pendingEvent{{corev1.EventTypeNormal, v1.EventOutputDeleted, "Act" + v1.EventOutputDeleted, "o; d"}}},
	}
	for _, c := range cases {
		got := combineEvents(c.in)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: event %d: got %+v, want %+v", c.name, i, got[i], c.want[i])
			}
		}
	}
}

func TestCombinedNoteFitsTheEventsAPI(t *testing.T) {
	var evs []pendingEvent
	for range 40 {
		evs = append(evs, pendingEvent{corev1.EventTypeNormal, v1.EventOutputWritten, "WriteOutput", "Wrote template to Secret ünïcode-output-name"})
	}
	note := combineEvents(evs)[0].note
	if len(note) > maxEventNote || !strings.HasSuffix(note, "…") || !strings.HasPrefix(note, "Wrote template") {
		t.Fatalf("note of %d bytes: %q", len(note), note)
	}
	for i, r := range note {
		if r == '\uFFFD' {
			t.Fatalf("note cut inside a character at %d", i)
		}
	}
}
