package health

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/simulator"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// The fixtures are the objects the operator writes, not what someone thinks it writes.
// TestFixturesAreWhatTheOperatorWrites runs the real binary (manager and provisioning
// server, through testenv.Start) against envtest, drives a DectBase and its Handsets
// through the states below, and exports each object as it stands (status included,
// managedFields, uid and resourceVersion left out). Times, hashes and the provisioning
// server's URL change from run to run, so they are replaced by fixed values; everything
// else is the operator's. With -update it writes them into testdata/ (and then the
// health_test.yaml files follow, see TestHealthTests); without, it fails when a committed
// fixture is not what the operator writes today.
//
// The states are reached by waiting for what they are (reconciled and ready, reconciled
// and not ready, fetched, not fetched), never for a condition reason, so that a change
// of reasons shows up as a fixture diff, not as a broken exporter.

const exportNamespace = "telephony"

// exportHeader heads every fixture.
const exportHeader = "# Exported from the object the operator wrote: `go test ./test/health -update` (with\n" +
	"# KUBEBUILDER_ASSETS set) regenerates it. Times, hashes and the server URL are fixed values.\n"

var (
	fixedTime = "2026-03-02T09:00:00Z"
	rfc3339   = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
)

func TestFixturesAreWhatTheOperatorWrites(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is not set: the fixtures are checked against the operator by `make test`")
	}
	if testing.Short() {
		t.Skip("runs the operator against envtest")
	}
	got := exportFixtures(t)

	if *update {
		for _, kind := range kinds {
			old, _ := filepath.Glob(filepath.Join(kindDir(kind), "testdata", "*.yaml"))
			for _, f := range old {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}
		for name, data := range got {
			if err := os.WriteFile(filepath.Join(customizations, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, kind := range kinds {
			if err := writeHealthTests(kind, readScript(t, kind)); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	var committed []string
	for _, kind := range kinds {
		files, _ := filepath.Glob(filepath.Join(kindDir(kind), "testdata", "*.yaml"))
		for _, f := range files {
			committed = append(committed, kind+"/testdata/"+filepath.Base(f))
		}
	}
	for _, name := range committed {
		if _, ok := got[name]; !ok {
			t.Errorf("%s is not a state the exporter produces any more; run `go test ./test/health -update`", name)
		}
	}
	for name, data := range got {
		old, err := os.ReadFile(filepath.Join(customizations, name))
		switch {
		case err != nil:
			t.Errorf("%s: not committed (%v); run `go test ./test/health -update`", name, err)
		case string(old) != string(data):
			t.Errorf("%s is not what the operator writes today; run `go test ./test/health -update` and review the diff. The operator wrote:\n%s", name, data)
		}
	}
}

// exporter drives the states and collects the fixtures, by kind/testdata/<file>.
type exporter struct {
	t     *testing.T
	ctx   context.Context
	stack *testenv.Stack
	c     client.Client
	out   map[string][]byte
}

func exportFixtures(t *testing.T) map[string][]byte {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	stack, err := testenv.Start(ctx, testenv.Options{
		Dir: t.TempDir(),
		// Every fetch is recorded at once, so that deliveries show in status quickly.
		DeliveryRecordInterval: time.Second,
		Logf:                   t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Stop)
	x := &exporter{t: t, ctx: ctx, stack: stack, c: stack.Client, out: map[string][]byte{}}
	x.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: exportNamespace}})

	const mac, macID = "7C2F80CA21E4", "7C2F80CA21E4-E001"
	// Objects the operator has not seen yet: created while the manager is stopped.
	x.stopManager()
	auth := x.meta("office-device-auth")
	auth.Labels = testenv.Consumable()
	x.create(&corev1.Secret{ObjectMeta: auth, StringData: map[string]string{"macID": macID}})
	x.create(&dectv1alpha1.DectBase{ObjectMeta: x.meta("office"), Spec: dectv1alpha1.DectBaseSpec{
		MACAddress:   mac,
		SIP:          &dectv1alpha1.SIPProvider{Domain: "pbx.example.com"},
		Provisioning: dectv1alpha1.Provisioning{AuthSecretRef: &dectv1alpha1.LocalObjectReference{Name: "office-device-auth"}},
	}})
	for _, h := range testenv.Example {
		x.create(h.Secret(exportNamespace))
		x.create(h.Handset(exportNamespace, "office"))
	}
	x.export("DectBase", "office", "new", "Just created: the operator has not reconciled it yet.", nil)
	x.export("Handset", "hs-1013", "new", "Just created: the operator has not reconciled it yet.", nil)
	x.startManager()

	// Ready, and fetched by the device.
	for _, h := range testenv.Example {
		x.wait("Handset", h.Name, "ready", isReady)
	}
	dev, err := simulator.New(simulator.Config{MAC: mac, MACID: macID})
	if err != nil {
		t.Fatal(err)
	}
	// Ready says the file is stored; the server has it a moment later (from its
	// manager, which has just started): until then the answer is 404.
	testenv.Eventually(t, "the device fetches its file", time.Minute, func() error {
		res, err := dev.Fetch(ctx, stack.ServerURL)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d", res.StatusCode)
		}
		return err
	})
	// The window opens 30 s after the fetch: waiting for it keeps the fixtures the same
	// from run to run.
	opened := field("Open", "status", "registrationWindow", "state")
	x.export("DectBase", "office", "ready_delivered", "Rendered, served and fetched by the device.", all(isReady, isDelivered, opened))
	x.export("Handset", "hs-1013", "ready_delivered", "Rendered in its slot and fetched by the device.", all(isReady, isDelivered))

	// A change the device has not fetched yet: the normal state until its next fetch.
	x.update("Handset", "hs-1014", func(o client.Object) { o.(*dectv1alpha1.Handset).Spec.SIP.DisplayName = "Reception" })
	x.export("Handset", "hs-1014", "ready_awaiting_fetch", "Changed and rendered; the device has not fetched the change yet.", all(isReady, not(isDelivered)))
	x.export("DectBase", "office", "ready_awaiting_fetch", "Rendered a new file; the device has not fetched it yet.", all(isReady, not(isDelivered)))

	// Handsets with a problem of their own.
	handset := func(name, base, ipui, secret string, slot *int32) *dectv1alpha1.Handset {
		return &dectv1alpha1.Handset{ObjectMeta: x.meta(name), Spec: dectv1alpha1.HandsetSpec{
			BaseRef: dectv1alpha1.LocalObjectReference{Name: base}, IPUI: ipui, Slot: slot,
			SIP: dectv1alpha1.HandsetSIP{UserID: "2000", PasswordSecretRef: dectv1alpha1.SecretKeyRef{Name: secret}},
		}}
	}
	zero := int32(0)
	x.create(handset("hs-waiting", "office", "", "sip-not-yet-there", nil))
	x.create(handset("hs-duplicate", "office", testenv.Example[0].IPUI, "sip-1013", nil))
	x.create(handset("hs-pinned", "office", "", "sip-1013", &zero))
	x.create(handset("hs-early", "not-yet-there", "", "sip-1013", nil))
	x.export("Handset", "hs-waiting", "secret_missing", "Its password Secret does not exist (yet).", not(isReady))
	x.export("Handset", "hs-duplicate", "duplicate_ipui", "An older Handset of the base declares the same IPUI.", not(isReady))
	x.export("Handset", "hs-pinned", "slot_taken", "Pinned to a slot another Handset holds.", not(isReady))
	x.export("Handset", "hs-early", "base_missing", "Its DectBase does not exist (yet).", not(isReady))

	// Bases with a problem of their own.
	x.create(&dectv1alpha1.DectBase{ObjectMeta: x.meta("office-copy"), Spec: dectv1alpha1.DectBaseSpec{MACAddress: "7c-2f-80-ca-21-e4"}})
	x.export("DectBase", "office-copy", "duplicate_mac", "Declares a MAC an older DectBase holds.", not(isReady))
	x.create(&dectv1alpha1.DectBase{ObjectMeta: x.meta("front-desk"), Spec: dectv1alpha1.DectBaseSpec{
		MACAddress: "7C2F80CA21E5", WebPasswordSecretRef: &dectv1alpha1.SecretKeyRef{Name: "front-desk-web"},
	}})
	x.export("DectBase", "front-desk", "secret_missing", "Its web password Secret does not exist (yet).", not(isReady))

	// Being deleted while another controller's finalizer holds it.
	closing := &dectv1alpha1.DectBase{ObjectMeta: x.meta("closing"), Spec: dectv1alpha1.DectBaseSpec{MACAddress: "7C2F80CA21E6"}}
	closing.Finalizers = []string{"example.com/backup"}
	x.create(closing)
	x.wait("DectBase", "closing", "ready", isReady)
	if err := x.c.Delete(ctx, closing); err != nil {
		t.Fatal(err)
	}
	// Setting deletionTimestamp bumps the generation, and the operator does not reconcile
	// an object on its way out: export it as soon as it is marked.
	testenv.Eventually(t, "DectBase closing marked for deletion", time.Minute, func() error { return isDeleting(x.get("DectBase", "closing")) })
	x.export("DectBase", "closing", "deleting", "Deleted; another controller's finalizer still holds it.", nil)

	// A spec change the operator has not processed yet, once the base has seen every
	// handset above.
	x.wait("DectBase", "office", "counting six handsets", field(6, "status", "handsets", "total"))
	x.stopManager()
	x.update("Handset", "hs-1013", func(o client.Object) { o.(*dectv1alpha1.Handset).Spec.SIP.DisplayName = "Alice" })
	x.update("DectBase", "office", func(o client.Object) { o.(*dectv1alpha1.DectBase).Spec.ProfileName = "Office" })
	x.export("Handset", "hs-1013", "generation_not_observed", "Its spec changed; the status still describes the previous generation.", nil)
	x.export("DectBase", "office", "generation_not_observed", "Its spec changed; the status still describes the previous generation.", nil)
	x.startManager()
	return x.out
}

func (x *exporter) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: exportNamespace, Name: name}
}

