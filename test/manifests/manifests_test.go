// Package manifests builds every kustomization under config/ with the kustomize API (as
// `kubectl apply -k` does) and creates each resulting object in a real kube-apiserver
// (envtest), so that a manifest the API server would refuse fails `make test`. It also
// checks what a schema cannot: the pod's hardening, that only the manager container
// holds Kubernetes credentials, that the Services reach the pod's ports, and that the
// ServiceAccount may do what the manager needs (for its sidecar too).
package manifests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/dect-operator/dect-operator/internal/shard"
)

const (
	namespace = "dect-system"
	image     = "ghcr.io/dect-operator/dect-operator:v0.1.0"
	// fieldOwner writes every object, so that applying an overlay over the default
	// installation takes the fields over as `kubectl apply --server-side` would.
	fieldOwner = client.FieldOwner("manifests-test")
	// maxURL is the longest URL DHCP option 114 (and so the device) takes.
	maxURL = 74
)

var (
	k8s      client.Client
	repoRoot string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run the tests with `make test`, which provides the envtest binaries")
		return 1
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = root
	// No CRDs here: the test installs them from the built manifests, as a user would.
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting envtest:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	}()
	k8s, err = client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating the client:", err)
		return 1
	}
	return m.Run()
}

// build runs kustomize on a folder of config/, as `kubectl apply -k` does.
func build(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot, "config", dir))
	if err != nil {
		t.Fatalf("kustomize build config/%s: %v", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range resMap.Resources() {
		// Through JSON, as kubectl sends it: numbers become int64 or float64.
		js, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("config/%s: %v", dir, err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			t.Fatalf("config/%s: %v", dir, err)
		}
		objs = append(objs, u)
	}
	if len(objs) == 0 {
		t.Fatalf("config/%s builds no objects", dir)
	}
	return objs
}

// install writes objs into the cluster: CRDs first (and waits until they are served),
// then namespaces, then everything else. An object that does not exist yet is created;
// one that does (an overlay over the default installation) is server-side applied.
// Namespaced objects without a namespace go to defaultNamespace.
func install(t *testing.T, objs []*unstructured.Unstructured, defaultNamespace string) {
	t.Helper()
	ctx := context.Background()
	rank := func(u *unstructured.Unstructured) int {
		switch u.GroupVersionKind().GroupKind().String() {
		case "CustomResourceDefinition.apiextensions.k8s.io":
			return 0
		case "Namespace":
			return 1
		}
		return 2
	}
	sorted := slices.Clone(objs)
	slices.SortStableFunc(sorted, func(a, b *unstructured.Unstructured) int { return rank(a) - rank(b) })

	crdsReady, applied := false, 0
	for _, obj := range sorted {
		u := obj.DeepCopy()
		if rank(u) > 0 && !crdsReady {
			waitForCRDs(t, objs)
			crdsReady = true
		}
		mapping, err := k8s.RESTMapper().RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
		if err != nil {
			t.Fatalf("%s: the API server does not serve this kind: %v", describe(u), err)
		}
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace && u.GetNamespace() == "" {
			u.SetNamespace(defaultNamespace)
		}
		intent := u.DeepCopy()
		err = k8s.Create(ctx, u, fieldOwner)
		if apierrors.IsAlreadyExists(err) {
			err = k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(intent), fieldOwner, client.ForceOwnership)
			applied++
		}
		if err != nil {
			t.Errorf("%s: %v", describe(u), err)
		}
	}
	if !crdsReady {
		waitForCRDs(t, objs)
	}
	t.Logf("created %d objects, applied %d over existing ones", len(objs)-applied, applied)
}

func waitForCRDs(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() != "CustomResourceDefinition" {
			continue
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(u.GroupVersionKind())
			if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(u), got); err != nil {
				t.Fatalf("%s: %v", describe(u), err)
			}
			if conditionTrue(got, "Established") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is not Established after 30s", describe(u))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func conditionTrue(u *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ && m["status"] == "True" {
			return true
		}
	}
	return false
}

func describe(u *unstructured.Unstructured) string {
	name := u.GetName()
	if u.GetNamespace() != "" {
		name = u.GetNamespace() + "/" + name
	}
	return u.GetKind() + " " + name
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, u := range objs {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	return nil
}

func convert[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	var out T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, &out, true); err != nil {
		t.Fatalf("%s: %v", describe(u), err)
	}
	return &out
}

// TestInstall walks what a user does: install the default configuration, switch the
// device Service to each overlay, then apply the samples. The steps share one cluster
// and run in this order.
func TestInstall(t *testing.T) {
	t.Run("default", testDefault)
	t.Run("overlays", testOverlays)
	t.Run("two shards", testTwoShards)
	t.Run("separate server", testSeparateServer)
	t.Run("samples", testSamples)
	t.Run("health fixtures", testHealthFixtures)
}

