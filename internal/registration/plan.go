package registration

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/step"
)

// Action is one call the operator makes to eSignet's client management.
type Action string

const (
	None       Action = ""
	Create     Action = "create"
	Update     Action = "update"
	Deactivate Action = "deactivate" // right after a create of a client the spec wants INACTIVE
)

// Target is what Plan compares the record with.
type Target struct {
	ClientID       string
	KeyID          string
	RelyingPartyID string
	Fingerprint    string // of the whole desired client, key id included
	Inactive       bool   // spec.active false
	// Reassert sends the desired client even though eSignet last accepted it (drift policy).
	Reassert bool
	// Now stamps what eSignet accepted; Request is the rotation request a first create acts on.
	Now     time.Time
	Request string
}

// Plan decides the first call from the record alone: no call when eSignet already holds the
// target, none when eSignet refused exactly this target before, a create when no client is
// known to exist (or one may, unanswered: eSignet's duplicate_client_id then proves it ours),
// an update otherwise.
func Plan(reg Record, t Target) (Action, *step.Stop) {
	switch {
	case reg.State == v1.RegistrationRegistered && reg.Fingerprint == t.Fingerprint && !t.Reassert:
		return None, nil
	case reg.Refused != nil && reg.Refused.Fingerprint == t.Fingerprint:
		return None, &step.Stop{Condition: v1.ConditionRegistered, Reason: reg.Refused.Reason, Message: reg.Refused.Message, Terminal: true}
	case reg.State == v1.RegistrationRegistered && reg.RelyingPartyID != "" && reg.RelyingPartyID != t.RelyingPartyID:
		return None, &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonImmutableChanged, Terminal: true, Message: fmt.Sprintf(
			"relyingPartyID would change from %q to %q, which eSignet cannot update; restore it or create a new resource", reg.RelyingPartyID, t.RelyingPartyID)}
	case reg.State == v1.RegistrationRegistered:
		return Update, nil
	}
	return Create, nil
}

// Outcome is what one answer from eSignet means: the record after it, the next call (a create
// that found its own earlier client converges with an update; an update that found the client
// gone re-creates it), and, unless all is done, why the step stops.
type Outcome struct {
	Record Record
	Next   Action
	Stop   *step.Stop
}

// AfterCall is the decision table for eSignet's answers. wasPending says the record showed a
// possibly-created client before this pass: only then is duplicate_client_id our own client,
// and only when it is false may a refused create forget the intent.
func AfterCall(act Action, reg Record, t Target, wasPending bool, err error) Outcome {
	if err == nil {
		return accepted(act, reg, t)
	}
	what := fmt.Sprintf("%s client %s", verb(act), t.ClientID)
	switch {
	case act == Create && hasCode(err, esignet.CodeDuplicateClientID) && wasPending:
		return Outcome{Record: reg, Next: Update}
	case act == Update && hasCode(err, esignet.CodeInvalidClientID) && reg.Adopted:
		// A client registered by hand is never created here: its id may be mistyped. Not sent
		// again until the spec changes.
		reg.Refused = &v1.Refusal{Fingerprint: t.Fingerprint, Reason: v1.ReasonAdoptedUnknown, Message: fmt.Sprintf(
			"eSignet does not know client %s (or it is INACTIVE); spec.key.adopt only takes over an existing client: check spec.clientID, or register the client at eSignet and change the spec to try again", t.ClientID)}
		return Outcome{Record: reg, Stop: &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonAdoptedUnknown, Terminal: true, Message: reg.Refused.Message}}
	case act == Update && hasCode(err, esignet.CodeInvalidClientID):
		// eSignet no longer knows the client (database restored or reset): create it again.
		reg.State, reg.Fingerprint = v1.RegistrationPending, ""
		return Outcome{Record: reg, Next: Create}
	}
	k := esignet.KindOf(err)
	if act == Create && answered(err) && !wasPending {
		// eSignet refused this create and no earlier one is unaccounted for: no client exists.
		reg = Record{Refused: reg.Refused}
	}
	switch k {
	case esignet.KindTerminal, esignet.KindConflict, esignet.KindUnsupported:
		if !answered(err) {
			break // a proxy's 404 is not eSignet's word: retry
		}
		reason, hint := refusalReason(err)
		reg.Refused = &v1.Refusal{Fingerprint: t.Fingerprint, Reason: reason, Message: fmt.Sprintf("%s: %s; %s", what, esignet.Describe(err), hint)}
		return Outcome{Record: reg, Stop: &step.Stop{Condition: v1.ConditionRegistered, Reason: reason, Message: reg.Refused.Message, Terminal: true}}
	case esignet.KindAuth:
		return Outcome{Record: reg, Stop: &step.Stop{Condition: v1.ConditionRegistered, Reason: v1.ReasonAuthFailed,
			Message: fmt.Sprintf("%s: %s; check the provider's credentials and scopes", what, esignet.Describe(err)), Requeue: time.Minute}}
	}
	reason, msg := v1.ReasonESignetUnavailable, fmt.Sprintf("%s: %s", what, esignet.Describe(err))
	if r, h, ok := ownReason(err); ok { // PMS: a partner or policy to fix, retried meanwhile
		reason, msg = r, msg+"; "+h
	}
	return Outcome{Record: reg, Stop: &step.Stop{Condition: v1.ConditionRegistered, Reason: reason, Message: msg, Err: err}}
}

