package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/render"
)

// BenchmarkAPIServerCPUPerRequest prices each kind of request of a relying party's first pass
// in API-server and etcd CPU: 1000 of each, at the manager's concurrency, on a fresh control
// plane with the operator's CRDs (docs/performance.md, "What one request costs"). It explains
// where the operator's side of `make bench` spends beyond the floor; nothing asserts it.
//
//	KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./hack/bench -run '^$' -bench APIServerCPU -benchtime 1x
func BenchmarkAPIServerCPUPerRequest(b *testing.B) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		b.Skip("needs KUBEBUILDER_ASSETS (hack/envtest-assets.sh)")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	cp, err := startControlPlane(root, assets, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cp.stop() }()
	ctx := context.Background()
	const n, workers = 1000, 4
	meter := newCPUMeter(cp, nil, nil)
	var report strings.Builder
	measure := func(name string, fn func(ctx context.Context, i int) error) {
		before := meter.read()
		if err := forEach(ctx, n, workers, fn); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		time.Sleep(300 * time.Millisecond) // the watch cache's share of the last writes
		d := meter.read().since(before)
		api, etcd := 1000*d["kube-apiserver"]/n, 1000*d["etcd"]/n
		b.ReportMetric(api, "apiserver-ms/"+name)
		b.ReportMetric(etcd, "etcd-ms/"+name)
		fmt.Fprintf(&report, "%-28s kube-apiserver %5.2f ms, etcd %4.2f ms\n", name, api, etcd)
	}
	b.ResetTimer()

	kp, err := keys.Generate(keys.RS256, keys.DefaultRSABits)
	if err != nil {
		b.Fatal(err)
	}
	rps := map[string][]*v1.ESignetRelyingParty{}
	for _, ns := range []string{"apply", "patch"} {
		if err := cp.createNamespace(ctx, ns); err != nil {
			b.Fatal(err)
		}
		rps[ns] = make([]*v1.ESignetRelyingParty, n)
		measure("rp-create-"+ns, func(ctx context.Context, i int) error {
			rps[ns][i] = relyingParty(ns, i)
			return cp.k8s.Create(ctx, rps[ns][i])
		})
	}
	measure("rp-get", func(ctx context.Context, i int) error {
		return cp.k8s.Get(ctx, client.ObjectKeyFromObject(rps["apply"][i]), &v1.ESignetRelyingParty{})
	})

	// The registration annotation as the operator writes it is about this long.
	annotation := strings.Repeat("x", 240)
	measure("rp-metadata-apply", func(ctx context.Context, i int) error {
		u := identityOf(rps["apply"][i])
		u.SetAnnotations(map[string]string{v1.AnnotationRegistration: annotation})
		u.SetFinalizers([]string{v1.Finalizer})
		return cp.k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("esignet-operator"), client.ForceOwnership)
	})
	measure("rp-metadata-merge-patch", func(ctx context.Context, i int) error {
		p, err := json.Marshal(map[string]any{"metadata": map[string]any{
			"annotations": map[string]string{v1.AnnotationRegistration: annotation}, "finalizers": []string{v1.Finalizer}}})
		if err != nil {
			return err
		}
		return cp.k8s.Patch(ctx, rps["patch"][i], client.RawPatch(types.MergePatchType, p), client.FieldOwner("esignet-operator"))
	})
	status := func(rp *v1.ESignetRelyingParty) v1.ESignetRelyingPartyStatus {
		var outs []v1.OutputStatus
		for _, o := range rp.Spec.Outputs {
			outs = append(outs, v1.OutputStatus{Name: o.Name, Kind: "Secret", Format: o.Format})
		}
		return floorStatus(rp.Namespace+"."+rp.Name, kp.KeyID, rp.Name+"-esignet-client", outs, floorEndpoints())
	}
	measure("rp-status-apply", func(ctx context.Context, i int) error {
		rp := rps["apply"][i]
		u := identityOf(rp)
		st, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ptr.To(status(rp)))
		if err != nil {
			return err
		}
		u.Object["status"] = st
		return cp.k8s.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("esignet-operator"), client.ForceOwnership)
	})
	measure("rp-status-merge-patch", func(ctx context.Context, i int) error {
		p, err := json.Marshal(map[string]any{"status": status(rps["patch"][i])})
		if err != nil {
			return err
		}
		return cp.k8s.Status().Patch(ctx, rps["patch"][i], client.RawPatch(types.MergePatchType, p), client.FieldOwner("esignet-operator"))
	})

	rp0 := rps["apply"][0]
	in, err := floorRenderInput(rp0, "apply."+rp0.Name, kp)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := render.Render(render.FormatFastAPIAuth, in)
	if err != nil {
		b.Fatal(err)
	}
	output := func(ns string, i int, owned bool) *corev1.Secret {
		rp := rps[ns][i]
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: rp.Name + "-fastapi"}, Type: corev1.SecretTypeOpaque, Data: doc.Data}
		if owned {
			s.Labels = map[string]string{"app.kubernetes.io/managed-by": "esignet-operator", "esignet.openg2p.org/relying-party": rp.Name}
			s.OwnerReferences = []metav1.OwnerReference{{APIVersion: v1.GroupVersion.String(), Kind: relyingPartyKind,
				Name: rp.Name, UID: rp.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
		}
		return s
	}
	measure("secret-create", func(ctx context.Context, i int) error { return cp.k8s.Create(ctx, output("patch", i, false)) })
	measure("secret-create-owned", func(ctx context.Context, i int) error { return cp.k8s.Create(ctx, output("apply", i, true)) })
	measure("event-create", func(ctx context.Context, i int) error {
		rp := rps["apply"][i]
		return cp.k8s.Create(ctx, &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: rp.Namespace, Name: rp.Name + ".1"},
			EventTime: metav1.NewMicroTime(time.Now()), ReportingController: "esignet-operator", ReportingInstance: "esignet-operator-0",
			Action: "Register", Reason: v1.EventClientCreated, Type: corev1.EventTypeNormal,
			Note:      "Generated RS256 key; created client at eSignet; wrote 5 outputs",
			Regarding: corev1.ObjectReference{APIVersion: v1.GroupVersion.String(), Kind: relyingPartyKind, Namespace: rp.Namespace, Name: rp.Name, UID: rp.UID}})
	})
	b.StopTimer()
	b.Logf("CPU per request, %d of each at concurrency %d:\n%s", n, workers, report.String())
}

// identityOf is the identity part of an apply request for rp, as the operator sends it.
func identityOf(rp *v1.ESignetRelyingParty) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(v1.GroupVersion.String())
	u.SetKind(relyingPartyKind)
	u.SetNamespace(rp.Namespace)
	u.SetName(rp.Name)
	u.SetUID(rp.UID)
	return u
}

const relyingPartyKind = "ESignetRelyingParty"
