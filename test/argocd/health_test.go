package argocd_test

import (
	"os"
	"slices"
	"testing"

	"github.com/openg2p/esignet-operator/test/argocd"
	"github.com/openg2p/esignet-operator/test/kstatus"
)

var allKinds = []string{kindRelyingParty, kindProvider, kindClusterProvider}

// healthCase is one row of the state -> health table: the object, what Argo CD shows with the
// shipped health.lua, and what kstatus (Flux, kpt) computes from the same object.
type healthCase struct {
	name        string
	kinds       []string
	obj         func(kind string) map[string]any
	wantStatus  string
	wantMessage string
	wantKStatus string
}

var (
	readyTrue        = cond{"Ready", "True", "Ready", "Client registered and configuration rendered"}
	readyTrueBare    = cond{"Ready", "True", "", ""}
	reconcilingFalse = cond{"Reconciling", "False", "Ready", ""}
	stalledFalse     = cond{"Stalled", "False", "Ready", ""}
	reconcilingTrue  = cond{"Reconciling", "True", "ProviderNotReady", "ESignetProvider default/esignet is not Ready"}
	readyNotReady    = cond{"Ready", "False", "ProviderNotReady", "ESignetProvider default/esignet is not Ready"}
	readyUnavailable = cond{"Ready", "False", "ESignetUnavailable", "POST /client-mgmt/oauth-client: connection refused; retrying"}
	readyUnknown     = cond{"Ready", "Unknown", "Reconciling", "Reconciliation in progress"}
	readyInvalid     = cond{"Ready", "False", "InvalidSpec", "spec.redirectURIs[0] must be an absolute https URL"}
	stalledInvalid   = cond{"Stalled", "True", "InvalidSpec", "spec.redirectURIs[0] must be an absolute https URL"}
	stalledConflict  = cond{"Stalled", "True", "ClientIDConflict", "client ID sample is registered to another relying party"}
	readyDeactivate  = cond{"Ready", "False", "Deactivating", "deactivating the client at eSignet: connection refused; retrying"}
)

func conds(c ...cond) []cond { return c }

var healthCases = []healthCase{
	{
		name: "no status yet", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, nil, noStatus) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Waiting for the operator to observe generation 2",
		// kstatus cannot tell an object without status from one with nothing to report.
		wantKStatus: "Current",
	},
	{
		name: "generation not observed", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyTrue), observed(1)) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Waiting for the operator to observe generation 2",
		wantKStatus: "InProgress",
	},
	{
		name: "status without observedGeneration", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyTrue), noObservedGeneration) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Waiting for the operator to observe generation 2",
		// kstatus skips the generation check when the field is absent.
		wantKStatus: "Current",
	},
	{
		name: "deleting while deactivating", kinds: allKinds,
		obj: func(k string) map[string]any {
			return object(k, conds(readyDeactivate, cond{"Reconciling", "True", "Deactivating", "retrying"}), deleting)
		},
		wantStatus:  argocd.StatusProgressing,
		wantMessage: "Deleting: Deactivating: deactivating the client at eSignet: connection refused; retrying",
		wantKStatus: "Terminating",
	},
	{
		name: "deleting with a Ready object", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyTrue), deleting) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Deleting: Ready: Client registered and configuration rendered",
		wantKStatus: "Terminating",
	},
	{
		name: "deleting before any status", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, nil, noStatus, deleting) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Deleting",
		wantKStatus: "Terminating",
	},
	{
		name: "deleting a stalled object", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(stalledConflict, readyInvalid), deleting) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Deleting: InvalidSpec: spec.redirectURIs[0] must be an absolute https URL",
		wantKStatus: "Terminating",
	},
	{
		name: "stalled: invalid spec", kinds: allKinds,
		obj: func(k string) map[string]any {
			return object(k, conds(readyInvalid, cond{"Reconciling", "False", "InvalidSpec", ""}, stalledInvalid))
		},
		wantStatus: argocd.StatusDegraded, wantMessage: "InvalidSpec: spec.redirectURIs[0] must be an absolute https URL",
		wantKStatus: "Failed",
	},
	{
		name: "stalled wins over a stale Ready=True", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyTrue, stalledConflict)) },
		wantStatus: argocd.StatusDegraded, wantMessage: "ClientIDConflict: client ID sample is registered to another relying party",
		wantKStatus: "Failed",
	},
	{
		name: "stalled without a message", kinds: allKinds,
		obj: func(k string) map[string]any {
			return object(k, conds(cond{"Stalled", "True", "SecretNotOwned", ""}))
		},
		wantStatus: argocd.StatusDegraded, wantMessage: "SecretNotOwned",
		wantKStatus: "Failed",
	},
	{
		name: "ready", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyTrue, reconcilingFalse, stalledFalse)) },
		wantStatus: argocd.StatusHealthy, wantMessage: "Ready: Client registered and configuration rendered",
		wantKStatus: "Current",
	},
	{
		name: "ready without reason or message", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyTrueBare)) },
		wantStatus: argocd.StatusHealthy, wantMessage: "",
		wantKStatus: "Current",
	},
	{
		name: "reconciling: provider not ready", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyNotReady, reconcilingTrue, stalledFalse)) },
		wantStatus: argocd.StatusProgressing, wantMessage: "ProviderNotReady: ESignetProvider default/esignet is not Ready",
		wantKStatus: "InProgress",
	},
	{
		name: "Ready=False, eSignet unavailable", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyUnavailable)) },
		wantStatus: argocd.StatusProgressing, wantMessage: "ESignetUnavailable: POST /client-mgmt/oauth-client: connection refused; retrying",
		wantKStatus: "InProgress",
	},
	{
		name: "Ready=Unknown", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyUnknown)) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Reconciling: Reconciliation in progress",
		wantKStatus: "InProgress",
	},
	{
		name: "Reconciling=True without Ready", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(reconcilingTrue)) },
		wantStatus: argocd.StatusProgressing, wantMessage: "ProviderNotReady: ESignetProvider default/esignet is not Ready",
		wantKStatus: "InProgress",
	},
	{
		name: "observed, no conditions yet", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, nil) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Waiting for the operator to report Ready",
		// kstatus treats a resource with no known conditions as Current.
		wantKStatus: "Current",
	},
	{
		// Not produced under the status contract (Reconciling is False once Ready is True); the
		// script lets Ready decide, kstatus lets Reconciling decide.
		name: "Ready=True and Reconciling=True", kinds: allKinds,
		obj:        func(k string) map[string]any { return object(k, conds(readyTrue, reconcilingTrue)) },
		wantStatus: argocd.StatusHealthy, wantMessage: "Ready: Client registered and configuration rendered",
		wantKStatus: "InProgress",
	},

	// spec.active applies to relying parties only.
	{
		name: "inactive client", kinds: []string{kindRelyingParty},
		obj: func(k string) map[string]any {
			return object(k, conds(readyTrue, reconcilingFalse, stalledFalse), active(false))
		},
		wantStatus: argocd.StatusSuspended, wantMessage: "spec.active is false: the client is INACTIVE at eSignet",
		wantKStatus: "Current",
	},
	{
		name: "explicitly active client", kinds: []string{kindRelyingParty},
		obj:        func(k string) map[string]any { return object(k, conds(readyTrue), active(true)) },
		wantStatus: argocd.StatusHealthy, wantMessage: "Ready: Client registered and configuration rendered",
		wantKStatus: "Current",
	},
	{
		name: "inactive client not yet deactivated", kinds: []string{kindRelyingParty},
		obj: func(k string) map[string]any {
			return object(k, conds(readyUnavailable, cond{"Reconciling", "True", "ESignetUnavailable", "retrying"}), active(false))
		},
		wantStatus: argocd.StatusProgressing, wantMessage: "ESignetUnavailable: POST /client-mgmt/oauth-client: connection refused; retrying",
		wantKStatus: "InProgress",
	},
	{
		name: "inactive client, stalled", kinds: []string{kindRelyingParty},
		obj:        func(k string) map[string]any { return object(k, conds(stalledConflict), active(false)) },
		wantStatus: argocd.StatusDegraded, wantMessage: "ClientIDConflict: client ID sample is registered to another relying party",
		wantKStatus: "Failed",
	},
	{
		name: "inactive client, generation not observed", kinds: []string{kindRelyingParty},
		obj:        func(k string) map[string]any { return object(k, conds(readyTrue), active(false), observed(1)) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Waiting for the operator to observe generation 2",
		wantKStatus: "InProgress",
	},
	{
		name: "inactive client being deleted", kinds: []string{kindRelyingParty},
		obj:        func(k string) map[string]any { return object(k, conds(readyDeactivate), active(false), deleting) },
		wantStatus: argocd.StatusProgressing, wantMessage: "Deleting: Deactivating: deactivating the client at eSignet: connection refused; retrying",
		wantKStatus: "Terminating",
	},
	{
		name: "providers ignore spec.active", kinds: []string{kindProvider, kindClusterProvider},
		obj:        func(k string) map[string]any { return object(k, conds(readyTrue), active(false)) },
		wantStatus: argocd.StatusHealthy, wantMessage: "Ready: Client registered and configuration rendered",
		wantKStatus: "Current",
	},
}