func testDefault(t *testing.T) {
	objs := build(t, "default")

	var names []string
	for _, u := range objs {
		names = append(names, describe(u))
	}
	slices.Sort(names)
	want := []string{
		"ClusterRole dect-operator",
		"ClusterRole dect-operator-metrics-reader",
		"ClusterRoleBinding dect-operator",
		"CustomResourceDefinition dectbases.provisioning.dect-operator.dev",
		"CustomResourceDefinition handsets.provisioning.dect-operator.dev",
		"Deployment dect-system/dect-operator",
		"Namespace dect-system",
		"NetworkPolicy dect-system/dect-operator",
		"PodDisruptionBudget dect-system/dect-operator",
		"Role dect-system/dect-operator-leader-election",
		"RoleBinding dect-system/dect-operator-leader-election",
		"Service dect-system/dect-operator-metrics",
		"Service dect-system/dect-provisioning",
		"ServiceAccount dect-system/dect-operator",
	}
	if !slices.Equal(names, want) {
		t.Errorf("config/default builds\n  %s\nwant\n  %s", strings.Join(names, "\n  "), strings.Join(want, "\n  "))
	}

	install(t, objs, namespace)
	if t.Failed() {
		t.FailNow()
	}

	dep := convert[appsv1.Deployment](t, find(objs, "Deployment", "dect-operator"))
	t.Run("deployment", func(t *testing.T) { checkDeployment(t, dep) })
	t.Run("credentials", func(t *testing.T) { checkCredentials(t, dep) })
	t.Run("replicas", func(t *testing.T) { checkReplicas(t, objs, dep) })
	t.Run("services", func(t *testing.T) { checkServices(t, objs, dep) })
	t.Run("server URL", func(t *testing.T) { checkServerURL(t, dep, "http://dect-provisioning.dect-system.svc/") })
	t.Run("bindings", func(t *testing.T) { checkBindings(t, objs) })
	t.Run("rbac", checkAccess)
	t.Run("rbac deny-list", func(t *testing.T) { checkDenyList(t, objs) })
	t.Run("pod security", func(t *testing.T) { checkPodSecurity(t, dep) })
	t.Run("network policy", func(t *testing.T) { checkNetworkPolicy(t, objs, dep) })

	if svc := convert[corev1.Service](t, find(objs, "Service", "dect-provisioning")); svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("device Service is %s in config/default, want ClusterIP", svc.Spec.Type)
	}
}

// checkNetworkPolicy: the NetworkPolicy selects the operator's Pod and admits only the
// provisioning port from outside the namespace; the metrics and probe ports only from
// pods in the namespace. It was accepted by the API server (install).
func checkNetworkPolicy(t *testing.T, objs []*unstructured.Unstructured, dep *appsv1.Deployment) {
	u := find(objs, "NetworkPolicy", "dect-operator")
	if u == nil {
		t.Fatal("config/default has no NetworkPolicy dect-operator")
	}
	np := convert[networkingv1.NetworkPolicy](t, u)
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil || sel.Empty() || !sel.Matches(labels.Set(dep.Spec.Template.Labels)) {
		t.Errorf("NetworkPolicy selects %v, not the operator's Pod %v", np.Spec.PodSelector, dep.Spec.Template.Labels)
	}
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) {
		t.Errorf("NetworkPolicy policyTypes %v, want [Ingress]", np.Spec.PolicyTypes)
	}
	// Every named port must be a container's, or the rule admits nothing.
	podPorts := map[string]bool{}
	for _, c := range dep.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			podPorts[p.Name] = true
		}
	}
	var open, inside []string
	for _, rule := range np.Spec.Ingress {
		fromNamespaceOnly := len(rule.From) > 0
		for _, peer := range rule.From {
			fromNamespaceOnly = fromNamespaceOnly && peer.PodSelector != nil && peer.NamespaceSelector == nil && peer.IPBlock == nil
		}
		for _, p := range rule.Ports {
			if p.Port == nil || !podPorts[p.Port.String()] {
				t.Errorf("NetworkPolicy admits port %v, which the Pod does not name", p.Port)
				continue
			}
			if fromNamespaceOnly {
				inside = append(inside, p.Port.String())
			} else {
				open = append(open, p.Port.String())
			}
		}
		if len(rule.Ports) == 0 {
			t.Errorf("NetworkPolicy rule %+v admits every port", rule)
		}
	}
	if !slices.Equal(open, []string{"provisioning"}) {
		t.Errorf("from outside the namespace the NetworkPolicy admits %v, want [provisioning]", open)
	}
	slices.Sort(inside)
	if want := []string{"health", "metrics", "server-health"}; !slices.Equal(inside, want) {
		t.Errorf("from the namespace the NetworkPolicy admits %v, want %v", inside, want)
	}
}

