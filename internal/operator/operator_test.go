package operator_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/operator"
	"github.com/dect-operator/dect-operator/internal/simulator"
	"github.com/dect-operator/dect-operator/internal/testutil"
)

// stack is a real API server with the manager and the provisioning server running as
// deployed (in-process), and the URL devices fetch from.
type stack struct {
	env    *envtest.Environment
	client client.Client
	url    string
	cancel context.CancelFunc
	done   chan error
}

func startStack(t *testing.T) *stack {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run the tests with `make test`")
	}
	s := &stack{env: &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}}
	cfg, err := s.env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.env.Stop() })
	s.client, err = client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.done = make(chan error, 2)
	addr := make(chan net.Addr, 1)
	// Short timeouts so that a stopped API server is noticed within the test.
	fast := rest.CopyConfig(cfg)
	fast.Timeout = 5 * time.Second
	go func() {
		s.done <- operator.RunManager(ctx, fast, operator.ManagerOptions{MetricsAddr: "0", ProbeAddr: "0", SkipNameValidation: true})
	}()
	go func() {
		s.done <- operator.RunServer(ctx, fast, operator.ServerOptions{
			Addr: "127.0.0.1:0", MetricsAddr: "0", ProbeAddr: "0",
			DeliveryInterval: time.Second,
			Registry:         prometheus.NewRegistry(),
			Listening:        func(a net.Addr) { addr <- a },
		})
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a.String()
	case err := <-s.done:
		t.Fatalf("a process ended before serving: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not start serving")
	}
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-s.done; err != nil {
				t.Errorf("process ended with: %v", err)
			}
		}
	})
	return s
}

var macSeq atomic.Int64

func (s *stack) declareExample(t *testing.T, ns string, auth bool) (mac, macID string) {
	t.Helper()
	ctx := context.Background()
	n := macSeq.Add(1)
	mac = fmt.Sprintf("7C2F80CA%04X", n)
	macID = fmt.Sprintf("%s-%04d", mac, n)
	must(t, s.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	base := &dectv1alpha1.DectBase{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "office"},
		Spec:       dectv1alpha1.DectBaseSpec{MACAddress: mac, SIP: &dectv1alpha1.SIPProvider{Domain: "pbx.example.com"}},
	}
	if auth {
		must(t, s.client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "device-auth"},
			StringData: map[string]string{"macID": macID}}))
		base.Spec.Provisioning.AuthSecretRef = &dectv1alpha1.LocalObjectReference{Name: "device-auth"}
	}
	must(t, s.client.Create(ctx, base))
	for i, u := range []string{"1013", "1014", "1022"} {
		must(t, s.client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sip-" + u},
			StringData: map[string]string{"password": "pw-" + u}}))
		must(t, s.client.Create(ctx, &dectv1alpha1.Handset{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hs-" + u},
			Spec: dectv1alpha1.HandsetSpec{
				BaseRef: dectv1alpha1.LocalObjectReference{Name: "office"},
				Slot:    ptr(int32(i)),
				IPUI:    []string{"00ABC50871", "00ABB84A08", "00AB9E31C2"}[i],
				SIP: dectv1alpha1.HandsetSIP{UserID: dectv1alpha1.Text(u), DisplayName: dectv1alpha1.Text("N720_" + u), Mailbox: "*2",
					PasswordSecretRef: dectv1alpha1.SecretKeyRef{Name: "sip-" + u}},
			},
		}))
	}
	return mac, macID
}

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fetchAll makes the device fetch until all three accounts are active on it.
func fetchAll(t *testing.T, s *stack, dev *simulator.Device) simulator.FetchResult {
	t.Helper()
	var res simulator.FetchResult
	testutil.Eventually(t, "the device gets all three accounts", 30*time.Second, func() error {
		var err error
		res, err = dev.Fetch(context.Background(), s.url)
		if err != nil {
			return err
		}
		for i := range 3 {
			if !dev.Slot(i).Active {
				return fmt.Errorf("slot %d inactive after %d (%s)", i, res.StatusCode, res.IgnoreReason)
			}
		}
		return nil
	})
	return res
}

