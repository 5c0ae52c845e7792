package controllers

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/fakeesignet"
	"github.com/openg2p/esignet-operator/internal/keys"
	"github.com/openg2p/esignet-operator/test/consumers"
)

func podTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.org/app:1"}}}}
}

func (f *fixture) templateAnnotations(obj client.Object) map[string]string {
	f.t.Helper()
	if err := k8sClient.Get(f.ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		f.t.Fatal(err)
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return o.Spec.Template.Annotations
	case *appsv1.StatefulSet:
		return o.Spec.Template.Annotations
	}
	return nil
}

// Workloads that read an output at start are restarted when, and only when, its content
// changes: a pod-template annotation holding the content hash.
func TestRolloutOnOutputChange(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "portal-api"}, Spec: appsv1.DeploymentSpec{Selector: sel, Template: podTemplate()}}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "worker"}, Spec: appsv1.StatefulSetSpec{Selector: sel, Template: podTemplate()}}
	f.create(dep)
	f.create(sts)
	key := v1.AnnotationRolloutPrefix + "portal-env"
	f.newRP("portal", func(r *v1.ESignetRelyingParty) {
		r.Spec.Outputs = []v1.Output{{Format: "env", Name: "portal-env", EnvPrefix: "PORTAL_",
			Rollout: []v1.WorkloadReference{{Kind: "Deployment", Name: "portal-api"}, {Kind: "StatefulSet", Name: "worker"}}}}
	})
	rp := f.waitReady("portal")
	hash := rp.Status.Outputs[0].Hash
	if c := f.condition(rp, v1.ConditionApplied); c.Reason != v1.ReasonApplied || hash == "" {
		t.Fatalf("Applied %s: %s; hash %q", c.Reason, c.Message, hash)
	}
	for _, obj := range []client.Object{dep, sts} {
		if got := f.templateAnnotations(obj)[key]; got != hash {
			t.Fatalf("%s pod template annotated %q, want %q", obj.GetName(), got, hash)
		}
	}
	if len(rp.Status.Outputs[0].RolledOut) != 2 {
		t.Fatalf("status.outputs[0].rolledOut %+v", rp.Status.Outputs[0].RolledOut)
	}
	// The first pass's one event tells of the restarts among its other actions.
	f.waitEvent("portal", "an event telling of the restarts", func(e string) bool { return strings.Contains(e, "; Restarted ") })

	// A change that leaves the output as it is restarts nothing.
	rv := dep.ResourceVersion
	f.update("portal", func(r *v1.ESignetRelyingParty) { r.Spec.LogoURI = testLogo + "?v=2" })
	f.eventually("the logo at eSignet", func() (bool, string) {
		c, _ := f.fake.Client(rp.Status.ClientID)
		return c.LogoURI == testLogo+"?v=2", c.LogoURI
	})
	rp = f.waitReady("portal")
	f.templateAnnotations(dep)
	if rp.Status.Outputs[0].Hash != hash || dep.ResourceVersion != rv {
		t.Fatalf("an unchanged output restarted the workload (hash %s → %s, rv %s → %s)", hash, rp.Status.Outputs[0].Hash, rv, dep.ResourceVersion)
	}

	// A change of the output restarts both.
	f.update("portal", func(r *v1.ESignetRelyingParty) { r.Spec.Outputs[0].EnvPrefix = "PORTAL_API_" })
	f.eventually("restarted for the new content", func() (bool, string) {
		rp = f.get("portal")
		h := rp.Status.Outputs[0].Hash
		return h != hash && f.templateAnnotations(dep)[key] == h && f.templateAnnotations(sts)[key] == h,
			fmt.Sprintf("hash %s, annotations %v %v, status %+v, %+v", h, f.templateAnnotations(dep), f.templateAnnotations(sts), rp.Status.Outputs, rp.Status.Conditions)
	})

	// A workload that does not exist (yet): said, and restarted once it appears.
	f.update("portal", func(r *v1.ESignetRelyingParty) {
		r.Spec.Outputs[0].Rollout = append(r.Spec.Outputs[0].Rollout, v1.WorkloadReference{Kind: "Deployment", Name: "later"})
	})
	f.waitCondition("portal", v1.ConditionApplied, metav1.ConditionFalse, v1.ReasonWorkloadNotFound)
	later := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "later"}, Spec: appsv1.DeploymentSpec{Selector: sel, Template: podTemplate()}}
	f.create(later)
	f.nudge("portal")
	f.waitReady("portal")
	if f.templateAnnotations(later)[key] == "" {
		t.Fatal("the workload that appeared was not annotated")
	}
}

// dbFixture is a real PostgreSQL on loopback with a consumer's tables, and the connection
// Secret an app's chart would hold.
type dbFixture struct {
	d        *consumers.DB
	database string
}

func (f *fixture) startDatabase(consumer string) *dbFixture {
	f.t.Helper()
	d := consumers.StartPostgres(f.t)
	d.RequirePasswordOnTCP(f.t)
	db := &dbFixture{d: d, database: "app"}
	d.CreateDatabase(f.t, db.database)
	for _, sql := range []string{consumers.TableDDL(consumer), "CREATE ROLE operator LOGIN PASSWORD 's3cret-pw'",
		"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO operator; GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO operator;"} {
		if err := d.Exec(f.t, db.database, sql); err != nil {
			f.t.Fatal(err)
		}
	}
	f.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "app-db"}, Data: map[string][]byte{
		"host": []byte("127.0.0.1"), "port": []byte(strconv.Itoa(d.Port())), "database": []byte(db.database),
		"user": []byte("operator"), "password": []byte("s3cret-pw"), "sslmode": []byte("disable")}})
	return db
}