func checkDeployment(t *testing.T, dep *appsv1.Deployment) {
	spec := dep.Spec.Template.Spec
	if spec.ServiceAccountName != "dect-operator" {
		t.Errorf("serviceAccountName = %q, want dect-operator", spec.ServiceAccountName)
	}
	psc := spec.SecurityContext
	if psc == nil {
		t.Fatal("the pod has no securityContext")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod: runAsNonRoot is not true")
	}
	if psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
		t.Errorf("pod: runAsUser = %v, want 65532", psc.RunAsUser)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod: seccompProfile = %+v, want RuntimeDefault", psc.SeccompProfile)
	}

	var names []string
	for _, c := range spec.Containers {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"manager", "serve"}) {
		t.Fatalf("containers = %v, want [manager serve]", names)
	}
	for _, c := range spec.Containers {
		if c.Image != image {
			t.Errorf("%s: image = %q, want %q (both containers run the same image)", c.Name, c.Image, image)
		}
		if len(c.Args) == 0 || c.Args[0] != c.Name {
			t.Errorf("%s: args = %v, want the subcommand %q first", c.Name, c.Args, c.Name)
		}
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("%s: no securityContext", c.Name)
			continue
		}
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: runAsNonRoot is not true", c.Name)
		}
		if sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
			t.Errorf("%s: runAsUser = %v, want 65532", c.Name, sc.RunAsUser)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: readOnlyRootFilesystem is not true", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: allowPrivilegeEscalation is not false", c.Name)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s: privileged", c.Name)
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
			t.Errorf("%s: capabilities = %+v, want drop [ALL] and nothing added", c.Name, sc.Capabilities)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: seccompProfile = %+v, want RuntimeDefault", c.Name, sc.SeccompProfile)
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[res]
			lim, hasLim := c.Resources.Limits[res]
			if !hasReq || !hasLim {
				t.Errorf("%s: %s request and limit must both be set", c.Name, res)
			} else if req.Cmp(lim) > 0 {
				t.Errorf("%s: %s request %s is above its limit %s", c.Name, res, req.String(), lim.String())
			}
		}
		for what, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil {
				t.Errorf("%s: no HTTP %s probe", c.Name, what)
				continue
			}
			if !hasPort(c, p.HTTPGet.Port) {
				t.Errorf("%s: %s probe port %s is not a port of the container", c.Name, what, p.HTTPGet.Port.String())
			}
		}
		if c.StartupProbe != nil && c.StartupProbe.HTTPGet != nil && c.StartupProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: startup probe path %q, want /healthz (liveness waits for it)", c.Name, c.StartupProbe.HTTPGet.Path)
		}
		if c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: liveness probe path %q, want /healthz", c.Name, c.LivenessProbe.HTTPGet.Path)
		}
		if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("%s: readiness probe path %q, want /readyz", c.Name, c.ReadinessProbe.HTTPGet.Path)
		}
	}

	wantArgs := map[string][]string{
		"manager": {"manager", "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081", "--leader-elect", "--server-url=$(SERVER_URL)",
			"--files-addr=127.0.0.1:8090", "--server-admin-url=http://127.0.0.1:8082", "--nonce-key-secret=dect-operator-nonce-key"},
		"serve": {"serve", "--addr=:8088", "--files-from=http://127.0.0.1:8090", "--metrics-addr=127.0.0.1:8082", "--probe-addr=:8083"},
	}
	// The server's metrics port is bound to loopback, so the Pod does not name it.
	wantPorts := map[string][]int32{"manager": {8443, 8081}, "serve": {8088, 8083}}
	for _, c := range spec.Containers {
		if !slices.Equal(c.Args, wantArgs[c.Name]) {
			t.Errorf("%s: args = %q, want %q", c.Name, c.Args, wantArgs[c.Name])
		}
		// --nonce-key-secret's Secret is in the Pod's namespace, whatever it is.
		if c.Name == "manager" && !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
			return e.Name == "POD_NAMESPACE" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace"
		}) {
			t.Errorf("manager: no POD_NAMESPACE from metadata.namespace: %v", c.Env)
		}
		var ports []int32
		for _, p := range c.Ports {
			ports = append(ports, p.ContainerPort)
		}
		if !slices.Equal(ports, wantPorts[c.Name]) {
			t.Errorf("%s: container ports = %v, want %v (the ports its flags bind)", c.Name, ports, wantPorts[c.Name])
		}
	}
}

// checkCredentials: only the manager container holds Kubernetes credentials. The Pod
// does not automount the ServiceAccount token; a projected volume with what the
// automount would give (token, cluster CA, namespace) is mounted where client-go looks
// for it, in the manager container only; serve, which faces the LAN, mounts no volume
// that carries a token. And the Pod is not on the host's network, where the feed's
// loopback port would be the node's.
func checkCredentials(t *testing.T, dep *appsv1.Deployment) {
	spec := dep.Spec.Template.Spec
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("pod: automountServiceAccountToken = %v, want false", spec.AutomountServiceAccountToken)
	}
	if spec.HostNetwork {
		t.Error("pod: hostNetwork is true: the manager's feed to its sidecar would be on the node's loopback")
	}
	const tokenDir = "/var/run/secrets/kubernetes.io/serviceaccount"
	withToken := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.Projected == nil {
			continue
		}
		var token, ca, ns bool
		for _, src := range v.Projected.Sources {
			switch {
			case src.ServiceAccountToken != nil:
				token = src.ServiceAccountToken.Path == "token" && src.ServiceAccountToken.Audience == ""
			case src.ConfigMap != nil:
				ca = src.ConfigMap.Name == "kube-root-ca.crt" && len(src.ConfigMap.Items) == 1 &&
					src.ConfigMap.Items[0] == corev1.KeyToPath{Key: "ca.crt", Path: "ca.crt"}
			case src.DownwardAPI != nil:
				ns = len(src.DownwardAPI.Items) == 1 && src.DownwardAPI.Items[0].Path == "namespace" &&
					src.DownwardAPI.Items[0].FieldRef != nil && src.DownwardAPI.Items[0].FieldRef.FieldPath == "metadata.namespace"
			}
			withToken[v.Name] = withToken[v.Name] || src.ServiceAccountToken != nil
		}
		if withToken[v.Name] && !(token && ca && ns) {
			t.Errorf("volume %s: token %t, CA %t, namespace %t; want all three, as the automount gives them", v.Name, token, ca, ns)
		}
	}
	for _, c := range spec.Containers {
		mounted := false
		for _, m := range c.VolumeMounts {
			if !withToken[m.Name] {
				continue
			}
			if c.Name != "manager" {
				t.Errorf("%s: mounts the token volume %s; only the manager holds credentials", c.Name, m.Name)
				continue
			}
			if m.MountPath != tokenDir || !m.ReadOnly {
				t.Errorf("manager: the token volume at %s (read-only %t), want %s read-only", m.MountPath, m.ReadOnly, tokenDir)
			}
			mounted = true
		}
		if c.Name == "manager" && !mounted {
			t.Error("manager: no ServiceAccount token mounted")
		}
	}
}

