// Package cluster runs the operator the way its users do: the image built by
// `make image` from the Dockerfile, installed with `kubectl apply -k` on a real
// one-node cluster (hack/cluster/up.sh: kube-apiserver, etcd, controller-manager,
// scheduler, kubelet with containerd, kube-proxy), with a simulated N720 fetching its
// file through the provisioning Service.
//
// It needs root, a few minutes and a Docker engine (hack/cluster/docker.sh starts one),
// so it runs only when DECT_CLUSTER_TEST=1, which `make test-cluster` sets. With
// KEEP_CLUSTER=1 the cluster stays up afterwards (hack/cluster/down.sh stops it).
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/simulator"
)

const (
	// The image the test builds, and the local base it builds it on (no registry can be
	// reached; see hack/cluster/base).
	testImageName = "dect-operator.local/dect-operator"
	testImageTag  = "test"
	testImage     = testImageName + ":" + testImageTag
	baseImage     = "dect-operator.local/static-base:nonroot"
	// The image config/manager names, which the test's kustomization replaces.
	releasedImageName = "ghcr.io/dect-operator/dect-operator"

	operatorNS = "dect-system"
	samplesNS  = "telephony"
	// The sample base's MAC (config/samples/dectbase.yaml) and a label code for it.
	sampleMAC   = "7C:2F:80:CA:21:E4"
	sampleMACID = "7C2F80CA21E4-T3ST"
)

// The sample Handsets (config/samples/handsets.yaml) as the device must hold them.
var sampleHandsets = []struct{ name, user, ipui, password string }{
	{"hs-1013", "1013", "00ABC50871", "change-me-1013"},
	{"hs-1014", "1014", "00ABB84A08", "change-me-1014"},
	{"hs-1022", "1022", "00AB9E31C2", "change-me-1022"},
}

