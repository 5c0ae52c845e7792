// Package argocd runs Argo CD resource health scripts (health.lua) the way the Argo CD application
// controller runs a script configured in argocd-cm (resource.customizations.health.<group>_<kind>),
// so tests can check what Argo CD will show for an object without an Argo CD installation.
//
// It follows argo-cd util/lua/lua.go (VM.runLua and VM.ExecuteHealthLua):
//   - a gopher-lua state with the standard libraries skipped unless useOpenLibs is set (argocd-cm
//     scripts run without them unless resource.customizations.useOpenLibs.<group>_<kind> is "true");
//   - then the package, base and table libraries are opened, plus Argo CD's "safe os": only
//     time and date, preloaded for require("os") (re-opening package empties package.loaded,
//     so require("os") is the safe module even with useOpenLibs);
//   - the object is the global obj, converted value by value (JSON numbers as Lua numbers, arrays
//     as sequences, objects as tables, null and unsupported Go types as nil);
//   - a context deadline (Timeout) bounds the run;
//   - the returned table goes through JSON to {status, message}; a status outside Healthy,
//     Progressing, Degraded, Suspended, Missing and Unknown becomes Unknown "Lua returned an
//     invalid health status"; nil, or fields of the wrong type, give an empty status.
package argocd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	apijson "k8s.io/apimachinery/pkg/util/json"
	luajson "layeh.com/gopher-json"
)

// Timeout bounds one script run. Argo CD uses the same one-second deadline, so a script that
// needs longer fails there too.
const Timeout = time.Second

// Health statuses a script may return (Argo CD's health.HealthStatusCode values).
const (
	StatusHealthy     = "Healthy"
	StatusProgressing = "Progressing"
	StatusDegraded    = "Degraded"
	StatusSuspended   = "Suspended"
	StatusMissing     = "Missing"
	StatusUnknown     = "Unknown"
)

// invalidHealthStatus is Argo CD's message for a status outside the list above.
const invalidHealthStatus = "Lua returned an invalid health status"

// Health runs the health.lua at scriptPath against obj with Argo CD's argocd-cm defaults (standard
// libraries closed) and returns hs.status and hs.message.
//
// obj is an object as the API server serves it, for example unstructured.Unstructured.Object. It
// is first normalised through JSON (integers become int64, as in objects Argo CD reads from the
// cluster), so hand-built maps may use int, []map[string]any and similar Go types.
func Health(scriptPath string, obj map[string]any) (status, message string, err error) {
	script, err := os.ReadFile(scriptPath) // #nosec G304 -- test helper; the caller names the script
	if err != nil {
		return "", "", err
	}
	return Eval(string(script), obj, false)
}

// Eval runs script against obj. useOpenLibs mirrors resource.customizations.useOpenLibs (and
// Argo CD's built-in scripts, which always run with the standard libraries).
func Eval(script string, obj map[string]any, useOpenLibs bool) (status, message string, err error) {
	normalised, err := normalise(obj)
	if err != nil {
		return "", "", err
	}

	l := lua.NewState(lua.Options{SkipOpenLibs: !useOpenLibs})
	defer l.Close()
	if err := openSandbox(l); err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	l.SetContext(ctx)

	l.SetGlobal("actionParams", l.CreateTable(0, 0)) // set for health scripts too, as Argo CD does
	l.SetGlobal("obj", toLua(l, normalised))

	fn, err := l.LoadString(script)
	if err == nil {
		l.Push(fn)
		err = l.PCall(0, lua.MultRet, nil)
	}
	if err != nil {
		// Argo CD drops the Lua stack trace from run-time errors before showing them.
		if apiErr, ok := errors.AsType[*lua.ApiError](err); ok && apiErr.Type == lua.ApiErrorRun {
			apiErr.StackTrace = ""
			err = apiErr
		}
		return "", "", err
	}
	return result(l.Get(-1))
}