// checkReplicas: two pods, a rollout that never has fewer Ready pods than wanted, and a
// PodDisruptionBudget over the same pods that lets a drain take one at a time.
func checkReplicas(t *testing.T, objs []*unstructured.Unstructured, dep *appsv1.Deployment) {
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
		t.Errorf("replicas = %v, want at least 2", dep.Spec.Replicas)
	}
	ru := dep.Spec.Strategy.RollingUpdate
	if dep.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
		t.Errorf("strategy = %+v, want RollingUpdate with maxUnavailable 0", dep.Spec.Strategy)
	}
	pdb := convert[policyv1.PodDisruptionBudget](t, find(objs, "PodDisruptionBudget", "dect-operator"))
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labels.Set(dep.Spec.Template.Labels)) {
		t.Errorf("the PodDisruptionBudget's selector %s does not select the pods (%v)", sel, dep.Spec.Template.Labels)
	}
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 || pdb.Spec.MinAvailable.IntValue() >= int(*dep.Spec.Replicas) {
		t.Errorf("minAvailable = %v, want at least 1 and fewer than the replicas (a drain must be able to proceed)", pdb.Spec.MinAvailable)
	}
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == "serve" && (c.Lifecycle == nil || c.Lifecycle.PreStop == nil) {
			t.Error("serve has no preStop pause: a stopping pod would refuse devices kube-proxy still sends it")
		}
	}
}

func hasPort(c corev1.Container, port intstr.IntOrString) bool {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return true
		}
	}
	return false
}

// checkServices: each Service selects the operator's pod and targets ports it has.
func checkServices(t *testing.T, objs []*unstructured.Unstructured, dep *appsv1.Deployment) {
	podLabels := dep.Spec.Template.Labels
	for _, u := range objs {
		if u.GetKind() != "Service" {
			continue
		}
		svc := convert[corev1.Service](t, u)
		if len(svc.Spec.Selector) == 0 {
			t.Errorf("Service %s has no selector", svc.Name)
		}
		for k, v := range svc.Spec.Selector {
			if podLabels[k] != v {
				t.Errorf("Service %s selects %s=%s, which the pod does not carry", svc.Name, k, v)
			}
		}
		for _, p := range svc.Spec.Ports {
			found := false
			for _, c := range dep.Spec.Template.Spec.Containers {
				found = found || hasPort(c, p.TargetPort)
			}
			if !found {
				t.Errorf("Service %s port %d targets %s, which no container has", svc.Name, p.Port, p.TargetPort.String())
			}
		}
	}
	dev := convert[corev1.Service](t, find(objs, "Service", "dect-provisioning"))
	if len(dev.Spec.Ports) != 1 || dev.Spec.Ports[0].Port != 80 || dev.Spec.Ports[0].TargetPort.String() != "provisioning" {
		t.Errorf("device Service ports = %+v, want 80 -> provisioning (8088)", dev.Spec.Ports)
	}
	metrics := convert[corev1.Service](t, find(objs, "Service", "dect-operator-metrics"))
	var ports []int32
	for _, p := range metrics.Spec.Ports {
		ports = append(ports, p.Port)
	}
	if !slices.Equal(ports, []int32{8443}) {
		t.Errorf("metrics Service ports = %v, want [8443]", ports)
	}
}

// checkServerURL: the manager reports a URL the device can take, and it is the one the
// configuration means.
func checkServerURL(t *testing.T, dep *appsv1.Deployment, want string) {
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name != "manager" {
			continue
		}
		var url string
		for _, e := range c.Env {
			if e.Name == "SERVER_URL" {
				url = e.Value
			}
		}
		if url != want {
			t.Errorf("SERVER_URL = %q, want %q", url, want)
		}
		if len(url) > maxURL || !strings.HasPrefix(url, "http://") || !strings.HasSuffix(url, "/") {
			t.Errorf("SERVER_URL %q must be http://<address>/ within %d characters (DHCP option 114)", url, maxURL)
		}
		return
	}
	t.Error("no manager container")
}

// checkBindings: both bindings name the one ServiceAccount in the operator's namespace.
func checkBindings(t *testing.T, objs []*unstructured.Unstructured) {
	crb := convert[rbacv1.ClusterRoleBinding](t, find(objs, "ClusterRoleBinding", "dect-operator"))
	rb := convert[rbacv1.RoleBinding](t, find(objs, "RoleBinding", "dect-operator-leader-election"))
	for name, subjects := range map[string][]rbacv1.Subject{"ClusterRoleBinding": crb.Subjects, "RoleBinding": rb.Subjects} {
		want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "dect-operator", Namespace: namespace}}
		if !slices.Equal(subjects, want) {
			t.Errorf("%s subjects = %+v, want %+v", name, subjects, want)
		}
	}
	if crb.RoleRef.Name != "dect-operator" || rb.RoleRef.Name != "dect-operator-leader-election" {
		t.Errorf("roleRefs = %+v, %+v", crb.RoleRef, rb.RoleRef)
	}
}

