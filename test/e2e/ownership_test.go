package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// checker is where the owner checks of a server run: the process that counts and logs
// the refusals, and the server the device fetches from.
type checker struct {
	name       string
	serverURL  string
	metricsURL string // of the process that checks: dect_provisioning_files_refused_total
	log        *testenv.Process
}

// TestForgedFilesAreNeverServed is the takeover of issue 11: labelled ConfigMaps and
// Secrets that no DectBase holding the MAC owns (in another namespace, with and without
// the base-created annotation, and in the base's own namespace) are never served; the
// device keeps getting the real file; the metric counts the refusals. Both ways of
// running the server are checked at once: the sidecar, whose manager checks the owners
// from its cache, and a server in the direct mode (a separate Deployment), which checks
// them from its own, with the rights of config/overlays/separate-server and no more.
func TestForgedFilesAreNeverServed(t *testing.T) {
	t.Parallel()
	direct, err := stack.StartDirectServer(context.Background(), "server-direct-forged", separateServerIdentity(t), "--delivery-record-interval=1s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = direct.Server.Stop(10 * time.Second) })
	checkers := []checker{
		{"the sidecar (its manager checks)", stack.ServerURL, stack.ManagerMetricsURL, stack.Manager},
		{"a server in the direct mode", direct.ServerURL, direct.ServerMetricsURL, direct.Server},
	}

	sc := begin(t)
	dev := sc.declareExample(nil)
	dev.fetchUntil("the example's three accounts", settle, dev.hasExample)
	sc.fetchCurrentFile(dev, "office")
	realRes, err := dev.fetch()
	if err != nil {
		t.Fatal(err)
	}
	realETag := realRes.ETag
	if realETag == "" {
		t.Fatal("the server sent no ETag")
	}
	// The server in the direct mode serves the same file.
	fromDirect := sc.newDevice(dev.MAC(), dev.MACID())
	sc.eventually("the direct server serves the file", settle, func() error {
		res, err := fromDirect.Fetch(sc.ctx, direct.ServerURL)
		if err == nil && res.ETag != realETag {
			err = fmt.Errorf("ETag %q, the sidecar's %q", res.ETag, realETag)
		}
		return err
	})

	var realCM corev1.ConfigMap
	var realSec corev1.Secret
	if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: provfile.ConfigMapName("office")}, &realCM); err != nil {
		t.Fatal(err)
	}
	if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: provfile.SecretName("office")}, &realSec); err != nil {
		t.Fatal(err)
	}
	before := map[string]map[string]float64{}
	for _, c := range checkers {
		before[c.name] = scrapeRefused(t, c.metricsURL)
	}

	// The attacker copies the file (as the view role may) and points the device at
	// another SIP server; the Secret is copied too, so that a served forgery would
	// authenticate and apply.
	evil := sc.ns + "-evil"
	sc.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: evil}})
	forge := func(ns, name string, annotate bool, owners []metav1.OwnerReference) *corev1.ConfigMap {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, Labels: realCM.Labels, OwnerReferences: owners,
			Annotations: map[string]string{},
		}, BinaryData: map[string][]byte{}}
		for k, v := range realCM.Annotations {
			cm.Annotations[k] = v
		}
		if annotate {
			cm.Annotations[provfile.AnnotationBaseCreated] = "2000-01-01T00:00:00Z"
		} else {
			delete(cm.Annotations, provfile.AnnotationBaseCreated)
		}
		for k, v := range realCM.BinaryData {
			cm.BinaryData[k] = bytes.ReplaceAll(v, []byte("pbx.example.com"), []byte("evil.example.net"))
		}
		sc.create(cm)
		return cm
	}
	forge(evil, provfile.ConfigMapName("office"), true, nil)                    // no-owner
	forge(evil, provfile.ConfigMapName("desk"), false, nil)                     // no-owner
	forge(evil, provfile.ConfigMapName("lobby"), true, realCM.OwnerReferences)  // owner-missing
	forge(sc.ns, provfile.ConfigMapName("intruder"), false, nil)                // no-owner
	forge(sc.ns, provfile.ConfigMapName("decoy"), true, realCM.OwnerReferences) // name
	sc.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: evil, Name: provfile.SecretName("office"), Labels: realSec.Labels},
		Data: realSec.Data}) // no-owner

	want := map[string]float64{
		"ConfigMap/" + "no-owner": 3, "ConfigMap/" + "owner-missing": 1, "ConfigMap/" + "name": 1, "Secret/" + "no-owner": 1,
	}
	for _, c := range checkers {
		sc.eventually(c.name+" counts the refusals", settle, func() error {
			now := scrapeRefused(t, c.metricsURL)
			for k, n := range want {
				if got := now[k] - before[c.name][k]; got < n {
					return fmt.Errorf("refused %s: %v more, want %v", k, got, n)
				}
			}
			return nil
		})
		t.Logf("%s: dect_provisioning_files_refused_total after the forgeries: %v (before: %v)", c.name, scrapeRefused(t, c.metricsURL), before[c.name])
	}

	// For a while the device polls both servers: it is only ever served the real file.
	deadline := time.Now().Add(3 * time.Second)
	fetches := map[string]int{}
	for time.Now().Before(deadline) {
		for _, c := range checkers {
			res, err := dev.fetchFrom(c.serverURL)
			if err != nil {
				t.Fatal(err)
			}
			fetches[c.name]++
			if !res.NotModified && res.ETag != realETag {
				t.Fatalf("%s served the device another file (ETag %q, the real one %q)", c.name, res.ETag, realETag)
			}
			if err := dev.hasExample(); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("fetches after the forgeries, each served the real file: %v", fetches)

	// The server in the direct mode records a delivery with the overlay's rights (at
	// most one record a second of the same file: the fetch is repeated until one is).
	const userAgent = "e2e-direct-mode/1.0"
	fetcher := &counted{counts: map[string]map[int]int{}}
	sc.eventually("the direct server records a delivery", settle, func() error {
		status, _, err := fetcher.crossFetch(sc.ctx, "direct", direct.ServerURL, "direct", direct.ServerURL, dev.MAC(), dev.MACID(), userAgent)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("an authenticated fetch: %d, %v", status, err)
		}
		if d := sc.base("office").Status.LastDelivery; d == nil || d.UserAgent != userAgent {
			return fmt.Errorf("lastDelivery %+v", d)
		}
		return nil
	})

	// Each checking process logs each refusal once, naming the object and never its
	// content.
	for _, c := range checkers {
		sc.eventually(c.name+" logs the refusal", settle, func() error {
			lines := c.log.LogSince(0, func(l string) bool {
				return strings.Contains(l, "refusing a labelled provisioning object") && strings.Contains(l, evil)
			}, 100)
			if len(lines) < 4 {
				return fmt.Errorf("%d refusal lines for %s, want 4", len(lines), evil)
			}
			for _, l := range lines {
				if strings.Contains(l, "evil.example.net") || strings.Contains(l, "pbx.example.com") {
					return fmt.Errorf("a refusal line holds the object's content: %s", l)
				}
			}
			return nil
		})
	}
}

