package simulator

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The delays Gigaset documents after a file is downloaded.
const (
	// OpeningDelay: the window opens no earlier than this after a file was applied.
	OpeningDelay = 30 * time.Second
	// ConflictDelay: handsets that conflict with the new reservations are deregistered
	// this long after a file was applied.
	ConflictDelay = 15 * time.Second
)

// WindowPhase is where the IPUI registration window stands.
type WindowPhase int

const (
	// WindowClosed: no window is open or scheduled; Reason says why.
	WindowClosed WindowPhase = iota
	// WindowWaiting: a window is scheduled to open at OpensAt.
	WindowWaiting
	// WindowOpen: reserved handsets can register now.
	WindowOpen
)

func (p WindowPhase) String() string {
	switch p {
	case WindowClosed:
		return "Closed"
	case WindowWaiting:
		return "Waiting"
	case WindowOpen:
		return "Open"
	}
	return fmt.Sprintf("WindowPhase(%d)", int(p))
}

// WindowState is the registration window as the device sees it.
type WindowState struct {
	Phase WindowPhase
	// ArmedAt is when the last applied file armed the window; zero before any file.
	ArmedAt time.Time
	// OpensAt is when the window opens (Waiting) or opened (Open, and Closed after it
	// was open); zero if it never opened.
	OpensAt time.Time
	// ClosesAt is the scheduled end; zero for a window without end (duration 0).
	ClosesAt time.Time
	// ClosedAt is when the window closed or was found not to open (Closed).
	ClosedAt time.Time
	// Reason says why the window is closed.
	Reason string
}

// Reasons a window is closed, as WindowState.Reason.
const (
	WindowReasonNoFile        = "no file applied yet"
	WindowReasonNoneWaiting   = "no reserved handset is waiting"
	WindowReasonAllRegistered = "every reserved handset has registered"
	WindowReasonEnded         = "the window's end was reached"
	WindowReasonEndedEarly    = "the window ends before the opening delay is over"
	WindowReasonNewFile       = "a new file was applied; the window reopens after the opening delay"
)

// registration is the runtime side of IPUI pre-registration.
type registration struct {
	window    WindowState
	dropAt    time.Time // when conflicting handsets are deregistered; zero = nothing due
	randomPIN string    // drawn when the window opens in random PIN mode
}

func factoryRegistration() registration {
	return registration{window: WindowState{Phase: WindowClosed, Reason: WindowReasonNoFile}}
}

// Errors returned by Register.
var (
	ErrInvalidIPUI       = errors.New("simulator: invalid IPUI")
	ErrAlreadyRegistered = errors.New("simulator: handset already registered")
	ErrWindowNotOpen     = errors.New("simulator: registration window not open")
	ErrNotReserved       = errors.New("simulator: IPUI not reserved in any slot")
	ErrSlotOccupied      = errors.New("simulator: another handset is registered in the reserved slot")
	ErrWrongPIN          = errors.New("simulator: wrong registration PIN")
)

// Window returns the registration window at the clock's current time.
func (d *Device) Window() WindowState {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.advance(d.clock.Now())
	return d.reg.window
}

// RandomPIN returns the PIN the device drew for the current window in random PIN mode.
// ok is false when random PIN mode is off or no window has opened since it was set.
func (d *Device) RandomPIN() (pin string, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.advance(d.clock.Now())
	if !d.db.reg.RandomPIN || d.reg.randomPIN == "" {
		return "", false
	}
	return d.reg.randomPIN, true
}

// Register is a handset with the given IPUI (any common notation) trying to register
// with pin (the digits its user typed; ignored when no PIN is asked). It succeeds only
// while the window is open, for an IPUI reserved in some slot, with the right PIN, and
// if the handset is not registered already. A refusal is logged as an event too.
func (d *Device) Register(ipui, pin string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.advance(now)

	id, err := ParseIPUI(ipui)
	if err != nil || id.IsNone() {
		return d.refuse(now, -1, NoIPUI, fmt.Errorf("%w: %q", ErrInvalidIPUI, ipui))
	}
	if slot := d.db.registeredSlot(id); slot >= 0 {
		return d.refuse(now, slot, id, fmt.Errorf("%w in slot %d", ErrAlreadyRegistered, slot))
	}
	if d.reg.window.Phase != WindowOpen {
		return d.refuse(now, -1, id, fmt.Errorf("%w (%s)", ErrWindowNotOpen, d.reg.window.Phase))
	}
	slot := d.db.reservedSlot(id)
	if slot < 0 {
		return d.refuse(now, -1, id, ErrNotReserved)
	}
	if other := d.db.slots[slot].Registered; !other.IsNone() {
		return d.refuse(now, slot, id, fmt.Errorf("%w: %s", ErrSlotOccupied, other))
	}
	if !d.pinAccepted(pin) {
		return d.refuse(now, slot, id, ErrWrongPIN)
	}

	d.db.slots[slot].Registered = id
	d.events.add(handsetEvent(now, EventHandsetRegistered, slot, id, ""))
	if d.db.waitingCount() == 0 {
		d.closeWindow(now, WindowReasonAllRegistered)
	}
	return nil
}

func (d *Device) refuse(now time.Time, slot int, id IPUI, err error) error {
	d.events.add(handsetEvent(now, EventRegistrationRefused, slot, id, "%s", strings.TrimPrefix(err.Error(), "simulator: ")))
	return err
}

