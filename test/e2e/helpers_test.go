package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/fakeclock"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/simulator"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// Deadlines of the polls. They are generous: the machine may be slow and shared, and a
// timing never decides a test; only a state that never comes does.
const (
	settle     = 90 * time.Second // the operator acts on a change
	catchingUp = 3 * time.Minute  // the processes find a restarted API server, or a restarted manager catches up
	pollGap    = 100 * time.Millisecond
)

// ---- one test's view of the stack ----

// scenario is one test: its namespace, on the shared stack.
type scenario struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	ns  string
}

var nsSeq atomic.Int64

// begin creates the test's namespace. When the test fails, it prints the lines the
// manager and the server logged about that namespace (and every error) meanwhile.
func begin(t *testing.T) *scenario {
	t.Helper()
	name := strings.ToLower(regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(t.Name(), "-"))
	ns := strings.TrimRight(fmt.Sprintf("e2e-%d-%.40s", nsSeq.Add(1), name), "-")
	sc := &scenario{t: t, ctx: context.Background(), c: stack.Client, ns: ns}
	sc.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})

	managerFrom, serverFrom := stack.Manager.LogSize(), stack.Server.LogSize()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		relevant := func(l string) bool {
			return strings.Contains(l, ns) || strings.Contains(l, `"level":"error"`) || strings.HasPrefix(l, "=== testenv")
		}
		for _, p := range []struct {
			name  string
			lines []string
		}{
			{"manager", stack.Manager.LogSince(managerFrom, relevant, 150)},
			{"server", stack.Server.LogSince(serverFrom, relevant, 150)},
		} {
			if len(p.lines) > 0 {
				t.Logf("---- %s log during the test (namespace %s and errors):\n%s", p.name, ns, strings.Join(p.lines, "\n"))
			}
		}
	})
	return sc
}

func (sc *scenario) create(o client.Object) {
	sc.t.Helper()
	if err := sc.c.Create(sc.ctx, o); err != nil {
		sc.t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
	}
}

func (sc *scenario) delete(o client.Object) {
	sc.t.Helper()
	if o.GetNamespace() == "" {
		o.SetNamespace(sc.ns)
	}
	if err := sc.c.Delete(sc.ctx, o); err != nil {
		sc.t.Fatalf("deleting %T %s: %v", o, o.GetName(), err)
	}
}

// update reads the object named like o, applies change and writes it, retrying on
// conflicts with the operator's writes.
func (sc *scenario) update(o client.Object, change func()) {
	sc.t.Helper()
	if err := sc.tryUpdate(o, change); err != nil {
		sc.t.Fatalf("updating %T %s: %v", o, o.GetName(), err)
	}
}

func (sc *scenario) tryUpdate(o client.Object, change func()) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: o.GetName()}, o); err != nil {
			return err
		}
		change()
		return sc.c.Update(sc.ctx, o)
	})
}

// eventually is testenv.Eventually that also logs how long a slow check took.
func (sc *scenario) eventually(what string, timeout time.Duration, check func() error) {
	sc.t.Helper()
	start := time.Now()
	testenv.Eventually(sc.t, what, timeout, check)
	if took := time.Since(start); took > 5*time.Second {
		sc.t.Logf("%s: took %v", what, took.Round(100*time.Millisecond))
	}
}

// ---- fixtures ----

// handsetDef declares one handset: its name, SIP user and IPUI.
type handsetDef = testenv.ExampleHandset

// example is Gigaset's own provisioning example: three accounts and their handsets.
var example = testenv.Example

var macSeq atomic.Int64

