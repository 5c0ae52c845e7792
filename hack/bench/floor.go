package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/internal/render"
)

// floorResult is the least the work of N relying parties can cost on this machine and control
// plane: the key generations, and the writes no implementation can avoid, by a plain client.
type floorResult struct {
	keygen, writes time.Duration
	keyWorkers     int
	writeWorkers   int
	writeCount     int
	cpu            cpuUse // bench (the key generations, the client), kube-apiserver, etcd
}

func (f floorResult) total() time.Duration { return f.keygen + f.writes }

// measureFloor generates n RS256 2048 keys on one goroutine per core, then issues, at the
// manager's concurrency, what each relying party needs written: its key Secret, one object per
// output (rendered by the operator's own renderers, so the sizes are the real ones) and one
// status write. The relying parties whose status is written are created beforehand, outside the
// timing, in a namespace of their own; everything is deleted afterwards.
func measureFloor(ctx context.Context, cp *controlPlane, n, workers int) (floorResult, error) {
	res := floorResult{keyWorkers: runtime.NumCPU(), writeWorkers: workers}
	if err := cp.createNamespace(ctx, floorNamespace); err != nil {
		return res, err
	}
	if err := forEach(ctx, n, 8, func(ctx context.Context, i int) error {
		return cp.k8s.Create(ctx, relyingParty(floorNamespace, i))
	}); err != nil {
		return res, fmt.Errorf("creating the floor's relying parties: %w", err)
	}

	meter := newCPUMeter(cp, nil, nil)
	cpuBefore := meter.read()
	pairs := make([]*keys.KeyPair, n)
	start := time.Now()
	err := forEach(ctx, n, res.keyWorkers, func(_ context.Context, i int) error {
		kp, err := keys.Generate(keys.RS256, keys.DefaultRSABits)
		pairs[i] = kp
		return err
	})
	res.keygen = time.Since(start)
	if err != nil {
		return res, err
	}

	start = time.Now()
	err = forEach(ctx, n, workers, func(ctx context.Context, i int) error {
		return floorWrites(ctx, cp.k8s, i, pairs[i])
	})
	res.writes = time.Since(start)
	res.cpu = meter.read().since(cpuBefore)
	res.writeCount = n * (1 + len(outputsFor("x")) + 1)
	if err != nil {
		return res, err
	}
	return res, cleanFloor(ctx, cp.k8s)
}

// floorWrites is one relying party's unavoidable writes: key Secret, outputs, status.
func floorWrites(ctx context.Context, c client.Client, i int, kp *keys.KeyPair) error {
	rp := relyingParty(floorNamespace, i)
	clientID := floorNamespace + "." + rp.Name
	data, err := kp.SecretData(clientID)
	if err != nil {
		return err
	}
	secretName := rp.Name + "-esignet-client"
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: floorNamespace, Name: secretName},
		Type: corev1.SecretTypeOpaque, Data: data}); err != nil {
		return err
	}
	in, err := floorRenderInput(rp, clientID, kp)
	if err != nil {
		return err
	}
	var outputs []v1.OutputStatus
	for _, out := range rp.Spec.Outputs {
		in.EnvPrefix, in.Name = out.EnvPrefix, rp.Spec.ClientName
		doc, err := render.Render(render.Format(out.Format), in)
		if err != nil {
			return fmt.Errorf("rendering %s: %w", out.Format, err)
		}
		meta := metav1.ObjectMeta{Namespace: floorNamespace, Name: out.Name}
		var obj client.Object = &corev1.Secret{ObjectMeta: meta, Type: corev1.SecretTypeOpaque, Data: doc.Data}
		kind := "Secret"
		if !doc.Secret {
			cm := &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{}}
			for k, v := range doc.Data {
				cm.Data[k] = string(v)
			}
			obj, kind = cm, "ConfigMap"
		}
		if err := c.Create(ctx, obj); err != nil {
			return err
		}
		outputs = append(outputs, v1.OutputStatus{Name: out.Name, Kind: kind, Format: out.Format})
	}
	patch, err := json.Marshal(map[string]any{"status": floorStatus(clientID, kp.KeyID, secretName, outputs, in.Endpoints)})
	if err != nil {
		return err
	}
	return c.Status().Patch(ctx, rp, client.RawPatch(types.MergePatchType, patch))
}

