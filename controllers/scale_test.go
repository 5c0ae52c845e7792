package controllers

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
)

// BenchmarkScale is the scale check (hack/scale.sh N runs it with -benchtime Nx): b.N relying
// parties with the four OpenG2P output formats are applied at once and reconciled to Ready by
// the real manager against the fake eSignet; then every one is touched and the resync must cost
// no eSignet call. Reported: relying parties per second to Ready, heap growth per relying party
// (after GC, so mostly the manager's caches), eSignet calls per relying party, and the resync.
func BenchmarkScale(b *testing.B) {
	f := newFixture(b, fakeesignet.Options{})
	n := b.N
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("rp-%04d", i)
	}
	heapBefore := heapInUse()
	errorsBefore := reconcileErrors(b)
	f.fake.ResetCounters()
	b.ResetTimer()
	start := time.Now()
	parallel(names, func(name string) {
		f.newRP(name, func(r *v1.ESignetRelyingParty) { r.Spec.Outputs = allOutputs(name)[:5] })
	})
	parallel(names, func(name string) {
		f.waitConditionWithin(scaleTimeout, name, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonReady)
	})
	toReady := time.Since(start)
	b.StopTimer()
	calls := f.fake.ClientMgmtCalls()
	heapAfter := heapInUse()

	f.fake.ResetCounters()
	before := reconciles(b)
	resync := time.Now()
	parallel(names, func(name string) {
		f.update(name, func(r *v1.ESignetRelyingParty) {
			if r.Annotations == nil {
				r.Annotations = map[string]string{}
			}
			r.Annotations["example.org/touch"] = "1"
		})
	})
	f.eventuallyWithin(scaleTimeout, "every relying party reconciled again", func() (bool, string) {
		got := reconciles(b) - before
		return got >= float64(n), fmt.Sprintf("%.0f of %d", got, n)
	})
	resyncTime := time.Since(resync)
	if c := f.fake.ClientMgmtCalls(); c != 0 {
		b.Fatalf("resync of %d unchanged relying parties made %d eSignet calls", n, c)
	}
	errs := reconcileErrors(b) - errorsBefore
	if errs != 0 {
		b.Errorf("%.0f reconciles failed (conflicts with the operator's own writes among them); want none", errs)
	}
	if calls != n {
		b.Errorf("%d client-management calls for %d new relying parties, want one each", calls, n)
	}
	b.ReportMetric(float64(n)/toReady.Seconds(), "rp/s")
	b.ReportMetric(float64(heapAfter-heapBefore)/float64(n)/1024, "heapKiB/rp")
	b.ReportMetric(float64(calls)/float64(n), "esignet-calls/rp")
	b.ReportMetric(resyncTime.Seconds()*1000/float64(n), "resync-ms/rp")
	b.ReportMetric(errs, "reconcile-errors")
}

// scaleTimeout bounds each wait of the scale check, which grows with the workload.
const scaleTimeout = 10 * time.Minute

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

func parallel(names []string, fn func(string)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(name)
		}()
	}
	wg.Wait()
}
