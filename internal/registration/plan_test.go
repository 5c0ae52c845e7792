package registration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/esignet"
	"github.com/openg2p/esignet-operator/internal/step"
	"github.com/openg2p/esignet-operator/internal/tenancy"
)

// The registration decision, tested without envtest or HTTP: the plan from the record, the
// meaning of every answer, and the registrar running them against a scripted eSignet.

var tgt = Target{ClientID: "ns-rp", KeyID: "kid1", RelyingPartyID: "rp", Fingerprint: "fp2"}

func eSignetSays(code string) error {
	return &esignet.APIError{Op: "x", Method: "POST", Path: "/client", HTTPStatus: 200, Errors: []esignet.ErrorItem{{Code: code}}}
}

var (
	errDuplicateID  = eSignetSays(esignet.CodeDuplicateClientID)
	errDuplicateKey = eSignetSays(esignet.CodeDuplicatePublicKey)
	errUnknownID    = eSignetSays(esignet.CodeInvalidClientID)
	errInvalidURI   = eSignetSays(esignet.CodeInvalidRedirectURI)
	errUnauthorized = &esignet.APIError{Op: "x", Method: "POST", Path: "/client", HTTPStatus: 401}
	errProxy404     = &esignet.APIError{Op: "x", Method: "POST", Path: "/client", HTTPStatus: 404, Malformed: true}
	errUnavailable  = &esignet.APIError{Op: "x", Method: "POST", Path: "/client", HTTPStatus: 503}
	errTimeout      = &esignet.RequestError{Op: "x", Method: "POST", Path: "/client", Err: &net.OpError{Op: "read", Err: errors.New("i/o timeout")}}
)

var (
	recNone       = Record{}
	recPending    = Record{State: v1.RegistrationPending, ClientID: "ns-rp", KeyID: "kid1"}
	recCurrent    = Record{State: v1.RegistrationRegistered, ClientID: "ns-rp", KeyID: "kid1", RelyingPartyID: "rp", Fingerprint: "fp2"}
	recOutdated   = Record{State: v1.RegistrationRegistered, ClientID: "ns-rp", KeyID: "kid1", RelyingPartyID: "rp", Fingerprint: "fp1"}
	recRefused    = Record{Refused: &v1.Refusal{Fingerprint: "fp2", Reason: v1.ReasonESignetRejected, Message: "refused before"}}
	recRefusedOld = Record{State: v1.RegistrationRegistered, ClientID: "ns-rp", KeyID: "kid1", RelyingPartyID: "rp", Fingerprint: "fp1",
		Refused: &v1.Refusal{Fingerprint: "fp0", Reason: v1.ReasonESignetRejected, Message: "old"}}
	recOtherRP = Record{State: v1.RegistrationRegistered, ClientID: "ns-rp", KeyID: "kid1", RelyingPartyID: "other", Fingerprint: "fp1"}
)

func TestPlan(t *testing.T) {
	cases := []struct {
		name   string
		reg    Record
		want   Action
		reason string // of the stop, "" for none
	}{
		{"nothing registered: create", recNone, Create, ""},
		{"create unanswered before: create again (a duplicate proves it ours)", recPending, Create, ""},
		{"registered as desired: no call", recCurrent, None, ""},
		{"registered, spec changed: update", recOutdated, Update, ""},
		{"this very Target was refused: no call, same refusal", recRefused, None, v1.ReasonESignetRejected},
		{"an older Target was refused: update", recRefusedOld, Update, ""},
		{"relyingPartyID changed: eSignet cannot, no call", recOtherRP, None, v1.ReasonImmutableChanged},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, st := Plan(tc.reg, tgt)
			if got != tc.want || step.ReasonOf(st) != tc.reason {
				t.Fatalf("plan = %q, stop %q; want %q, %q", got, step.ReasonOf(st), tc.want, tc.reason)
			}
			if st != nil && !st.Terminal {
				t.Fatal("a refusal of the spec must be Stalled")
			}
		})
	}
}