// declareBase creates the DectBase name with a MAC no other test uses. The device must
// authenticate with its built-in identity (MAC and the MAC-ID on its label), as a real
// installation would. adjust, if not nil, changes the base before it is created.
func (sc *scenario) declareBase(name string, adjust func(*dectv1alpha1.DectBase)) (mac, macID string) {
	sc.t.Helper()
	n := macSeq.Add(1)
	mac = fmt.Sprintf("7C2F80E2%04X", n)
	macID = fmt.Sprintf("%s-E%03d", mac, n)
	sc.create(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: name + "-device-auth", Labels: testenv.Consumable()},
		StringData: map[string]string{"macID": macID},
	})
	b := &dectv1alpha1.DectBase{
		ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: name},
		Spec: dectv1alpha1.DectBaseSpec{
			MACAddress:   mac,
			SIP:          &dectv1alpha1.SIPProvider{Domain: "pbx.example.com"},
			Provisioning: dectv1alpha1.Provisioning{AuthSecretRef: &dectv1alpha1.LocalObjectReference{Name: name + "-device-auth"}},
		},
	}
	if adjust != nil {
		adjust(b)
	}
	sc.create(b)
	return mac, macID
}

// declareHandset creates h's password Secret and the Handset on base.
func (sc *scenario) declareHandset(base string, h handsetDef) {
	sc.t.Helper()
	sc.create(h.Secret(sc.ns))
	sc.create(h.Handset(sc.ns, base))
}

// declareExample creates the base "office" and the example's three handsets, in that
// order, and returns the base's device, which has not fetched anything yet.
func (sc *scenario) declareExample(adjust func(*dectv1alpha1.DectBase)) *device {
	sc.t.Helper()
	mac, macID := sc.declareBase("office", adjust)
	for _, h := range example {
		sc.declareHandset("office", h)
	}
	return sc.newDevice(mac, macID)
}

// registeredExample declares the example, has its device fetch the file and the three
// handsets register, and returns the device with its slots as they were then.
func (sc *scenario) registeredExample() (*device, []simulator.SlotState) {
	sc.t.Helper()
	dev := sc.declareExample(nil)
	dev.fetchUntil("the example's three accounts", settle, dev.hasExample)
	dev.registerAll(ipuisOf(example)...)
	return dev, dev.Snapshot().Slots
}

// ---- the device ----

// device is a simulated N720 on a clock the test moves. The clock starts at the real
// time and never falls behind it when the device fetches, because the registration
// window in the file is in absolute (Unix) time, written by an operator on the real
// clock.
type device struct {
	*simulator.Device
	clock *fakeclock.Clock
	sc    *scenario
}

func (sc *scenario) newDevice(mac, macID string) *device {
	sc.t.Helper()
	clock := fakeclock.New(time.Now())
	d, err := simulator.New(simulator.Config{MAC: mac, MACID: macID, Clock: clock})
	if err != nil {
		sc.t.Fatal(err)
	}
	return &device{Device: d, clock: clock, sc: sc}
}

// fetch makes the device download its file once. A file the device ignores, or one that
// makes it warn, fails the test: the operator must produce files the device accepts.
func (d *device) fetch() (simulator.FetchResult, error) {
	d.sc.t.Helper()
	return d.fetchFrom(stack.ServerURL)
}

// fetchFrom is fetch from the server at url.
func (d *device) fetchFrom(url string) (simulator.FetchResult, error) {
	d.sc.t.Helper()
	if now := time.Now(); now.After(d.clock.Now()) {
		d.clock.Set(now)
	}
	res, err := d.Fetch(d.sc.ctx, url)
	if err != nil {
		return res, err
	}
	if res.Ignored {
		d.sc.t.Fatalf("the device ignored its file (%s): %v", res.IgnoreReason, res.Errors)
	}
	if len(res.Warnings) > 0 {
		d.sc.t.Errorf("the device warned about its file: %v", res.Warnings)
	}
	return res, nil
}

// fetchUntil makes the device fetch until check, which looks at the device, passes.
func (d *device) fetchUntil(what string, timeout time.Duration, check func() error) simulator.FetchResult {
	d.sc.t.Helper()
	var res simulator.FetchResult
	d.sc.eventually("the device: "+what, timeout, func() error {
		var err error
		if res, err = d.fetch(); err != nil {
			return err
		}
		return check()
	})
	return res
}

// hasExample checks that slots 0, 1, 2 hold the example's accounts with their IPUIs
// reserved, and that no other slot is in use.
func (d *device) hasExample() error {
	for i, h := range example {
		if err := d.holds(i, h); err != nil {
			return err
		}
	}
	for i := len(example); i < simulator.NumSlots; i++ {
		if s := d.Slot(i); s.Active || !s.Reserved.IsNone() {
			return fmt.Errorf("slot %d is in use: %+v", i, s)
		}
	}
	return nil
}