// checkAccess asks the API server's own RBAC authorizer whether the ServiceAccount may do
// what the manager and the provisioning server do.
func checkAccess(t *testing.T) {
	sa := "system:serviceaccount:" + namespace + ":dect-operator"
	var need []access
	for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
		need = append(need, access{"", "configmaps", "", v, "telephony"})
	}
	for _, v := range managerSecretVerbs {
		need = append(need, access{"", "secrets", "", v, "telephony"})
	}
	for _, r := range []string{"dectbases", "handsets"} {
		for _, v := range []string{"get", "list", "watch"} {
			need = append(need, access{"provisioning.dect-operator.dev", r, "", v, "telephony"})
		}
		for _, v := range []string{"get", "patch", "update"} {
			need = append(need, access{"provisioning.dect-operator.dev", r, "status", v, "telephony"})
		}
	}
	for _, v := range []string{"create", "patch"} {
		need = append(need, access{"events.k8s.io", "events", "", v, "telephony"}, access{"", "events", "", v, namespace})
	}
	for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
		need = append(need, access{"coordination.k8s.io", "leases", "", v, namespace})
	}
	// The MAC policy: both containers read the Namespaces' annotation.
	for _, v := range []string{"get", "list", "watch"} {
		need = append(need, access{"", "namespaces", "", v, ""})
	}
	// The operator never needs these; a binding that grants them is too wide.
	deny := []access{
		{"coordination.k8s.io", "leases", "", "create", "telephony"},
		{"provisioning.dect-operator.dev", "dectbases", "", "delete", "telephony"},
		{"provisioning.dect-operator.dev", "handsets", "", "update", "telephony"},
		{"", "pods", "", "create", namespace},
		{"", "secrets", "", "patch", "telephony"},
		{"", "secrets", "", "deletecollection", "telephony"},
		{"rbac.authorization.k8s.io", "clusterroles", "", "escalate", ""},
		// It reads the MAC policy; it must never be able to write it.
		{"", "namespaces", "", "patch", ""},
		{"", "namespaces", "", "update", ""},
	}
	for _, a := range need {
		if !may(t, sa, a) {
			t.Errorf("the ServiceAccount may not %s %s %s/%s in %q", a.verb, a.group, a.resource, a.subresource, a.namespace)
		}
	}
	for _, a := range deny {
		if may(t, sa, a) {
			t.Errorf("the ServiceAccount may %s %s %s/%s in %q, which it does not need", a.verb, a.group, a.resource, a.subresource, a.namespace)
		}
	}
}

// access is one request a ServiceAccount may or may not make.
type access struct {
	group, resource, subresource, verb, namespace string
}

// may asks the API server's own RBAC authorizer whether the ServiceAccount user sa may
// make the request a.
func may(t *testing.T, sa string, a access) bool {
	t.Helper()
	ns := strings.Split(sa, ":")[2]
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   sa,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Group: a.group, Resource: a.resource, Subresource: a.subresource, Verb: a.verb, Namespace: a.namespace,
		},
	}}
	if err := k8s.Create(context.Background(), sar); err != nil {
		t.Fatalf("SubjectAccessReview: %v", err)
	}
	return sar.Status.Allowed
}

// checkPodSecurity creates (dry run) a pod from the Deployment's template in the
// operator's namespace, which enforces the "restricted" Pod Security Standard, and
// checks that a pod that breaks the standard is refused there, so that the first check
// means something.
func checkPodSecurity(t *testing.T, dep *appsv1.Deployment) {
	ctx := context.Background()
	ns := &corev1.Namespace{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		t.Fatal(err)
	}
	if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespace %s enforces %q, want restricted", namespace, ns.Labels["pod-security.kubernetes.io/enforce"])
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "dect-operator-dry-run", Namespace: namespace, Labels: dep.Spec.Template.Labels},
		Spec:       *dep.Spec.Template.Spec.DeepCopy(),
	}
	if err := k8s.Create(ctx, pod.DeepCopy(), client.DryRunAll); err != nil {
		t.Errorf("the operator's pod is refused in %s: %v", namespace, err)
	}
	bad := pod.DeepCopy()
	bad.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
	bad.Spec.Containers[0].SecurityContext.Capabilities = nil
	err := k8s.Create(ctx, bad, client.DryRunAll)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "PodSecurity") {
		t.Errorf("a pod that breaks the restricted standard was not refused by PodSecurity: %v", err)
	}
}

func testOverlays(t *testing.T) {
	for _, o := range []struct {
		dir, url string
		typ      corev1.ServiceType
		policy   corev1.ServiceExternalTrafficPolicy
		nodePort int32
	}{
		{"overlays/loadbalancer", "http://192.0.2.10/", corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal, 0},
		{"overlays/nodeport", "http://192.0.2.10:30080/", corev1.ServiceTypeNodePort, corev1.ServiceExternalTrafficPolicyCluster, 30080},
	} {
		t.Run(filepath.Base(o.dir), func(t *testing.T) {
			objs := build(t, o.dir)
			base := build(t, "default")
			if len(objs) != len(base) {
				t.Errorf("config/%s builds %d objects, config/default %d: an overlay only patches", o.dir, len(objs), len(base))
			}
			install(t, objs, namespace)

			svc := convert[corev1.Service](t, find(objs, "Service", "dect-provisioning"))
			if svc.Spec.Type != o.typ || svc.Spec.ExternalTrafficPolicy != o.policy {
				t.Errorf("device Service: type %s, externalTrafficPolicy %s; want %s, %s", svc.Spec.Type, svc.Spec.ExternalTrafficPolicy, o.typ, o.policy)
			}
			if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 80 || svc.Spec.Ports[0].TargetPort.String() != "provisioning" || svc.Spec.Ports[0].NodePort != o.nodePort {
				t.Errorf("device Service ports = %+v, want 80 -> provisioning, nodePort %d", svc.Spec.Ports, o.nodePort)
			}
			live := &corev1.Service{}
			if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: "dect-provisioning"}, live); err != nil {
				t.Fatal(err)
			}
			if live.Spec.Type != o.typ {
				t.Errorf("live device Service is %s after applying config/%s, want %s", live.Spec.Type, o.dir, o.typ)
			}

			dep := convert[appsv1.Deployment](t, find(objs, "Deployment", "dect-operator"))
			checkServerURL(t, dep, o.url)
			checkDeployment(t, dep)
			checkCredentials(t, dep)
		})
	}
}