func (db *dbFixture) rows(t *testing.T, sql string) [][]string {
	t.Helper()
	rows, err := db.d.Query(t, db.database, sql)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The fastapi-auth row is applied into the app's real table, only when needed, restored when
// deleted by hand, failures are reasons; python3-jose logs in with what the database holds; after
// a rotation the row holds the new client and key while the old client is still ACTIVE.
func TestApplyIntoTheAppsDatabase(t *testing.T) {
	f := newFixture(t, fakeesignet.Options{})
	db := f.startDatabase(consumers.ConsumerFastAPIAuth)
	f.newRP("spar", func(r *v1.ESignetRelyingParty) {
		r.Spec.Outputs = []v1.Output{{Format: "fastapi-auth", Name: "spar-login", Apply: &v1.OutputApply{Postgres: &v1.PostgresApply{SecretName: "app-db"}}}}
	})
	rp := f.waitReady("spar")
	applied := rp.Status.Outputs[0].Applied
	if c := f.condition(rp, v1.ConditionApplied); c.Status != metav1.ConditionTrue || applied == nil || applied.Table != "login_providers" || applied.Database != "app" {
		t.Fatalf("Applied %s: %s; status %+v", c.Reason, c.Message, applied)
	}
	loginFromRow := func(rp *v1.ESignetRelyingParty) {
		t.Helper()
		rows := db.rows(t, "SELECT authorization_parameters FROM login_providers")
		if len(rows) != 1 {
			t.Fatalf("%d login_providers rows, want 1", len(rows))
		}
		req := consumers.FastAPIRequest(t, []byte(rows[0][0]), rp.Status.Endpoints.Issuer)
		req.AddJTI = true // the fake speaks v1.8
		if req.ClientID != rp.Status.ClientID {
			t.Fatalf("the row names client %s, want %s", req.ClientID, rp.Status.ClientID)
		}
		if _, err := consumers.Login(t, req); err != nil {
			t.Fatalf("login with the row read back from the database: %v", err)
		}
	}
	loginFromRow(rp)

	// Unchanged: no write (the row's version stays), status unchanged.
	xmin := db.rows(t, "SELECT xmin FROM login_providers")[0][0]
	f.nudge("spar")
	time.Sleep(time.Second)
	rp = f.waitReady("spar")
	if got := db.rows(t, "SELECT xmin FROM login_providers")[0][0]; got != xmin || !rp.Status.Outputs[0].Applied.At.Equal(&applied.At) {
		t.Fatalf("an unchanged row was written again (xmin %s → %s)", xmin, got)
	}

	// Deleted by hand: put back.
	if err := db.d.Exec(t, db.database, "DELETE FROM login_providers"); err != nil {
		t.Fatal(err)
	}
	f.nudge("spar")
	f.eventually("the row restored", func() (bool, string) {
		n := db.rows(t, "SELECT count(*) FROM login_providers")[0][0]
		return n == "1", n
	})

	// Wrong credentials: a reason a person can act on, nothing else changed.
	s := f.secret("app-db")
	s.Data["password"] = []byte("wrong")
	if err := k8sClient.Update(f.ctx, s); err != nil {
		t.Fatal(err)
	}
	f.update("spar", func(r *v1.ESignetRelyingParty) { r.Spec.Outputs[0].ProviderName = "SPAR" })
	rp = f.waitCondition("spar", v1.ConditionApplied, metav1.ConditionFalse, "DatabaseAuthFailed")
	if c := f.condition(rp, v1.ConditionApplied); strings.Contains(c.Message, "wrong") || strings.Contains(c.Message, "s3cret") {
		t.Fatalf("the condition shows a password: %s", c.Message)
	}
	s = f.secret("app-db")
	s.Data["password"] = []byte("s3cret-pw")
	if err := k8sClient.Update(f.ctx, s); err != nil {
		t.Fatal(err)
	}
	f.nudge("spar")
	f.eventually("applied with the fixed credentials", func() (bool, string) {
		rows := db.rows(t, "SELECT name FROM login_providers")
		return len(rows) == 1 && rows[0][0] == "SPAR", fmt.Sprint(rows)
	})
	rp = f.waitReady("spar")

	// Rotation: the same row holds the new client and key before the old client is retired.
	old := rp.Status.ClientID
	f.update("spar", rotating("now", time.Hour))
	rp = f.waitRotated("spar", 1)
	f.eventually("the row switched to the new client", func() (bool, string) {
		rp = f.get("spar")
		rows := db.rows(t, "SELECT authorization_parameters->>'client_id' FROM login_providers")
		return len(rows) == 1 && rows[0][0] == rp.Status.ClientID, fmt.Sprint(rows)
	})
	if f.clientStatus(old) != "ACTIVE" {
		t.Fatalf("the old client is %s before its overlap ended", f.clientStatus(old))
	}
	loginFromRow(rp)
	if kid := f.ring(rp)[keys.SlotCurrent].Key.KeyID; kid != rp.Status.KeyID {
		t.Fatalf("key Secret %s, status %s", kid, rp.Status.KeyID)
	}
}
