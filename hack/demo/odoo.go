package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/openg2p/esignet-operator/api/v1alpha1"
	"github.com/openg2p/esignet-operator/internal/keys"
)

// odooTarget is the sample output whose row the operator applies into the demo's PostgreSQL:
// the first odoo output of the samples, into a database holding Odoo 17's auth_oauth_provider
// table as the project's consumer tests create it (test/consumers/sql).
type odooTarget struct {
	rpKey, output   string
	database, table string
	secretName      string
}

// odooDDL is the stand-in of an Odoo 17 database with g2p_auth_oidc, g2p_auth_id_oidc and
// g2p_portal_auth installed: the tables the Odoo row touches, as Odoo's ORM creates them.
const odooDDL = "test/consumers/sql/odoo_auth_oauth_provider.sql"

// operatorRole is the database role the operator connects as (one per server, a password over TCP).
const operatorRole = "esignet_operator"

// ensureOperatorRole creates the operator's role once and returns its password.
func (d *demo) ensureOperatorRole(ctx context.Context) (string, error) {
	if d.pgOperatorPW != "" {
		return d.pgOperatorPW, nil
	}
	pw := randomHex(16)
	if err := d.pg.exec(ctx, "postgres", fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s", operatorRole, sqlLiteral(pw))); err != nil {
		return "", err
	}
	d.out.red.addSecret(pw, "database password")
	d.pgOperatorPW = pw
	return pw, nil
}

// prepareOdooDatabase creates the Odoo database, the operator's role with the privileges
// docs/openg2p.md lists, and patches the first odoo output of the samples to be applied there.
func (d *demo) prepareOdooDatabase(ctx context.Context) ([]string, error) {
	if d.pg == nil {
		return nil, nil
	}
	rp, out := d.samples.firstOutput("odoo")
	if rp == nil {
		d.step("PostgreSQL is up, but no sample relying party has an odoo output: no Odoo row to apply")
		return nil, nil
	}
	t := &odooTarget{rpKey: rp.GetNamespace() + "/" + rp.GetName(), database: strings.ReplaceAll(rp.GetName(), "-", "_"),
		table: "auth_oauth_provider", secretName: rp.GetName() + "-db"}
	t.output, _, _ = unstructured.NestedString(out, "name")
	ddl, err := os.ReadFile(filepath.Join(d.cfg.root, odooDDL))
	if err != nil {
		return nil, err
	}
	pw, err := d.ensureOperatorRole(ctx)
	if err != nil {
		return nil, err
	}
	grants := fmt.Sprintf(`GRANT CONNECT ON DATABASE %[2]s TO %[1]s;
GRANT SELECT, INSERT, UPDATE ON auth_oauth_provider TO %[1]s;
GRANT USAGE ON SEQUENCE auth_oauth_provider_id_seq TO %[1]s;
GRANT SELECT ON res_company TO %[1]s;
GRANT SELECT, UPDATE ON g2p_id_type TO %[1]s;`, operatorRole, t.database)
	if err := d.pg.exec(ctx, "postgres", "CREATE DATABASE "+t.database); err != nil {
		return nil, err
	}
	if err := d.pg.exec(ctx, t.database, string(ddl)+"\n"+grants); err != nil {
		return nil, err
	}
	d.step("Odoo database %s: Odoo 17's auth_oauth_provider, res_company, res_users and g2p_id_type tables (%s, as Odoo's ORM creates them); role %s may only:",
		t.database, odooDDL, operatorRole)
	d.detail(grants)

	secret := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": t.secretName, "namespace": rp.GetNamespace()},
		"stringData": d.pg.connSecret(t.database, operatorRole, pw)}}
	d.samples.files = append(d.samples.files, sampleFile{name: "demo-database-secrets.yaml", docs: []*unstructured.Unstructured{secret}})
	if err := unstructured.SetNestedField(out, map[string]any{"postgres": map[string]any{"secretName": t.secretName}}, "apply"); err != nil {
		return nil, err
	}
	if err := d.samples.setOutput(rp, out); err != nil {
		return nil, err
	}
	d.odoo = t
	return []string{
		fmt.Sprintf("%s %s: outputs[%s].apply.postgres.secretName <- %s (the demo's PostgreSQL, database %s)",
			kindRelyingParty, rp.GetName(), t.output, t.secretName, t.database),
		fmt.Sprintf("Secret %s (new): host 127.0.0.1, port %d, database %s, user %s, a random password, sslmode disable",
			t.secretName, d.pg.port, t.database, operatorRole),
	}, nil
}

