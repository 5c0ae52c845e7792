package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/deliver/pgapply"
	"github.com/openg2p/esignet-operator/internal/render"
	"github.com/openg2p/esignet-operator/internal/step"
)

// applyPostgres delivers an output's upsert into the app's database named by a Secret of the
// namespace, unless status shows the row is there as applied (pgapply compares the content hash
// and the row's fingerprint, so a row deleted or edited by hand is put back). One connection,
// one transaction, bounded in time; nothing kept between passes.
func (r *RelyingPartyReconciler) applyPostgres(ctx context.Context, sc *rpScope, out v1.Output, prev *v1.AppliedStatus) (*v1.AppliedStatus, []string, *step.Stop) {
	name := out.Apply.Postgres.SecretName
	secret := &corev1.Secret{}
	// Read directly: the connection Secret is the app's, not labelled for the operator's cache.
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: sc.rp.Namespace, Name: name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return prev, nil, &step.Stop{Condition: v1.ConditionApplied, Reason: v1.ReasonDatabaseSecret, Requeue: requeueSlow,
				Message: fmt.Sprintf("output %s: Secret %s (apply.postgres) not found; checked every minute", out.Name, name)}
		}
		return prev, nil, kubeFailure(v1.ConditionApplied, "reading Secret "+name, err)
	}
	conn, err := pgapply.ParseConn(secret.Data)
	if err != nil {
		return prev, nil, &step.Stop{Condition: v1.ConditionApplied, Reason: v1.ReasonDatabaseSecret, Terminal: true, Requeue: requeueSlow,
			Message: fmt.Sprintf("output %s: Secret %s: %v", out.Name, name, err)}
	}
	target, err := pgapply.NewTarget(render.Format(out.Format), sc.docs[out.Name])
	if err != nil {
		return prev, nil, &step.Stop{Condition: v1.ConditionApplied, Reason: databaseReason(err), Terminal: true, Message: fmt.Sprintf("output %s: %v", out.Name, err)}
	}
	release, ok := r.databaseSlot(sc.rp.Namespace)
	if !ok {
		return prev, nil, &step.Stop{Condition: v1.ConditionApplied, Reason: v1.ReasonDatabaseBusy, Requeue: requeueSoon,
			Message: fmt.Sprintf("output %s: another delivery of this namespace is in progress; waiting for it", out.Name)}
	}
	defer release()
	res, err := pgapply.Apply(ctx, conn, target, recordOf(prev), pgapply.Options{Now: r.Clock.Now})
	if err != nil {
		st := &step.Stop{Condition: v1.ConditionApplied, Reason: databaseReason(err), Err: err,
			Message: fmt.Sprintf("output %s into %s: %v", out.Name, conn, err)}
		st.Terminal = !pgapply.IsRetryable(err) // a person must act; retried with backoff meanwhile
		return prev, nil, st
	}
	applied := appliedStatus(res.Record)
	if !res.Applied {
		return applied, nil, nil
	}
	what := fmt.Sprintf("%s row into %s (%s)", out.Format, res.Record.Location, res.Cause)
	r.record(ctx, sc, "deliver", corev1.EventTypeNormal, v1.EventApplied, "ApplyDatabase", "Applied "+what)
	return applied, []string{"applied " + what}, nil
}

// databaseReason is the condition reason of a failed delivery, named as a database problem.
func databaseReason(err error) string {
	var pe *pgapply.Error
	if !errors.As(err, &pe) {
		return "DatabaseApplyFailed"
	}
	if r := string(pe.Reason); strings.HasPrefix(r, "Database") {
		return r
	}
	return "Database" + string(pe.Reason)
}

func recordOf(s *v1.AppliedStatus) *pgapply.Record {
	if s == nil {
		return nil
	}
	if s.Port < 0 || s.Port > 65535 {
		return nil // not a record the operator wrote: apply again
	}
	return &pgapply.Record{Hash: s.Hash, RowHash: s.RowHash, At: s.At.Time,
		Location: pgapply.Location{Host: s.Host, Port: uint16(s.Port), Database: s.Database, Table: s.Table}}
}

func appliedStatus(rec pgapply.Record) *v1.AppliedStatus {
	return &v1.AppliedStatus{Hash: rec.Hash, RowHash: rec.RowHash, Host: rec.Location.Host, Port: int32(rec.Location.Port),
		Database: rec.Location.Database, Table: rec.Location.Table, At: metav1.NewTime(rec.At.UTC().Truncate(1e9))}
}

// databaseSlots lets one delivery per namespace run at a time: a namespace pointing at a
// database that never answers holds at most one worker, and never delays another namespace.
var databaseSlots sync.Map // namespace → chan struct{}

func (r *RelyingPartyReconciler) databaseSlot(ns string) (release func(), ok bool) {
	ch, _ := databaseSlots.LoadOrStore(ns, make(chan struct{}, 1))
	slot := ch.(chan struct{})
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, true
	default:
		return nil, false
	}
}
