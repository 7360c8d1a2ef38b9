package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/simulator"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// The end-to-end scenarios. Those that stop a process or the API server run alone, first;
// the others run in parallel afterwards (t.Parallel waits for every sequential test).

// Scenario 1: the Gigaset example, from declaration to registered handsets.
func TestGigasetExample(t *testing.T) {
	t.Parallel()
	sc := begin(t)

	// The base opens a registration window of one minute whenever its reservations change.
	const length = time.Minute
	dev := sc.declareExample(func(b *dectv1alpha1.DectBase) {
		b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowOnChange, Duration: &metav1.Duration{Duration: length}}
	})

	// The device fetches its file: accounts 1013, 1014 and 1022 sit in slots 0, 1 and 2,
	// each with its handset's IPUI reserved.
	dev.fetchUntil("the example's three accounts", settle, dev.hasExample)
	sc.makeSureWindowOpens(dev, "office")

	// The DectBase's status shows the delivery (the current file, fetched by this
	// device) and the window it gave the device: opening 30 s after the fetch.
	b := sc.waitBase("office", "the delivery recorded", settle, func(b *dectv1alpha1.DectBase) error {
		if err := delivered(b); err != nil {
			return err
		}
		if got, want := b.Status.Handsets, (dectv1alpha1.HandsetCounts{Total: 3, Assigned: 3, Ready: 3, Delivered: 3}); got != want {
			return fmt.Errorf("handset counts %+v, want %+v", got, want)
		}
		if w := b.Status.RegistrationWindow; w == nil || w.OpensAt == nil || !w.OpensAt.Time.Equal(b.Status.LastDelivery.Time.Add(simulator.OpeningDelay)) {
			return fmt.Errorf("registrationWindow %+v: want it to open 30 s after the delivery at %v", w, b.Status.LastDelivery.Time)
		}
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
	})
	if d := b.Status.LastDelivery; d.Source != "127.0.0.1" || d.UserAgent != dev.UserAgent() || d.Firmware != simulator.DefaultFirmware {
		t.Errorf("delivery %+v, want source 127.0.0.1, the device's User-Agent and firmware %s", d, simulator.DefaultFirmware)
	}
	for i, h := range example {
		if want := (dectv1alpha1.SlotAssignment{Slot: int32(i), Handset: h.Name, IPUI: canonical(h.IPUI)}); i >= len(b.Status.Slots) || b.Status.Slots[i] != want {
			t.Errorf("status.slots %+v, want %+v at %d", b.Status.Slots, want, i)
		}
		sc.waitHandset(h.Name, "ready and delivered", settle, readyAndDelivered(i, h.IPUI))
	}

	// The device, too, opens the window 30 seconds after it applied the file; both close
	// it at the end written in the file.
	onDevice := dev.Window()
	w := b.Status.RegistrationWindow
	if w.Start == nil || w.Duration == nil || w.ClosesAt == nil {
		t.Fatalf("status.registrationWindow %+v: want start, duration and closesAt", w)
	}
	if w.Mode != dectv1alpha1.WindowOnChange || w.Duration.Duration != length || (w.State != dectv1alpha1.WindowStateScheduled && w.State != dectv1alpha1.WindowStateOpen) {
		t.Errorf("status.registrationWindow %+v: want a Scheduled (or already Open) OnChange window of %v", w, length)
	}
	if onDevice.Phase != simulator.WindowWaiting || !onDevice.OpensAt.Equal(onDevice.ArmedAt.Add(simulator.OpeningDelay)) {
		t.Errorf("the device's window %+v: want it waiting to open 30 s after the file was applied", onDevice)
	}
	if want := w.Start.Add(length); !w.ClosesAt.Time.Equal(want) || !onDevice.ClosesAt.Equal(want) {
		t.Errorf("the window closes at %v in status and at %v on the device; want both at start + %v = %v", w.ClosesAt, onDevice.ClosesAt, length, want)
	}

	// The window opens on the device and the three handsets register in it; once all
	// of them have, the device closes it.
	dev.registerAll(ipuisOf(example)...)
	for i, h := range example {
		if s := dev.Slot(i); s.Registered != ipui(h.IPUI) {
			t.Errorf("slot %d: handset %s registered, want %s", i, s.Registered, canonical(h.IPUI))
		}
	}
	if w := dev.Window(); w.Phase != simulator.WindowClosed || w.Reason != simulator.WindowReasonAllRegistered {
		t.Errorf("the device's window after the registrations: %+v", w)
	}

	// Status shows the window Open, then Closed. The operator cannot see the device close
	// the window early (a device tells nothing but its fetches), so what status can
	// truthfully show is the window the device was given: open from 30 s after the
	// recorded fetch to the end written in the file, then closed. Watching it takes up to
	// the window's length.
	var states []dectv1alpha1.WindowState
	sc.waitBase("office", "the window Closed", length+settle, func(b *dectv1alpha1.DectBase) error {
		w := b.Status.RegistrationWindow
		if w == nil {
			return errors.New("no window in status")
		}
		if len(states) == 0 || states[len(states)-1] != w.State {
			states = append(states, w.State)
		}
		if w.State != dectv1alpha1.WindowStateClosed {
			return fmt.Errorf("window %s: %s", w.State, w.Message)
		}
		return nil
	})
	if i := slices.Index(states, dectv1alpha1.WindowStateOpen); i < 0 || slices.ContainsFunc(states[i:], func(s dectv1alpha1.WindowState) bool { return s == dectv1alpha1.WindowStateScheduled }) {
		t.Errorf("window states seen in status: %v; want Open, then Closed", states)
	}
	t.Logf("window states seen in status: %v", states)
}

