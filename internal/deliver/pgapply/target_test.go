package pgapply

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/openg2p/esignet-operator/internal/render"
)

// settings are the render options that change the odoo upsert's columns.
var odooSettings = []struct {
	name string
	odoo render.OdooSettings
}{
	{"plain", render.OdooSettings{Enabled: true}},
	{"idType", render.OdooSettings{Enabled: true, IDType: "NATIONAL ID"}},
	{"selfServicePortal", render.OdooSettings{SelfServicePortal: true}},
	{"both", render.OdooSettings{IDType: "NATIONAL ID", SelfServicePortal: true}},
}

func TestNewTarget(t *testing.T) {
	for _, s := range odooSettings {
		r := renderOutput(t, render.FormatOdoo, "openg2p-sr", func(in *render.Input) { in.Odoo = s.odoo })
		if r.target.ClientID != "openg2p-sr" || r.target.IDType != s.odoo.IDType ||
			string(r.target.SQL) != string(r.doc.Data["auth_oauth_provider.sql"]) {
			t.Fatalf("odoo %s: target %+v", s.name, r.target)
		}
	}
	for _, f := range []render.Format{render.FormatFastAPIAuth, render.FormatIAM} {
		r := renderOutput(t, f, "client-"+string(f), nil)
		if r.target.ClientID != "client-"+string(f) || r.target.IDType != "" || string(r.target.SQL) != string(r.doc.Data["login_provider.sql"]) {
			t.Fatalf("%s: target %+v", f, r.target)
		}
	}
	if !slices.Equal(Formats(), []render.Format{render.FormatOdoo, render.FormatFastAPIAuth, render.FormatIAM}) {
		t.Fatal(Formats())
	}

	odoo := renderOutput(t, render.FormatOdoo, "x", nil).doc
	for _, tc := range []struct {
		name   string
		format render.Format
		doc    render.Document
		err    string
	}{
		{"oidc has no upsert", render.FormatOIDC, odoo, "has no database delivery"},
		{"template has no upsert", render.FormatTemplate, odoo, "has no database delivery"},
		{"no JSON", render.FormatOdoo, render.Document{Data: map[string][]byte{"auth_oauth_provider.sql": odoo.Data["auth_oauth_provider.sql"]}}, "is missing or not the expected JSON"},
		{"no client id", render.FormatOdoo, render.Document{Data: map[string][]byte{"auth_oauth_provider.sql": odoo.Data["auth_oauth_provider.sql"], "auth_oauth_provider.json": []byte(`{}`)}}, "names no client_id"},
		{"no SQL", render.FormatOdoo, render.Document{Data: map[string][]byte{"auth_oauth_provider.json": odoo.Data["auth_oauth_provider.json"]}}, "not one BEGIN; … COMMIT; block"},
		{"wrong document for the format", render.FormatIAM, odoo, "is missing or not the expected JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewTarget(tc.format, tc.doc)
			e := wantReason(t, err, TargetInvalid, false)
			if !strings.Contains(e.Message, tc.err) {
				t.Fatalf("error %q does not say %q", e.Message, tc.err)
			}
		})
	}
	bad := Target{Format: render.FormatIAM, SQL: []byte("BEGIN;\nSELECT 1;\nCOMMIT;\n"), ClientID: "c", IDType: "X"}
	wantReason(t, bad.validate(), TargetInvalid, false)
}

// body strips render's header and its BEGIN;/COMMIT; and nothing else; any other shape is refused.
func TestTargetBody(t *testing.T) {
	for _, tc := range []struct{ sql, body string }{
		{"-- header\n-- more\nBEGIN;\nUPDATE t SET a = 1;\nCOMMIT;\n", "UPDATE t SET a = 1;\n"},
		{"BEGIN;\nA;\nB;\nCOMMIT;", "A;\nB;\n"},
		{"-- h\n\nBEGIN;\nA 'COMMIT;\nBEGIN;';\nCOMMIT;\n\n", "A 'COMMIT;\nBEGIN;';\n"},
	} {
		got, err := Target{SQL: []byte(tc.sql)}.body()
		if err != nil || got != tc.body {
			t.Fatalf("body(%q) = %q, %v; want %q", tc.sql, got, err, tc.body)
		}
	}
	for _, sql := range []string{"", "-- only a comment", "UPDATE t SET a = 1;", "BEGIN;\nA;\n", "A;\nCOMMIT;\n",
		"BEGIN;\nCOMMIT;\n", " BEGIN;\nA;\nCOMMIT;\n", "BEGIN;\nA;\nCOMMIT;\nB;\n", "begin;\nA;\ncommit;\n"} {
		if _, err := (Target{SQL: []byte(sql)}).body(); ReasonOf(err) != TargetInvalid {
			t.Fatalf("body(%q): %v", sql, err)
		}
	}
}

var setLine = regexp.MustCompile(`(?m)^  ([a-z_0-9]+) = `)

