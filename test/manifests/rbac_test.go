package manifests

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The deny-list: what the rendered RBAC must never grant, beside checkAccess's questions
// to the API server. RBAC cannot grant by label, so it cannot say "only Secrets labelled
// consumable": the manager's rights on Secrets cover every Secret of the cluster, and
// what keeps the others out of the manager is its label-filtered cache and its
// metadata-only look-ups (internal/controller: TestManagerCachesOnlyConsumableSecrets,
// TestSecretNotConsumableUntilLabelled). What RBAC can express is asserted here.

// managerSecretVerbs is exactly what the manager does with Secrets: its cache lists and
// watches (the labelled ones), it gets one by name (metadata only, for a Secret that did
// not opt in), and it creates, updates and deletes its own credentials Secrets. It never
// patches one, nor deletes a collection.
var managerSecretVerbs = []string{"create", "delete", "get", "list", "update", "watch"}

// boundRole is a Role or ClusterRole with the ServiceAccounts bound to it.
type boundRole struct {
	kind, name string
	rules      []rbacv1.PolicyRule
	// accounts are the ServiceAccounts bound to it, as namespace/name.
	accounts []string
}

// rbacViolations lists what roles grant that they must not. manager is the
// ServiceAccount (namespace/name) the manager container runs as; any other account that
// is bound to a role is taken for the provisioning server's own, which may read but not
// write, but for patching dectbases/status (its delivery records).
func rbacViolations(roles []boundRole, manager string) []string {
	var out []string
	secretVerbs := map[string]bool{}
	for _, r := range roles {
		who := r.kind + " " + r.name
		managers := slices.Contains(r.accounts, manager)
		for _, rule := range r.rules {
			for what, list := range map[string][]string{"verb": rule.Verbs, "resource": rule.Resources, "API group": rule.APIGroups} {
				if slices.Contains(list, "*") {
					out = append(out, fmt.Sprintf("%s grants every %s ('*')", who, what))
				}
			}
			if managers && slices.Contains(rule.APIGroups, "") && slices.Contains(rule.Resources, "secrets") {
				for _, v := range rule.Verbs {
					secretVerbs[v] = true
				}
			}
			if len(r.accounts) == 0 || managers {
				continue
			}
			for _, v := range rule.Verbs {
				if v == "get" || v == "list" || v == "watch" {
					continue
				}
				for _, res := range rule.Resources {
					if v == "patch" && res == "dectbases/status" && slices.Equal(rule.APIGroups, []string{"provisioning.dect-operator.dev"}) {
						continue
					}
					out = append(out, fmt.Sprintf("%s, bound to %s (the server's account), grants %s on %s", who, strings.Join(r.accounts, ", "), v, res))
				}
			}
		}
	}
	if got := slices.Sorted(maps.Keys(secretVerbs)); !slices.Equal(got, managerSecretVerbs) {
		out = append(out, fmt.Sprintf("the manager's account may %v Secrets, want exactly %v", got, managerSecretVerbs))
	}
	return out
}

// boundRoles reads the Roles and ClusterRoles of objs with the ServiceAccounts their
// bindings name.
func boundRoles(t *testing.T, objs []*unstructured.Unstructured) []boundRole {
	t.Helper()
	byRef := map[string]*boundRole{}
	var roles []*boundRole
	for _, u := range objs {
		var r *boundRole
		switch u.GetKind() {
		case "ClusterRole":
			r = &boundRole{kind: "ClusterRole", name: u.GetName(), rules: convert[rbacv1.ClusterRole](t, u).Rules}
		case "Role":
			r = &boundRole{kind: "Role", name: u.GetNamespace() + "/" + u.GetName(), rules: convert[rbacv1.Role](t, u).Rules}
		default:
			continue
		}
		byRef[r.kind+"/"+u.GetName()] = r
		roles = append(roles, r)
	}
	for _, u := range objs {
		var ref rbacv1.RoleRef
		var subjects []rbacv1.Subject
		switch u.GetKind() {
		case "ClusterRoleBinding":
			b := convert[rbacv1.ClusterRoleBinding](t, u)
			ref, subjects = b.RoleRef, b.Subjects
		case "RoleBinding":
			b := convert[rbacv1.RoleBinding](t, u)
			ref, subjects = b.RoleRef, b.Subjects
		default:
			continue
		}
		r := byRef[ref.Kind+"/"+ref.Name]
		if r == nil {
			continue // a built-in role: checkAccess asks the API server about those
		}
		for _, s := range subjects {
			if s.Kind == "ServiceAccount" {
				r.accounts = append(r.accounts, s.Namespace+"/"+s.Name)
			}
		}
	}
	out := make([]boundRole, len(roles))
	for i, r := range roles {
		out[i] = *r
	}
	return out
}