// Scenario 2: a broken handset is replaced by a new one with another IPUI.
func TestReplaceHandsetIPUI(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev, before := sc.registeredExample()

	// The handset of 1014 broke; its replacement has another IPUI.
	const replacement = "00 AB 77 12 34"
	h := &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Name: "hs-1014"}}
	sc.update(h, func() { h.Spec.IPUI = replacement })

	// Same slot, same account, the new IPUI reserved.
	sc.waitHandset("hs-1014", "the new IPUI in its slot", settle, func(h *dectv1alpha1.Handset) error {
		if h.Status.IPUI != canonical(replacement) || h.Status.Slot == nil || *h.Status.Slot != 1 {
			return fmt.Errorf("slot %s, IPUI %q", ptrText(h.Status.Slot), h.Status.IPUI)
		}
		return hasCondition(h.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
	})
	dev.fetchUntil("slot 1 reserved for the replacement", settle, func() error {
		return dev.holds(1, handsetDef{Name: "hs-1014", User: "1014", IPUI: replacement})
	})

	// The old handset is deregistered (15 s after the file, on the device's clock) and
	// cannot come back: its IPUI is reserved nowhere.
	dev.clock.Advance(simulator.ConflictDelay)
	if s := dev.Slot(1); !s.Registered.IsNone() {
		t.Errorf("slot 1 still has handset %s registered", s.Registered)
	}
	if !deregistered(dev, 1, example[1].IPUI) {
		t.Errorf("no deregistration of the old handset in the device's events:\n%v", dev.Events())
	}
	dev.registerAll() // moves the clock to the window's opening
	if err := dev.Register(example[1].IPUI, ""); !errors.Is(err, simulator.ErrNotReserved) {
		t.Errorf("the old handset registering again: %v, want %v", err, simulator.ErrNotReserved)
	}

	// The new handset registers in slot 1.
	if err := dev.Register(replacement, ""); err != nil {
		t.Fatalf("the replacement did not register: %v\n%s", err, dev.Summary())
	}
	if s := dev.Slot(1); s.Registered != ipui(replacement) {
		t.Errorf("slot 1: %s registered, want the replacement %s", s.Registered, canonical(replacement))
	}
	// Nothing else moved: slots 0 and 2 keep their accounts and registered handsets.
	if err := sameSlots(before, dev.Snapshot().Slots, 1); err != nil {
		t.Error(err)
	}
	sc.waitHandset("hs-1014", "delivered", settle, readyAndDelivered(1, replacement))
}

