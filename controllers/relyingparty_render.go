package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/render"
	"github.com/openg2p/esignet-operator/internal/schedule"
	"github.com/openg2p/esignet-operator/internal/step"
)

// ensureRendered writes every output and deletes the ones the spec no longer lists. Private
// material only ever goes to Secrets; a format with nothing secret (env) goes to a ConfigMap.
func (r *RelyingPartyReconciler) ensureRendered(ctx context.Context, sc *rpScope) *step.Stop {
	outs := outputsFor(sc.rp)
	var listed []v1.OutputStatus
	keep := map[string]string{}
	var written []string
	for _, out := range outs {
		doc, st := renderOutput(sc, out)
		if st != nil {
			return st
		}
		changed, st := r.writeOutput(ctx, sc, out, doc)
		if st != nil {
			return st
		}
		kind := outputKind(doc)
		keep[out.Name] = kind
		listed = append(listed, v1.OutputStatus{Name: out.Name, Kind: kind, Format: out.Format, Hash: contentHash(doc)})
		if sc.docs == nil {
			sc.docs = map[string]render.Document{}
		}
		sc.docs[out.Name] = doc
		if changed {
			what := fmt.Sprintf("%s to %s %s", out.Format, kind, out.Name)
			sc.log.Info("wrote output", "step", "outputs", "action", "WriteOutput", "outcome", v1.EventOutputWritten, "output", what)
			written = append(written, what)
		}
	}
	if len(written) > 0 { // one event a pass, however many objects changed
		r.event(sc, corev1.EventTypeNormal, v1.EventOutputWritten, "WriteOutput", "Wrote "+strings.Join(written, ", "))
	}
	if st := r.pruneOutputs(ctx, sc, keep); st != nil {
		return st
	}
	sc.outputs, sc.endpoints = listed, endpointsFromDiscovery(sc.conn.discovery)
	sc.ok(v1.ConditionConfigRendered, v1.ReasonRendered, fmt.Sprintf("rendered %s%s", outputSummary(outs), jtiNote(sc.conn, outs)))
	return nil
}

// renderOutput renders one output; a failure is the spec's (a template, a redirect URI) and
// waits for a change.
func renderOutput(sc *rpScope, out v1.Output) (render.Document, *step.Stop) {
	in, err := renderInput(sc.rp, sc.conn, sc.want, sc.key, out)
	in.FormerClientIDs = formerClientIDs(sc.want.baseID, sc.reg.Rotation)
	if sc.conn.pms != nil { // PMS ids derive from keys, not from a base id
		in.FormerClientIDs = nil
		if p := sc.reg.Previous; p != nil {
			in.FormerClientIDs = []string{p.ClientID}
		}
	}
	if err == nil {
		var doc render.Document
		if doc, err = render.Render(render.Format(out.Format), in); err == nil {
			return doc, nil
		}
	}
	return render.Document{}, &step.Stop{Condition: v1.ConditionConfigRendered, Reason: v1.ReasonRenderFailed, Terminal: true,
		Message: fmt.Sprintf("output %s (%s): %v", out.Name, out.Format, err)}
}

// jtiNote warns, in the condition only (no event on every reconcile), that OpenG2P's apps sign
// client assertions without a jti, which the provider's eSignet release refuses.
func jtiNote(conn *connection, outs []v1.Output) string {
	if !conn.version.RequiresAssertionJTI() {
		return ""
	}
	for _, o := range outs {
		switch render.Format(o.Format) {
		case render.FormatOdoo, render.FormatFastAPIAuth, render.FormatIAM:
			return "; note: OpenG2P's apps send client assertions without a jti, which eSignet v1.6 and later refuse (see docs/openg2p.md)"
		}
	}
	return ""
}

func outputSummary(outs []v1.Output) string {
	parts := make([]string, 0, len(outs))
	for _, o := range outs {
		parts = append(parts, o.Format+" to "+o.Name)
	}
	return strings.Join(parts, ", ")
}

// contentHash identifies an output's content: what a rollout annotates pod templates with.
func contentHash(doc render.Document) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(doc.Data)) {
		fmt.Fprintf(h, "%d:%s%d:", len(k), k, len(doc.Data[k]))
		h.Write(doc.Data[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// maxFormerClientIDs bounds how many earlier rotations' rows an upsert looks for.
const maxFormerClientIDs = 10

// formerClientIDs are the ids of the clients earlier rotations replaced, newest first: a
// consumer's row may still hold one of them (the previous client's, or an older one if
// delivery failed for a while), and the upsert takes that row over.
func formerClientIDs(base string, rotation int32) []string {
	var ids []string
	for n := rotation - 1; n >= 0 && len(ids) < maxFormerClientIDs; n-- {
		ids = append(ids, schedule.ClientID(base, n))
	}
	return ids
}
