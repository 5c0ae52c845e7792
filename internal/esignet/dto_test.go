package esignet

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// detailFor strips what v cannot carry (those cases are tested separately).
func detailFor(v APIVersion) ClientDetail {
	d := sampleDetail()
	if !v.SupportsClientNameLangMap() {
		d.ClientNameLangMap = nil
	}
	if !v.SupportsAdditionalConfig() {
		d.AdditionalConfig = nil
	}
	return d
}

var (
	v1Create = []string{"clientId", "clientName", "publicKey", "relyingPartyId", "userClaims",
		"authContextRefs", "logoUri", "redirectUris", "grantTypes", "clientAuthMethods"}
	v1Update = []string{"logoUri", "redirectUris", "userClaims", "authContextRefs", "status",
		"grantTypes", "clientName", "clientAuthMethods"}
)

// wantMembers is the exact member set of each DTO (API.md §2.1–§2.5).
func wantMembers(v APIVersion, op string) []string {
	var m []string
	switch op {
	case "create":
		m = slices.Clone(v1Create)
	case "update", "setstatus":
		m = slices.Clone(v1Update)
	}
	if v.SupportsClientNameLangMap() {
		m = append(m, "clientNameLangMap")
	}
	if v.SupportsAdditionalConfig() {
		m = append(m, "additionalConfig")
	}
	if op == "setstatus" && v.SupportsPatch() {
		m = []string{"status"}
	}
	sort.Strings(m)
	return m
}

func runOp(t *testing.T, c *Client, op string) error {
	ctx := context.Background()
	var err error
	switch op {
	case "create":
		_, err = c.Create(ctx, detailFor(c.version))
	case "update":
		_, err = c.Update(ctx, detailFor(c.version))
	case "setstatus":
		_, err = c.SetStatus(ctx, detailFor(c.version), StatusInactive)
	case "patch":
		name, logo := "New Name", "https://rp.example.org/new.png"
		_, err = c.Patch(ctx, "client-id-#12c", ClientPatch{ClientName: &name, LogoURI: &logo,
			RedirectURIs: []string{"https://rp.example.org/cb2"}, UserClaims: []string{},
			Status: StatusActive, AdditionalConfig: json.RawMessage(`{"require_pkce":true}`),
			EncPublicKey: json.RawMessage(sampleJWK)})
	}
	return err
}

func TestRequestDTOsPerGeneration(t *testing.T) {
	versions := []APIVersion{V1_0, V1_2, V1_5, V1_6, V1_7, V1_8}
	for _, v := range versions {
		for _, op := range []string{"create", "update", "setstatus", "patch"} {
			if op == "patch" && !v.SupportsPatch() {
				continue
			}
			t.Run(string(v)+"/"+op, func(t *testing.T) {
				rec := newRecorder(t)
				c := newTestClient(t, rec.srv.URL, v, NewStaticToken("tok"))
				if err := runOp(t, c, op); err != nil {
					t.Fatal(err)
				}
				body := rec.last().Body
				if op != "patch" {
					got := slices.Sorted(mapKeys(requestMembers(t, body)))
					if want := wantMembers(v, op); !slices.Equal(got, want) {
						t.Errorf("members = %v\nwant      %v", got, want)
					}
				}
				checkGolden(t, filepath.Join("testdata", "golden", string(v)+"_"+op+".json"), body)
			})
		}
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkGolden compares the indented body with a golden file; go test
// -update rewrites it.
func checkGolden(t *testing.T, path string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	buf.WriteByte('\n')
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s mismatch:\n got: %s\nwant: %s", path, buf.String(), want)
	}
}

func TestNilListsAreEmptyArrays(t *testing.T) {
	for _, op := range []string{"create", "update"} {
		rec := newRecorder(t)
		c := newTestClient(t, rec.srv.URL, V1_8, nil)
		d := ClientDetail{ClientID: "x", PublicKey: json.RawMessage(sampleJWK)}
		var err error
		if op == "create" {
			_, err = c.Create(context.Background(), d)
		} else {
			_, err = c.Update(context.Background(), d)
		}
		if err != nil {
			t.Fatal(err)
		}
		body := string(rec.last().Body)
		if strings.Contains(body, "null") {
			t.Errorf("%s: body has null: %s", op, body)
		}
		for _, m := range []string{"redirectUris", "userClaims", "authContextRefs", "grantTypes", "clientAuthMethods"} {
			if !strings.Contains(body, `"`+m+`":[]`) {
				t.Errorf("%s: %s not sent as []: %s", op, m, body)
			}
		}
		if op == "update" && !strings.Contains(body, `"status":"ACTIVE"`) {
			t.Errorf("empty status must default to ACTIVE: %s", body)
		}
	}
}

func TestPatchOmitsNilKeepsEmpty(t *testing.T) {
	rec := newRecorder(t)
	c := newTestClient(t, rec.srv.URL, V1_8, nil)
	if _, err := c.Patch(context.Background(), "x", ClientPatch{UserClaims: []string{}}); err != nil {
		t.Fatal(err)
	}
	got := requestMembers(t, rec.last().Body)
	if len(got) != 1 || !got["userClaims"] {
		t.Errorf("members = %v, want only userClaims", got)
	}
	if !strings.Contains(string(rec.last().Body), `"userClaims":[]`) {
		t.Errorf("empty list must be sent: %s", rec.last().Body)
	}
}

func TestNullAdditionalConfigIsOmitted(t *testing.T) {
	rec := newRecorder(t)
	c := newTestClient(t, rec.srv.URL, V1_6, nil)
	d := detailFor(V1_6)
	d.AdditionalConfig = json.RawMessage(" null ")
	if _, err := c.Create(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if requestMembers(t, rec.last().Body)["additionalConfig"] {
		t.Errorf("null additionalConfig sent: %s", rec.last().Body)
	}
}