// Scenario 3: a deleted handset's slot is cleared on the device, and nothing else moves.
func TestDeleteHandset(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev, before := sc.registeredExample()

	sc.delete(&dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Name: "hs-1014"}})
	sc.waitBase("office", "slot 1 free", settle, func(b *dectv1alpha1.DectBase) error {
		if len(b.Status.Slots) != 2 || b.Status.Handsets.Total != 2 {
			return fmt.Errorf("slots %+v, counts %+v", b.Status.Slots, b.Status.Handsets)
		}
		return nil
	})

	// On the device, slot 1 is as it left the factory: inactive, empty, reserving nothing;
	// its handset is deregistered 15 s after the file.
	factory := simulator.SlotState{Index: 1, Reserved: simulator.NoIPUI, Registered: simulator.NoIPUI}
	dev.fetchUntil("slot 1 cleared", settle, func() error {
		if s := dev.Slot(1); s.Active || !s.Reserved.IsNone() {
			return fmt.Errorf("slot 1: %+v", s)
		}
		return nil
	})
	dev.clock.Advance(simulator.ConflictDelay)
	if s := dev.Slot(1); s != factory {
		t.Errorf("slot 1:\n got %+v\nwant %+v", s, factory)
	}
	if !deregistered(dev, 1, example[1].IPUI) {
		t.Errorf("no deregistration of the deleted handset in the device's events:\n%v", dev.Events())
	}
	// Every other slot is untouched, registered handsets included.
	if err := sameSlots(before, dev.Snapshot().Slots, 1); err != nil {
		t.Error(err)
	}
}

// Scenario 4: the manager is SIGKILLed while it reconciles 100 new handsets, and
// restarted.
func TestManagerKilledWhileReconciling(t *testing.T) {
	sc := begin(t)
	mac, macID := sc.declareBase("office", nil)
	sc.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: "sip-shared", Labels: testenv.Consumable()}, StringData: map[string]string{"password": "pw-shared"}})
	b := sc.waitBase("office", "Ready", settle, func(b *dectv1alpha1.DectBase) error {
		if b.Status.Document == nil {
			return errors.New("no document yet")
		}
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
	})
	empty := b.Status.Document.Generation
	dev := sc.newDevice(mac, macID)
	t.Cleanup(func() {
		if !stack.Manager.Running() {
			_ = stack.Manager.Start() // for the tests that follow
		}
	})

	const n = 100
	handsets := make([]handsetDef, n)
	for i := range handsets {
		handsets[i] = handsetDef{Name: fmt.Sprintf("hs-%03d", i), User: fmt.Sprint(2000 + i), IPUI: fmt.Sprintf("00AC%06X", i)}
	}
	created := make(chan error, 1)
	go func() { created <- sc.createConcurrently(handsets, "sip-shared", 8) }()

	// As soon as the manager has stored a file with some of the new handsets and its
	// sidecar serves it, the manager is in the middle of the reconcile that stored it
	// (which goes on to write the status of every handset, one by one): SIGKILL.
	sc.eventually("a file with new handsets, served", settle, func() error {
		gen, _, err := sc.storedGeneration("office")
		if err == nil && gen <= empty {
			err = fmt.Errorf("file generation %d", gen)
		}
		if err != nil {
			return err
		}
		if _, err := dev.fetch(); err != nil {
			return err
		}
		if !slices.ContainsFunc(dev.Snapshot().Slots, func(s simulator.SlotState) bool { return s.Active }) {
			return errors.New("the sidecar serves no new handset yet")
		}
		return nil
	})
	if err := stack.Manager.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-created; err != nil {
		t.Fatal(err)
	}

	// What the device was served until then, and what status said: neither may move.
	// With its manager gone, the sidecar serves the last files the manager gave it, and
	// nothing records the fetch: what the device gets now is what it holds until the
	// manager is back.
	servedBefore := map[string]int{} // user -> slot
	if res, err := dev.fetch(); err != nil || (res.StatusCode != http.StatusOK && !res.NotModified) {
		t.Fatalf("fetch with the manager killed: status %d, %v", res.StatusCode, err)
	}
	for _, s := range dev.Snapshot().Slots {
		if s.Active {
			servedBefore[s.UserID] = s.Index
		}
	}
	statusBefore := map[string]int32{} // handset -> slot
	var list dectv1alpha1.HandsetList
	if err := sc.c.List(sc.ctx, &list, client.InNamespace(sc.ns)); err != nil {
		t.Fatal(err)
	}
	for _, h := range list.Items {
		if h.Status.Slot != nil {
			statusBefore[h.Name] = *h.Status.Slot
		}
	}
	t.Logf("manager killed with %d of %d handsets in the served file and %d with a slot in status", len(servedBefore), n, len(statusBefore))

	if err := stack.Manager.Start(); err != nil {
		t.Fatal(err)
	}

	// Every handset ends in one slot, and the device is served all of them.
	sc.waitBase("office", "every handset ready", catchingUp, func(b *dectv1alpha1.DectBase) error {
		if c := b.Status.Handsets; c.Total != n || c.Assigned != n || c.Ready != n {
			return fmt.Errorf("handset counts %+v", c)
		}
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
	})
	dev.fetchUntil("all 100 accounts", settle, func() error {
		active := 0
		for _, s := range dev.Snapshot().Slots {
			if s.Active {
				active++
			}
		}
		if active != n {
			return fmt.Errorf("%d active accounts", active)
		}
		return nil
	})

	onDevice := dev.Snapshot().Slots
	holder := map[int32]string{}
	for _, def := range handsets {
		h := sc.waitHandset(def.Name, "ready in a slot", settle, func(h *dectv1alpha1.Handset) error {
			if h.Status.Slot == nil {
				return errors.New("no slot")
			}
			return hasCondition(h.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
		})
		slot := *h.Status.Slot
		if other, taken := holder[slot]; taken {
			t.Errorf("slot %d is held by %s and by %s in status", slot, other, def.Name)
		}
		holder[slot] = def.Name
		// Nothing lost: the device has the handset's account and IPUI in that slot.
		if s := onDevice[slot]; s.UserID != def.User || s.Password != "pw-shared" || s.Reserved != ipui(def.IPUI) || !s.Active {
			t.Errorf("%s is in slot %d by status, but the device has %+v there", def.Name, slot, s)
		}
		// No slot moved.
		if was, ok := statusBefore[def.Name]; ok && was != slot {
			t.Errorf("%s moved from slot %d (status before the kill) to %d", def.Name, was, slot)
		}
		if was, ok := servedBefore[def.User]; ok && int32(was) != slot {
			t.Errorf("%s (user %s) moved from slot %d (served before the kill) to %d", def.Name, def.User, was, slot)
		}
	}
	// The base's slot table says the same.
	table := sc.base("office").Status.Slots
	for _, s := range table {
		if holder[s.Slot] != s.Handset {
			t.Errorf("status.slots of the base: slot %d held by %s, the handset's status says %q", s.Slot, s.Handset, holder[s.Slot])
		}
	}
	if len(table) != n {
		t.Errorf("status.slots of the base lists %d slots, want %d", len(table), n)
	}
}