// pinAccepted checks the PIN a handset's user typed. With the user-defined PIN 0000 the
// handset asks for none, so anything is accepted; in random PIN mode only the PIN the
// device drew is.
func (d *Device) pinAccepted(pin string) bool {
	if d.db.reg.RandomPIN {
		return d.reg.randomPIN != "" && pin == d.reg.randomPIN
	}
	return d.db.reg.PIN == FactoryPIN || pin == d.db.reg.PIN
}

// arm schedules what follows a file applied at t: the conflict check at t+15 s and the
// window, which opens at its start but no earlier than t+30 s and ends at start +
// duration (see the package doc for why the end is absolute).
func (d *Device) arm(t time.Time) {
	if d.reg.window.Phase == WindowOpen {
		d.closeWindow(t, WindowReasonNewFile)
	}
	d.reg.dropAt = t.Add(ConflictDelay)

	start := time.Unix(int64(d.db.reg.Start), 0)
	opens := t.Add(OpeningDelay)
	if start.After(opens) {
		opens = start
	}
	var closes time.Time
	if d.db.reg.Duration > 0 {
		closes = start.Add(time.Duration(d.db.reg.Duration) * time.Second)
	}

	w := WindowState{ArmedAt: t, OpensAt: opens, ClosesAt: closes}
	switch {
	case !closes.IsZero() && !closes.After(opens):
		w = WindowState{Phase: WindowClosed, ArmedAt: t, ClosesAt: closes, ClosedAt: t, Reason: WindowReasonEndedEarly}
		d.events.add(newEvent(t, EventWindowNotOpened, "%s (ends %s)", w.Reason, closes.Format(time.DateTime)))
	case d.db.waitingCount() == 0:
		w = WindowState{Phase: WindowClosed, ArmedAt: t, ClosedAt: t, Reason: WindowReasonNoneWaiting}
		d.events.add(newEvent(t, EventWindowNotOpened, "%s", w.Reason))
	default:
		w.Phase = WindowWaiting
		d.events.add(newEvent(t, EventWindowScheduled, "opens %s, %s", opens.Format(time.DateTime), endText(closes)))
	}
	d.reg.window = w
}

// advance performs every transition due up to now, in time order, each stamped with
// the time it was due rather than the time it was noticed.
func (d *Device) advance(now time.Time) {
	for {
		at, do := d.nextTransition()
		if do == nil || at.After(now) {
			return
		}
		do(at)
	}
}

// nextTransition returns the earliest pending transition, or nil. Each transition
// clears its own trigger, so advance always terminates.
func (d *Device) nextTransition() (time.Time, func(time.Time)) {
	var (
		at time.Time
		do func(time.Time)
	)
	consider := func(t time.Time, f func(time.Time)) {
		if !t.IsZero() && (do == nil || t.Before(at)) {
			at, do = t, f
		}
	}
	consider(d.reg.dropAt, d.dropConflicts)
	switch w := d.reg.window; w.Phase {
	case WindowWaiting:
		consider(w.OpensAt, d.openWindow)
	case WindowOpen:
		consider(w.ClosesAt, func(t time.Time) { d.closeWindow(t, WindowReasonEnded) })
	}
	return at, do
}

// dropConflicts deregisters every handset registered in a slot that does not reserve it.
func (d *Device) dropConflicts(t time.Time) {
	d.reg.dropAt = time.Time{}
	for i := range d.db.slots {
		s := &d.db.slots[i]
		if s.Registered.IsNone() || s.Registered == s.Reserved {
			continue
		}
		reason := "slot reserves no handset"
		if !s.Reserved.IsNone() {
			reason = "slot now reserves " + s.Reserved.String()
		}
		d.events.add(handsetEvent(t, EventHandsetDeregistered, i, s.Registered, "%s", reason))
		s.Registered = NoIPUI
	}
}

func (d *Device) openWindow(t time.Time) {
	// arm already opens no window when nobody waits, and nothing between arming and
	// opening can end a wait today; the device's rule is still checked where it
	// applies, so that a later way to change registrations cannot open a useless window.
	if d.db.waitingCount() == 0 {
		d.reg.window.Phase = WindowClosed
		d.reg.window.OpensAt = time.Time{}
		d.reg.window.ClosedAt, d.reg.window.Reason = t, WindowReasonNoneWaiting
		d.events.add(newEvent(t, EventWindowNotOpened, "%s", WindowReasonNoneWaiting))
		return
	}
	d.reg.window.Phase = WindowOpen
	d.reg.randomPIN = ""
	detail := endText(d.reg.window.ClosesAt)
	if d.db.reg.RandomPIN {
		d.reg.randomPIN = d.drawPINFn()
		detail += ", random PIN " + d.reg.randomPIN
	}
	d.events.add(newEvent(t, EventWindowOpened, "%s, %d handsets waiting", detail, d.db.waitingCount()))
}

func (d *Device) closeWindow(t time.Time, reason string) {
	d.reg.window.Phase = WindowClosed
	d.reg.window.ClosedAt, d.reg.window.Reason = t, reason
	d.events.add(newEvent(t, EventWindowClosed, "%s", reason))
}

func endText(closes time.Time) string {
	if closes.IsZero() {
		return "no end while handsets wait"
	}
	return "closes " + closes.Format(time.DateTime)
}

// drawPIN draws a random registration PIN. It is never 0000, which would mean that no
// PIN is asked. The PIN gates a simulated handset, so it needs no cryptographic source.
func drawPIN() string {
	return fmt.Sprintf("%04d", 1+rand.IntN(9999))
}
