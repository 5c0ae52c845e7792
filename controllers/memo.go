package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
)

// fingerprintMemo remembers, per resource, the fingerprints last accepted and refused by eSignet.
// The status holds the same values, but a reconcile triggered by the operator's own Secret write
// can read a cached object from before its status write; without the memo that stale view would
// cost a second, identical PUT. After a restart the memo is empty and the status is used.
type fingerprintMemo struct {
	m sync.Map // types.UID -> memoEntry
}

type memoEntry struct {
	generation         int64
	registered, failed string
}

func (m *fingerprintMemo) remember(rp *v1.ESignetRelyingParty) {
	m.m.Store(rp.UID, memoEntry{rp.Generation, rp.Status.RegisteredFingerprint, rp.Status.FailedFingerprint})
}

// recall returns the newest known fingerprints: the memo's, unless the object is at least as new.
func (m *fingerprintMemo) recall(rp *v1.ESignetRelyingParty) (registered, failed string) {
	registered, failed = rp.Status.RegisteredFingerprint, rp.Status.FailedFingerprint
	if v, ok := m.m.Load(rp.UID); ok {
		e := v.(memoEntry)
		if e.generation >= rp.Status.ObservedGeneration {
			return e.registered, e.failed
		}
	}
	return registered, failed
}

func (m *fingerprintMemo) forget(uid types.UID) { m.m.Delete(uid) }
