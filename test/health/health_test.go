// Package health tests the Argo CD health check, kept in Argo CD's own layout under
// config/argocd/resource_customizations/provisioning.dect-operator.dev/<Kind>/:
// health.lua, health_test.yaml (the expected health of each fixture) and testdata/ (the
// fixtures, exported from objects the operator wrote: see export_test.go).
//
// It runs each kind's health_test.yaml the way Argo CD's own harness does, runs the same
// fixtures through kstatus (what Flux and the cli-utils tools use) and checks that the
// two agree, and checks that config/argocd/argocd-cm-patch.yaml carries the same script.
//
// `go test ./test/health -update` rewrites the generated files: with KUBEBUILDER_ASSETS
// set, the fixtures from the operator first; then each health_test.yaml from health.lua,
// and argocd-cm-patch.yaml. Review the diff: it is the change of what users see.
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

var update = flag.Bool("update", false, "rewrite the generated files: the fixtures (from the operator, when KUBEBUILDER_ASSETS is set), "+
	"each kind's health_test.yaml (from health.lua) and config/argocd/argocd-cm-patch.yaml")

const group = "provisioning.dect-operator.dev"

var (
	customizations = filepath.Join("..", "..", "config", "argocd", "resource_customizations", group)
	patchPath      = filepath.Join("..", "..", "config", "argocd", "argocd-cm-patch.yaml")
	kinds          = []string{"DectBase", "Handset"}
)

func kindDir(kind string) string { return filepath.Join(customizations, kind) }

// The argocd-cm key of a kind: resource.customizations.health.<group>_<kind>.
func healthKey(kind string) string { return "resource.customizations.health." + group + "_" + kind }

// kstatus and Argo CD name the same states differently.
var argoFor = map[status.Status]string{
	status.CurrentStatus:     "Healthy",
	status.InProgressStatus:  "Progressing",
	status.FailedStatus:      "Degraded",
	status.TerminatingStatus: "Progressing", // Argo CD has no Terminating health
}

// divergences lists the fixtures (kind/file) on which Argo CD and kstatus are expected
// to disagree, and why. One that agrees again fails the test, so that this stays true.
var divergences = map[string]string{
	"DectBase/testdata/new.yaml": "kstatus cannot tell an object the operator has not reconciled yet from a kind " +
		"without status, and calls it Current; the Lua check knows these kinds always get a status",
	"Handset/testdata/new.yaml": "as for a new DectBase",
}

// healthTests is the format of Argo CD's health_test.yaml.
type healthTests struct {
	Tests []healthTest `json:"tests"`
}

type healthTest struct {
	HealthStatus healthStatus `json:"healthStatus"`
	InputPath    string       `json:"inputPath"`
}

// healthStatus is Argo CD's health.HealthStatus as a health script returns it.
type healthStatus struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

func readScript(t *testing.T, kind string) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(kindDir(kind), "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(script)
}

// TestOneScript: Argo CD wants a file per kind; both kinds have one check.
func TestOneScript(t *testing.T) {
	if readScript(t, "DectBase") != readScript(t, "Handset") {
		t.Error("DectBase/health.lua and Handset/health.lua differ: they are one script, kept twice for Argo CD's layout")
	}
}