// TestHealth runs each kind's health.lua as Argo CD runs an argocd-cm script (standard libraries
// closed) and, for the same object, computes the kstatus status.
func TestHealth(t *testing.T) {
	for _, tc := range healthCases {
		for _, kind := range tc.kinds {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				obj := tc.obj(kind)
				status, message, err := argocd.Health(argocd.ScriptPath(kind), obj)
				if err != nil {
					t.Fatalf("Health: %v", err)
				}
				if status != tc.wantStatus || message != tc.wantMessage {
					t.Errorf("Argo CD health = %s %q, want %s %q", status, message, tc.wantStatus, tc.wantMessage)
				}
				ks, ksMessage, err := kstatus.Compute(obj)
				if err != nil {
					t.Fatalf("kstatus.Compute: %v", err)
				}
				if ks != tc.wantKStatus {
					t.Errorf("kstatus = %s (%q), want %s", ks, ksMessage, tc.wantKStatus)
				}
			})
		}
	}
}

// TestHealthWithOpenLibs: the scripts give the same answers when an admin sets
// resource.customizations.useOpenLibs, and if they were ever bundled into Argo CD (built-in
// scripts run with the standard libraries).
func TestHealthWithOpenLibs(t *testing.T) {
	for _, kind := range allKinds {
		script, err := os.ReadFile(argocd.ScriptPath(kind))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range healthCases {
			if !slices.Contains(tc.kinds, kind) {
				continue
			}
			status, message, err := argocd.Eval(string(script), tc.obj(kind), true)
			if err != nil {
				t.Fatalf("%s/%s: %v", kind, tc.name, err)
			}
			if status != tc.wantStatus || message != tc.wantMessage {
				t.Errorf("%s/%s: got %s %q, want %s %q", kind, tc.name, status, message, tc.wantStatus, tc.wantMessage)
			}
		}
	}
}

// TestProviderScriptsShared: both provider kinds carry the same script.
func TestProviderScriptsShared(t *testing.T) {
	a, err := os.ReadFile(argocd.ScriptPath(kindProvider))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(argocd.ScriptPath(kindClusterProvider))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("%s and %s health.lua differ", kindProvider, kindClusterProvider)
	}
}