func (x *exporter) create(o client.Object) {
	x.t.Helper()
	if err := x.c.Create(x.ctx, o); err != nil {
		x.t.Fatalf("creating %s: %v", o.GetName(), err)
	}
}

func (x *exporter) update(kind, name string, change func(client.Object)) {
	x.t.Helper()
	var o client.Object = &dectv1alpha1.Handset{}
	if kind == "DectBase" {
		o = &dectv1alpha1.DectBase{}
	}
	testenv.Eventually(x.t, "updating "+kind+" "+name, time.Minute, func() error {
		if err := x.c.Get(x.ctx, types.NamespacedName{Namespace: exportNamespace, Name: name}, o); err != nil {
			return err
		}
		change(o)
		return x.c.Update(x.ctx, o)
	})
}

func (x *exporter) stopManager() {
	x.t.Helper()
	if err := x.stack.Manager.Stop(30 * time.Second); err != nil {
		x.t.Fatalf("stopping the manager: %v", err)
	}
}

func (x *exporter) startManager() {
	x.t.Helper()
	if err := x.stack.Manager.Start(); err != nil {
		x.t.Fatal(err)
	}
}

func (x *exporter) get(kind, name string) *unstructured.Unstructured {
	x.t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(dectv1alpha1.GroupVersion.WithKind(kind))
	if err := x.c.Get(x.ctx, types.NamespacedName{Namespace: exportNamespace, Name: name}, u); err != nil {
		x.t.Fatalf("getting %s %s: %v", kind, name, err)
	}
	return u
}

