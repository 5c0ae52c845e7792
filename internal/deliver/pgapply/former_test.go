package pgapply

import (
	"testing"

	"github.com/openg2p/esignet-operator/internal/render"
)

// After a key rotation the output names a new client; the app's row of the client it replaced
// is taken over (same row, same login button), not joined by a second one.
func TestRotatedClientTakesOverItsRow(t *testing.T) {
	f := startFixture(t)
	for _, format := range Formats() {
		t.Run(string(format), func(t *testing.T) {
			db := "former_" + map[render.Format]string{render.FormatOdoo: "odoo", render.FormatFastAPIAuth: "fastapi", render.FormatIAM: "iam"}[format]
			f.newDB(t, db, string(format), true)
			first := renderOutput(t, format, "app", nil)
			res, err := apply(t, f.conn(t, db), first.target, nil, Options{})
			if err != nil || !res.Applied {
				t.Fatalf("first apply: %+v %v", res, err)
			}
			table := tables[format]
			id := f.one(t, db, "SELECT id FROM "+table.name+" WHERE "+keyWhere(first))
			rotated := renderOutput(t, format, "app-r1", func(in *render.Input) { in.FormerClientIDs = []string{"app"} })
			res, err = apply(t, f.conn(t, db), rotated.target, &res.Record, Options{})
			if err != nil || !res.Applied {
				t.Fatalf("apply after rotation: %+v %v", res, err)
			}
			if n := f.one(t, db, "SELECT count(*) FROM "+table.name); n != "1" {
				t.Fatalf("%s rows after rotation, want the one row taken over", n)
			}
			if got := f.one(t, db, "SELECT id FROM "+table.name+" WHERE "+keyWhere(rotated)); got != id {
				t.Fatalf("the new client's row is %s, want the old row %s", got, id)
			}
			// Unchanged afterwards: nothing written.
			xid := f.nextXID(t)
			if res, err = apply(t, f.conn(t, db), rotated.target, &res.Record, Options{}); err != nil || res.Applied || f.nextXID(t) != xid {
				t.Fatalf("second apply wrote: %+v %v", res, err)
			}
		})
	}
}