// TestAfterCall is the table of eSignet's answers: what the record becomes, what is called next,
// and why the step stops.
func TestAfterCall(t *testing.T) {
	cases := []struct {
		name       string
		act        Action
		reg        Record
		wasPending bool
		err        error
		wantState  v1.RegistrationState
		wantNext   Action
		wantReason string
		terminal   bool
		retry      bool // retried with backoff (err set)
	}{
		{"create accepted", Create, recPending, false, nil, v1.RegistrationRegistered, None, "", false, false},
		{"create of an unanswered earlier create: duplicate id is ours, converge", Create, recPending, true, errDuplicateID, v1.RegistrationPending, Update, "", false, false},
		{"duplicate id without an earlier create: someone else's, forget the intent", Create, recPending, false, errDuplicateID, "", None, v1.ReasonClientIDConflict, true, false},
		{"duplicate key without an earlier create", Create, recPending, false, errDuplicateKey, "", None, v1.ReasonPublicKeyConflict, true, false},
		{"duplicate key after an unanswered create: keep the intent", Create, recPending, true, errDuplicateKey, v1.RegistrationPending, None, v1.ReasonPublicKeyConflict, true, false},
		{"validation refusal: intent forgotten", Create, recPending, false, errInvalidURI, "", None, v1.ReasonESignetRejected, true, false},
		{"validation refusal after an unanswered create: intent kept", Create, recPending, true, errInvalidURI, v1.RegistrationPending, None, v1.ReasonESignetRejected, true, false},
		{"401: not applied, intent forgotten, retried later", Create, recPending, false, errUnauthorized, "", None, v1.ReasonAuthFailed, false, false},
		{"proxy 404 after a reset: unknown outcome, intent kept", Create, recPending, false, errProxy404, v1.RegistrationPending, None, v1.ReasonESignetUnavailable, false, true},
		{"503: intent kept", Create, recPending, false, errUnavailable, v1.RegistrationPending, None, v1.ReasonESignetUnavailable, false, true},
		{"timeout: intent kept", Create, recPending, false, errTimeout, v1.RegistrationPending, None, v1.ReasonESignetUnavailable, false, true},
		{"update accepted", Update, recOutdated, false, nil, v1.RegistrationRegistered, None, "", false, false},
		{"update of a client eSignet forgot: create again", Update, recOutdated, false, errUnknownID, v1.RegistrationPending, Create, "", false, false},
		{"update refused: still registered, refusal kept", Update, recOutdated, false, errInvalidURI, v1.RegistrationRegistered, None, v1.ReasonESignetRejected, true, false},
		{"update 401", Update, recOutdated, false, errUnauthorized, v1.RegistrationRegistered, None, v1.ReasonAuthFailed, false, false},
		{"update timeout", Update, recOutdated, false, errTimeout, v1.RegistrationRegistered, None, v1.ReasonESignetUnavailable, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := AfterCall(tc.act, tc.reg, tgt, tc.wasPending, tc.err)
			if o.Record.State != tc.wantState || o.Next != tc.wantNext || step.ReasonOf(o.Stop) != tc.wantReason {
				t.Fatalf("got state %q next %q stop %q; want %q %q %q", o.Record.State, o.Next, step.ReasonOf(o.Stop), tc.wantState, tc.wantNext, tc.wantReason)
			}
			if o.Stop != nil && (o.Stop.Terminal != tc.terminal || (o.Stop.Err != nil) != tc.retry) {
				t.Fatalf("stop terminal=%v retry=%v; want %v %v", o.Stop.Terminal, o.Stop.Err != nil, tc.terminal, tc.retry)
			}
			if tc.terminal && (o.Record.Refused == nil || o.Record.Refused.Fingerprint != tgt.Fingerprint) {
				t.Fatalf("a refusal must be recorded so it is not sent again: %+v", o.Record.Refused)
			}
			if tc.err == nil && (o.Record.Fingerprint != tgt.Fingerprint || o.Record.Refused != nil) {
				t.Fatalf("accepted: fingerprint %q refused %+v", o.Record.Fingerprint, o.Record.Refused)
			}
		})
	}
}

