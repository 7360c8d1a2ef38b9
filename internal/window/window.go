// Package window computes the IPUI registration window of a base: what to write into the
// device's file (Plan), and where the window stands given when the device fetched it
// (Observe).
//
// The device's own rules (Gigaset's description, not observed on hardware): the window
// opens at its start, but never earlier than 30 seconds after the device downloaded the
// file; it stays open until start+duration, or for good when the duration is 0; it closes
// early once every reserved handset has registered; and it does not open at all while no
// reserved handset is waiting.
package window

import (
	"fmt"
	"time"
)

// OpenDelay is how long after a download the device opens a window at the earliest.
const OpenDelay = 30 * time.Second

// Mode selects when the window opens; the names match the API's.
type Mode string

const (
	Always    Mode = "Always"
	Scheduled Mode = "Scheduled"
	OnChange  Mode = "OnChange"
)

// Window is what the file says: start (Unix seconds) and duration (seconds, 0 = open for
// good). The zero Window is the device's default, always open.
type Window struct {
	Start    int64
	Duration int64
}

// Request is everything that decides the window to write.
type Request struct {
	Mode     Mode
	Start    time.Time     // Scheduled only
	Duration time.Duration // Scheduled and OnChange
	// Previous is the window of the stored file, if there is one.
	Previous *Window
	// ReservationsChanged is true when the set of reserved IPUIs differs from the stored
	// file's (or there is no stored file).
	ReservationsChanged bool
	// ReopenedAt is when a person last asked for a new window, or zero.
	ReopenedAt time.Time
	Now        time.Time
}

// Plan returns the window to write. It is a pure function of its inputs and of the stored
// file, so that the same declaration renders the same bytes until something changes.
func Plan(r Request) Window {
	seconds := int64(r.Duration / time.Second)
	switch r.Mode {
	case Scheduled:
		start := r.Start
		if r.ReopenedAt.After(start) {
			start = r.ReopenedAt
		}
		return Window{Start: start.Unix(), Duration: seconds}
	case OnChange:
		if r.ReservationsChanged || r.Previous == nil || r.Previous.Duration == 0 {
			return Window{Start: r.Now.Unix(), Duration: seconds}
		}
		start := r.Previous.Start
		if !r.ReopenedAt.IsZero() && r.ReopenedAt.Unix() > start {
			start = r.ReopenedAt.Unix()
		}
		return Window{Start: start, Duration: seconds}
	default:
		return Window{}
	}
}

// State is where a window stands; the names match the API's.
type State string

const (
	StateScheduled State = "Scheduled"
	StateOpen      State = "Open"
	StateClosed    State = "Closed"
	StateIdle      State = "Idle"
)

// Status is the observed state of a window.
type Status struct {
	State State
	// OpensAt is when the device opens (or opened) the window; nil while it is not known
	// (the device has not fetched the file yet) or the window never opens.
	OpensAt *time.Time
	// ClosesAt is when the window ends at the latest; nil when it is open for good.
	ClosesAt *time.Time
	// Next is the next moment the state changes by the clock alone, or zero.
	Next    time.Time
	Message string
}

// ManualRegistrationBlocked is the cost of an open window, said wherever one is open:
// Gigaset's IPUI FAQ says manual registration works only while IPUI registration is
// off, and a production template that sent the window items was reverted because it
// "rendered handset registration impossible" (docs/device.md).
const ManualRegistrationBlocked = "Until it closes, handsets cannot be registered by hand in the device's web UI"

// Observe says where window w stands at now. reserved tells whether any handset of the
// base has an IPUI reservation; fetchedAt is when the device fetched a file that holds w,
// or nil when it has not yet.
func Observe(w Window, reserved bool, fetchedAt *time.Time, now time.Time) Status {
	if !reserved {
		return Status{State: StateIdle, Message: "no handset has an IPUI reservation, so the device opens no registration window"}
	}
	var closes *time.Time
	if w.Duration > 0 {
		c := time.Unix(w.Start+w.Duration, 0).UTC()
		closes = &c
	}
	if closes != nil && !now.Before(*closes) {
		return Status{State: StateClosed, ClosesAt: closes, Message: fmt.Sprintf("the window ended at %s; reopen it to register more handsets", closes.Format(time.RFC3339))}
	}
	if fetchedAt == nil {
		st := Status{State: StateScheduled, ClosesAt: closes, Message: "the window opens 30 seconds after the device fetches its file"}
		if closes != nil {
			st.Next = *closes
			st.Message += fmt.Sprintf(", which it must do before %s", closes.Format(time.RFC3339))
		}
		return st
	}
	opens := fetchedAt.Add(OpenDelay).UTC()
	if start := time.Unix(w.Start, 0).UTC(); w.Duration > 0 && start.After(opens) {
		opens = start
	}
	if closes != nil && !opens.Before(*closes) {
		return Status{State: StateClosed, ClosesAt: closes, Message: "the device fetched its file too late to open the window; reopen it to register more handsets"}
	}
	if now.Before(opens) {
		return Status{State: StateScheduled, OpensAt: &opens, ClosesAt: closes, Next: opens,
			Message: fmt.Sprintf("the window opens at %s", opens.Format(time.RFC3339))}
	}
	st := Status{State: StateOpen, OpensAt: &opens, ClosesAt: closes,
		Message: "reserved handsets can register now; the device closes the window early once all of them have. " + ManualRegistrationBlocked}
	if closes != nil {
		st.Next = *closes
	}
	return st
}