// TestHealthTests runs each kind's health_test.yaml as Argo CD's harness does
// (util/lua's TestLuaHealthScript): the fixture read with sigs.k8s.io/yaml into a map,
// the script run, the returned health compared whole. It runs the script twice: with
// the standard libraries, as Argo CD runs its built-in checks, and without them, as it
// runs a check from argocd-cm.
func TestHealthTests(t *testing.T) {
	for _, kind := range kinds {
		script := readScript(t, kind)
		if *update {
			if err := writeHealthTests(kind, script); err != nil {
				t.Fatal(err)
			}
		}
		tests := readHealthTests(t, kind)
		fixtures, err := filepath.Glob(filepath.Join(kindDir(kind), "testdata", "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fixtures {
			rel := filepath.ToSlash(filepath.Join("testdata", filepath.Base(f)))
			if !slices.ContainsFunc(tests.Tests, func(x healthTest) bool { return x.InputPath == rel }) {
				t.Errorf("%s/%s has no test in health_test.yaml: a fixture nobody checks is a false comfort", kind, rel)
			}
		}
		for _, test := range tests.Tests {
			t.Run(kind+"/"+test.InputPath, func(t *testing.T) {
				obj := argoFixture(t, filepath.Join(kindDir(kind), test.InputPath))
				for _, openLibs := range []bool{true, false} {
					got, err := argoHealth(obj, script, openLibs)
					if err != nil {
						t.Fatalf("running health.lua (standard libraries: %t): %v", openLibs, err)
					}
					if got != test.HealthStatus {
						t.Errorf("health (standard libraries: %t) = %+v, want %+v", openLibs, got, test.HealthStatus)
					}
				}
			})
		}
	}
}

// TestArgoAndKstatusAgree runs every fixture through kstatus and compares its verdict
// with the Argo CD health in health_test.yaml.
func TestArgoAndKstatusAgree(t *testing.T) {
	for _, kind := range kinds {
		for _, test := range readHealthTests(t, kind).Tests {
			name := kind + "/" + test.InputPath
			t.Run(name, func(t *testing.T) {
				obj := liveFixture(t, filepath.Join(kindDir(kind), test.InputPath))
				res, err := status.Compute(obj)
				if err != nil {
					t.Fatalf("kstatus: %v", err)
				}
				agree := argoFor[res.Status] == test.HealthStatus.Status
				why, diverges := divergences[name]
				switch {
				case !diverges && !agree:
					t.Errorf("Argo CD says %s (%q) but kstatus says %s (%q)", test.HealthStatus.Status, test.HealthStatus.Message, res.Status, res.Message)
				case diverges && agree:
					t.Errorf("a divergence is documented (%s), but Argo CD and kstatus now agree: drop it", why)
				}
				t.Logf("Argo CD %s %q; kstatus %s %q", test.HealthStatus.Status, test.HealthStatus.Message, res.Status, res.Message)
			})
		}
	}
	for name := range divergences {
		kind, file, _ := strings.Cut(name, "/")
		if _, err := os.Stat(filepath.Join(kindDir(kind), file)); err != nil {
			t.Errorf("divergence %s: %v", name, err)
		}
	}
}

// TestHealthWithoutStatusFields feeds the script objects with parts missing or of odd
// shape: it must answer, never fail, since Argo CD shows a failed script as an error.
func TestHealthWithoutStatusFields(t *testing.T) {
	script := readScript(t, "Handset")
	for name, obj := range map[string]map[string]any{
		"empty":                     {},
		"no metadata":               {"kind": "Handset", "status": map[string]any{"observedGeneration": int64(1)}},
		"empty status":              {"kind": "Handset", "metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{}},
		"no conditions":             {"kind": "Handset", "metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{"observedGeneration": int64(1)}},
		"empty conditions":          {"kind": "Handset", "metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{"observedGeneration": int64(1), "conditions": []any{}}},
		"condition without message": {"kind": "Handset", "metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{"observedGeneration": int64(1), "conditions": []any{map[string]any{"type": "Stalled", "status": "True"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := argoHealth(&unstructured.Unstructured{Object: obj}, script, false)
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
// byte, under the key of each kind.
func TestArgoCDConfigMapPatch(t *testing.T) {
	if *update {
		var scripts []string
		for _, kind := range kinds {
			scripts = append(scripts, readScript(t, kind))
		}
		if err := os.WriteFile(patchPath, renderPatch(scripts), 0o644); err != nil {
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
	for _, kind := range kinds {
		if cm.Data[healthKey(kind)] != readScript(t, kind) {
			t.Errorf("%s: data[%s] differs from %s/health.lua; run `go test ./test/health -run TestArgoCDConfigMapPatch -update`", patchPath, healthKey(kind), kind)
		}
	}
	if len(cm.Data) != len(kinds) {
		t.Errorf("%s has %d keys, want one per kind %v", patchPath, len(cm.Data), kinds)
	}
}

func renderPatch(scripts []string) []byte {
	var b bytes.Buffer
	b.WriteString(`# Adds the dect-operator health check to Argo CD, for both kinds. Generated from
# resource_customizations/` + group + `/<Kind>/health.lua by
# ` + "`go test ./test/health -update`" + `; do not edit.
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
	for i, kind := range kinds {
		fmt.Fprintf(&b, "  %s: |\n", healthKey(kind))
		for _, line := range strings.SplitAfter(scripts[i], "\n") {
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

func readHealthTests(t *testing.T, kind string) healthTests {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(kindDir(kind), "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tests healthTests
	if err := yaml.UnmarshalStrict(raw, &tests); err != nil {
		t.Fatalf("%s/health_test.yaml: %v", kind, err)
	}
	if len(tests.Tests) == 0 {
		t.Fatalf("%s/health_test.yaml has no tests", kind)
	}
	return tests
}

// writeHealthTests rewrites kind's health_test.yaml with one test per fixture, its
// expected health being what script answers now.
func writeHealthTests(kind, script string) error {
	fixtures, err := filepath.Glob(filepath.Join(kindDir(kind), "testdata", "*.yaml"))
	if err != nil {
		return err
	}
	slices.Sort(fixtures)
	var tests healthTests
	for _, f := range fixtures {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		obj := map[string]any{}
		if err := yaml.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		hs, err := argoHealth(&unstructured.Unstructured{Object: obj}, script, false)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		tests.Tests = append(tests.Tests, healthTest{HealthStatus: hs, InputPath: "testdata/" + filepath.Base(f)})
	}
	out, err := yaml.Marshal(tests)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(kindDir(kind), "health_test.yaml"), out, 0o644)
}

// argoFixture reads a fixture as Argo CD's harness does: numbers become float64.
func argoFixture(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]any{}
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: obj}
}

// liveFixture reads a fixture as a client reads a live object: integers become int64,
// which kstatus needs.
func liveFixture(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
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

// argoHealth runs a health script the way Argo CD does (util/lua): a fresh state, with
// the standard libraries for a built-in check, or only package, base and table for one
// from argocd-cm; the object as the global table obj; the returned table read back as a
// health status of one of Argo CD's known codes.
func argoHealth(obj *unstructured.Unstructured, script string, openLibs bool) (healthStatus, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer l.Close()
	if !openLibs {
		for name, open := range map[string]lua.LGFunction{
			lua.LoadLibName: lua.OpenPackage,
			lua.BaseLibName: lua.OpenBase,
			lua.TabLibName:  lua.OpenTable,
		} {
			if err := l.CallByParam(lua.P{Fn: l.NewFunction(open), NRet: 0, Protect: true}, lua.LString(name)); err != nil {
				return healthStatus{}, err
			}
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
