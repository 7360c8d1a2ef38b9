// Package health tests the Argo CD health check of config/argocd/health.lua: it runs the
// real Lua file on fixture objects (testdata/*.yaml) the way Argo CD does, runs the same
// fixtures through kstatus (what Flux and the cli-utils tools use), and checks that the
// two agree.
package health

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite config/argocd/argocd-cm-patch.yaml from health.lua")

var (
	scriptPath = filepath.Join("..", "..", "config", "argocd", "health.lua")
	patchPath  = filepath.Join("..", "..", "config", "argocd", "argocd-cm-patch.yaml")
)

// The argocd-cm keys, resource.customizations.health.<group>_<kind>.
var healthKeys = []string{
	"resource.customizations.health.provisioning.dect-operator.dev_DectBase",
	"resource.customizations.health.provisioning.dect-operator.dev_Handset",
}

// kstatus and Argo CD name the same states differently.
var argoFor = map[status.Status]string{
	status.CurrentStatus:     "Healthy",
	status.InProgressStatus:  "Progressing",
	status.FailedStatus:      "Degraded",
	status.TerminatingStatus: "Progressing", // Argo CD has no Terminating health
}

type fixture struct {
	file      string
	argo      string // expected Argo CD health status
	kstatus   status.Status
	inMessage string // expected part of the Lua message
	// divergence, when set, explains why Argo CD and kstatus are expected to disagree.
	divergence string
}

var fixtures = []fixture{
	{
		file: "dectbase-new.yaml", argo: "Progressing", kstatus: status.CurrentStatus,
		inMessage: "Waiting for the operator to reconcile this DectBase",
		divergence: "kstatus cannot tell an object the operator has not reconciled yet from a kind " +
			"without status, and calls it Current; the Lua check knows these kinds always get a status",
	},
	{file: "dectbase-reconciling.yaml", argo: "Progressing", kstatus: status.InProgressStatus, inMessage: "rendering file generation 2"},
	{file: "dectbase-ready.yaml", argo: "Healthy", kstatus: status.CurrentStatus, inMessage: "3 of 3 handsets ready"},
	{
		file: "dectbase-stalled-duplicatemac.yaml", argo: "Degraded", kstatus: status.FailedStatus,
		inMessage: "DuplicateMAC: MAC 7C2F80CA21E4 is already declared by DectBase telephony/office",
	},
	{
		file: "handset-secretnotfound.yaml", argo: "Degraded", kstatus: status.FailedStatus,
		inMessage: `SecretNotFound: Secret sip-1022 has no key "password"`,
	},
	{
		file: "handset-stale-generation.yaml", argo: "Progressing", kstatus: status.InProgressStatus,
		inMessage: "Waiting for the operator to observe generation 3 (the status describes generation 2)",
	},
	{
		file: "handset-ready-not-delivered.yaml", argo: "Healthy", kstatus: status.CurrentStatus,
		inMessage: "not delivered yet: AwaitingFetch",
	},
	{file: "handset-not-ready-not-stalled.yaml", argo: "Progressing", kstatus: status.InProgressStatus, inMessage: "waiting for the base's file"},
	{file: "dectbase-deleting.yaml", argo: "Progressing", kstatus: status.TerminatingStatus, inMessage: "DectBase is being deleted"},
}

// TestFixturesAreListed keeps the table and testdata/ in step: a fixture file nobody
// checks would be a false comfort.
func TestFixturesAreListed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if !slices.ContainsFunc(fixtures, func(x fixture) bool { return x.file == name }) {
			t.Errorf("testdata/%s has no entry in the fixtures table", name)
		}
	}
}

func TestHealth(t *testing.T) {
	script, err := os.ReadFile(scriptPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		t.Run(strings.TrimSuffix(fx.file, ".yaml"), func(t *testing.T) {
			obj := loadFixture(t, fx.file)

			got, err := argoHealth(obj, string(script))
			if err != nil {
				t.Fatalf("running health.lua: %v", err)
			}
			if got.Status != fx.argo {
				t.Errorf("Argo CD health = %s (%q), want %s", got.Status, got.Message, fx.argo)
			}
			if got.Message == "" {
				t.Errorf("Argo CD health %s has no message", got.Status)
			}
			if !strings.Contains(got.Message, fx.inMessage) {
				t.Errorf("Argo CD message = %q, want it to contain %q", got.Message, fx.inMessage)
			}

			res, err := status.Compute(obj)
			if err != nil {
				t.Fatalf("kstatus: %v", err)
			}
			if res.Status != fx.kstatus {
				t.Errorf("kstatus = %s (%q), want %s", res.Status, res.Message, fx.kstatus)
			}

			agree := argoFor[res.Status] == got.Status
			switch {
			case fx.divergence == "" && !agree:
				t.Errorf("Argo CD says %s but kstatus says %s (%s)", got.Status, res.Status, argoFor[res.Status])
			case fx.divergence != "" && agree:
				t.Errorf("the fixture documents a divergence (%s), but Argo CD and kstatus now agree: drop it", fx.divergence)
			}
			t.Logf("Argo CD %s %q; kstatus %s %q", got.Status, got.Message, res.Status, res.Message)
		})
	}
}