// Scenario 5: while the API server is down the device keeps getting its file; once it is
// back, both processes find it by themselves and changes flow again.
func TestAPIServerDown(t *testing.T) {
	sc := begin(t)
	dev := sc.declareExample(nil)
	dev.fetchUntil("the example's three accounts", settle, dev.hasExample)
	sc.waitBase("office", "the delivery recorded", settle, delivered)
	managerPid, serverPid := stack.Manager.Pid(), stack.Server.Pid()

	if err := stack.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	up := false
	t.Cleanup(func() {
		if !up {
			_ = stack.StartAPIServer() // for the tests that follow
		}
	})

	// Spread over a few seconds of outage: a device fresh from the factory gets the whole
	// file, and the device that has it is told that it is current.
	for i := range 5 {
		fresh := sc.newDevice(dev.MAC(), dev.MACID())
		if res, err := fresh.fetch(); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("fetch %d by a new device with the API server down: status %d, %v", i, res.StatusCode, err)
		}
		if err := fresh.hasExample(); err != nil {
			t.Errorf("fetch %d by a new device with the API server down: %v", i, err)
		}
		if res, err := dev.fetch(); err != nil || !res.NotModified {
			t.Errorf("fetch %d by the provisioned device with the API server down: status %d, %v; want 304", i, res.StatusCode, err)
		}
		time.Sleep(time.Second) // lets the outage last; not an assertion
	}

	if err := stack.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	up = true

	// A change goes through the manager and the server to the device, and the server
	// records the delivery again.
	h := &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Name: "hs-1014"}}
	sc.eventually("the API server takes a change", catchingUp, func() error {
		return sc.tryUpdate(h, func() { h.Spec.SIP.DisplayName = "Jürgen Müller" })
	})
	dev.fetchUntil("the new display name", catchingUp, func() error {
		if got := dev.Slot(1).DisplayName; got != "Jürgen Müller" {
			return fmt.Errorf("slot 1 display name %q", got)
		}
		return nil
	})
	sc.waitHandset("hs-1014", "the change delivered", catchingUp, readyAndDelivered(1, example[1].IPUI))

	// The same processes did it: neither was restarted.
	for _, p := range []struct {
		name     string
		pid, now int
		running  bool
	}{
		{"manager", managerPid, stack.Manager.Pid(), stack.Manager.Running()},
		{"server", serverPid, stack.Server.Pid(), stack.Server.Running()},
	} {
		if p.pid != p.now || !p.running {
			t.Errorf("the %s was pid %d, is pid %d, running %v", p.name, p.pid, p.now, p.running)
		}
	}
}

