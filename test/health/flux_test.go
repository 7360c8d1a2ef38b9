package health

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/cel-go/cel"
	"sigs.k8s.io/yaml"
)

// fluxExprs is config/flux/health-check-exprs.yaml.
type fluxExprs struct {
	HealthCheckExprs []struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		InProgress string `json:"inProgress"`
		Failed     string `json:"failed"`
		Current    string `json:"current"`
	} `json:"healthCheckExprs"`
}

// fluxStatus evaluates the expressions as Flux's kustomize-controller does: the object's
// top-level fields are variables, inProgress is tried first, then failed, then current,
// and an object none of them matches is InProgress.
func fluxStatus(t *testing.T, inProgress, failed, current string, obj map[string]any) string {
	t.Helper()
	env, err := cel.NewEnv(cel.OptionalTypes(),
		cel.Variable("metadata", cel.DynType), cel.Variable("spec", cel.DynType), cel.Variable("status", cel.DynType))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{"metadata": map[string]any{}, "spec": map[string]any{}, "status": map[string]any{}}
	for k, v := range obj {
		vars[k] = v
	}
	for _, step := range []struct{ expr, result string }{{inProgress, "InProgress"}, {failed, "Failed"}, {current, "Current"}} {
		ast, iss := env.Compile(step.expr)
		if iss.Err() != nil {
			t.Fatalf("%q: %v", step.expr, iss.Err())
		}
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := prg.Eval(vars)
		if err != nil {
			t.Fatalf("%q on %v: %v", step.expr, obj, err)
		}
		if out.Value() == true {
			return step.result
		}
	}
	return "InProgress"
}

func TestFluxHealthCheckExprs(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "flux", "health-check-exprs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f fluxExprs
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.HealthCheckExprs) != 2 {
		t.Fatalf("%d entries, want one per kind", len(f.HealthCheckExprs))
	}
	cond := func(typ, status, reason string) map[string]any {
		return map[string]any{"type": typ, "status": status, "reason": reason}
	}
	object := func(gen, observed int64, conds ...map[string]any) map[string]any {
		o := map[string]any{"metadata": map[string]any{"name": "x", "generation": gen}}
		if observed > 0 || len(conds) > 0 {
			list := make([]any, len(conds))
			for i, c := range conds {
				list[i] = c
			}
			o["status"] = map[string]any{"observedGeneration": observed, "conditions": list}
		}
		return o
	}
	for _, e := range f.HealthCheckExprs {
		for _, tc := range []struct {
			name string
			obj  map[string]any
			want string
		}{
			{"just created, no status yet", object(1, 0), "InProgress"},
			{"spec changed, not yet observed", object(2, 1, cond("Ready", "True", "Rendered")), "InProgress"},
			{"waiting for a Secret", object(1, 1, cond("Ready", "False", "SecretNotFound"), cond("Reconciling", "True", "SecretNotFound")), "InProgress"},
			{"stalled", object(1, 1, cond("Ready", "False", "DuplicateIPUI"), cond("Stalled", "True", "DuplicateIPUI")), "Failed"},
			{"ready, not yet delivered", object(3, 3, cond("Ready", "True", "Rendered"), cond("Delivered", "Unknown", "NeverFetched")), "Current"},
			{"ready in a moved slot", object(1, 1, cond("Ready", "True", "SlotMoved")), "Current"},
		} {
			if got := fluxStatus(t, e.InProgress, e.Failed, e.Current, tc.obj); got != tc.want {
				t.Errorf("%s, %s: %s, want %s", e.Kind, tc.name, got, tc.want)
			}
		}
	}
}