// hasCode reports whether err carries eSignet's error code, directly or as another registrar
// behind the seam translates its own.
func hasCode(err error, code string) bool {
	if esignet.HasCode(err, code) {
		return true
	}
	var other interface{ ESignetCodes() []string }
	return errors.As(err, &other) && slices.Contains(other.ESignetCodes(), code)
}

// ownReason is the condition reason and remedy another registrar (PMS) gives its failure.
func ownReason(err error) (reason, remedy string, ok bool) {
	var other interface{ ConditionReason() (string, string) }
	if !errors.As(err, &other) {
		return "", "", false
	}
	reason, remedy = other.ConditionReason()
	return reason, remedy, reason != ""
}

func accepted(act Action, reg Record, t Target) Outcome {
	reg.State, reg.ClientID, reg.KeyID = v1.RegistrationRegistered, t.ClientID, t.KeyID
	if reg.RelyingPartyID == "" || act == Create {
		reg.RelyingPartyID = t.RelyingPartyID
	}
	if act == Create || reg.Since.IsZero() {
		// The client's life starts here (or, after a lost status, again): the schedule counts
		// from now, and the rotation request the resource holds now rotates nothing.
		reg.Since, reg.Request = t.Now, t.Request
	}
	reg.AssertedAt = t.Now
	if act == Create && t.Inactive {
		// A create is always ACTIVE; the fingerprint waits for the deactivation.
		reg.Fingerprint = ""
		return Outcome{Record: reg, Next: Deactivate}
	}
	reg.Fingerprint, reg.Refused = t.Fingerprint, nil
	return Outcome{Record: reg}
}

// answered reports whether eSignet itself answered, so the request provably did not take
// effect: its own error envelope, an authentication refusal, or a request never sent. A
// timeout, a reset or a proxy's error page leaves the outcome unknown.
func answered(err error) bool {
	var other interface{ Answered() bool } // another registrar behind the seam (PMS)
	if errors.As(err, &other) {
		return other.Answered()
	}
	var ae *esignet.APIError
	if errors.As(err, &ae) {
		return (ae.HTTPStatus == http.StatusOK && len(ae.Errors) > 0 && !ae.Malformed) ||
			ae.HTTPStatus == http.StatusUnauthorized || ae.HTTPStatus == http.StatusForbidden
	}
	var ue *esignet.UnsupportedError
	var ie *esignet.InputError
	return errors.As(err, &ue) || errors.As(err, &ie)
}

func refusalReason(err error) (reason, hint string) {
	if r, h, ok := ownReason(err); ok {
		return r, h
	}
	switch {
	case hasCode(err, esignet.CodeDuplicateClientID):
		return v1.ReasonClientIDConflict, "another client already uses this id at eSignet; set a different spec.clientID on a new resource"
	case hasCode(err, esignet.CodeDuplicatePublicKey):
		return v1.ReasonPublicKeyConflict, "another eSignet client already holds this key"
	}
	return v1.ReasonESignetRejected, "fix the spec; it is not sent again until it changes"
}

func verb(a Action) string {
	return map[Action]string{Create: "creating", Update: "updating", Deactivate: "deactivating"}[a]
}

// codes is eSignet's error codes for a log line or event.
func codes(err error) string { return strings.Join(esignet.Codes(err), ",") }