// managerAccount is the ServiceAccount of the pod whose container runs `manager`.
func managerAccount(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() != "Deployment" {
			continue
		}
		dep := convert[appsv1.Deployment](t, u)
		for _, c := range dep.Spec.Template.Spec.Containers {
			if len(c.Args) > 0 && c.Args[0] == "manager" {
				return u.GetNamespace() + "/" + dep.Spec.Template.Spec.ServiceAccountName
			}
		}
	}
	t.Fatal("no Deployment runs the manager")
	return ""
}

// checkDenyList runs rbacViolations on what config/default builds.
func checkDenyList(t *testing.T, objs []*unstructured.Unstructured) {
	manager := managerAccount(t, objs)
	roles := boundRoles(t, objs)
	for _, r := range roles {
		t.Logf("%s: bound to %v", r.kind+" "+r.name, r.accounts)
	}
	for _, v := range rbacViolations(roles, manager) {
		t.Error(v)
	}
}

// TestRBACDenyListCatches: each way to grant too much is caught, so that the deny-list
// passing on the real manifests means something.
func TestRBACDenyListCatches(t *testing.T) {
	const manager, server = "dect-system/dect-operator", "dect-system/dect-server"
	secrets := func(verbs ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: verbs}
	}
	good := boundRole{kind: "ClusterRole", name: "dect-operator", accounts: []string{manager},
		rules: []rbacv1.PolicyRule{secrets(managerSecretVerbs...)}}
	serverRead := boundRole{kind: "ClusterRole", name: "dect-server", accounts: []string{server}, rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"provisioning.dect-operator.dev"}, Resources: []string{"dectbases"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"provisioning.dect-operator.dev"}, Resources: []string{"dectbases/status"}, Verbs: []string{"patch"}},
	}}
	if v := rbacViolations([]boundRole{good, serverRead}, manager); len(v) != 0 {
		t.Fatalf("what the operator needs is refused: %v", v)
	}
	with := func(r boundRole, rules ...rbacv1.PolicyRule) boundRole {
		r.rules = append(slices.Clone(r.rules), rules...)
		return r
	}
	for _, tt := range []struct {
		name  string
		roles []boundRole
		want  string
	}{
		{"every verb", []boundRole{with(good, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"*"}})}, "every verb"},
		{"every resource", []boundRole{with(good, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"*"}, Verbs: []string{"get"}})}, "every resource"},
		{"every group", []boundRole{with(good, rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"pods"}, Verbs: []string{"get"}})}, "every API group"},
		{"patch Secrets", []boundRole{with(good, secrets("patch"))}, "want exactly"},
		{"delete every Secret at once", []boundRole{with(good, secrets("deletecollection"))}, "want exactly"},
		{"no rights on Secrets", []boundRole{{kind: "ClusterRole", name: "dect-operator", accounts: []string{manager}}}, "want exactly"},
		{"the server writes a Secret", []boundRole{good, with(serverRead, secrets("get", "create"))}, "grants create on secrets"},
		{"the server updates a base", []boundRole{good, with(serverRead, rbacv1.PolicyRule{APIGroups: []string{"provisioning.dect-operator.dev"}, Resources: []string{"dectbases"}, Verbs: []string{"update"}})}, "grants update on dectbases"},
		{"the server deletes events", []boundRole{good, with(serverRead, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"delete"}})}, "grants delete on events"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := rbacViolations(tt.roles, manager)
			if !slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Errorf("violations %q, want one saying %q", v, tt.want)
			}
		})
	}
}