// state tells whether an object is in the state wanted, and if not, why.
type state func(u *unstructured.Unstructured) error

// wait waits until the object is reconciled (its status describes its generation) and
// in the state.
func (x *exporter) wait(kind, name, what string, s state) *unstructured.Unstructured {
	x.t.Helper()
	var u *unstructured.Unstructured
	testenv.Eventually(x.t, kind+" "+name+" "+what, 2*time.Minute, func() error {
		u = x.get(kind, name)
		observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
		if observed != u.GetGeneration() {
			return fmt.Errorf("status describes generation %d of %d", observed, u.GetGeneration())
		}
		if _, _, ok := condition(u, dectv1alpha1.ConditionReady); !ok {
			return errors.New("no Ready condition yet")
		}
		return s(u)
	})
	return u
}

// export records the object as fixture kind/testdata/<file>.yaml: once in the state s,
// or as it stands when s is nil (a state the operator is not running to change).
func (x *exporter) export(kind, name, file, about string, s state) {
	x.t.Helper()
	var u *unstructured.Unstructured
	if s == nil {
		u = x.get(kind, name)
	} else {
		u = x.wait(kind, name, file, s)
	}
	data, err := yaml.Marshal(normalise(u.Object, x.stack.ServerURL))
	if err != nil {
		x.t.Fatal(err)
	}
	x.out[kind+"/testdata/"+file+".yaml"] = append([]byte("# "+about+"\n"+exportHeader), data...)
}

