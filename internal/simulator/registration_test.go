package simulator

import (
	"errors"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/fakeclock"
)

const (
	ipuiA = "00ABC50871" // Gigaset's sample handsets
	ipuiB = "00ABB84A08"
	ipuiC = "0123456789"
)

// openWith applies a file reserving slot i for ipuis[i] at the clock's time and moves
// the clock to the moment the window opens.
func openWith(t *testing.T, d *Device, clock *fakeclock.Clock, extra []string, ipuis ...string) {
	t.Helper()
	var lines []string
	for i, id := range ipuis {
		lines = append(lines, concat(account(i, "10"+id[8:], "Handset "+id[8:]), []string{reserve(i, id)})...)
	}
	mustApply(t, d, doc(append(lines, extra...)...))
	clock.Advance(OpeningDelay)
	if w := d.Window(); w.Phase != WindowOpen {
		t.Fatalf("window %+v, want it open %s after the file", w, OpeningDelay)
	}
}

func TestWindowOpensNoEarlierThanDelay(t *testing.T) {
	tests := []struct {
		name      string
		start     time.Time // zero = Unix 0, the factory value
		wantOpens time.Time
	}{
		{"start long past", time.Time{}, t0.Add(OpeningDelay)},
		{"start just past", t0.Add(-time.Hour), t0.Add(OpeningDelay)},
		{"start within the delay", t0.Add(10 * time.Second), t0.Add(OpeningDelay)},
		{"start later", t0.Add(2 * time.Hour), t0.Add(2 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, clock := newTestDevice(t)
			mustApply(t, d, doc(concat(window(tt.start, 0), []string{reserve(0, ipuiA)})...))

			w := d.Window()
			if w.Phase != WindowWaiting || !w.OpensAt.Equal(tt.wantOpens) || !w.ClosesAt.IsZero() || !w.ArmedAt.Equal(t0) {
				t.Fatalf("window %+v, want Waiting, opening %v, no end", w, tt.wantOpens)
			}
			clock.Set(tt.wantOpens.Add(-time.Second))
			if err := d.Register(ipuiA, ""); !errors.Is(err, ErrWindowNotOpen) {
				t.Fatalf("Register 1 s before the window: %v, want %v", err, ErrWindowNotOpen)
			}
			clock.Set(tt.wantOpens)
			if err := d.Register(ipuiA, ""); err != nil {
				t.Fatalf("Register when the window opens: %v", err)
			}
			opened := eventsOf(d, EventWindowOpened)
			if len(opened) != 1 || !opened[0].Time.Equal(tt.wantOpens) {
				t.Errorf("window opened events %v, want one at %v", opened, tt.wantOpens)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	type attempt struct {
		ipui, pin string
		want      error
	}
	tests := []struct {
		name     string
		extra    []string // items besides the reservations of A (slot 0) and B (slot 1)
		attempts []attempt
	}{
		{
			name:     "PIN 0000 asks for no PIN",
			attempts: []attempt{{ipuiA, "", nil}, {ipuiB, "4711", nil}},
		},
		{
			name:  "user-defined PIN",
			extra: []string{item("BS_CUSTOM.aucKdsPin[%]", "0x00,0x01")},
			attempts: []attempt{
				{ipuiA, "", ErrWrongPIN},
				{ipuiA, "0000", ErrWrongPIN},
				{ipuiA, "0001", nil},
			},
		},
		{
			name:     "only reserved IPUIs",
			attempts: []attempt{{ipuiC, "", ErrNotReserved}, {ipuiA, "", nil}},
		},
		{
			name:     "any common notation",
			attempts: []attempt{{"00 ab c5 08 71", "", nil}, {"00:AB:B8:4A:08", "", nil}},
		},
		{
			name:     "invalid IPUIs",
			attempts: []attempt{{"00ABC5087", "", ErrInvalidIPUI}, {"FFFFFFFFFF", "", ErrInvalidIPUI}, {"00ABC5087G", "", ErrInvalidIPUI}},
		},
		{
			name:     "a registered handset cannot register again",
			attempts: []attempt{{ipuiA, "", nil}, {ipuiA, "", ErrAlreadyRegistered}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, clock := newTestDevice(t)
			openWith(t, d, clock, tt.extra, ipuiA, ipuiB)
			for _, a := range tt.attempts {
				if err := d.Register(a.ipui, a.pin); !errors.Is(err, a.want) || (a.want == nil && err != nil) {
					t.Errorf("Register(%q, %q) = %v, want %v", a.ipui, a.pin, err, a.want)
				}
			}
			refused := 0
			for _, a := range tt.attempts {
				if a.want != nil {
					refused++
				}
			}
			if got := len(eventsOf(d, EventRegistrationRefused)); got != refused {
				t.Errorf("%d refusals logged, want %d", got, refused)
			}
		})
	}
}

func TestRegisterInReservedSlot(t *testing.T) {
	d, clock := newTestDevice(t)
	mustApply(t, d, doc(reserve(7, ipuiA), reserve(42, ipuiB)))
	clock.Advance(OpeningDelay)
	for _, tc := range []struct {
		ipui string
		slot int
	}{{ipuiB, 42}, {ipuiA, 7}} {
		if err := d.Register(tc.ipui, ""); err != nil {
			t.Fatal(err)
		}
		if got := d.Slot(tc.slot).Registered; got != mustIPUI(t, tc.ipui) {
			t.Errorf("slot %d registered %s, want %s", tc.slot, got, tc.ipui)
		}
	}
}

func TestRandomPIN(t *testing.T) {
	d, clock := newTestDevice(t)
	mustApply(t, d, doc(reserve(0, ipuiA), item("BS_CUSTOM.bit.UseRandomRegistrationPIN", "1")))
	if _, ok := d.RandomPIN(); ok {
		t.Error("a random PIN exists before the window opened")
	}
	clock.Advance(OpeningDelay)
	pin, ok := d.RandomPIN()
	if !ok || len(pin) != 4 || pin == FactoryPIN {
		t.Fatalf("RandomPIN() = %q, %v", pin, ok)
	}
	other := "1234"
	if pin == other {
		other = "4321"
	}
	for _, wrong := range []string{"", FactoryPIN, other} {
		if err := d.Register(ipuiA, wrong); !errors.Is(err, ErrWrongPIN) {
			t.Errorf("Register with PIN %q: %v, want %v", wrong, err, ErrWrongPIN)
		}
	}
	if err := d.Register(ipuiA, pin); err != nil {
		t.Errorf("Register with the drawn PIN: %v", err)
	}
	if snap := d.Snapshot(); snap.RandomPIN != pin {
		t.Errorf("Snapshot().RandomPIN = %q, want %q", snap.RandomPIN, pin)
	}
}

func TestDrawPINNeverAsksForNone(t *testing.T) {
	seen := map[string]bool{}
	for range 50000 {
		pin := drawPIN()
		if len(pin) != 4 || pin == FactoryPIN || pin < "0000" || pin > "9999" {
			t.Fatalf("drawPIN() = %q", pin)
		}
		seen[pin] = true
	}
	if len(seen) < 1000 {
		t.Errorf("only %d different PINs in 50000 draws", len(seen))
	}
}

func TestWindowClosesEarlyWhenAllRegistered(t *testing.T) {
	d, clock := newTestDevice(t)
	openWith(t, d, clock, window(t0, 24*time.Hour), ipuiA, ipuiB)
	clock.Advance(time.Minute)
	if err := d.Register(ipuiA, ""); err != nil {
		t.Fatal(err)
	}
	if w := d.Window(); w.Phase != WindowOpen {
		t.Fatalf("window %+v closed while B waits", w)
	}
	clock.Advance(time.Minute)
	if err := d.Register(ipuiB, ""); err != nil {
		t.Fatal(err)
	}
	w := d.Window()
	if w.Phase != WindowClosed || w.Reason != WindowReasonAllRegistered || !w.ClosedAt.Equal(clock.Now()) {
		t.Errorf("window %+v, want closed now because every reserved handset registered", w)
	}
}

func TestWindowClosesAtEnd(t *testing.T) {
	d, clock := newTestDevice(t)
	start, duration := t0.Add(time.Minute), 10*time.Minute
	mustApply(t, d, doc(concat(window(start, duration), []string{reserve(0, ipuiA), reserve(1, ipuiB)})...))
	end := start.Add(duration)
	if w := d.Window(); !w.OpensAt.Equal(start) || !w.ClosesAt.Equal(end) {
		t.Fatalf("window %+v, want %v to %v", w, start, end)
	}

	clock.Set(end.Add(-time.Second))
	if err := d.Register(ipuiA, ""); err != nil {
		t.Fatalf("Register 1 s before the end: %v", err)
	}
	clock.Set(end.Add(time.Hour)) // jump well past the end
	if err := d.Register(ipuiB, ""); !errors.Is(err, ErrWindowNotOpen) {
		t.Errorf("Register after the end: %v, want %v", err, ErrWindowNotOpen)
	}
	w := d.Window()
	if w.Phase != WindowClosed || w.Reason != WindowReasonEnded || !w.ClosedAt.Equal(end) {
		t.Errorf("window %+v, want closed at its end %v", w, end)
	}
	if ev := eventsOf(d, EventWindowClosed); len(ev) != 1 || !ev[0].Time.Equal(end) {
		t.Errorf("close events %v, want one stamped %v", ev, end)
	}
}

func TestWindowEndIsAbsolute(t *testing.T) {
	tests := []struct {
		name       string
		start      time.Time
		duration   time.Duration
		wantPhase  WindowPhase
		wantCloses time.Time
	}{
		{"end after the delay", t0.Add(-10 * time.Second), time.Minute, WindowWaiting, t0.Add(50 * time.Second)},
		{"end within the delay", t0.Add(-10 * time.Second), 20 * time.Second, WindowClosed, t0.Add(10 * time.Second)},
		{"end long past", t0.Add(-2 * time.Hour), time.Hour, WindowClosed, t0.Add(-time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, clock := newTestDevice(t)
			mustApply(t, d, doc(concat(window(tt.start, tt.duration), []string{reserve(0, ipuiA)})...))
			w := d.Window()
			if w.Phase != tt.wantPhase || !w.ClosesAt.Equal(tt.wantCloses) {
				t.Errorf("window %+v, want %s closing %v", w, tt.wantPhase, tt.wantCloses)
			}
			if tt.wantPhase == WindowClosed && w.Reason != WindowReasonEndedEarly {
				t.Errorf("reason %q, want %q", w.Reason, WindowReasonEndedEarly)
			}
			clock.Advance(OpeningDelay)
			err := d.Register(ipuiA, "")
			if (tt.wantPhase == WindowWaiting) != (err == nil) {
				t.Errorf("Register at the opening: %v", err)
			}
		})
	}
}

func TestNoWindowWhenNoneWaiting(t *testing.T) {
	d, clock := newTestDevice(t)
	mustApply(t, d, doc(account(0, "1013", "Anna")...))
	if w := d.Window(); w.Phase != WindowClosed || w.Reason != WindowReasonNoneWaiting {
		t.Errorf("window %+v, want none: no handset is reserved", w)
	}

	// Every reserved handset registered, then the same file again: nobody waits.
	openWith(t, d, clock, nil, ipuiA)
	if err := d.Register(ipuiA, ""); err != nil {
		t.Fatal(err)
	}
	mustApply(t, d, doc(concat(account(0, "10"+ipuiA[8:], "Handset "+ipuiA[8:]), []string{reserve(0, ipuiA)})...))
	clock.Advance(time.Hour)
	if w := d.Window(); w.Phase != WindowClosed || w.Reason != WindowReasonNoneWaiting {
		t.Errorf("window %+v, want none", w)
	}
	if got := len(eventsOf(d, EventWindowOpened)); got != 1 {
		t.Errorf("%d windows opened, want only the one for A", got)
	}
	if d.Slot(0).Registered != mustIPUI(t, ipuiA) {
		t.Error("A lost its registration")
	}
}

func TestPermanentWindowStaysOpenWhileWaiting(t *testing.T) {
	d, clock := newTestDevice(t)
	openWith(t, d, clock, nil, ipuiA)
	clock.Advance(30 * 24 * time.Hour)
	if err := d.Register(ipuiA, ""); err != nil {
		t.Fatalf("Register after 30 days: %v", err)
	}
}

// TestReplaceHandset is the IPUI replacement story: a broken handset's slot gets a new
// IPUI; the old handset is dropped 15 s after the file, the new one registers in the
// same slot, with the same SIP account, once the window opens.
func TestReplaceHandset(t *testing.T) {
	d, clock := newTestDevice(t)
	openWith(t, d, clock, nil, ipuiC, ipuiA) // slot 0: C, slot 1: A
	for _, id := range []string{ipuiC, ipuiA} {
		if err := d.Register(id, ""); err != nil {
			t.Fatal(err)
		}
	}
	account1 := d.Slot(1)

	clock.Advance(time.Hour)
	replacedAt := clock.Now()
	mustApply(t, d, doc(reserve(1, ipuiB))) // only the reservation of slot 1 changes
	if w := d.Window(); w.Phase != WindowWaiting || !w.OpensAt.Equal(replacedAt.Add(OpeningDelay)) {
		t.Fatalf("window %+v, want Waiting for B", w)
	}

	clock.Set(replacedAt.Add(ConflictDelay - time.Second))
	if got := d.Slot(1).Registered; got != mustIPUI(t, ipuiA) {
		t.Fatalf("slot 1 registered %s before the conflict delay, want A", got)
	}
	clock.Set(replacedAt.Add(ConflictDelay))
	if got := d.Slot(1).Registered; !got.IsNone() {
		t.Fatalf("slot 1 registered %s after the conflict delay, want none", got)
	}
	dropped := eventsOf(d, EventHandsetDeregistered)
	if len(dropped) != 1 || dropped[0].Slot != 1 || dropped[0].IPUI != mustIPUI(t, ipuiA) || !dropped[0].Time.Equal(replacedAt.Add(ConflictDelay)) {
		t.Errorf("deregistrations %v, want A from slot 1 at +15 s", dropped)
	}
	if got := d.Slot(0).Registered; got != mustIPUI(t, ipuiC) {
		t.Errorf("slot 0 registered %s, want C untouched", got)
	}

	clock.Set(replacedAt.Add(OpeningDelay - time.Second))
	if err := d.Register(ipuiB, ""); !errors.Is(err, ErrWindowNotOpen) {
		t.Errorf("B before the window: %v", err)
	}
	clock.Set(replacedAt.Add(OpeningDelay))
	if err := d.Register(ipuiA, ""); !errors.Is(err, ErrNotReserved) {
		t.Errorf("old handset A: %v, want %v", err, ErrNotReserved)
	}
	if err := d.Register(ipuiB, ""); err != nil {
		t.Fatalf("new handset B: %v", err)
	}

	got := d.Slot(1)
	want := account1
	want.Reserved, want.Registered = mustIPUI(t, ipuiB), mustIPUI(t, ipuiB)
	if got != want {
		t.Errorf("slot 1 after the replacement:\n got %+v\nwant %+v (same account, new handset)", got, want)
	}
	if w := d.Window(); w.Phase != WindowClosed || w.Reason != WindowReasonAllRegistered {
		t.Errorf("window %+v, want closed once B registered", w)
	}
}

func TestMoveHandsetToAnotherSlot(t *testing.T) {
	d, clock := newTestDevice(t)
	openWith(t, d, clock, nil, ipuiA)
	if err := d.Register(ipuiA, ""); err != nil {
		t.Fatal(err)
	}
	mustApply(t, d, doc(concat(freedSlot(0), account(2, "1013", "Anna"), []string{reserve(2, ipuiA)})...))
	clock.Advance(ConflictDelay)
	if err := d.Register(ipuiA, ""); !errors.Is(err, ErrWindowNotOpen) {
		t.Errorf("Register between deregistration and opening: %v", err)
	}
	clock.Advance(OpeningDelay - ConflictDelay)
	if err := d.Register(ipuiA, ""); err != nil {
		t.Fatal(err)
	}
	if d.Slot(0).Registered != NoIPUI || d.Slot(2).Registered != mustIPUI(t, ipuiA) {
		t.Errorf("slot 0 %s, slot 2 %s: want A moved to slot 2", d.Slot(0).Registered, d.Slot(2).Registered)
	}
}

// A second file within 15 s is what the conflict check sees: if it restores the old
// reservation, nobody is dropped.
func TestConflictCheckUsesNewestFile(t *testing.T) {
	d, clock := newTestDevice(t)
	openWith(t, d, clock, nil, ipuiA)
	if err := d.Register(ipuiA, ""); err != nil {
		t.Fatal(err)
	}
	mustApply(t, d, doc(reserve(0, ipuiB)))
	clock.Advance(10 * time.Second)
	mustApply(t, d, doc(reserve(0, ipuiA)))
	clock.Advance(time.Minute)
	if got := d.Slot(0).Registered; got != mustIPUI(t, ipuiA) {
		t.Errorf("slot 0 registered %s, want A kept", got)
	}
	if ev := eventsOf(d, EventHandsetDeregistered); len(ev) != 0 {
		t.Errorf("deregistrations %v, want none", ev)
	}
}

func TestNewFileRearmsOpenWindow(t *testing.T) {
	d, clock := newTestDevice(t)
	openWith(t, d, clock, nil, ipuiA, ipuiB)
	if err := d.Register(ipuiA, ""); err != nil {
		t.Fatal(err)
	}
	mustApply(t, d, doc(reserve(1, ipuiB)))
	if w := d.Window(); w.Phase != WindowWaiting {
		t.Errorf("window %+v after a new file, want Waiting", w)
	}
	closed := eventsOf(d, EventWindowClosed)
	if len(closed) != 1 || closed[0].Detail != WindowReasonNewFile {
		t.Errorf("close events %v", closed)
	}
	if err := d.Register(ipuiB, ""); !errors.Is(err, ErrWindowNotOpen) {
		t.Errorf("Register during the new delay: %v", err)
	}
	clock.Advance(OpeningDelay)
	if err := d.Register(ipuiB, ""); err != nil {
		t.Errorf("Register after the new delay: %v", err)
	}
}

func TestStepAdvancesToNow(t *testing.T) {
	d, clock := newTestDevice(t)
	mustApply(t, d, doc(reserve(0, ipuiA)))
	clock.Advance(OpeningDelay)
	d.Step()
	// Read the log without the accessor, which would advance the device itself.
	d.mu.Lock()
	events := d.events.list()
	d.mu.Unlock()
	if last := events[len(events)-1]; last.Kind != EventWindowOpened {
		t.Errorf("last event after Step: %v, want the window opened", last)
	}
}

// TestScheduledWindowUnderEverySpelling: a window scheduled an hour ahead keeps a
// reserved handset out until it opens, and lets it in then, whether the file writes
// the window with the operator's default IDs or with those of its first release. The
// factory window (start 0, duration 0) is always open, so a device that ignored the
// items would let the handset in at once and fail the first check.
func TestScheduledWindowUnderEverySpelling(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window func(time.Time, time.Duration) []string
	}{
		{"default IDs", window},
		{"first release IDs", firstReleaseWindow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, clock := newTestDevice(t)
			opens := t0.Add(time.Hour)
			mustApply(t, d, doc(concat(tc.window(opens, 10*time.Minute), []string{reserve(0, ipuiA), reserve(1, ipuiB)})...))
			clock.Advance(OpeningDelay)
			if err := d.Register(ipuiA, ""); !errors.Is(err, ErrWindowNotOpen) {
				t.Fatalf("Register before the scheduled start: %v, want %v", err, ErrWindowNotOpen)
			}
			clock.Set(opens)
			for slot, id := range []string{ipuiA, ipuiB} {
				if err := d.Register(id, ""); err != nil {
					t.Fatalf("Register %s when the window opens: %v", id, err)
				}
				if got := d.Slot(slot).Registered; got != mustIPUI(t, id) {
					t.Errorf("slot %d registered %s, want %s", slot, got, id)
				}
			}
			if w := d.Window(); w.Phase != WindowClosed || w.Reason != WindowReasonAllRegistered {
				t.Errorf("window %+v, want closed because every reserved handset registered", w)
			}
		})
	}
}
