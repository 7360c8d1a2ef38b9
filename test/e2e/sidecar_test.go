package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/digest"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// The sidecar runs as in the operator's Pod, whose serve container has no ServiceAccount
// token: no kubeconfig, no KUBECONFIG, no in-cluster variables, an empty HOME. It
// serves a device, and the delivery is recorded on the DectBase's status by its
// manager. And that environment is indeed one where no Kubernetes client can be built:
// serve in the direct mode, started in the very same environment, fails for want of a
// configuration.
func TestServerHoldsNoCredentials(t *testing.T) {
	t.Parallel()
	srv := stack.Server
	if !slices.ContainsFunc(srv.Args, func(a string) bool { return strings.HasPrefix(a, "--files-from=http://127.0.0.1:") }) {
		t.Fatalf("the stack's server does not run as the manager's sidecar: %v", srv.Args)
	}
	if slices.ContainsFunc(srv.Args, func(a string) bool { return strings.Contains(a, "kubeconfig") }) {
		t.Errorf("the sidecar is given a kubeconfig: %v", srv.Args)
	}

	// The environment the running process has, from /proc.
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", srv.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	home := ""
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		switch {
		case name == "KUBECONFIG", strings.HasPrefix(name, "KUBERNETES_"):
			t.Errorf("the sidecar's environment has %s", name)
		case name == "HOME":
			home = value
		}
	}
	if home == "" {
		t.Fatal("the sidecar's environment has no HOME")
	}
	if entries, err := os.ReadDir(home); err != nil || len(entries) > 0 {
		t.Errorf("the sidecar's HOME %s holds %d entries (%v), want it empty: no ~/.kube", home, len(entries), err)
	}

	// A device fetches from it; the delivery is recorded.
	sc := begin(t)
	dev := sc.declareExample(nil)
	dev.fetchUntil("the example's three accounts", settle, dev.hasExample)
	sc.waitBase("office", "the delivery recorded", settle, delivered)

	// The control: in that environment, a server that needs a cluster cannot start.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, stack.Binary, "serve", "--addr=127.0.0.1:0", "--metrics-addr=0", "--probe-addr=0")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), "kubeconfig") {
		t.Errorf("serve in the direct mode in the sidecar's environment: %v, want it to fail for want of a kubeconfig:\n%s", err, out)
	}
}

// counted is an HTTP client that counts the requests to each server, by status.
type counted struct {
	counts map[string]map[int]int // server name -> status -> requests
}

func (c *counted) do(name string, req *http.Request) (*http.Response, []byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if c.counts[name] == nil {
		c.counts[name] = map[int]int{}
	}
	c.counts[name][resp.StatusCode]++
	return resp, body, err
}

// crossFetch is a device behind a load balancer that sends its two requests to two
// replicas: the challenge comes from one server, the answer goes to the other.
func (c *counted) crossFetch(ctx context.Context, from, fromURL, to, toURL, mac, macID, userAgent string) (int, []byte, error) {
	path := "/" + mac + ".xml"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fromURL+path, nil)
	req.Header.Set("User-Agent", userAgent)
	resp, _, err := c.do(from, req)
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return 0, nil, fmt.Errorf("%s answered %s, want a 401 challenge", from, resp.Status)
	}
	challenges := resp.Header.Values("WWW-Authenticate")
	if len(challenges) == 0 {
		return 0, nil, fmt.Errorf("%s sent a 401 without a challenge", from)
	}
	authz, err := digest.Respond(challenges[0], http.MethodGet, path, mac, macID)
	if err != nil {
		return 0, nil, err
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, toURL+path, nil)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Authorization", authz)
	resp, body, err := c.do(to, req)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}

