package controller_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/controller"
	"github.com/dect-operator/dect-operator/internal/fakeclock"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// The suite runs one real kube-apiserver and etcd (envtest) and one manager with every
// reconciler, as deployed; each test works in a namespace of its own.
var (
	k8s     client.Client
	restCfg *rest.Config
	// clock is the reconcilers' clock: real time, which the window tests move ahead.
	clock = fakeclock.Flowing()
	nsSeq atomic.Int64
)

func TestMain(m *testing.M) {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	dir, err := os.MkdirTemp("", "dect-controller-")
	if err != nil {
		panic(err)
	}
	cp, err := testenv.StartControlPlane(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		os.Exit(1)
	}
	restCfg, k8s = cp.Config, cp.Client
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	managerCfg := rest.CopyConfig(cp.Config)
	managerCfg.WrapTransport = countWrites
	go func() {
		done <- controller.Run(ctx, managerCfg, controller.Options{
			MetricsAddr: "0", ProbeAddr: "0", ServerURL: "http://dect.test", Now: clock.Now,
		})
	}()
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		code = 1
	}
	cp.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// managerWrites counts the manager's write requests to the API server.
var managerWrites atomic.Int64

func countWrites(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		recordSecretRequest(r)
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			// Events are the record of what happened, not state: they do not count.
			if !strings.Contains(r.URL.Path, "/events") {
				managerWrites.Add(1)
			}
		}
		return rt.RoundTrip(r)
	})
}

// secretRequest is one request of the manager's for Secrets.
type secretRequest struct {
	method, path, query string
	// metadataOnly tells that the manager asked for metadata alone (PartialObjectMetadata).
	metadataOnly bool
}

// secretRequests are the manager's requests for Secrets since it started.
var secretRequests struct {
	sync.Mutex
	list []secretRequest
}

func recordSecretRequest(r *http.Request) {
	if !strings.Contains(r.URL.Path, "/secrets") {
		return
	}
	secretRequests.Lock()
	defer secretRequests.Unlock()
	secretRequests.list = append(secretRequests.list, secretRequest{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery,
		metadataOnly: strings.Contains(r.Header.Get("Accept"), "as=PartialObjectMetadata")})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func zapLevel() zapcore.Level {
	if os.Getenv("TEST_VERBOSE") != "" {
		return -2
	}
	return 2 // errors only
}

// ---- fixtures ----

func namespace(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", nsSeq.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(name) > 60 {
		name = strings.TrimRight(name[:60], "-")
	}
	create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	return name
}

func create(t testing.TB, o client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), o); err != nil {
		t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
	}
}

func newBase(ns, name, mac string) *dectv1alpha1.DectBase {
	return &dectv1alpha1.DectBase{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: dectv1alpha1.DectBaseSpec{
			MACAddress: mac,
			SIP:        &dectv1alpha1.SIPProvider{Domain: "pbx.example.com"},
		},
	}
}

// newHandset is a handset of user on base, its password in Secret sip-<user>.
func newHandset(ns, name, base, user, ipui string) *dectv1alpha1.Handset {
	return testenv.ExampleHandset{Name: name, User: user, IPUI: ipui}.Handset(ns, base)
}

// newSecret is a Secret holding password, labelled so that the operator may use it.
func newSecret(ns, name, password string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: testenv.Consumable()},
		StringData: map[string]string{"password": password},
	}
}

// gigasetExample declares the three accounts of Gigaset's own example, created one after
// the other so that their age order is the order of the example.
// It returns the base's MAC, unique to the test: a MAC belongs to one base cluster-wide.
func gigasetExample(t testing.TB, ns string) string {
	t.Helper()
	mac := uniqueMAC()
	create(t, newBase(ns, "office", mac))
	for _, h := range testenv.Example {
		create(t, h.Secret(ns))
		create(t, h.Handset(ns, "office"))
		time.Sleep(1100 * time.Millisecond) // creationTimestamp has a resolution of one second
	}
	return mac
}

var macSeq atomic.Int64

// uniqueMAC returns a MAC no other test uses.
func uniqueMAC() string { return fmt.Sprintf("7C2F80%06X", macSeq.Add(1)) }

// ---- observation ----

// eventually retries check until it returns nil, for up to 20 seconds.
func eventually(t testing.TB, what string, check func() error) {
	t.Helper()
	testenv.Eventually(t, what, 20*time.Second, check)
}