// Scenario 6: a handset's password Secret is deleted, then restored.
func TestPasswordSecretDeleted(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev := sc.declareExample(nil)
	dev.fetchUntil("the example's three accounts", settle, dev.hasExample)
	sc.waitHandset("hs-1014", "delivered", settle, readyAndDelivered(1, example[1].IPUI))
	before := dev.Snapshot().Slots

	sc.delete(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sip-1014"}})

	// The handset reports the problem, as a condition and as an Event; the other
	// handsets do not, and the base stays Ready, naming the handset with the problem.
	sc.waitHandset("hs-1014", "the missing Secret reported", settle, func(h *dectv1alpha1.Handset) error {
		if err := hasCondition(h.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionFalse, dectv1alpha1.ReasonSecretNotFound,
			"sip-1014", "slot 1 keeps its last good settings"); err != nil {
			return err
		}
		if h.Status.Slot == nil || *h.Status.Slot != 1 {
			return fmt.Errorf("status.slot %s, want 1", ptrText(h.Status.Slot))
		}
		return hasCondition(h.Status.Conditions, dectv1alpha1.ConditionStalled, metav1.ConditionTrue, dectv1alpha1.ReasonSecretNotFound)
	})
	sc.waitWarning("hs-1014", dectv1alpha1.ReasonSecretNotFound, "sip-1014")
	for i, h := range example {
		if i != 1 {
			sc.waitHandset(h.Name, "still ready", settle, readyAndDelivered(i, h.IPUI))
		}
	}
	sc.waitBase("office", "ready, naming the problem", settle, func(b *dectv1alpha1.DectBase) error {
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered, "hs-1014: SecretNotFound")
	})

	// The device's settings stay as they were, slot 1's password included.
	sc.fetchCurrentFile(dev, "office")
	if err := sameSlots(before, dev.Snapshot().Slots); err != nil {
		t.Errorf("the device's settings changed after the Secret was deleted:\n%v", err)
	}

	// Restoring the Secret heals the handset.
	sc.create(example[1].Secret(sc.ns))
	sc.waitHandset("hs-1014", "healed", settle, func(h *dectv1alpha1.Handset) error {
		if err := readyAndDelivered(1, example[1].IPUI)(h); err != nil {
			return err
		}
		if hasCondition(h.Status.Conditions, dectv1alpha1.ConditionStalled, metav1.ConditionTrue, dectv1alpha1.ReasonSecretNotFound) == nil {
			return errors.New("still Stalled")
		}
		return nil
	})
	sc.fetchCurrentFile(dev, "office")
	if err := sameSlots(before, dev.Snapshot().Slots); err != nil {
		t.Errorf("the device's settings changed after the Secret was restored as it was:\n%v", err)
	}

	// And the restored Secret is followed again: a new password reaches the device.
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sip-1014"}}
	sc.update(s, func() { s.Data = map[string][]byte{"password": []byte("pw-1014-new")} })
	dev.fetchUntil("the new password in slot 1", settle, func() error {
		if got := dev.Slot(1).Password; got != "pw-1014-new" {
			return fmt.Errorf("slot 1 password %q", got)
		}
		return nil
	})
	if err := sameSlots(before, dev.Snapshot().Slots, 1); err != nil {
		t.Error(err)
	}
}