// Two replicas of the Pod, each a manager with its sidecar, the managers electing a
// leader and sharing a nonce key through one Secret (--nonce-key-secret), which each
// sends to its sidecar over the feed: the sidecars are given no key of their own, so a
// crossing device passes only with the key the feed brought. Each sidecar serves from
// its own manager, the standby's from the standby's warm cache; a device challenged by
// the leader's sidecar and answering to the standby's gets its file; the standby
// records that delivery on the DectBase's status, and stays standby throughout.
func TestTwoReplicasServeFromTheirOwnManagers(t *testing.T) {
	const nonceKeySecret = "dect-operator-nonce-key"
	t.Parallel()
	two := ownStack(t, "replicas", testenv.Options{
		Replicas: 2, DeliveryRecordInterval: time.Second, NonceKeySecret: nonceKeySecret,
	})
	leader, standby := two.Replicas[0], two.Replicas[1]
	ctx := context.Background()

	// The sidecars have no key but their managers': one Secret, created by the first.
	for _, r := range []*testenv.Replica{leader, standby} {
		if slices.ContainsFunc(r.Server.Args, func(a string) bool { return strings.HasPrefix(a, "--nonce-key") }) {
			t.Fatalf("%s is given a nonce key of its own: %v", r.Server.Name, r.Server.Args)
		}
		signing := r.Server.LogSince(0, func(l string) bool { return strings.Contains(l, "signing Digest nonces") }, 1)
		if len(signing) != 1 || !strings.Contains(signing[0], "the manager's Secret") {
			t.Errorf("%s does not sign with its manager's key: %q", r.Server.Name, signing)
		}
	}
	var secret corev1.Secret
	if err := two.Client.Get(ctx, types.NamespacedName{Namespace: testenv.LeaseNamespace, Name: nonceKeySecret}, &secret); err != nil {
		t.Fatalf("the nonce key Secret: %v", err)
	}
	for _, p := range []*testenv.Process{leader.Manager, leader.Server, standby.Manager, standby.Server} {
		if lines := p.LogSince(0, func(l string) bool { return strings.Contains(l, string(secret.Data["key"])) }, 1); len(lines) > 0 {
			t.Errorf("%s logs the nonce key", p.Name)
		}
	}

	sc := &scenario{t: t, ctx: ctx, c: two.Client, ns: "replicas"}
	sc.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: sc.ns}})
	dev := sc.declareExample(nil)
	mac, macID := dev.MAC(), dev.MACID()
	sc.waitBase("office", "three handsets rendered", settle, func(b *dectv1alpha1.DectBase) error {
		if c := b.Status.Handsets; c.Assigned != 3 {
			return fmt.Errorf("handset counts %+v", c)
		}
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
	})

	// Leader's challenge, standby's answer: 200 with the file the manager stored, the
	// document joined with its credentials.
	const userAgent = "e2e-crossing-device/1.0"
	client := &counted{counts: map[string]map[int]int{}}
	var hash string
	sc.eventually("the standby's sidecar serves the stored file to the leader's challenge", settle, func() error {
		want, statusHash, err := storedFile(sc, "office")
		if err != nil {
			return err
		}
		status, body, err := client.crossFetch(ctx, "leader", leader.ServerURL, "standby", standby.ServerURL, mac, macID, userAgent)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("the standby's sidecar answered %d", status)
		}
		if !bytes.Equal(body, want) {
			return fmt.Errorf("the standby's sidecar served %d bytes that are not the stored file (%d bytes)", len(body), len(want))
		}
		hash = statusHash
		return nil
	})
	for _, user := range []string{"1013", "1014", "1022"} {
		if want, _, _ := storedFile(sc, "office"); !bytes.Contains(want, []byte(testenv.Password(user))) {
			t.Errorf("the served file lacks the password of %s: the credentials were not joined", user)
		}
	}

	// That delivery was the standby's: its sidecar reported it to the standby manager,
	// which recorded it with its own client.
	sc.waitBase("office", "the crossing device's delivery recorded", settle, func(b *dectv1alpha1.DectBase) error {
		if d := b.Status.LastDelivery; d == nil || d.UserAgent != userAgent || d.Hash != hash {
			return fmt.Errorf("lastDelivery %+v", b.Status.LastDelivery)
		}
		return nil
	})
	if n := scrapeCounter(t, standby.ManagerMetricsURL, "dect_provisioning_feed_deliveries_total"); n < 1 {
		t.Errorf("the standby manager took %v deliveries from its sidecar, want 1 or more", n)
	}
	if n := scrapeCounter(t, leader.ManagerMetricsURL, "dect_provisioning_feed_deliveries_total"); n != 0 {
		t.Errorf("the leader took %v deliveries from its sidecar, which only ever challenged", n)
	}

	// A simulated device polling both sidecars, one after the other, gets the example
	// from each: the same file (304 once it has it).
	sidecars := []struct{ name, url string }{{"leader", leader.ServerURL}, {"standby", standby.ServerURL}}
	served := map[string]int{} // "<sidecar> <status>" -> fetches
	sc.eventually("the device gets the example from both sidecars", settle, func() error {
		for _, r := range sidecars {
			res, err := dev.fetchFrom(r.url)
			if err != nil {
				return err
			}
			served[fmt.Sprintf("%s %d", r.name, res.StatusCode)]++
			if err := dev.hasExample(); err != nil {
				return err
			}
		}
		return nil
	})
	for range 5 {
		for _, r := range sidecars {
			res, err := dev.fetchFrom(r.url)
			if err != nil || !res.NotModified {
				t.Errorf("a fetch of the same file from the %s's sidecar: status %d, %v; want 304", r.name, res.StatusCode, err)
			}
			served[fmt.Sprintf("%s %d", r.name, res.StatusCode)]++
		}
	}

	// The standby never took over.
	if holder, err := two.LeaseHolder(ctx); err != nil || holder != two.LeaderIdentity {
		t.Errorf("the lease is held by %q (%v), want the first manager %q throughout", holder, err, two.LeaderIdentity)
	}
	t.Logf("crossing requests by server and status: %v; simulated device fetches by server and status: %v", client.counts, served)
	for _, r := range []struct {
		name string
		url  string
	}{{"leader manager", leader.ManagerMetricsURL}, {"standby manager", standby.ManagerMetricsURL}} {
		t.Logf("%s: dect_provisioning_feed_deliveries_total %v, feed updates full %v, changes %v", r.name,
			scrapeCounter(t, r.url, "dect_provisioning_feed_deliveries_total"),
			scrapeCounter(t, r.url, `dect_provisioning_feed_updates_total{kind="full"}`),
			scrapeCounter(t, r.url, `dect_provisioning_feed_updates_total{kind="changes"}`))
	}
}