// testTwoShards: config/overlays/two-shards replaces config/default's Deployment and
// PodDisruptionBudget with one of each per shard. Each shard's manager selects its own
// namespaces (the selectors parse, and a namespace labelled for one shard is selected
// by that shard alone) and holds its own lease; the Deployments' selectors do not
// overlap; each budget keeps one pod of its own shard; every shard's pods are what the
// Services and the NetworkPolicy select, so that every pod serves every base.
func testTwoShards(t *testing.T) {
	const dir = "overlays/two-shards"
	objs, base := build(t, dir), build(t, "default")
	var added, removed []string
	for _, u := range objs {
		if find(base, u.GetKind(), u.GetName()) == nil {
			added = append(added, describe(u))
		}
	}
	for _, u := range base {
		if find(objs, u.GetKind(), u.GetName()) == nil {
			removed = append(removed, describe(u))
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	wantAdded := []string{
		"Deployment dect-system/dect-operator-shard-a", "Deployment dect-system/dect-operator-shard-b",
		"PodDisruptionBudget dect-system/dect-operator-shard-a", "PodDisruptionBudget dect-system/dect-operator-shard-b",
	}
	wantRemoved := []string{"Deployment dect-system/dect-operator", "PodDisruptionBudget dect-system/dect-operator"}
	if !slices.Equal(added, wantAdded) || !slices.Equal(removed, wantRemoved) {
		t.Errorf("config/%s adds\n  %s\nremoves\n  %s\nwant\n  %s\nand\n  %s", dir, strings.Join(added, "\n  "), strings.Join(removed, "\n  "),
			strings.Join(wantAdded, "\n  "), strings.Join(wantRemoved, "\n  "))
	}
	install(t, objs, namespace)
	if t.Failed() {
		t.FailNow()
	}

	shards := map[string]*appsv1.Deployment{}
	for _, name := range []string{"a", "b"} {
		dep := convert[appsv1.Deployment](t, find(objs, "Deployment", "dect-operator-shard-"+name))
		shards[name] = dep
		t.Run("shard "+name, func(t *testing.T) {
			// As config/default's, but for the shard's own flags (checked below).
			plain := dep.DeepCopy()
			for i := range plain.Spec.Template.Spec.Containers {
				c := &plain.Spec.Template.Spec.Containers[i]
				c.Args = slices.DeleteFunc(c.Args, func(a string) bool {
					return strings.HasPrefix(a, "--shard-selector=") || strings.HasPrefix(a, "--leader-election-id=")
				})
			}
			checkDeployment(t, plain)
			checkCredentials(t, dep)
			checkPodSecurity(t, dep)
			checkServerURL(t, dep, "http://dect-provisioning.dect-system.svc/")
			checkNetworkPolicy(t, objs, dep)
			checkServices(t, objs, dep)
		})
	}
	leases := map[string]string{}
	for name, dep := range shards {
		var selector, lease string
		for _, c := range dep.Spec.Template.Spec.Containers {
			for _, a := range c.Args {
				if v, ok := strings.CutPrefix(a, "--shard-selector="); ok && c.Name == "manager" {
					selector = v
				}
				if v, ok := strings.CutPrefix(a, "--leader-election-id="); ok && c.Name == "manager" {
					lease = v
				}
			}
		}
		sel, err := shard.ParseSelector(selector)
		if err != nil || sel.Empty() {
			t.Errorf("shard %s: --shard-selector=%q (%v): want a selector of its own", name, selector, err)
			continue
		}
		// A namespace labelled for one shard is selected by it, and by it alone.
		for other := range shards {
			ns := labels.Set{"provisioning.dect-operator.dev/shard": other}
			if sel.Matches(ns) != (other == name) {
				t.Errorf("shard %s's selector %q selects a namespace labelled for shard %s: %v", name, selector, other, sel.Matches(ns))
			}
		}
		if lease == "" || lease == "dect-operator.provisioning.dect-operator.dev" || leases[lease] != "" {
			t.Errorf("shard %s: --leader-election-id=%q, want a lease of its own (shard %s has it)", name, lease, leases[lease])
		}
		leases[lease] = name

		// Its Deployment's selector takes none of the other's pods, and its budget
		// counts its own pods alone.
		for other, o := range shards {
			depSel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			if other != name && depSel.Matches(labels.Set(o.Spec.Template.Labels)) {
				t.Errorf("Deployment %s's selector %s takes shard %s's pods", dep.Name, depSel, other)
			}
		}
		pdb := convert[policyv1.PodDisruptionBudget](t, find(objs, "PodDisruptionBudget", dep.Name))
		pdbSel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		for other, o := range shards {
			if pdbSel.Matches(labels.Set(o.Spec.Template.Labels)) != (other == name) {
				t.Errorf("PodDisruptionBudget %s (%s) selects shard %s's pods: %v", pdb.Name, pdbSel, other, other != name)
			}
		}
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 || *dep.Spec.Replicas < 2 {
			t.Errorf("shard %s: minAvailable %v of %d replicas, want 1 of 2 or more", name, pdb.Spec.MinAvailable, *dep.Spec.Replicas)
		}
	}
}

// testSeparateServer: config/overlays/separate-server runs the server as a Deployment
// of its own, in the direct mode, with a ServiceAccount that may read the operator's
// objects and record deliveries, and nothing else; the operator's Pod keeps the manager
// alone; the device Service reaches the server's Pods.
func testSeparateServer(t *testing.T) {
	const dir = "overlays/separate-server"
	objs := build(t, dir)
	var added []string
	for _, u := range objs {
		if find(build(t, "default"), u.GetKind(), u.GetName()) == nil {
			added = append(added, describe(u))
		}
	}
	slices.Sort(added)
	want := []string{
		"ClusterRole dect-provisioning-server", "ClusterRoleBinding dect-provisioning-server",
		"Deployment dect-system/dect-provisioning-server", "NetworkPolicy dect-system/dect-provisioning-server",
		"ServiceAccount dect-system/dect-provisioning-server",
	}
	if !slices.Equal(added, want) {
		t.Errorf("config/%s adds\n  %s\nwant\n  %s", dir, strings.Join(added, "\n  "), strings.Join(want, "\n  "))
	}
	install(t, objs, namespace)
	if t.Failed() {
		t.FailNow()
	}

	op := convert[appsv1.Deployment](t, find(objs, "Deployment", "dect-operator"))
	if cs := op.Spec.Template.Spec.Containers; len(cs) != 1 || cs[0].Name != "manager" {
		t.Fatalf("the operator's Pod runs %d containers, want the manager alone", len(cs))
	}
	manager := op.Spec.Template.Spec.Containers[0]
	for _, a := range manager.Args {
		if strings.HasPrefix(a, "--files-addr") || strings.HasPrefix(a, "--server-admin-url") {
			t.Errorf("manager: %s, with no sidecar to serve", a)
		}
		// The overlay replaces the manager's arguments: they must still bind the ports
		// the container declares (the metrics Service and NetworkPolicy name them).
		if port, ok := strings.CutPrefix(a, "--metrics-bind-address=:"); ok && !hasPort(manager, intstr.Parse(port)) {
			t.Errorf("manager: %s, a port the container does not declare", a)
		}
	}
	// The servers sign their nonces with the key of the Secret the manager keeps.
	if !slices.Contains(manager.Args, "--nonce-key-secret=dect-operator-nonce-key") {
		t.Errorf("manager: args %q, want --nonce-key-secret=dect-operator-nonce-key for the servers to mount", manager.Args)
	}
	checkCredentials(t, op)
	checkServerURL(t, op, "http://dect-provisioning.dect-system.svc/")

	srv := convert[appsv1.Deployment](t, find(objs, "Deployment", "dect-provisioning-server"))
	spec := srv.Spec.Template.Spec
	if spec.ServiceAccountName != "dect-provisioning-server" || len(spec.Containers) != 1 {
		t.Fatalf("server Deployment: ServiceAccount %q, %d containers", spec.ServiceAccountName, len(spec.Containers))
	}
	if c := spec.Containers[0]; c.Image != image || c.Args[0] != "serve" || slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--files-from") }) {
		t.Errorf("server: image %s, args %v; want serve in the direct mode", c.Image, c.Args)
	}
	checkPodSecurity(t, srv)
	checkNonceKeyMounted(t, spec)
	svc := convert[corev1.Service](t, find(objs, "Service", "dect-provisioning"))
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	if !sel.Matches(labels.Set(srv.Spec.Template.Labels)) || sel.Matches(labels.Set(op.Spec.Template.Labels)) {
		t.Errorf("device Service selects %v: want the server's Pods %v, not the operator's", svc.Spec.Selector, srv.Spec.Template.Labels)
	}
	if !hasPort(spec.Containers[0], svc.Spec.Ports[0].TargetPort) {
		t.Errorf("device Service targets %s, which the server does not have", svc.Spec.Ports[0].TargetPort.String())
	}
	np := convert[networkingv1.NetworkPolicy](t, find(objs, "NetworkPolicy", "dect-provisioning-server"))
	if s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err != nil || !s.Matches(labels.Set(srv.Spec.Template.Labels)) {
		t.Errorf("the server's NetworkPolicy selects %v, not its Pods", np.Spec.PodSelector)
	}

	sa := "system:serviceaccount:" + namespace + ":dect-provisioning-server"
	allowed := []access{
		{"", "configmaps", "", "list", "telephony"}, {"", "secrets", "", "watch", "telephony"}, {"", "secrets", "", "get", "telephony"},
		{"provisioning.dect-operator.dev", "dectbases", "", "list", "telephony"},
		{"provisioning.dect-operator.dev", "dectbases", "status", "patch", "telephony"},
		{"", "namespaces", "", "list", ""},
	}
	denied := []access{
		{"", "secrets", "", "create", "telephony"}, {"", "configmaps", "", "update", "telephony"}, {"", "secrets", "", "delete", "telephony"},
		{"provisioning.dect-operator.dev", "dectbases", "", "patch", "telephony"},
		{"provisioning.dect-operator.dev", "dectbases", "status", "update", "telephony"},
		{"provisioning.dect-operator.dev", "handsets", "", "get", "telephony"},
		{"provisioning.dect-operator.dev", "handsets", "status", "patch", "telephony"},
		{"coordination.k8s.io", "leases", "", "get", namespace},
		{"events.k8s.io", "events", "", "create", "telephony"},
		{"", "namespaces", "", "patch", ""},
	}
	for _, a := range allowed {
		if !may(t, sa, a) {
			t.Errorf("the server's ServiceAccount may not %s %s %s/%s", a.verb, a.group, a.resource, a.subresource)
		}
	}
	for _, a := range denied {
		if may(t, sa, a) {
			t.Errorf("the server's ServiceAccount may %s %s %s/%s, which it does not need", a.verb, a.group, a.resource, a.subresource)
		}
	}
}

// checkNonceKeyMounted: the separate server reads its nonce key from the Secret
// dect-operator-nonce-key, mounted where its --nonce-key-file points, so that all its
// replicas (and a restarted one) accept each other's nonces.
func checkNonceKeyMounted(t *testing.T, spec corev1.PodSpec) {
	t.Helper()
	c := spec.Containers[0]
	var file string
	for _, a := range c.Args {
		if f, ok := strings.CutPrefix(a, "--nonce-key-file="); ok {
			file = f
		}
	}
	if file == "" {
		t.Errorf("server: args %q, want --nonce-key-file", c.Args)
		return
	}
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(file, m.MountPath+"/") {
			for _, v := range spec.Volumes {
				if v.Name == m.Name && v.Secret != nil && v.Secret.SecretName == "dect-operator-nonce-key" {
					return
				}
			}
		}
	}
	t.Errorf("server: --nonce-key-file=%s is not in a mount of the Secret dect-operator-nonce-key", file)
}