// holds checks that slot i holds h's account, as declared, with h's IPUI reserved.
func (d *device) holds(i int, h handsetDef) error {
	s := d.Slot(i)
	want := simulator.SlotState{
		Index: i, Active: true, UserID: h.User, LoginID: h.User, Password: testenv.Password(h.User),
		DisplayName: testenv.DisplayName(h.User), AccountName: h.User, MailboxEnabled: true, MailboxNumber: "*2",
		Reserved: ipui(h.IPUI), Registered: s.Registered,
	}
	if s != want {
		return fmt.Errorf("slot %d:\n got %+v\nwant %+v", i, s, want)
	}
	return nil
}

// registerAll moves the device's clock to the opening of its registration window and
// registers the handsets with these IPUIs, as if their users switched them on.
func (d *device) registerAll(ipuis ...string) {
	d.sc.t.Helper()
	w := d.Window()
	if w.Phase != simulator.WindowWaiting && w.Phase != simulator.WindowOpen {
		d.sc.t.Fatalf("the device has no registration window to come: %+v", w)
	}
	if w.Phase == simulator.WindowWaiting {
		d.clock.Set(w.OpensAt)
	}
	for _, id := range ipuis {
		if err := d.Register(id, ""); err != nil {
			d.sc.t.Fatalf("handset %s did not register: %v\n%s", id, err, d.Summary())
		}
	}
}

// sameSlots reports every slot, other than those in except, that differs between two
// snapshots of the device.
func sameSlots(before, after []simulator.SlotState, except ...int) error {
	var diffs []string
	for i := range before {
		if slices.Contains(except, i) || before[i] == after[i] {
			continue
		}
		diffs = append(diffs, fmt.Sprintf("slot %d:\n  before %+v\n  after  %+v", i, before[i], after[i]))
	}
	if len(diffs) > 0 {
		return errors.New(strings.Join(diffs, "\n"))
	}
	return nil
}

func ipui(s string) simulator.IPUI {
	id, err := simulator.ParseIPUI(s)
	if err != nil {
		panic(err)
	}
	return id
}

// canonical is an IPUI as the operator writes it in status: 10 upper-case hex digits.
func canonical(s string) string { return ipui(s).String() }

// ---- objects and their status ----

func (sc *scenario) base(name string) *dectv1alpha1.DectBase {
	sc.t.Helper()
	var b dectv1alpha1.DectBase
	if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: name}, &b); err != nil {
		sc.t.Fatalf("reading DectBase %s: %v", name, err)
	}
	return &b
}

// waitBase waits until the base's status describes its current spec and passes check.
func (sc *scenario) waitBase(name, what string, timeout time.Duration, check func(*dectv1alpha1.DectBase) error) *dectv1alpha1.DectBase {
	sc.t.Helper()
	var b dectv1alpha1.DectBase
	sc.eventually(fmt.Sprintf("DectBase %s: %s", name, what), timeout, func() error {
		if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: name}, &b); err != nil {
			return err
		}
		if b.Status.ObservedGeneration != b.Generation {
			return fmt.Errorf("status describes generation %d of %d", b.Status.ObservedGeneration, b.Generation)
		}
		return check(&b)
	})
	return &b
}

// waitHandset waits until the handset's status describes its current spec and passes
// check.
func (sc *scenario) waitHandset(name, what string, timeout time.Duration, check func(*dectv1alpha1.Handset) error) *dectv1alpha1.Handset {
	sc.t.Helper()
	var h dectv1alpha1.Handset
	sc.eventually(fmt.Sprintf("Handset %s: %s", name, what), timeout, func() error {
		if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: name}, &h); err != nil {
			return err
		}
		if h.Status.ObservedGeneration != h.Generation {
			return fmt.Errorf("status describes generation %d of %d", h.Status.ObservedGeneration, h.Generation)
		}
		return check(&h)
	})
	return &h
}