// storedFile is the file the manager stored for base, as the server serves it (document
// and credentials joined), and its status hash.
func storedFile(sc *scenario, base string) ([]byte, string, error) {
	var cm corev1.ConfigMap
	var sec corev1.Secret
	if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: provfile.ConfigMapName(base)}, &cm); err != nil {
		return nil, "", err
	}
	if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: provfile.SecretName(base)}, &sec); err != nil {
		return nil, "", err
	}
	f, err := provfile.Decode(&cm, &sec)
	if err != nil {
		return nil, "", err
	}
	return gigaset.Join(f.Document, f.Credentials), f.Hash, nil
}

// scrapeCounter reads one sample (name, with its labels if any) from a metrics
// endpoint; 0 when it is not there.
func scrapeCounter(t *testing.T, url, sample string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), sample+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", url, s.Text(), err)
			}
			return v
		}
	}
	return 0
}

// The manager's metrics endpoint serves its sidecar's /unknown-devices and metrics, as
// in the Pod, where the sidecar binds them to loopback: a device asking for a MAC no
// DectBase declares is listed there.
func TestUnknownDevicesThroughTheManager(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	const unknownMAC = "7C2F80EEEE01"
	dev := sc.newDevice(unknownMAC, unknownMAC+"-0000")
	if res, err := dev.fetch(); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("fetch of an unknown MAC: status %d, %v; want 404", res.StatusCode, err)
	}
	base := strings.TrimSuffix(stack.ManagerMetricsURL, "/metrics")
	resp, err := http.Get(base + "/unknown-devices")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), unknownMAC) {
		t.Errorf("the manager's /unknown-devices: %s %s, want the unknown MAC %s listed", resp.Status, body, unknownMAC)
	}
	if n := scrapeCounter(t, base+"/server-metrics", "dect_provisioning_unknown_mac_requests_total"); n < 1 {
		t.Errorf("the manager's /server-metrics: dect_provisioning_unknown_mac_requests_total %v, want 1 or more", n)
	}
}