// separateServerIdentity installs the RBAC of config/overlays/separate-server (its
// ClusterRole and ClusterRoleBinding, as they are there) and returns a kubeconfig for
// the user of its ServiceAccount, so that a server in the direct mode runs with exactly
// the rights that overlay gives it, and shows that they suffice.
func separateServerIdentity(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "config", "overlays", "separate-server", "server.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var namespace, name string
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		switch u.GetKind() {
		case "ServiceAccount":
			namespace, name = u.GetNamespace(), u.GetName()
		case "ClusterRole", "ClusterRoleBinding":
			if err := stack.Client.Create(context.Background(), u); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("installing the overlay's %s: %v", u.GetKind(), err)
			}
		}
	}
	if name == "" {
		t.Fatal("the overlay declares no ServiceAccount")
	}
	kubeconfig := filepath.Join(stack.Dir, "kubeconfig-"+name)
	if err := stack.KubeconfigAs(kubeconfig, "system:serviceaccount:"+namespace+":"+name,
		"system:serviceaccounts", "system:serviceaccounts:"+namespace); err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

// scrapeRefused reads dect_provisioning_files_refused_total from a metrics endpoint, by
// "kind/reason".
func scrapeRefused(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]float64{}
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		l := s.Text()
		rest, ok := strings.CutPrefix(l, "dect_provisioning_files_refused_total{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		var kind, reason string
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			v = strings.Trim(v, `"`)
			switch k {
			case "kind":
				kind = v
			case "reason":
				reason = v
			}
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", l, err)
		}
		out[kind+"/"+reason] = n
	}
	return out
}