// Scenario 7: two Handsets claim one IPUI.
func TestTwoHandsetsClaimOneIPUI(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev, before := sc.registeredExample()

	// A second Handset declares the IPUI of hs-1013, in another notation.
	sc.declareHandset("office", handsetDef{Name: "hs-1099", User: "1099", IPUI: "00:ab:c5:08:71"})

	// The newcomer reports the conflict, naming the handset that keeps the IPUI.
	sc.waitHandset("hs-1099", "the conflict reported", settle, func(h *dectv1alpha1.Handset) error {
		if err := hasCondition(h.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionFalse, dectv1alpha1.ReasonDuplicateIPUI, "hs-1013"); err != nil {
			return err
		}
		if h.Status.Slot != nil || h.Status.IPUI != "" {
			return fmt.Errorf("the newcomer holds slot %s with IPUI %q", ptrText(h.Status.Slot), h.Status.IPUI)
		}
		return nil
	})
	sc.waitWarning("hs-1099", dectv1alpha1.ReasonDuplicateIPUI, "hs-1013")
	sc.waitHandset("hs-1013", "still ready in slot 0", settle, readyAndDelivered(0, example[0].IPUI))

	// The first keeps working on the device: same slot, same reservation, still
	// registered well after the device's conflict check; the newcomer got nothing.
	sc.fetchCurrentFile(dev, "office")
	dev.clock.Advance(simulator.ConflictDelay + time.Second)
	after := dev.Snapshot().Slots
	if err := sameSlots(before, after); err != nil {
		t.Errorf("the device's settings changed:\n%v", err)
	}
	for _, s := range after {
		if s.UserID == "1099" || (s.Index != 0 && s.Reserved == ipui(example[0].IPUI)) {
			t.Errorf("slot %d was given to the newcomer: %+v", s.Index, s)
		}
	}
	for _, e := range dev.Events() {
		if e.Kind == simulator.EventHandsetDeregistered {
			t.Errorf("a handset was deregistered: %v", e)
		}
	}
}

// A device that re-checks its file and is told that it has the current one (304) applies
// nothing, so its registration window stays where it was (the simulator's reading of
// Gigaset's description: a window is armed by an applied file). Status must not move
// it either. Not one of the scenarios: it guards scenario 1's window status
// against devices that poll.
func TestRecheckKeepsWindow(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev := sc.declareExample(func(b *dectv1alpha1.DectBase) {
		b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowOnChange, Duration: &metav1.Duration{Duration: time.Hour}}
	})
	dev.fetchUntil("the example's three accounts", settle, dev.hasExample)
	first := sc.waitBase("office", "the delivery recorded", settle, delivered).Status
	onDevice := dev.Window()

	// Delivery times have a resolution of one second, and the server records the same
	// file at most once a second: the re-check comes two seconds later (not an assertion).
	time.Sleep(2 * time.Second)
	if res, err := dev.fetch(); err != nil || !res.NotModified {
		t.Fatalf("re-check: status %d, %v; want 304", res.StatusCode, err)
	}
	if w := dev.Window(); w != onDevice {
		t.Fatalf("the device's window changed on a 304: %+v -> %+v", onDevice, w)
	}

	// Once the reconciler has seen the server's record of the re-check (the Delivered
	// condition names its time), the window in status is still the one of the first
	// fetch. A server that does not record a 304 at all leaves nothing to check.
	var b *dectv1alpha1.DectBase
	deadline := time.Now().Add(settle)
	for b = sc.base("office"); ; b = sc.base("office") {
		d := b.Status.LastDelivery
		if d.Time.After(first.LastDelivery.Time.Time) &&
			hasCondition(b.Status.Conditions, dectv1alpha1.ConditionDelivered, metav1.ConditionTrue, dectv1alpha1.ReasonDelivered, d.Time.UTC().Format(time.RFC3339)) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Logf("the server recorded no delivery for the 304 (last delivery %v): nothing to check", d.Time)
			return
		}
		time.Sleep(pollGap)
	}
	if was, now := first.RegistrationWindow.OpensAt, b.Status.RegistrationWindow.OpensAt; !now.Equal(was) {
		t.Errorf("status.registrationWindow.opensAt moved from %v to %v when the device re-checked its file at %v and was told it is current (304); "+
			"the device's window still opens at %v", was, now, b.Status.LastDelivery.Time, onDevice.OpensAt)
	}
}