// The fingerprint covers exactly the columns the rendered UPDATE sets, timestamps aside, for
// every format and odoo setting (checked here against a line-wise reading of render's layout).
func TestManagedColumnsMatchRenderedUpdate(t *testing.T) {
	type tc struct {
		name string
		r    rendered
	}
	var cases []tc
	for _, s := range odooSettings {
		cases = append(cases, tc{"odoo " + s.name, renderOutput(t, render.FormatOdoo, "c", func(in *render.Input) { in.Odoo = s.odoo })})
	}
	for _, f := range []render.Format{render.FormatFastAPIAuth, render.FormatIAM} {
		cases = append(cases, tc{string(f), renderOutput(t, f, "c", nil)})
	}
	for _, c := range cases {
		sql := string(c.r.target.SQL)
		update := sql[strings.Index(sql, "UPDATE "):strings.Index(sql, "\nWHERE ")]
		var set []string
		for _, m := range setLine.FindAllStringSubmatch(update, -1) {
			if m[1] != "write_date" && m[1] != "updated_at" {
				set = append(set, m[1])
			}
		}
		u, err := c.r.target.upsert()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(u.columns, set) {
			t.Errorf("%s: fingerprint columns %v, rendered UPDATE sets %v", c.name, u.columns, set)
		}
		tb := tables[c.r.format]
		if u.table != tb.name || u.key != tb.key {
			t.Errorf("%s: the upsert is on %s keyed by %s", c.name, u.table, u.key)
		}
	}
}

// Printing a Target never shows its SQL (the private key).
func TestTargetNeverShowsSQL(t *testing.T) {
	r := renderOutput(t, render.FormatOdoo, "printed", func(in *render.Input) { in.Odoo.IDType = "NATIONAL ID" })
	var log strings.Builder
	slog.New(slog.NewJSONHandler(&log, nil)).Info("delivering", "target", r.target)
	js, err := json.Marshal(r.target)
	if err != nil {
		t.Fatal(err)
	}
	s := fmt.Sprint(r.target) + fmt.Sprintf("%+v %#v %s %q %v %x", r.target, r.target, r.target, r.target,
		[]Target{r.target}, r.target) + log.String() + string(js) + fmt.Sprintf("%s %x %v", r.target.SQL, r.target.SQL, struct{ T Target }{r.target})
	assertClean(t, errors.New(s), r.secrets...)
	if !strings.Contains(s, `odoo upsert for client "printed" (sha256:`) || !strings.Contains(s, `ID type "NATIONAL ID"`) {
		t.Fatal(s)
	}
}

func TestHash(t *testing.T) {
	a := Target{SQL: []byte("x")}
	if a.Hash() != "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" {
		t.Fatal(a.Hash())
	}
	if a.Hash() == (Target{SQL: []byte("y")}).Hash() {
		t.Fatal("hash ignores content")
	}
}

// parseUpsert reads the UPDATE whatever its values hold: quotes, commas, parentheses, "now()",
// "WHERE" and "x = y" inside literals, and a DO block before it.
func TestParseUpsert(t *testing.T) {
	nasty := `''x'', now(), (a = b)\nWHERE c = d;\n  e = ''f'',\n$$ $t$`
	sql := "LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE;\n" +
		"DO $esignet_operator$ BEGIN IF NOT EXISTS (SELECT 1 FROM g WHERE name = 'UPDATE t SET a = 1') THEN RAISE EXCEPTION 'x'; END IF; END $esignet_operator$;\n" +
		"UPDATE t SET\n  a = '" + nasty + "',\n  b = jsonb_build_object('en_US', '" + nasty + "'),\n  c = convert_to('" + nasty + "', 'UTF8'),\n" +
		"  d = (SELECT id FROM g WHERE name = '" + nasty + "' ORDER BY id LIMIT 1),\n  e = (now() at time zone 'utc'),\n  f = now(),\n  g = true\n" +
		"WHERE x->>'client_id' = '" + nasty + "';\n" +
		"INSERT INTO t (a) SELECT 'q' WHERE NOT EXISTS (SELECT 1 FROM t WHERE a = 'q');\n" +
		"UPDATE g SET p = 1 WHERE name = 'z';\n"
	u, err := parseUpsert(sql)
	if err != nil {
		t.Fatal(err)
	}
	if u.table != "t" || u.key != "x->>'client_id'" || !slices.Equal(u.columns, []string{"a", "b", "c", "d", "g"}) {
		t.Fatalf("%+v", u)
	}
	for _, bad := range []string{
		"SELECT 1;",
		"UPDATE t SET a = 'unterminated WHERE k = 1;",
		"UPDATE t SET a = (1 WHERE k = 1;",
		"UPDATE t SET a = 1) WHERE k = 1;",
		"UPDATE t SET\n  a = 1;",
		"UPDATE t SET\n  a = 1\nWHERE k;",
		"UPDATE t SET\n  \"a\" = 1\nWHERE k = 1;",
		"UPDATE t SET\n  a = now()\nWHERE k = 1;",
		"DO $x$ unterminated",
	} {
		if u, err := parseUpsert(bad); err == nil {
			t.Errorf("parseUpsert(%q) = %+v, want an error", bad, u)
		}
	}
}