// showOdooRow shows the row the operator applied: where status says it went, and what the
// database holds, the key compared with the key Secret's (never printed).
func (d *demo) showOdooRow(ctx context.Context) {
	t := d.odoo
	if t == nil {
		return
	}
	rp, err := d.getRP(ctx, t.rpKey)
	if err != nil {
		d.failf("%s: %v", t.rpKey, err)
		return
	}
	var applied *v1.AppliedStatus
	for _, o := range rp.Status.Outputs {
		if o.Name == t.output {
			applied = o.Applied
		}
	}
	c := meta.FindStatusCondition(rp.Status.Conditions, v1.ConditionApplied)
	if applied == nil || c == nil || c.Status != "True" {
		d.failf("%s: output %s not applied: %s", t.rpKey, t.output, conditionsText(rp.Status.Conditions))
		return
	}
	d.step("Odoo row applied by the operator (%s output %s, apply.postgres): condition Applied=%s/%s: %s",
		t.rpKey, t.output, c.Status, c.Reason, c.Message)
	d.detail(fmt.Sprintf("status.outputs[%s].applied: %s:%d database %s table %s at %s, content hash %.12s…, row fingerprint %.12s…",
		t.output, applied.Host, applied.Port, applied.Database, applied.Table, applied.At.UTC().Format("15:04:05"), applied.Hash, applied.RowHash))
	rows, err := d.pg.query(ctx, t.database, `SELECT id, name, body::text, client_id, flow, client_authentication_method,
  auth_endpoint, token_endpoint, validation_endpoint, jwks_uri, scope, enabled, enable_pkce, verify_at_hash,
  token_map, extra_authorize_params, convert_from(client_private_key, 'UTF8') FROM auth_oauth_provider ORDER BY id`)
	if err != nil {
		d.failf("reading %s.auth_oauth_provider: %v", t.database, err)
		return
	}
	if len(rows) != 1 {
		d.failf("%s.auth_oauth_provider holds %d rows, want the one the operator applied", t.database, len(rows))
		return
	}
	r := rows[0]
	var key corev1.Secret
	if err := d.k8s.Get(ctx, client.ObjectKey{Namespace: rp.Namespace, Name: rp.Status.SecretName}, &key); err != nil {
		d.failf("%s: key Secret: %v", t.rpKey, err)
		return
	}
	kid := string(key.Data[keys.SecretKeyKeyID])
	d.out.red.addKey(key.Data[keys.SecretKeyPrivatePEM], key.Data[keys.SecretKeyPrivateJWK], kid)
	keyNote := fmt.Sprintf("<base64 of the PEM in Secret %s, kid=%s>", key.Name, kid)
	if pem, err := base64.StdEncoding.DecodeString(r[16]); err != nil || string(pem) != string(key.Data[keys.SecretKeyPrivatePEM]) {
		d.failf("%s.auth_oauth_provider.client_private_key is not the base64 of the key Secret's PEM", t.database)
		keyNote = "<not the key Secret's PEM>"
	}
	if r[3] != rp.Status.ClientID {
		d.failf("%s.auth_oauth_provider.client_id %s, status.clientID %s", t.database, r[3], rp.Status.ClientID)
	}
	d.detail(fmt.Sprintf("$ psql -h %s -p %d -U postgres -d %s -c 'SELECT … FROM auth_oauth_provider'", d.pg.dir, d.pg.port, t.database))
	cols := []string{"id", "name", "body", "client_id", "flow", "client_authentication_method", "auth_endpoint", "token_endpoint",
		"validation_endpoint", "jwks_uri", "scope", "enabled", "enable_pkce", "verify_at_hash", "token_map", "extra_authorize_params"}
	for i, col := range cols {
		d.out.detail("    ", fmt.Sprintf("%-30s %s", col+":", cut(r[i], 150)))
	}
	d.out.detail("    ", fmt.Sprintf("%-30s %s", "client_private_key:", keyNote))
}

// firstOutput finds the first relying party with an output of the format and no apply yet.
func (s *samples) firstOutput(format string) (*unstructured.Unstructured, map[string]any) {
	for _, rp := range s.rps {
		outs, _, _ := unstructured.NestedSlice(rp.Object, "spec", "outputs")
		for _, o := range outs {
			m, ok := o.(map[string]any)
			if !ok || m["format"] != format || m["apply"] != nil {
				continue
			}
			return rp, m
		}
	}
	return nil, nil
}

// setOutput replaces the relying party's output of the same name.
func (s *samples) setOutput(rp *unstructured.Unstructured, out map[string]any) error {
	outs, _, _ := unstructured.NestedSlice(rp.Object, "spec", "outputs")
	for i, o := range outs {
		if m, ok := o.(map[string]any); ok && m["name"] == out["name"] {
			outs[i] = out
		}
	}
	return unstructured.SetNestedSlice(rp.Object, outs, "spec", "outputs")
}