// TestHealthWithoutStatusFields feeds the script objects with parts missing or of odd
// shape: it must answer, never fail, since Argo CD shows a failed script as an error.
func TestHealthWithoutStatusFields(t *testing.T) {
	script, err := os.ReadFile(scriptPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, obj := range map[string]map[string]any{
		"empty":                     {},
		"no metadata":               {"kind": "Handset", "status": map[string]any{"observedGeneration": int64(1)}},
		"empty status":              {"kind": "Handset", "metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{}},
		"no conditions":             {"kind": "Handset", "metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{"observedGeneration": int64(1)}},
		"empty conditions":          {"kind": "Handset", "metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{"observedGeneration": int64(1), "conditions": []any{}}},
		"condition without message": {"kind": "Handset", "metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{"observedGeneration": int64(1), "conditions": []any{map[string]any{"type": "Stalled", "status": "True"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := argoHealth(&unstructured.Unstructured{Object: obj}, string(script))
			if err != nil {
				t.Fatalf("running health.lua: %v", err)
			}
			if got.Status == "" || got.Message == "" {
				t.Errorf("health = %+v, want a status and a message", got)
			}
		})
	}
}

// TestArgoCDConfigMapPatch checks that argocd-cm-patch.yaml carries health.lua, byte for
// byte, under the key of each kind. `go test ./test/health -update` rewrites it.
func TestArgoCDConfigMapPatch(t *testing.T) {
	script, err := os.ReadFile(scriptPath)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(patchPath, renderPatch(string(script)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(patchPath)
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict(raw, &cm); err != nil {
		t.Fatalf("%s: %v", patchPath, err)
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Metadata.Name != "argocd-cm" || cm.Metadata.Namespace != "argocd" {
		t.Errorf("%s is %s %s %s/%s, want v1 ConfigMap argocd/argocd-cm", patchPath, cm.APIVersion, cm.Kind, cm.Metadata.Namespace, cm.Metadata.Name)
	}
	for _, key := range healthKeys {
		if cm.Data[key] != string(script) {
			t.Errorf("%s: data[%s] differs from health.lua; run `go test ./test/health -run TestArgoCDConfigMapPatch -update`", patchPath, key)
		}
	}
	if len(cm.Data) != len(healthKeys) {
		t.Errorf("%s has %d keys, want exactly %v", patchPath, len(cm.Data), healthKeys)
	}
}

func renderPatch(script string) []byte {
	var b bytes.Buffer
	b.WriteString(`# Adds the dect-operator health check (health.lua beside this file) to Argo CD, for
# both kinds. Generated from health.lua by ` + "`go test ./test/health -update`" + `; do not edit.
#
# Apply it to a running Argo CD:
#   kubectl -n argocd patch configmap argocd-cm --patch-file config/argocd/argocd-cm-patch.yaml
# or list it under patches: in the kustomization that installs Argo CD.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
`)
	for _, key := range healthKeys {
		fmt.Fprintf(&b, "  %s: |\n", key)
		for _, line := range strings.SplitAfter(script, "\n") {
			if line == "" {
				continue
			}
			if line == "\n" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("    " + line)
		}
	}
	return b.Bytes()
}

func loadFixture(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	// Through JSON, as Argo CD and kstatus see a live object: integers become int64.
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatal(err)
	}
	return u
}

// healthStatus is Argo CD's health.HealthStatus as the Lua script returns it.
type healthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// argoHealth runs a health script the way Argo CD runs one from argocd-cm (util/lua):
// a fresh state without the standard libraries except package, base and table, the
// object as the global table obj, and the returned table read back as a health status
// of one of Argo CD's known codes.
func argoHealth(obj *unstructured.Unstructured, script string) (healthStatus, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{
		lua.LoadLibName: lua.OpenPackage,
		lua.BaseLibName: lua.OpenBase,
		lua.TabLibName:  lua.OpenTable,
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(open), NRet: 0, Protect: true}, lua.LString(name)); err != nil {
			return healthStatus{}, err
		}
	}
	l.SetGlobal("obj", toLua(l, obj.Object))
	if err := l.DoString(script); err != nil {
		return healthStatus{}, err
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return healthStatus{}, fmt.Errorf("the script returned %s, want a table", l.Get(-1).Type())
	}
	out := map[string]any{}
	ret.ForEach(func(k, v lua.LValue) {
		out[k.String()] = v.String()
	})
	js, err := json.Marshal(out)
	if err != nil {
		return healthStatus{}, err
	}
	var hs healthStatus
	if err := json.Unmarshal(js, &hs); err != nil {
		return healthStatus{}, err
	}
	switch hs.Status {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
	default:
		return hs, fmt.Errorf("the script returned health status %q, which Argo CD does not know", hs.Status)
	}
	return hs, nil
}

// toLua converts an unstructured value as Argo CD does: maps become tables keyed by
// string, lists become 1-based array tables, numbers become Lua numbers.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case json.Number:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetString(k, toLua(l, item))
		}
		return t
	}
	return lua.LNil
}