// The issue names --kubeconfig as the way to point both subcommands at a cluster, like
// every controller-runtime binary. The harness passes KUBECONFIG instead, so that the
// scenarios run either way; this test checks the flag itself.
func TestSubcommandsAcceptKubeconfigFlag(t *testing.T) {
	// A kubeconfig that does not exist: the command must fail to load it, which proves
	// that the flag reached the loader, without starting a second operator against the
	// shared API server.
	const missing = "/nonexistent/e2e/kubeconfig"
	for _, args := range [][]string{
		{"manager", "--kubeconfig=" + missing, "--metrics-bind-address=0", "--health-probe-bind-address=0"},
		{"serve", "--kubeconfig=" + missing, "--metrics-addr=0", "--probe-addr=0", "--addr=127.0.0.1:0"},
	} {
		t.Run(args[0], func(t *testing.T) {
			out, err := runBinary(t, args...)
			if err == nil {
				t.Fatalf("dect-operator %s exited cleanly with a kubeconfig that does not exist:\n%s", strings.Join(args, " "), out)
			}
			if !strings.Contains(out, missing) {
				t.Errorf("dect-operator %s: want an error about %s, got:\n%s", strings.Join(args, " "), missing, out)
			}
		})
	}
}

// A base pinned to a firmware image served from the server's firmware folder: the device
// downloads it after fetching its file, reports the new version in its User-Agent, and
// the DectBase's status (its Firmware column and condition) shows it.
func TestFirmwarePinnedFromVolume(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev := sc.declareExample(func(b *dectv1alpha1.DectBase) {
		b.Spec.Firmware = &dectv1alpha1.Firmware{Manager: &dectv1alpha1.FirmwareImage{File: firmwareImage}}
	})
	if dev.Firmware() == "70.117.00.000.000" {
		t.Fatal("the simulated device runs the pinned firmware already; the test would prove nothing")
	}
	before := dev.UserAgent()
	res := dev.fetchUntil("the firmware image", settle, func() error {
		if dev.Firmware() != "70.117.00.000.000" {
			return fmt.Errorf("the device runs %s; events %v", dev.Firmware(), dev.Events())
		}
		return nil
	})
	if res.Firmware == nil || res.Firmware.Bytes != int64(len(firmwareBytes())) {
		t.Errorf("firmware download %+v, want the whole %d-byte image", res.Firmware, len(firmwareBytes()))
	}
	if after := dev.UserAgent(); after == before || !strings.Contains(after, "70.117.00.000.000") {
		t.Errorf("User-Agent %q after the update (was %q)", after, before)
	}
	// The device's next fetches report the new version; status shows it.
	dev.fetchUntil("the new firmware in status", settle, func() error {
		var b dectv1alpha1.DectBase
		if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: "office"}, &b); err != nil {
			return err
		}
		if d := b.Status.LastDelivery; d == nil || d.Firmware != "70.117.00.000.000" {
			return fmt.Errorf("lastDelivery %+v", d)
		}
		return nil
	})
	sc.waitBase("office", "the Firmware condition", settle, func(b *dectv1alpha1.DectBase) error {
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionFirmware, metav1.ConditionTrue, dectv1alpha1.ReasonFirmwareAsPinned, "70.117")
	})
}