func testSamples(t *testing.T) {
	ctx := context.Background()
	objs := build(t, "samples")
	var names []string
	for _, u := range objs {
		names = append(names, describe(u))
	}
	slices.Sort(names)
	want := []string{
		"DectBase office",
		"Handset hs-1013", "Handset hs-1014", "Handset hs-1022",
		"Secret sip-1013", "Secret sip-1014", "Secret sip-1022",
	}
	if !slices.Equal(names, want) {
		t.Errorf("config/samples builds %v, want %v", names, want)
	}
	for _, u := range objs {
		if u.GetNamespace() != "" {
			t.Errorf("%s names a namespace; samples go to the one kubectl is told", describe(u))
		}
		if u.GetKind() != "Handset" {
			continue
		}
		ref, _, _ := unstructured.NestedString(u.Object, "spec", "sip", "passwordSecretRef", "name")
		if find(objs, "Secret", ref) == nil {
			t.Errorf("%s refers to Secret %q, which the samples do not hold", describe(u), ref)
		}
		base, _, _ := unstructured.NestedString(u.Object, "spec", "baseRef", "name")
		if find(objs, "DectBase", base) == nil {
			t.Errorf("%s refers to DectBase %q, which the samples do not hold", describe(u), base)
		}
	}

	const ns = "telephony"
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	install(t, objs, ns)

	// The API server's validation (OpenAPI and CEL) is in force: a sample made invalid is
	// refused, so the samples' acceptance above means something.
	for _, bad := range []struct {
		kind, name string
		path       []string
		value      any
	}{
		{"DectBase", "office", []string{"spec", "macAddress"}, "7C:2F:80:CA:21"},
		{"DectBase", "office", []string{"spec", "registration", "window", "duration"}, "720h1s"},
		{"Handset", "hs-1013", []string{"spec", "ipui"}, "00 AB C5 08"},
		{"Handset", "hs-1013", []string{"spec", "sip", "displayName"}, `N720 "1013"`},
	} {
		u := find(objs, bad.kind, bad.name).DeepCopy()
		u.SetName(bad.name + "-invalid")
		u.SetNamespace(ns)
		if err := unstructured.SetNestedField(u.Object, bad.value, bad.path...); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Create(ctx, u); !apierrors.IsInvalid(err) {
			t.Errorf("%s with %s=%v: got %v, want it refused as invalid", bad.kind, strings.Join(bad.path, "."), bad.value, err)
		}
	}
}