// hasCondition checks one condition's status and reason, and that its message holds
// every one of words.
func hasCondition(conds []metav1.Condition, typ string, status metav1.ConditionStatus, reason string, words ...string) error {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		return fmt.Errorf("no %s condition", typ)
	}
	if c.Status != status || c.Reason != reason {
		return fmt.Errorf("%s=%s/%s (%q), want %s/%s", typ, c.Status, c.Reason, c.Message, status, reason)
	}
	for _, w := range words {
		if !strings.Contains(c.Message, w) {
			return fmt.Errorf("%s message %q does not mention %q", typ, c.Message, w)
		}
	}
	return nil
}

// readyAndDelivered checks that a handset is rendered in slot and the device has
// fetched its current settings.
func readyAndDelivered(slot int, ipuiText string) func(*dectv1alpha1.Handset) error {
	return func(h *dectv1alpha1.Handset) error {
		if err := hasCondition(h.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered); err != nil {
			return err
		}
		if err := hasCondition(h.Status.Conditions, dectv1alpha1.ConditionDelivered, metav1.ConditionTrue, dectv1alpha1.ReasonDelivered); err != nil {
			return err
		}
		if h.Status.Slot == nil || int(*h.Status.Slot) != slot {
			return fmt.Errorf("status.slot %v, want %d", ptrText(h.Status.Slot), slot)
		}
		if want := canonical(ipuiText); h.Status.IPUI != want {
			return fmt.Errorf("status.ipui %q, want %q", h.Status.IPUI, want)
		}
		return nil
	}
}

// delivered checks that the device fetched the base's current file, as the server
// records it.
func delivered(b *dectv1alpha1.DectBase) error {
	d, doc := b.Status.LastDelivery, b.Status.Document
	switch {
	case doc == nil:
		return errors.New("no document in status")
	case d == nil:
		return errors.New("no delivery in status")
	case d.Hash != doc.Hash || d.Generation != doc.Generation:
		return fmt.Errorf("delivered generation %d (%.12s), current document generation %d (%.12s)", d.Generation, d.Hash, doc.Generation, doc.Hash)
	}
	return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionDelivered, metav1.ConditionTrue, dectv1alpha1.ReasonDelivered)
}

// waitWarning waits for a Warning Event with reason about the object name.
func (sc *scenario) waitWarning(name, reason string, words ...string) {
	sc.t.Helper()
	sc.eventually(fmt.Sprintf("a Warning %s event on %s", reason, name), settle, func() error {
		var list eventsv1.EventList
		if err := sc.c.List(sc.ctx, &list, client.InNamespace(sc.ns)); err != nil {
			return err
		}
		var seen []string
		for _, e := range list.Items {
			seen = append(seen, fmt.Sprintf("%s %s %s: %s", e.Type, e.Reason, e.Regarding.Name, e.Note))
			if e.Type != corev1.EventTypeWarning || e.Reason != reason || e.Regarding.Name != name {
				continue
			}
			for _, w := range words {
				if !strings.Contains(e.Note, w) {
					return fmt.Errorf("event note %q does not mention %q", e.Note, w)
				}
			}
			return nil
		}
		return fmt.Errorf("events so far: %v", seen)
	})
}

func ptrText[T any](p *T) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

// ---- steps shared by scenarios ----

func ipuisOf(defs []handsetDef) []string {
	var out []string
	for _, h := range defs {
		out = append(out, h.IPUI)
	}
	return out
}

// deregistered tells whether the device's log shows the handset id deregistered from slot.
func deregistered(dev *device, slot int, id string) bool {
	for _, e := range dev.Events() {
		if e.Kind == simulator.EventHandsetDeregistered && e.Slot == slot && e.IPUI == ipui(id) {
			return true
		}
	}
	return false
}

// storedGeneration reads the generation and hash of the file the operator stored for
// base, from its ConfigMap.
func (sc *scenario) storedGeneration(base string) (int64, string, error) {
	var cm corev1.ConfigMap
	if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: provfile.ConfigMapName(base)}, &cm); err != nil {
		return 0, "", err
	}
	gen, err := strconv.ParseInt(cm.Annotations[provfile.AnnotationGeneration], 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("ConfigMap %s: generation: %w", cm.Name, err)
	}
	return gen, cm.Annotations[provfile.AnnotationHash], nil
}