// GitOps replays, on the real binary: slots stay where they are when all status is
// stripped (a restore), when the DectBase is deleted and applied again, and when the
// namespace is rebuilt from Git with the pins `dect-operator slots export` printed.
func TestGitOpsReplaysKeepSlots(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	mac, macID := sc.declareBase("office", nil)
	layout := map[string]int32{"h1": 0, "h2": 3, "h3": 2, "h4": 1, "h5": 4}
	sc.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: "sip-shared", Labels: testenv.Consumable()}, StringData: map[string]string{"password": "pw"}})
	handset := func(ns, name string, slot *int32) *dectv1alpha1.Handset {
		h := withSecret(handsetDef{Name: name, User: "10" + name[1:]}.Handset(ns, "office"), "sip-shared")
		h.Spec.Slot = slot
		return h
	}
	for name, slot := range layout {
		sc.create(handset(sc.ns, name, &slot))
	}
	slotsAre := func(sc *scenario, what string) {
		sc.t.Helper()
		for name, want := range layout {
			sc.waitHandset(name, what, settle, func(h *dectv1alpha1.Handset) error {
				if h.Status.Slot == nil || *h.Status.Slot != want || h.Status.ObservedGeneration != h.Generation {
					return fmt.Errorf("slot %s, want %d", ptrText(h.Status.Slot), want)
				}
				return hasCondition(h.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
			})
		}
	}
	slotsAre(sc, "pinned")
	for name := range layout {
		h := &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Name: name}}
		sc.update(h, func() { h.Spec.Slot = nil })
	}
	slotsAre(sc, "unpinned")
	dev := sc.newDevice(mac, macID)
	onDevice := func(what string) {
		t.Helper()
		dev.fetchUntil(what, settle, func() error {
			for name, slot := range layout {
				if got := dev.Slot(int(slot)).UserID; got != "10"+name[1:] {
					return fmt.Errorf("slot %d has user %q, want %s's", slot, got, name)
				}
			}
			return nil
		})
	}
	onDevice("the scattered layout on the device")

	// A restore without status: every status stripped.
	// The operator writes status meanwhile: each strip is retried on a conflict.
	strip := func(o client.Object, clear func()) {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: o.GetName()}, o); err != nil {
				return err
			}
			clear()
			return sc.c.Status().Update(sc.ctx, o)
		})
		if err != nil {
			t.Fatalf("stripping the status of %s: %v", o.GetName(), err)
		}
	}
	for name := range layout {
		h := &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Name: name}}
		strip(h, func() { h.Status = dectv1alpha1.HandsetStatus{} })
	}
	b := &dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Name: "office"}}
	strip(b, func() { b.Status = dectv1alpha1.DectBaseStatus{} })
	slotsAre(sc, "after all status was stripped")

	// The DectBase deleted alone (with what the garbage collector takes, which envtest
	// does not run) and applied again.
	sc.delete(&dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Name: "office"}})
	sc.eventually("the base gone", settle, func() error {
		if err := sc.c.Get(sc.ctx, types.NamespacedName{Namespace: sc.ns, Name: "office"}, &dectv1alpha1.DectBase{}); err == nil {
			return errors.New("still there")
		}
		return nil
	})
	sc.delete(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "office-provisioning"}})
	sc.delete(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "office-provisioning-credentials"}})
	for name := range layout {
		sc.waitHandset(name, "waiting for its base", settle, func(h *dectv1alpha1.Handset) error {
			return hasCondition(h.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionFalse, dectv1alpha1.ReasonBaseNotFound)
		})
	}
	sc.create(&dectv1alpha1.DectBase{
		ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: "office"},
		Spec: dectv1alpha1.DectBaseSpec{
			MACAddress:   mac,
			SIP:          &dectv1alpha1.SIPProvider{Domain: "pbx.example.com"},
			Provisioning: dectv1alpha1.Provisioning{AuthSecretRef: &dectv1alpha1.LocalObjectReference{Name: "office-device-auth"}},
		},
	})
	slotsAre(sc, "after the base was re-created")
	onDevice("the same layout on the device after the base was re-created")

	// The namespace rebuilt from Git, with the pins written back by slots export.
	out, err := runBinary(t, "slots", "export", "-n", sc.ns, "--base", "office", "--kubeconfig", stack.Kubeconfig)
	if err != nil {
		t.Fatalf("slots export: %v\n%s", err, out)
	}
	t.Logf("dect-operator slots export -n %s --base office:\n%s", sc.ns, out)
	pins := map[string]int32{}
	for _, doc := range strings.Split(out, "\n---\n") {
		var p struct {
			Metadata struct{ Name string }
			Spec     struct{ Slot int32 }
		}
		if err := yaml.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatalf("export output: %v", err)
		}
		pins[p.Metadata.Name] = p.Spec.Slot
	}
	rebuilt := begin(t)
	rebuilt.declareBase("office", nil)
	rebuilt.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: rebuilt.ns, Name: "sip-shared", Labels: testenv.Consumable()}, StringData: map[string]string{"password": "pw"}})
	for _, name := range []string{"h5", "h4", "h3", "h2", "h1"} {
		slot := pins[name]
		rebuilt.create(handset(rebuilt.ns, name, &slot))
	}
	slotsAre(rebuilt, "in the namespace rebuilt from Git")
}
