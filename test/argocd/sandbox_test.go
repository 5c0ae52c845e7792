package argocd_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openg2p/esignet-operator/test/argocd"
)

func eval(t *testing.T, script string, obj map[string]any, openLibs bool) (string, string, error) {
	t.Helper()
	if obj == nil {
		obj = map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}}
	}
	return argocd.Eval(script, obj, openLibs)
}

// TestSandboxLibraries: an argocd-cm script sees base, package and table, no string, math, io or
// global os; require("os") gives only time and date. Argo CD's attempt to also register them on
// table is a no-op in gopher-lua 1.1.2 (table is already loaded), so table.time stays nil.
func TestSandboxLibraries(t *testing.T) {
	const script = `
local function kinds(...)
  local out = ""
  for i = 1, select("#", ...) do
    if i > 1 then out = out .. "," end
    out = out .. type((select(i, ...)))
  end
  return out
end
local safeOs = require("os")
return {status = "Healthy", message = kinds(string, math, io, os, debug, coroutine, table, ipairs, pcall,
  safeOs.time, safeOs.date, safeOs.execute, safeOs.exit, table.time, table.date, table.insert, package)}`
	tests := []struct {
		openLibs bool
		want     string
	}{
		{false, "nil,nil,nil,nil,nil,nil,table,function,function,function,function,nil,nil,nil,nil,function,table"},
		// Re-opening package empties package.loaded, so even here require("os") is the safe one.
		{true, "table,table,table,table,table,table,table,function,function,function,function,nil,nil,nil,nil,function,table"},
	}
	for _, tc := range tests {
		status, message, err := eval(t, script, nil, tc.openLibs)
		if err != nil {
			t.Fatalf("openLibs=%v: %v", tc.openLibs, err)
		}
		if status != argocd.StatusHealthy || message != tc.want {
			t.Errorf("openLibs=%v: got %s %q, want Healthy %q", tc.openLibs, status, message, tc.want)
		}
	}
	// With the libraries closed, string methods are gone too.
	if _, _, err := eval(t, `return {status = ("x"):upper()}`, nil, false); err == nil {
		t.Error("string method worked with the standard libraries closed")
	}
	// require("os").time works: the safe functions are real.
	status, _, err := eval(t, `if require("os").time() > 0 then return {status = "Healthy"} end`, nil, false)
	if err != nil || status != argocd.StatusHealthy {
		t.Errorf("os.time via require: %s, %v", status, err)
	}
}

// TestObjectConversion: obj arrives as nested tables; integers are numbers, arrays are sequences,
// null is nil.
func TestObjectConversion(t *testing.T) {
	obj := map[string]any{
		"metadata": map[string]any{"generation": int64(7), "labels": map[string]string{"a": "b"}},
		"spec": map[string]any{
			"list":   []string{"x", "y"},
			"ratio":  1.5,
			"flag":   true,
			"absent": nil,
			"empty":  []any{},
		},
	}
	const script = `
local s = obj.spec
return {status = "Healthy", message = tostring(obj.metadata.generation + 1) .. " " .. type(obj.metadata.generation) ..
  " " .. obj.metadata.labels.a .. " " .. s.list[2] .. " " .. tostring(#s.list) .. " " .. tostring(s.ratio) ..
  " " .. tostring(s.flag) .. " " .. tostring(s.absent) .. " " .. type(s.empty) .. " " .. tostring(obj.status)}`
	_, message, err := eval(t, script, obj, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "8 number b y 2 1.5 true nil table nil"; message != want {
		t.Errorf("got %q, want %q", message, want)
	}
}

// TestReturnValues: what Argo CD makes of the values a script returns.
func TestReturnValues(t *testing.T) {
	tests := []struct {
		script, wantStatus, wantMessage, wantErr string
	}{
		{script: `return {status = "Degraded", message = "m"}`, wantStatus: "Degraded", wantMessage: "m"},
		{script: `hs = {} hs.status = "Missing" return hs`, wantStatus: "Missing"},
		{script: `return {status = "Great"}`, wantStatus: "Unknown", wantMessage: "Lua returned an invalid health status"},
		{script: `return {status = "healthy"}`, wantStatus: "Unknown", wantMessage: "Lua returned an invalid health status"},
		{script: `return {}`},
		{script: `return nil`},
		{script: `local x = 1`},
		{script: `return {status = 3}`},
		{script: `return "Healthy"`, wantErr: "expect table output from Lua script, not string"},
		{script: `return {status = "Healthy", message = function() end}`, wantErr: "cannot encode function to JSON"},
		{script: `error("boom")`, wantErr: "boom"},
		{script: `return {status = `, wantErr: "EOF"},
		{script: `return obj.status.conditions[1]`, wantErr: "attempt to index a non-table object(nil)"},
	}
	for _, tc := range tests {
		status, message, err := eval(t, tc.script, nil, false)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want containing %q", tc.script, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "stack traceback") {
				t.Errorf("%s: run-time error keeps its stack trace: %v", tc.script, err)
			}
			continue
		}
		if err != nil || status != tc.wantStatus || message != tc.wantMessage {
			t.Errorf("%s: got %q %q %v, want %q %q", tc.script, status, message, err, tc.wantStatus, tc.wantMessage)
		}
	}
}

// TestRunawayScriptStopped: a script that never ends is stopped by the deadline.
func TestRunawayScriptStopped(t *testing.T) {
	start := time.Now()
	_, _, err := eval(t, `while true do end`, nil, false)
	elapsed := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if elapsed > argocd.Timeout+4*time.Second {
		t.Errorf("stopped after %s, deadline is %s", elapsed, argocd.Timeout)
	}
}

func TestHealthMissingScript(t *testing.T) {
	if _, _, err := argocd.Health(filepath.Join(t.TempDir(), "health.lua"), map[string]any{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
}