func get[T client.Object](t testing.TB, ns, name string, o T) T {
	t.Helper()
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, o); err != nil {
		t.Fatalf("getting %s: %v", name, err)
	}
	return o
}

// storedFile parses the file stored for base (document and credentials joined).
func storedFile(ns, base string) (*gigaset.Document, error) {
	ctx := context.Background()
	var cm corev1.ConfigMap
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: provfile.ConfigMapName(base)}, &cm); err != nil {
		return nil, err
	}
	var sec corev1.Secret
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: provfile.SecretName(base)}, &sec); err != nil {
		return nil, err
	}
	for key, doc := range cm.BinaryData {
		return gigaset.Parse(gigaset.Join(doc, sec.Data[key]), gigaset.N720())
	}
	return nil, fmt.Errorf("ConfigMap %s holds no file", cm.Name)
}

// slotOf waits until the stored file holds handset in some slot and returns it.
func slotOf(t testing.TB, ns, base, handset string) (int, gigaset.Slot) {
	t.Helper()
	var slot int
	var s gigaset.Slot
	eventually(t, "handset "+handset+" in the file", func() error {
		d, err := storedFile(ns, base)
		if err != nil {
			return err
		}
		for i, x := range d.Slots {
			if x.Owner == handset && x.Active {
				slot, s = i, x
				return nil
			}
		}
		return fmt.Errorf("not in any slot")
	})
	return slot, s
}

func condition(conds []metav1.Condition, typ string) string {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		return "<none>"
	}
	return fmt.Sprintf("%s/%s", c.Status, c.Reason)
}

// statusObject is a DectBase or a Handset.
type statusObject interface {
	client.Object
	GetConditions() []metav1.Condition
	GetObservedGeneration() int64
}

// waitCondition waits until obj's condition typ is want (status/reason) for its current
// generation, and returns obj as it was then.
func waitCondition[T statusObject](t testing.TB, ns, name string, obj T, typ, want string) T {
	t.Helper()
	eventually(t, fmt.Sprintf("%T %s %s=%s", obj, name, typ, want), func() error {
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
			return err
		}
		if got := condition(obj.GetConditions(), typ); got != want || obj.GetObservedGeneration() != obj.GetGeneration() {
			return fmt.Errorf("%s=%s (observedGeneration %d of %d)", typ, got, obj.GetObservedGeneration(), obj.GetGeneration())
		}
		return nil
	})
	return obj
}

func waitHandset(t testing.TB, ns, name, typ, want string) *dectv1alpha1.Handset {
	t.Helper()
	return waitCondition(t, ns, name, &dectv1alpha1.Handset{}, typ, want)
}

func waitBase(t testing.TB, ns, name, typ, want string) *dectv1alpha1.DectBase {
	t.Helper()
	return waitCondition(t, ns, name, &dectv1alpha1.DectBase{}, typ, want)
}

// waitExampleRendered waits until gigasetExample's base is Ready with every example
// handset in its file. Ready alone may come from the run of the base's first events,
// the rest of the example still on its way (burst.Spacer gathers them into a later run).
func waitExampleRendered(t testing.TB, ns string) *dectv1alpha1.DectBase {
	t.Helper()
	var base dectv1alpha1.DectBase
	eventually(t, "the example's base Ready with all its handsets", func() error {
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "office"}, &base); err != nil {
			return err
		}
		ready := condition(base.Status.Conditions, dectv1alpha1.ConditionReady)
		if ready != "True/Rendered" || int(base.Status.Handsets.Ready) != len(testenv.Example) {
			return fmt.Errorf("Ready %s, %d of %d handsets ready", ready, base.Status.Handsets.Ready, len(testenv.Example))
		}
		return nil
	})
	return &base
}

var requestSeq atomic.Int64

// requestReconcile sets the reconcile-request annotation on o to a new value, as `flux
// reconcile` does, and returns the value.
func requestReconcile(t testing.TB, o client.Object) string {
	t.Helper()
	value := fmt.Sprintf("request-%d", requestSeq.Add(1))
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, dectv1alpha1.AnnotationReconcileRequest, value))
	if err := k8s.Patch(context.Background(), o, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatalf("annotating %s: %v", o.GetName(), err)
	}
	return value
}