func TestServerServesAndRecordsDeliveries(t *testing.T) {
	s := startStack(t)
	mac, macID := s.declareExample(t, "office", true)
	dev, err := simulator.New(simulator.Config{MAC: mac, MACID: macID})
	must(t, err)

	res := fetchAll(t, s, dev)
	if res.Identity != simulator.IdentityBuiltIn || res.StatusCode != http.StatusOK {
		t.Errorf("fetch: status %d with identity %v, want 200 with the built-in identity", res.StatusCode, res.Identity)
	}
	for i, u := range []string{"1013", "1014", "1022"} {
		if sl := dev.Slot(i); sl.UserID != u || sl.Password != "pw-"+u || sl.DisplayName != "N720_"+u {
			t.Errorf("slot %d on the device: %+v", i, sl)
		}
	}

	// The delivery lands on the base's status, under the server's field manager.
	testutil.Eventually(t, "delivery in status", 20*time.Second, func() error {
		var b dectv1alpha1.DectBase
		if err := s.client.Get(context.Background(), types.NamespacedName{Namespace: "office", Name: "office"}, &b); err != nil {
			return err
		}
		d := b.Status.LastDelivery
		if d == nil || b.Status.Document == nil {
			return fmt.Errorf("no delivery yet")
		}
		if d.Hash != b.Status.Document.Hash || d.Generation != b.Status.Document.Generation || d.Source != "127.0.0.1" ||
			d.Firmware != simulator.DefaultFirmware {
			return fmt.Errorf("delivery %+v, document %+v", d, b.Status.Document)
		}
		return nil
	})
	testutil.Eventually(t, "handsets delivered", 20*time.Second, func() error {
		var h dectv1alpha1.Handset
		if err := s.client.Get(context.Background(), types.NamespacedName{Namespace: "office", Name: "hs-1022"}, &h); err != nil {
			return err
		}
		for _, c := range h.Status.Conditions {
			if c.Type == dectv1alpha1.ConditionDelivered && c.Status == metav1.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("conditions %+v", h.Status.Conditions)
	})

	// A change reaches the device; the time it took is a benchmark figure, not a verdict.
	var h dectv1alpha1.Handset
	must(t, s.client.Get(context.Background(), types.NamespacedName{Namespace: "office", Name: "hs-1014"}, &h))
	h.Spec.SIP.DisplayName = "Jürgen Müller"
	changed := time.Now()
	must(t, s.client.Update(context.Background(), &h))
	testutil.Eventually(t, "the change served", 20*time.Second, func() error {
		if _, err := dev.Fetch(context.Background(), s.url); err != nil {
			return err
		}
		if got := dev.Slot(1).DisplayName; got != "Jürgen Müller" {
			return fmt.Errorf("display name %q", got)
		}
		return nil
	})
	t.Logf("change served to the device %v after the Handset update", time.Since(changed).Round(time.Millisecond))
}

func TestServerKeepsServingWithoutAPIServer(t *testing.T) {
	s := startStack(t)
	mac, macID := s.declareExample(t, "office", true)
	dev, err := simulator.New(simulator.Config{MAC: mac, MACID: macID})
	must(t, err)
	fetchAll(t, s, dev)

	// Stop the API server: the server goes on serving what it knew.
	must(t, s.env.ControlPlane.APIServer.Stop())
	for i := range 5 {
		other, err := simulator.New(simulator.Config{MAC: mac, MACID: macID})
		must(t, err)
		res, err := other.Fetch(context.Background(), s.url)
		if err != nil || res.StatusCode != http.StatusOK || !other.Slot(2).Active {
			t.Fatalf("fetch %d with the API server down: status %d, err %v", i, res.StatusCode, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