// scriptedESignet answers calls from a script and records them.
type scriptedESignet struct {
	answers []error
	calls   []string
}

func (s *scriptedESignet) answer(call string) error {
	s.calls = append(s.calls, call)
	if len(s.answers) == 0 {
		return fmt.Errorf("unexpected call %s", call)
	}
	err := s.answers[0]
	s.answers = s.answers[1:]
	return err
}

func (s *scriptedESignet) Create(_ context.Context, d esignet.ClientDetail) (*esignet.ClientResult, error) {
	return nil, s.answer("create " + d.ClientID)
}

func (s *scriptedESignet) Update(_ context.Context, d esignet.ClientDetail) (*esignet.ClientResult, error) {
	return nil, s.answer("update " + d.ClientID)
}

func (s *scriptedESignet) SetStatus(_ context.Context, d esignet.ClientDetail, st esignet.Status) (*esignet.ClientResult, error) {
	return nil, s.answer("status " + d.ClientID + " " + string(st))
}

// TestRegistrarConverges runs every record against eSignet's possible answers, checking the
// calls made, the intent saved before a create, the record after, and one report per call.
func TestRegistrarConverges(t *testing.T) {
	inactive := tgt
	inactive.Inactive = true
	cases := []struct {
		name        string
		reg         Record
		t           Target
		answers     []error
		wantCalls   string
		wantSaves   int // intent writes before a create
		wantState   v1.RegistrationState
		wantReason  string
		wantReports int
	}{
		{"first registration", recNone, tgt, []error{nil}, "create ns-rp", 1, v1.RegistrationRegistered, "", 1},
		{"unchanged: no call", recCurrent, tgt, nil, "", 0, v1.RegistrationRegistered, "", 0},
		{"spec changed", recOutdated, tgt, []error{nil}, "update ns-rp", 0, v1.RegistrationRegistered, "", 1},
		{"crash after create: duplicate is ours, converged", recPending, tgt, []error{errDuplicateID, nil}, "create ns-rp|update ns-rp", 0, v1.RegistrationRegistered, "", 2},
		{"someone else's id: conflict, nothing updated", recNone, tgt, []error{errDuplicateID}, "create ns-rp", 1, "", v1.ReasonClientIDConflict, 1},
		{"refused before: no call", recRefused, tgt, nil, "", 0, "", v1.ReasonESignetRejected, 0},
		{"eSignet lost the client: recreated", recOutdated, tgt, []error{errUnknownID, nil}, "update ns-rp|create ns-rp", 0, v1.RegistrationRegistered, "", 2},
		{"created INACTIVE: create then deactivate", recNone, inactive, []error{nil, nil}, "create ns-rp|status ns-rp INACTIVE", 1, v1.RegistrationRegistered, "", 2},
		{"outage during create: intent kept", recNone, tgt, []error{errUnavailable}, "create ns-rp", 1, v1.RegistrationPending, v1.ReasonESignetUnavailable, 1},
		{"contradicting answers stop after three calls", recPending, tgt, []error{errDuplicateID, errUnknownID, errDuplicateID},
			"create ns-rp|update ns-rp|create ns-rp", 0, v1.RegistrationPending, v1.ReasonESignetUnavailable, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := &scriptedESignet{answers: tc.answers}
			saves, reports := 0, 0
			g := Registrar{API: api,
				SaveIntent: func(_ context.Context, reg Record) error {
					if reg.State != v1.RegistrationPending || reg.ClientID != tc.t.ClientID || reg.KeyID != tc.t.KeyID {
						t.Fatalf("intent saved as %+v", reg)
					}
					if len(api.calls) > 0 && strings.HasPrefix(api.calls[len(api.calls)-1], "create") {
						t.Fatal("intent saved after the create was sent")
					}
					saves++
					return nil
				},
				Report: func(string, string, string, string) { reports++ },
			}
			reg, st := g.Converge(context.Background(), tc.reg, tc.t, esignet.ClientDetail{ClientID: tc.t.ClientID})
			if got := strings.Join(api.calls, "|"); got != tc.wantCalls {
				t.Fatalf("calls %q, want %q", got, tc.wantCalls)
			}
			if saves != tc.wantSaves || reg.State != tc.wantState || step.ReasonOf(st) != tc.wantReason || reports != tc.wantReports {
				t.Fatalf("saves %d state %q stop %q reports %d; want %d %q %q %d", saves, reg.State, step.ReasonOf(st), reports,
					tc.wantSaves, tc.wantState, tc.wantReason, tc.wantReports)
			}
			if len(api.answers) != 0 {
				t.Fatalf("%d scripted answers unused", len(api.answers))
			}
		})
	}
}