func TestOperatorOnARealNode(tt *testing.T) {
	t := &recorder{TB: tt}
	if os.Getenv("DECT_CLUSTER_TEST") == "" {
		t.Skip("runs with `make test-cluster` (DECT_CLUSTER_TEST=1): needs root, Docker and a few minutes")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the cluster test starts a kubelet and containerd: it must run as root")
	}
	root := repoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Minute)
	defer cancel()
	tm := newTimings()
	defer tm.report(t)
	sh := func(env []string, name string, args ...string) string {
		t.Helper()
		out, err := command(ctx, root, env, nil, name, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// ---- the image, as users build it ------------------------------------------------
	docker := keyValues(sh(nil, "hack/cluster/docker.sh", "start"))
	dockerEnv := []string{"DOCKER_HOST=" + docker["DOCKER_HOST"]}
	t.Setenv("DOCKER_HOST", docker["DOCKER_HOST"])
	sh(dockerEnv, "docker", "build", "-q", "-t", baseImage, "hack/cluster/base")
	sh(dockerEnv, "make", "image", "IMG="+testImage, "BASE_IMAGE="+baseImage)
	tm.done("make image (binary + docker build)")
	checkImage(t, ctx, root, dockerEnv)
	tm.done("image checks (read-only start, contents)")

	// ---- the cluster -----------------------------------------------------------------
	down := func() {
		if os.Getenv("KEEP_CLUSTER") != "" {
			t.Logf("KEEP_CLUSTER is set: the cluster keeps running; hack/cluster/down.sh stops it")
			return
		}
		// --docker: the private dockerd too, if docker.sh started one (its image store
		// stays for the next run).
		if _, err := command(context.Background(), root, nil, nil, "hack/cluster/down.sh", "--docker"); err != nil {
			t.Errorf("hack/cluster/down.sh: %v", err)
		}
	}
	// Interrupted (Ctrl-C, a CI timeout): stop the cluster before going.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			down()
			os.Exit(1)
		}
	}()
	defer func() {
		if t.Failed() {
			dumpDiagnostics(t, ctx, root)
		}
		down()
	}()
	env := keyValues(sh(nil, "hack/cluster/up.sh"))
	tm.done("cluster up (hack/cluster/up.sh)")
	k := &kubectl{t: t, ctx: ctx, bin: env["KUBECTL"], root: root,
		env: []string{"KUBECONFIG=" + env["KUBECONFIG"]}}
	nodeInfo := k.run("get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name} kubelet={.status.nodeInfo.kubeletVersion} runtime={.status.nodeInfo.containerRuntimeVersion} os={.status.nodeInfo.osImage}{"\n"}{end}`)
	t.Logf("node Ready: %s", strings.TrimSpace(nodeInfo))
	sh(dockerEnv, "hack/cluster/load-image.sh", testImage)
	tm.done("image loaded into the node's containerd")

	// ---- install: config/default with only the image replaced ----------------------
	install := kustomization(t, root, "config/default")
	out := k.run("apply", "-k", install)
	if strings.Contains(out, "Warning") || strings.Contains(out, "violate PodSecurity") {
		t.Errorf("kubectl apply warned:\n%s", out)
	}
	ns := k.object("namespace", operatorNS)
	if got := field(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce"); got != "restricted" {
		t.Errorf("namespace %s: Pod Security enforce label = %v, want restricted", operatorNS, got)
	}
	k.run("-n", operatorNS, "rollout", "status", "deployment/dect-operator", "--timeout=5m")
	pods := readyPods(t, k)
	checkProbes(t, k, 0)
	tm.done("kubectl apply -k (config/default) until both containers Ready")
	t.Logf("pods %s: both containers Ready under Pod Security %q", strings.Join(pods, ", "), "restricted")
	checkMetricsNeedAToken(t, k)
	tm.done("metrics: 401 without a token, 200 with the metrics-reader role")
	// The namespace really enforces restricted: a Pod that only meets "baseline" (no
	// securityContext at all) is refused.
	baseline := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"baseline","namespace":%q},
		"spec":{"containers":[{"name":"c","image":%q}]}}`, operatorNS, testImage)
	if out, err := command(ctx, root, k.env, []byte(baseline), k.bin, "apply", "--dry-run=server", "-f", "-"); err == nil ||
		!strings.Contains(err.Error(), `violates PodSecurity "restricted`) {
		t.Errorf("a Pod that is not restricted was not refused in %s: %v %s", operatorNS, err, out)
	}

	// ---- the samples, with Digest required, and the device through the Service -------
	k.run("create", "namespace", samplesNS)
	k.run("apply", "-n", samplesNS, "-k", filepath.Join(root, "config", "samples"))
	username, password := "n720-office", rand.Text()
	// The credentials configured on the device, in the Secret the sample's comment
	// describes (labelled so that the operator may use it); sent on standard input so that the password is in no command line.
	authSecret := fmt.Sprintf(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"office-provisioning-auth",
		"labels":{"provisioning.dect-operator.dev/consumable":"true"}},"stringData":{"username":%q,"password":%q}}`, username, password)
	k.stdin([]byte(authSecret), "apply", "-n", samplesNS, "-f", "-")
	k.run("-n", samplesNS, "patch", "dectbase", "office", "--type=merge",
		"-p", `{"spec":{"provisioning":{"authSecretRef":{"name":"office-provisioning-auth"}}}}`)
	k.run("-n", samplesNS, "wait", "--for=condition=Ready", "dectbase/office", "--timeout=3m")
	k.run("-n", samplesNS, "wait", "--for=condition=Ready", "handset", "--all", "--timeout=1m")
	k.run("-n", samplesNS, "wait", "--for=condition=Protected", "dectbase/office", "--timeout=1m")
	tm.done("samples applied, DectBase and Handsets Ready, Protected")

	clusterIP := strings.TrimSpace(k.run("-n", operatorNS, "get", "service", "dect-provisioning", "-o", "jsonpath={.spec.clusterIP}"))
	viaClusterIP := "http://" + clusterIP + "/"
	dev, err := simulator.New(simulator.Config{MAC: sampleMAC, MACID: sampleMACID, Username: username, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	var first simulator.FetchResult
	// Protected is the leader's verdict; the Service may send the device to the other
	// replica's server, whose manager's cache can take a moment longer to see the new
	// credentials. Until then that server still serves the file as it was a moment ago:
	// without authentication. So the device fetches until it is asked for its
	// configured credentials, which must happen within the timeout.
	eventually(t, "the device gets its file through the ClusterIP Service, with its configured Digest credentials", 2*time.Minute, func() error {
		res, err := dev.Fetch(ctx, viaClusterIP)
		if err != nil {
			return err
		}
		if !res.Applied {
			return fmt.Errorf("status %d, applied=%v, ignored=%v %v", res.StatusCode, res.Applied, res.Ignored, res.Errors)
		}
		if res.Identity != simulator.IdentityConfigured || res.Algorithm == "" {
			return fmt.Errorf("got its file as %s (Digest %q)", res.Identity, res.Algorithm)
		}
		first = res
		return nil
	})
	t.Logf("device fetched %s: %d bytes, %d items, HTTP Digest %s as its %s identity, %d requests",
		first.URL, first.Bytes, first.ItemsApplied, first.Algorithm, first.Identity, first.Requests)
	checkDevice(t, dev)
	waitDelivered(k)
	t.Logf("Delivered=True on dectbase/office and on %d Handsets", len(sampleHandsets))
	tm.done("device fetch through the ClusterIP Service, Delivered")

	// ---- kill the leading manager container --------------------------------------------
	before := snapshot(k)
	leaseBefore := lease(k)
	// controller-runtime's holder identity is <pod name>_<uuid>.
	pod, _, _ := strings.Cut(leaseBefore, "_")
	p := startPoller(ctx, dev, 200*time.Millisecond, viaClusterIP)
	containerID := strings.TrimPrefix(k.run("-n", operatorNS, "get", "pod", pod, "-o",
		`jsonpath={.status.containerStatuses[?(@.name=="manager")].containerID}`), "containerd://")
	sh(nil, "ctr", "--address", env["CONTAINERD_ADDRESS"], "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", containerID)
	t.Logf("manager container %.12s killed (SIGKILL); lease held by %s", containerID, leaseBefore)
	eventually(t, "the manager restarted and Ready", 3*time.Minute, func() error {
		restarts := k.run("-n", operatorNS, "get", "pod", pod, "-o",
			`jsonpath={.status.containerStatuses[?(@.name=="manager")].restartCount} {.status.containerStatuses[?(@.name=="manager")].ready}`)
		if restarts != "1 true" {
			return fmt.Errorf("restarts, ready: %s", restarts)
		}
		return nil
	})
	eventually(t, "another manager takes the lease", 2*time.Minute, func() error {
		if now := lease(k); now == leaseBefore || now == "" {
			return fmt.Errorf("lease still held by %q", now)
		}
		return nil
	})
	// Give the new leader the time to reconcile everything once.
	time.Sleep(15 * time.Second)
	checkProbes(t, k, 1)
	p.halt()
	after := snapshot(k)
	if before != after {
		t.Errorf("the restarted manager changed what was correct:\nbefore %s\nafter  %s", before, after)
	}
	ok, failed, failures := p.counts()
	t.Logf("leading manager killed: lease %s -> %s; fetches while it restarted: %d ok, %d failed; rendered objects unchanged", leaseBefore, lease(k), ok, failed)
	if failed > 0 || ok == 0 {
		t.Errorf("the server did not keep serving while the manager restarted: %d ok, %d failed:\n%s", ok, failed, strings.Join(failures, "\n"))
	}
	tm.done("manager killed, restarted, took the lease, nothing changed")

	// ---- the NodePort overlay ----------------------------------------------------------
	p = startPoller(ctx, dev, 200*time.Millisecond, viaClusterIP)
	k.run("apply", "-k", kustomization(t, root, "config/overlays/nodeport"))
	k.run("-n", operatorNS, "rollout", "status", "deployment/dect-operator", "--timeout=5m")
	viaNodePort := fmt.Sprintf("http://%s:30080/", env["NODE_IP"])
	var nodePortFetch simulator.FetchResult
	eventually(t, "the device gets its file through the NodePort", time.Minute, func() error {
		res, err := dev.Fetch(ctx, viaNodePort)
		if err != nil {
			return err
		}
		if res.StatusCode != 200 && res.StatusCode != 304 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		nodePortFetch = res
		return nil
	})
	p.halt()
	t.Logf("device fetched %s: HTTP %d, Digest %s as its %s identity", nodePortFetch.URL, nodePortFetch.StatusCode, nodePortFetch.Algorithm, nodePortFetch.Identity)
	t.Logf("NodePort overlay applied (a rollout, since SERVER_URL changed): %s", p)
	if _, failed, failures := p.counts(); failed > 0 {
		t.Errorf("fetches failed while the NodePort overlay rolled out:\n%s", strings.Join(failures, "\n"))
	}
	tm.done("NodePort overlay applied and rolled out")

	// ---- roll the Deployment while the device polls ------------------------------------
	p = startPoller(ctx, dev, 100*time.Millisecond, viaClusterIP, viaNodePort)
	time.Sleep(3 * time.Second)
	k.run("-n", operatorNS, "rollout", "restart", "deployment/dect-operator")
	k.run("-n", operatorNS, "rollout", "status", "deployment/dect-operator", "--timeout=5m")
	eventually(t, "the old pod gone", 2*time.Minute, func() error {
		if names := k.run("-n", operatorNS, "get", "pods", "-o", "name"); strings.Count(names, "pod/") != replicas {
			return fmt.Errorf("pods: %s", names)
		}
		return nil
	})
	time.Sleep(5 * time.Second)
	p.halt()
	ok, failed, failures = p.counts()
	t.Logf("rollout restart while polling: %d fetches ok, %d failed (%s)", ok, failed, p)
	if failed > 0 || ok == 0 {
		t.Errorf("fetches failed during the rollout:\n%s", strings.Join(failures, "\n"))
	}
	checkDevice(t, dev)
	waitDelivered(k)
	checkLogs(t, k)
	tm.done("rollout restart with the device polling")

	// ---- uninstall ---------------------------------------------------------------------
	k.run("delete", "-k", filepath.Join(root, "config", "default"), "--wait=true", "--timeout=5m")
	checkNothingLeft(t, k)
	tm.done("kubectl delete -k config/default, nothing left")
}

// waitDelivered waits for Delivered=True on the sample DectBase and every Handset.
func waitDelivered(k *kubectl) {
	k.t.Helper()
	k.run("-n", samplesNS, "wait", "--for=condition=Delivered", "dectbase/office", "--timeout=2m")
	k.run("-n", samplesNS, "wait", "--for=condition=Delivered", "handset", "--all", "--timeout=2m")
}

// kustomization writes a kustomization that takes base (a folder of config/) and
// replaces only the image, as docs/install.md tells users to, and returns its folder.
func kustomization(t testing.TB, root, base string) string {
	t.Helper()
	dir := t.TempDir()
	rel, err := filepath.Rel(dir, filepath.Join(root, base))
	if err != nil {
		t.Fatal(err)
	}
	k := fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- %s
images:
- name: %s
  newName: %s
  newTag: %s
`, rel, releasedImageName, testImageName, testImageTag)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkImage starts the image the way the Pod does (read-only root, no capabilities,
// user 65532, no network) and checks that both subcommands get to their flags rather
// than dying before main, and that the image holds the binary and the base's files only.
func checkImage(t testing.TB, ctx context.Context, root string, env []string) {
	t.Helper()
	for _, sub := range []string{"manager", "serve"} {
		cmd := exec.CommandContext(ctx, "docker", "run", "--rm", "--read-only", "--cap-drop", "ALL",
			"--security-opt", "no-new-privileges", "--user", "65532:65532", "--network", "none",
			testImage, sub, "--help")
		cmd.Env = append(os.Environ(), env...)
		out, _ := cmd.CombinedOutput() // --help exits non-zero; what it printed tells
		// "panic:" at a line's start, as the runtime prints it (the flag help itself
		// mentions the log level 'panic').
		if strings.HasPrefix(string(out), "panic:") || strings.Contains(string(out), "\npanic:") ||
			!strings.Contains(string(out), "Usage of "+sub) {
			t.Fatalf("the image does not start read-only as the Pod starts it (%s --help):\n%s", sub, out)
		}
	}
	size, err := command(ctx, root, env, nil, "docker", "image", "inspect", "-f", "{{.Size}}", testImage)
	if err != nil {
		t.Fatal(err)
	}
	files, err := command(ctx, root, env, nil, "bash", "-c",
		`set -o pipefail; d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; docker save "$1" | tar -x -C "$d";
		 for l in "$d"/*/layer.tar; do tar -tf "$l"; done | sort`, "_", testImage)
	if err != nil {
		t.Fatal(err)
	}
	var contents []string
	for _, f := range strings.Fields(files) {
		switch f {
		case "dect-operator", "etc/", "etc/passwd", "etc/group":
		default:
			t.Errorf("the image holds %s: want only the binary and the base's /etc/passwd and /etc/group", f)
		}
		contents = append(contents, "/"+f)
	}
	t.Logf("image %s: %s bytes, files %s; starts read-only as user 65532 without capabilities", testImage, strings.TrimSpace(size), strings.Join(contents, " "))
}

// replicas is the operator's Pod count in config/default.
const replicas = 2

// readyPods waits until the operator's Pods, all of them, have both containers Ready
// and returns their names.
func readyPods(t testing.TB, k *kubectl) []string {
	t.Helper()
	var names []string
	eventually(t, fmt.Sprintf("%d operator Pods with both containers Ready", replicas), 3*time.Minute, func() error {
		out, err := k.try("-n", operatorNS, "get", "pods", "-l", "app.kubernetes.io/name=dect-operator", "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.metadata.deletionTimestamp} {range .status.containerStatuses[*]}{.name}={.ready} {end}{"\n"}{end}`)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != replicas {
			return fmt.Errorf("pods: %q", out)
		}
		names = names[:0]
		for _, line := range lines {
			f := strings.Fields(line)
			if len(f) != 3 || !strings.Contains(line, "manager=true") || !strings.Contains(line, "serve=true") {
				return fmt.Errorf("pod: %q", line)
			}
			names = append(names, f[0])
		}
		return nil
	})
	return names
}

// checkDevice checks that the simulated device holds the three sample accounts with
// their IPUIs reserved, and no other slot. Passwords are compared, never printed.
func checkDevice(t testing.TB, dev *simulator.Device) {
	t.Helper()
	for i, h := range sampleHandsets {
		s := dev.Slot(i)
		if !s.Active || s.UserID != h.user || s.DisplayName != "N720_"+h.user || s.Reserved.String() != h.ipui {
			t.Errorf("slot %d: active=%v user=%q name=%q reserved=%s; want %s with IPUI %s", i, s.Active, s.UserID, s.DisplayName, s.Reserved, h.user, h.ipui)
		}
		if s.Password != h.password {
			t.Errorf("slot %d: the device does not hold the password of Secret sip-%s", i, h.user)
		}
	}
	for i := len(sampleHandsets); i < simulator.NumSlots; i++ {
		if s := dev.Slot(i); s.Active || !s.Reserved.IsNone() {
			t.Errorf("slot %d is in use on the device", i)
		}
	}
}

// snapshot is what a restarted manager must leave alone when nothing changed: the
// rendered ConfigMap and Secret (their resourceVersions), the DectBase's file,
// slots and conditions, and each Handset's slot and conditions.
func snapshot(k *kubectl) string {
	var b strings.Builder
	for _, o := range []string{"configmap/office-provisioning", "secret/office-provisioning-credentials"} {
		fmt.Fprintf(&b, "%s@%v ", o, field(k.object("-n", samplesNS, o), "metadata", "resourceVersion"))
	}
	base := k.object("-n", samplesNS, "dectbase/office")
	doc, _ := json.Marshal(field(base, "status", "document"))
	slots, _ := json.Marshal(field(base, "status", "slots"))
	fmt.Fprintf(&b, "dectbase/office document=%s slots=%s %s ", doc, slots,
		conditions(base, "Ready", "Delivered", "Protected", "Reconciling", "Stalled"))
	for _, h := range sampleHandsets {
		hs := k.object("-n", samplesNS, "handset/"+h.name)
		fmt.Fprintf(&b, "handset/%s slot=%v %s ", h.name, field(hs, "status", "slot"),
			conditions(hs, "Ready", "Delivered", "Reconciling", "Stalled"))
	}
	return b.String()
}

// lease returns the holder of the manager's leader lease.
func lease(k *kubectl) string {
	out, _ := k.try("-n", operatorNS, "get", "lease", "dect-operator.provisioning.dect-operator.dev",
		"-o", "jsonpath={.spec.holderIdentity}")
	return strings.TrimSpace(out)
}

// checkProbes fails on a liveness probe that failed in the operator's namespace, or a
// container restart the test did not cause (restartsCaused: the manager it killed).
// Readiness probes that fail while a container starts are expected and not counted.
func checkProbes(t testing.TB, k *kubectl, restartsCaused int) {
	t.Helper()
	events := k.run("-n", operatorNS, "get", "events", "--field-selector", "reason=Unhealthy",
		"-o", `jsonpath={range .items[*]}{.involvedObject.name} {.message}{"\n"}{end}`)
	for _, line := range strings.Split(strings.TrimSpace(events), "\n") {
		if strings.Contains(line, "Liveness") {
			t.Errorf("a liveness probe failed: %s", line)
		}
	}
	restarts := k.run("-n", operatorNS, "get", "pods", "-o",
		`jsonpath={range .items[*]}{range .status.containerStatuses[*]}{.restartCount}{" "}{end}{end}`)
	total := 0
	for _, f := range strings.Fields(restarts) {
		var n int
		fmt.Sscan(f, &n)
		total += n
	}
	if total != restartsCaused {
		t.Errorf("containers restarted %d times; the test caused %d", total, restartsCaused)
	}
}

// checkLogs fails on any "forbidden" in either container's log: a missing RBAC verb
// shows there first, even where the operator carries on.
func checkLogs(t testing.TB, k *kubectl) {
	t.Helper()
	for _, c := range []string{"manager", "serve"} {
		out, err := k.try("-n", operatorNS, "logs", "-l", "app.kubernetes.io/name=dect-operator", "-c", c, "--tail=-1", "--prefix")
		if err != nil {
			t.Errorf("logs of %s: %v", c, err)
			continue
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(strings.ToLower(line), "forbidden") {
				t.Errorf("%s logged a permission error (RBAC too narrow?): %s", c, line)
			}
		}
	}
}

// checkNothingLeft checks that the uninstall removed the namespace, the CRDs, the
// cluster-wide RBAC objects and the files the operator had rendered in the samples'
// namespace (garbage-collected with their DectBase when the CRD went).
func checkNothingLeft(t testing.TB, k *kubectl) {
	t.Helper()
	eventually(t, "everything of config/default gone", 3*time.Minute, func() error {
		var left []string
		for _, args := range [][]string{
			{"get", "namespace", operatorNS},
			{"get", "crd", "dectbases.provisioning.dect-operator.dev"},
			{"get", "crd", "handsets.provisioning.dect-operator.dev"},
			{"get", "clusterrole", "dect-operator"},
			{"get", "clusterrolebinding", "dect-operator"},
			{"-n", samplesNS, "get", "configmap", "office-provisioning"},
			{"-n", samplesNS, "get", "secret", "office-provisioning-credentials"},
		} {
			if _, err := k.try(args...); err == nil || !strings.Contains(err.Error(), "NotFound") {
				left = append(left, strings.Join(args, " "))
			}
		}
		labelled, err := k.try("get", "all,configmaps,secrets,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,leases",
			"-A", "-l", "app.kubernetes.io/part-of=dect-operator", "-o", "name")
		if err != nil {
			return err
		}
		if s := strings.TrimSpace(labelled); s != "" {
			left = append(left, s)
		}
		if len(left) > 0 {
			return fmt.Errorf("still there: %s", strings.Join(left, "; "))
		}
		return nil
	})
	t.Logf("after kubectl delete -k config/default: namespace, CRDs, RBAC, rendered ConfigMap and Secret all gone")
}

// dumpDiagnostics prints what helps to see why the test failed: the Pods, events and
// the operator's logs, and the tail of each cluster component's log.
func dumpDiagnostics(t testing.TB, ctx context.Context, root string) {
	out, _ := command(ctx, root, nil, nil, "bash", "-c", `
		set +e; source hack/cluster/common.sh; [ -f "$CLUSTER_DIR/env" ] && source "$CLUSTER_DIR/env"
		export KUBECONFIG
		"$KUBECTL" get pods -A -o wide; "$KUBECTL" get events -A --sort-by=.lastTimestamp | tail -30
		"$KUBECTL" -n dect-system logs deployment/dect-operator -c manager --tail=40
		"$KUBECTL" -n dect-system logs deployment/dect-operator -c serve --tail=40
		for f in "$CLUSTER_DIR"/logs/*.log; do echo "== $f"; tail -15 "$f"; done`)
	t.Logf("diagnostics:\n%s", out)
}