// floorEndpoints are the fake's endpoints as discovery would give them (only their length
// matters here: nothing is called).
func floorEndpoints() render.Endpoints {
	const root = "http://127.0.0.1:8088"
	return render.Endpoints{DiscoveryURL: root + "/.well-known/openid-configuration", Issuer: root,
		AuthorizationEndpoint: root + "/authorize", TokenEndpoint: root + "/v1/esignet/oauth/v2/token",
		UserinfoEndpoint: root + "/v1/esignet/oidc/userinfo", JWKSURI: root + "/.well-known/jwks.json"}
}

func floorRenderInput(rp *v1.ESignetRelyingParty, clientID string, kp *keys.KeyPair) (render.Input, error) {
	in := render.Input{ClientID: clientID, Endpoints: floorEndpoints(), Scope: render.DefaultScope,
		Claims:    []render.Claim{{Name: "name", Essential: true}, {Name: "email"}, {Name: "phone_number"}},
		ACRValues: []string{"mosip:idp:acr:generated-code"}, RedirectURI: rp.Spec.RedirectURIs[0],
		TokenMap: render.DefaultTokenMap, EnablePKCE: true, VerifyAtHash: true, Algorithm: string(kp.Algorithm), KeyID: kp.KeyID,
		Odoo: render.OdooSettings{Enabled: true}}
	var err error
	if in.PrivateKeyPEM, err = kp.PrivatePEM(); err != nil {
		return in, err
	}
	if in.PrivateJWK, err = kp.PrivateJWK(); err != nil {
		return in, err
	}
	in.PublicJWK, err = kp.PublicJWK()
	return in, err
}

// floorStatus is a Ready relying party's status, as large as the operator's.
func floorStatus(clientID, keyID, secretName string, outputs []v1.OutputStatus, e render.Endpoints) v1.ESignetRelyingPartyStatus {
	now := metav1.Now()
	cond := func(t, reason, msg string) metav1.Condition {
		return metav1.Condition{Type: t, Status: metav1.ConditionTrue, Reason: reason, Message: msg, ObservedGeneration: 1, LastTransitionTime: now}
	}
	return v1.ESignetRelyingPartyStatus{
		ObservedGeneration: 1,
		Conditions: []metav1.Condition{
			cond(v1.ConditionReady, v1.ReasonReady, "client "+clientID+" is registered and its configuration is rendered"),
			cond(v1.ConditionKeyReady, v1.ReasonKeyLoaded, "RS256 key "+keyID+" in Secret "+secretName),
			cond(v1.ConditionRegistered, v1.ReasonRegistered, "client "+clientID+" is ACTIVE at eSignet with key "+keyID),
			cond(v1.ConditionConfigRendered, v1.ReasonRendered, "rendered oidc, odoo, fastapi-auth, iam and env outputs"),
		},
		ClientID: clientID, KeyID: keyID, SecretName: secretName,
		Registration: &v1.RegistrationStatus{State: v1.RegistrationRegistered, ClientID: clientID, KeyID: keyID},
		Outputs:      outputs,
		Endpoints: &v1.DiscoveredEndpoints{DiscoveryURL: e.DiscoveryURL, Issuer: e.Issuer, AuthorizationEndpoint: e.AuthorizationEndpoint,
			TokenEndpoint: e.TokenEndpoint, UserinfoEndpoint: e.UserinfoEndpoint, JWKSURI: e.JWKSURI},
	}
}

// cleanFloor deletes the floor's objects, so the manager never sees them.
func cleanFloor(ctx context.Context, c client.Client) error {
	in := client.InNamespace(floorNamespace)
	for _, obj := range []client.Object{&v1.ESignetRelyingParty{}, &corev1.Secret{}, &corev1.ConfigMap{}} {
		if err := c.DeleteAllOf(ctx, obj, in); err != nil {
			return fmt.Errorf("deleting the floor's %T: %w", obj, err)
		}
	}
	return nil
}