// result turns the script's return value into status and message as ExecuteHealthLua does.
func result(ret lua.LValue) (status, message string, err error) {
	switch ret.Type() {
	case lua.LTNil:
		return "", "", nil
	case lua.LTTable:
	default:
		return "", "", fmt.Errorf("expect table output from Lua script, not %s", ret.Type().String())
	}
	encoded, err := luajson.Encode(ret)
	if err != nil {
		return "", "", err
	}
	var hs struct {
		Status  string `json:"status,omitempty"`
		Message string `json:"message,omitempty"`
	}
	if err := json.Unmarshal(encoded, &hs); err != nil {
		// An empty table encodes as [], and a field of the wrong type fails the same way:
		// Argo CD treats both as an empty health status.
		if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return "", "", nil
		}
		return "", "", err
	}
	switch hs.Status {
	case StatusHealthy, StatusProgressing, StatusDegraded, StatusSuspended, StatusMissing, StatusUnknown:
		return hs.Status, hs.Message, nil
	}
	return StatusUnknown, invalidHealthStatus, nil
}

// openSandbox opens what Argo CD opens on top of lua.Options.SkipOpenLibs: package, base, table
// and the safe os functions.
func openSandbox(l *lua.LState) error {
	safeOs := safeOsFuncs()
	openSafeOs := func(l *lua.LState) int {
		// Argo CD registers the safe functions under the table module's name. Because table is
		// loaded by then, gopher-lua's RegisterModule adds nothing: the global os stays nil (or
		// the full os with useOpenLibs) and the safe functions are reached via require("os").
		l.Push(l.RegisterModule(lua.TabLibName, safeOs))
		return 1
	}
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return fmt.Errorf("opening Lua library %q: %w", lib.name, err)
		}
	}
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(l.SetFuncs(l.NewTable(), safeOs))
		return 1
	})
	return nil
}

var (
	safeOsOnce sync.Once
	safeOs     map[string]lua.LGFunction
)

// safeOsFuncs returns gopher-lua's own os.time and os.date, the two functions Argo CD's safe os
// library copies from gopher-lua; nothing else of the os library is reachable.
func safeOsFuncs() map[string]lua.LGFunction {
	safeOsOnce.Do(func() {
		scratch := lua.NewState(lua.Options{SkipOpenLibs: true})
		defer scratch.Close()
		scratch.Push(scratch.NewFunction(lua.OpenOs))
		scratch.Push(lua.LString(lua.OsLibName))
		scratch.Call(1, 1)
		mod := scratch.Get(-1).(*lua.LTable)
		safeOs = map[string]lua.LGFunction{}
		for _, name := range []string{"time", "date"} {
			safeOs[name] = mod.RawGetString(name).(*lua.LFunction).GFunction
		}
	})
	return safeOs
}

// toLua converts a decoded JSON value as Argo CD's decodeValue does.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(toLua(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), toLua(l, item))
		}
		return tbl
	}
	return lua.LNil
}

// normalise round-trips obj through JSON with the decoder unstructured objects use (integers as
// int64, other numbers as float64), so obj looks as it does when read from the API server.
func normalise(obj map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding object: %w", err)
	}
	var out map[string]any
	if err := apijson.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decoding object: %w", err)
	}
	return out, nil
}

// Group is the API group of the operator's kinds; Argo CD keys the scripts by group and kind.
const Group = "esignet.openg2p.org"

// Kinds are the kinds that have a health script.
var Kinds = []string{"ESignetRelyingParty", "ESignetProvider", "ClusterESignetProvider"}

// ScriptPath returns the path of kind's health.lua in this repository
// (config/argocd/resource_customizations/<group>/<kind>/health.lua), found from this source
// file's location so it works from any package's tests.
func ScriptPath(kind string) string {
	return filepath.Join(repoRoot(), "config", "argocd", "resource_customizations", Group, kind, "health.lua")
}

// ConfigMapPath returns the path of the argocd-cm patch that carries the same scripts.
func ConfigMapPath() string {
	return filepath.Join(repoRoot(), "config", "argocd", "argocd-cm-health.yaml")
}

// ConfigMapKey returns the argocd-cm data key for kind's health script.
func ConfigMapKey(kind string) string {
	return "resource.customizations.health." + Group + "_" + kind
}

func repoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}