// testHealthFixtures writes each object of the health check's fixtures
// (config/argocd/resource_customizations/*/*/testdata), spec and status, through the API
// server, so that the states the health tests reason about are states the API can hold.
func testHealthFixtures(t *testing.T) {
	ctx := context.Background()
	const ns = "fixtures"
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(repoRoot, "config", "argocd", "resource_customizations", "*", "*", "testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in config/argocd/resource_customizations: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fx := &unstructured.Unstructured{}
		if err := fx.UnmarshalJSON(js); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": fx.GetAPIVersion(),
			"kind":       fx.GetKind(),
			"spec":       fx.Object["spec"],
		}}
		u.SetName(strings.ToLower(fx.GetKind()) + "-" + strings.ReplaceAll(strings.TrimSuffix(filepath.Base(f), ".yaml"), "_", "-"))
		u.SetNamespace(ns)
		if err := k8s.Create(ctx, u); err != nil {
			t.Errorf("%s: spec refused: %v", filepath.Base(f), err)
			continue
		}
		st, ok := fx.Object["status"]
		if !ok {
			continue
		}
		u.Object["status"] = st
		if err := k8s.Status().Update(ctx, u); err != nil {
			t.Errorf("%s: status refused: %v", filepath.Base(f), err)
		}
	}
}
