package registration

import (
	"errors"
	"testing"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
)

// otherError is a failure of another registrar behind the seam (PMS) telling what it means.
type otherError struct {
	answered bool
	codes    []string
	reason   string
	kind     esignet.Kind
}

func (e *otherError) Error() string                            { return "other: " + e.reason }
func (e *otherError) Answered() bool                           { return e.answered }
func (e *otherError) ESignetCodes() []string                   { return e.codes }
func (e *otherError) ConditionReason() (reason, remedy string) { return e.reason, "fix the partner" }
func (e *otherError) Kind() esignet.Kind                       { return e.kind }

// Another registrar's answers drive the same decisions: its "exists" after a lost create is
// ours, its refusal is remembered with its own reason, its setup failures are retried with it.
func TestAnotherRegistrarsAnswers(t *testing.T) {
	exists := &otherError{codes: []string{esignet.CodeDuplicateClientID}, kind: esignet.KindConflict}
	if o := AfterCall(Create, recPending, tgt, true, exists); o.Next != Update {
		t.Fatalf("its 'exists' after a lost create: %+v", o)
	}
	refused := &otherError{answered: true, reason: "PolicyNotFound", kind: esignet.KindTerminal}
	o := AfterCall(Create, recNone, tgt, false, refused)
	if o.Stop == nil || o.Stop.Reason != "PolicyNotFound" || !o.Stop.Terminal || o.Record.Refused == nil || o.Record.Exists() {
		t.Fatalf("its refusal: %+v", o)
	}
	setup := &otherError{answered: true, reason: "PartnerInactive", kind: esignet.KindTransient}
	o = AfterCall(Create, recNone, tgt, false, setup)
	if o.Stop == nil || o.Stop.Reason != "PartnerInactive" || o.Stop.Err == nil || o.Stop.Terminal {
		t.Fatalf("its retryable setup failure: %+v", o)
	}
	unknown := &otherError{codes: []string{esignet.CodeInvalidClientID}, answered: true, kind: esignet.KindTerminal}
	if o := AfterCall(Update, recCurrent, tgt, false, unknown); o.Next != Create || o.Record.State != v1.RegistrationPending {
		t.Fatalf("its 'unknown client': %+v", o)
	}
	if !errors.As(error(refused), new(interface{ Answered() bool })) {
		t.Fatal("seam interface")
	}
}