// fetchCurrentFile makes the device fetch until it has been served the file the operator
// stored last, as the delivery the server records in status tells. It is how a test
// knows that what the device holds is the operator's last word, when that word may be
// "nothing changed".
func (sc *scenario) fetchCurrentFile(dev *device, base string) {
	sc.t.Helper()
	dev.fetchUntil("the file stored last", settle, func() error {
		_, hash, err := sc.storedGeneration(base)
		if err != nil {
			return err
		}
		if d := sc.base(base).Status.LastDelivery; d == nil || d.Hash != hash {
			return errors.New("no delivery of the stored file recorded yet")
		}
		return nil
	})
}

// makeSureWindowOpens checks that the file the device applied gives it a registration
// window that is open for a while. An OnChange window starts when the reservations
// last changed; a device that fetched much later (on a slow machine) was given a window
// that ends before, or soon after, it opens. Then the way out a person has is taken:
// the reopen-window annotation, and the device fetches the new window.
func (sc *scenario) makeSureWindowOpens(dev *device, base string) {
	sc.t.Helper()
	const enough = 15 * time.Second
	for attempt := 1; ; attempt++ {
		w := dev.Window()
		if w.Phase == simulator.WindowWaiting && (w.ClosesAt.IsZero() || w.ClosesAt.Sub(w.OpensAt) >= enough) {
			return
		}
		if attempt > 3 {
			sc.t.Fatalf("the device gets no usable registration window: %+v", w)
		}
		sc.t.Logf("the device's registration window is too short (%+v): reopening it", w)
		start := dev.Snapshot().Registration.Start
		b := &dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Name: base}}
		sc.update(b, func() {
			if b.Annotations == nil {
				b.Annotations = map[string]string{}
			}
			b.Annotations[dectv1alpha1.AnnotationReopenWindow] = fmt.Sprintf("e2e-%d", attempt)
		})
		dev.fetchUntil("a new registration window", settle, func() error {
			if dev.Snapshot().Registration.Start == start {
				return errors.New("same window start")
			}
			return nil
		})
	}
}

func withSecret(h *dectv1alpha1.Handset, secret string) *dectv1alpha1.Handset {
	h.Spec.SIP.PasswordSecretRef.Name = secret
	return h
}

// createConcurrently creates the handsets, all with one password Secret, with several
// clients at once, as a GitOps tool applying a folder does.
func (sc *scenario) createConcurrently(defs []handsetDef, secret string, workers int) error {
	jobs := make(chan handsetDef)
	errs := make(chan error, len(defs))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for h := range jobs {
				if err := sc.c.Create(sc.ctx, withSecret(h.Handset(sc.ns, "office"), secret)); err != nil {
					errs <- fmt.Errorf("creating %s: %w", h.Name, err)
				}
			}
		})
	}
	for _, h := range defs {
		jobs <- h
	}
	close(jobs)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// runBinary runs the operator's binary with args and no KUBECONFIG, and returns its
// output.
func runBinary(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, stack.Binary, args...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "KUBECONFIG=") })
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ownStack starts a stack of the test's own beside the shared one, with the same
// binary, in the folder name under the shared stack's. It is stopped when the test
// ends; if the test failed, each manager's and server's last log lines are shown first.
func ownStack(t *testing.T, name string, o testenv.Options) *testenv.Stack {
	t.Helper()
	o.Dir, o.Binary = filepath.Join(stack.Dir, name), stack.Binary
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if o.Logf == nil {
		o.Logf = func(format string, args ...any) { t.Logf(name+": "+format, args...) }
	}
	s, err := testenv.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("starting the %s stack: %v (logs in %s)", name, err, o.Dir)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, r := range s.Replicas {
				for _, p := range []*testenv.Process{r.Manager, r.Server} {
					if p != nil {
						t.Logf("---- %s:\n%s", p.Name, strings.Join(p.LogSince(0, nil, 80), "\n"))
					}
				}
			}
		}
		s.Stop()
	})
	return s
}