// A create eSignet refused, with no client left behind, is still not sent again after the
// record goes through status (regression: the refusal was dropped with the empty record).
func TestRefusedCreateSurvivesTheStatus(t *testing.T) {
	api := &scriptedESignet{answers: []error{errInvalidURI}}
	g := Registrar{API: api, SaveIntent: func(context.Context, Record) error { return nil }, Report: func(string, string, string, string) {}}
	reg, st := g.Converge(context.Background(), recNone, tgt, esignet.ClientDetail{ClientID: tgt.ClientID})
	if step.ReasonOf(st) != v1.ReasonESignetRejected || reg.Exists() {
		t.Fatalf("record %+v stop %+v", reg, st)
	}
	saved := Load(&v1.ESignetRelyingParty{Status: v1.ESignetRelyingPartyStatus{Registration: reg.Status()}}, testSealer)
	if act, st := Plan(saved, tgt); act != None || step.ReasonOf(st) != v1.ReasonESignetRejected {
		t.Fatalf("after the status round trip: %q %+v", act, st)
	}
}

// TestIntentNotSavedMeansNoCall: if the intent cannot be recorded, nothing reaches eSignet.
func TestIntentNotSavedMeansNoCall(t *testing.T) {
	api := &scriptedESignet{}
	g := Registrar{API: api, SaveIntent: func(context.Context, Record) error { return errors.New("apiserver down") },
		Report: func(string, string, string, string) {}}
	reg, st := g.Converge(context.Background(), recNone, tgt, esignet.ClientDetail{ClientID: tgt.ClientID})
	if len(api.calls) != 0 || reg.Exists() || step.ReasonOf(st) != v1.ReasonKubernetesError || st.Err == nil {
		t.Fatalf("calls %v record %+v stop %+v", api.calls, reg, st)
	}
}

var (
	testSealer, _  = tenancy.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	otherSealer, _ = tenancy.NewSealer([]byte("another key, not the operator's!"))
)

func relyingParty(ns, name string) *v1.ESignetRelyingParty {
	rp := &v1.ESignetRelyingParty{}
	rp.Namespace, rp.Name = ns, name
	return rp
}