// normalise drops what the API server adds for its own bookkeeping and replaces what
// changes from run to run with fixed values.
func normalise(obj map[string]any, serverURL string) map[string]any {
	obj = deepCopy(obj)
	meta, _ := obj["metadata"].(map[string]any)
	for _, k := range []string{"managedFields", "uid", "resourceVersion"} {
		delete(meta, k)
	}
	return walk(obj, "", serverURL).(map[string]any)
}

func walk(v any, key, serverURL string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, item := range v {
			v[k] = walk(item, k, serverURL)
		}
		return v
	case []any:
		for i, item := range v {
			v[i] = walk(item, key, serverURL)
		}
		return v
	case string:
		if key == "hash" || key == "settingsHash" {
			return strings.Repeat("0", len(v))
		}
		v = strings.ReplaceAll(v, serverURL, "http://192.0.2.10")
		return rfc3339.ReplaceAllString(v, fixedTime)
	}
	return v
}

func deepCopy(obj map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: obj}).DeepCopy().Object
}

func condition(u *unstructured.Unstructured, typ string) (status, reason string, ok bool) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			r, _ := m["reason"].(string)
			return s, r, true
		}
	}
	return "", "", false
}

func isReady(u *unstructured.Unstructured) error {
	if s, r, _ := condition(u, dectv1alpha1.ConditionReady); s != "True" {
		return fmt.Errorf("Ready=%s (%s)", s, r)
	}
	return nil
}

func isDelivered(u *unstructured.Unstructured) error {
	if s, r, _ := condition(u, dectv1alpha1.ConditionDelivered); s != "True" {
		return fmt.Errorf("Delivered=%s (%s)", s, r)
	}
	return nil
}

func isDeleting(u *unstructured.Unstructured) error {
	if u.GetDeletionTimestamp() == nil {
		return errors.New("no deletionTimestamp yet")
	}
	return nil
}

func not(s state) state {
	return func(u *unstructured.Unstructured) error {
		if s(u) == nil {
			return errors.New("not yet out of that state")
		}
		return nil
	}
}

func all(states ...state) state {
	return func(u *unstructured.Unstructured) error {
		for _, s := range states {
			if err := s(u); err != nil {
				return err
			}
		}
		return nil
	}
}

// field checks a status field that settles after the operator's first answer.
func field(want any, path ...string) state {
	return func(u *unstructured.Unstructured) error {
		got, _, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("%s is %v, want %v", strings.Join(path, "."), got, want)
		}
		return nil
	}
}
