package simulator

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// EventKind says what happened on the device.
type EventKind int

const (
	// EventFetched: a download got an HTTP answer (200, 304 or 404).
	EventFetched EventKind = iota
	// EventFetchFailed: a download got no usable answer (network, authentication,
	// unexpected status).
	EventFetchFailed
	// EventFileIgnored: the device ignored a whole file; Detail says why.
	EventFileIgnored
	// EventFileApplied: a file was applied; Detail counts its items.
	EventFileApplied
	// EventWindowScheduled: an applied file armed the registration window.
	EventWindowScheduled
	// EventWindowNotOpened: an applied file armed no window; Detail says why.
	EventWindowNotOpened
	// EventWindowOpened: reserved handsets can register now.
	EventWindowOpened
	// EventWindowClosed: the window closed; Detail says why.
	EventWindowClosed
	// EventHandsetRegistered: a handset registered in Slot.
	EventHandsetRegistered
	// EventHandsetDeregistered: a handset that conflicted with the reservations was
	// deregistered from Slot.
	EventHandsetDeregistered
	// EventRegistrationRefused: a handset tried to register and was refused.
	EventRegistrationRefused
	// EventFirmwareUpdated: the device downloaded the firmware image its file names and
	// runs it.
	EventFirmwareUpdated
	// EventFirmwareFailed: the firmware URL was unusable or its download failed; the
	// device keeps its firmware.
	EventFirmwareFailed
	// EventNotifyReceived: a SIP NOTIFY arrived; Detail has its event and the answer.
	EventNotifyReceived
)

var eventKindNames = [...]string{
	EventFetched:             "fetched",
	EventFetchFailed:         "fetch failed",
	EventFileIgnored:         "file ignored",
	EventFileApplied:         "file applied",
	EventWindowScheduled:     "window scheduled",
	EventWindowNotOpened:     "no window",
	EventWindowOpened:        "window opened",
	EventWindowClosed:        "window closed",
	EventHandsetRegistered:   "handset registered",
	EventHandsetDeregistered: "handset deregistered",
	EventRegistrationRefused: "registration refused",
	EventFirmwareUpdated:     "firmware updated",
	EventFirmwareFailed:      "firmware kept",
	EventNotifyReceived:      "SIP NOTIFY",
}

func (k EventKind) String() string {
	if k >= 0 && int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one entry of the device's log.
type Event struct {
	Time   time.Time // when it happened on the device's clock
	Kind   EventKind
	Slot   int  // the slot concerned, or -1
	IPUI   IPUI // the handset concerned, or NoIPUI
	Detail string
}

func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.Time.Format(time.DateTime), e.Kind)
	if e.Slot >= 0 {
		fmt.Fprintf(&b, " slot %d", e.Slot)
	}
	if !e.IPUI.IsNone() {
		fmt.Fprintf(&b, " IPUI %s", e.IPUI)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	return b.String()
}

// maxEvents bounds the log; a demo polling for hours keeps only the newest entries.
const maxEvents = 1000

type eventLog struct {
	events []Event
}

func (l *eventLog) add(e Event) {
	if len(l.events) == maxEvents {
		l.events = slices.Delete(l.events, 0, 1)
	}
	l.events = append(l.events, e)
}

func (l *eventLog) list() []Event { return slices.Clone(l.events) }

// newEvent returns an event about no particular slot or handset.
func newEvent(t time.Time, kind EventKind, format string, args ...any) Event {
	return Event{Time: t, Kind: kind, Slot: -1, IPUI: NoIPUI, Detail: fmt.Sprintf(format, args...)}
}

// handsetEvent returns an event about a handset and, if slot >= 0, a slot.
func handsetEvent(t time.Time, kind EventKind, slot int, id IPUI, format string, args ...any) Event {
	e := newEvent(t, kind, format, args...)
	e.Slot, e.IPUI = slot, id
	return e
}