func TestLoadRegistration(t *testing.T) {
	sealedFor := func(s Sealer, ns, name string) map[string]string {
		return map[string]string{v1.AnnotationRegistration: recPending.Annotation(s, relyingParty(ns, name))}
	}
	ann := sealedFor(testSealer, "ns", "rp")
	full := &v1.RegistrationStatus{State: v1.RegistrationRegistered, ClientID: "ns-rp", KeyID: "kid1", Fingerprint: "fp"}
	cases := []struct {
		name      string
		ann       map[string]string
		status    *v1.RegistrationStatus
		wantState v1.RegistrationState
		wantFP    string
	}{
		{"nothing", nil, nil, "", ""},
		{"status alone (annotation dropped by a GitOps replace)", nil, full, v1.RegistrationRegistered, "fp"},
		{"sealed annotation alone (status lost): may exist", ann, nil, v1.RegistrationPending, ""},
		{"both: status wins", ann, full, v1.RegistrationRegistered, "fp"},
		{"malformed annotation is no record", map[string]string{v1.AnnotationRegistration: `{"clientID":""}`}, nil, "", ""},
		{"forged annotation without a seal is no record", map[string]string{v1.AnnotationRegistration: `{"clientID":"ns-rp","keyID":"kid1"}`}, nil, "", ""},
		{"annotation copied from another relying party is no record", sealedFor(testSealer, "ns", "other"), nil, "", ""},
		{"annotation copied from another namespace is no record", sealedFor(testSealer, "victim", "rp"), nil, "", ""},
		{"annotation sealed with another key is no record", sealedFor(otherSealer, "ns", "rp"), nil, "", ""},
		{"a refused first create is remembered without a client", nil, &v1.RegistrationStatus{Refused: &v1.Refusal{Fingerprint: "fp", Reason: "R"}}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rp := relyingParty("ns", "rp")
			rp.Annotations, rp.Status.Registration = tc.ann, tc.status
			reg := Load(rp, testSealer)
			if reg.State != tc.wantState || reg.Fingerprint != tc.wantFP {
				t.Fatalf("loaded %+v", reg)
			}
			if reg.Exists() {
				back := relyingParty("ns", "rp")
				back.Annotations = map[string]string{v1.AnnotationRegistration: reg.Annotation(testSealer, rp)}
				if again := Load(back, testSealer); again.ClientID != "ns-rp" || again.KeyID != "kid1" || again.State != v1.RegistrationPending {
					t.Fatalf("annotation round trip: %+v", again)
				}
			} else if reg.Annotation(testSealer, rp) != "" || (reg.Status() != nil) != (reg.Refused != nil) {
				t.Fatal("no client: no annotation, and a status only to remember a refusal")
			}
			back := Load(&v1.ESignetRelyingParty{Status: v1.ESignetRelyingPartyStatus{Registration: reg.Status()}}, testSealer)
			if back.State != reg.State || (back.Refused == nil) != (reg.Refused == nil) {
				t.Fatalf("status round trip: %+v", back)
			}
		})
	}
}

// Acquire is asked once per pass that calls eSignet, never when nothing is to be called, and a
// wait it returns stops the pass before any call.
func TestAcquireOnlyWhenCalling(t *testing.T) {
	acquired := 0
	grant := func() (func(), *step.Stop) { acquired++; return func() {}, nil }
	g := Registrar{API: &scriptedESignet{}, SaveIntent: func(context.Context, Record) error { return nil },
		Report: func(string, string, string, string) {}, Acquire: grant}
	if _, st := g.Converge(context.Background(), recCurrent, tgt, esignet.ClientDetail{}); st != nil || acquired != 0 {
		t.Fatalf("unchanged: acquired %d times, stop %+v", acquired, st)
	}
	api := &scriptedESignet{answers: []error{errDuplicateID, nil}}
	g.API = api
	if _, st := g.Converge(context.Background(), recPending, tgt, esignet.ClientDetail{}); st != nil || acquired != 1 || len(api.calls) != 2 {
		t.Fatalf("two calls: acquired %d times, calls %v, stop %+v", acquired, api.calls, st)
	}
	busy := &step.Stop{Reason: v1.ReasonESignetBusy}
	g.API, g.Acquire = &scriptedESignet{}, func() (func(), *step.Stop) { return nil, busy }
	if _, st := g.Converge(context.Background(), recOutdated, tgt, esignet.ClientDetail{}); st != busy {
		t.Fatalf("busy: stop %+v", st)
	}
}
