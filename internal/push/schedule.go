package push

import (
	"fmt"
	"time"
)

// Policy bounds how often a base is pushed. The zero value of a field means its default.
type Policy struct {
	// Debounce is how long the served file must stay unchanged before a push: a
	// kubectl apply of 100 handsets renders many generations, tens of milliseconds
	// apart, and the device should be asked once, for the last one. A second without
	// a change means the burst is over, and keeps a single handset's way from create
	// to the device's fetch under two seconds. Default 1s.
	Debounce time.Duration
	// MaxDelay bounds the debounce: a file that keeps changing is pushed at the latest
	// this long after the device first fell behind. Default 10s.
	MaxDelay time.Duration
	// MinInterval is the shortest time between two pushes to one base. Default 10s.
	MinInterval time.Duration
	// Backoff is the wait after the first push that was not followed by a fetch; it
	// doubles with every further push for the same file, up to MaxBackoff.
	// Defaults 30s and 30m.
	Backoff, MaxBackoff time.Duration
	// MaxPerHour caps the pushes to one base in any hour, whatever triggers them.
	// Default 12.
	MaxPerHour int
	// WindowLead is how long before a registration window opens a device that still
	// has an older file is pushed. It must exceed the 30 s the device waits after a
	// download before it opens a window. Default 2m.
	WindowLead time.Duration
}

// Defaults used for the zero fields of a Policy.
const (
	DefaultDebounce    = time.Second
	DefaultMaxDelay    = 10 * time.Second
	DefaultMinInterval = 10 * time.Second
	DefaultBackoff     = 30 * time.Second
	DefaultMaxBackoff  = 30 * time.Minute
	DefaultMaxPerHour  = 12
	DefaultWindowLead  = 2 * time.Minute
)

func (p Policy) withDefaults() Policy {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&p.Debounce, DefaultDebounce)
	def(&p.MaxDelay, DefaultMaxDelay)
	def(&p.MinInterval, DefaultMinInterval)
	def(&p.Backoff, DefaultBackoff)
	def(&p.MaxBackoff, DefaultMaxBackoff)
	def(&p.WindowLead, DefaultWindowLead)
	if p.MaxPerHour <= 0 {
		p.MaxPerHour = DefaultMaxPerHour
	}
	return p
}

// Facts is what the caller observed about one base.
type Facts struct {
	// Current identifies the file served now (the rendered document's hash).
	Current string
	// Delivered identifies the file the device last fetched ("" = never), and
	// DeliveredAt when.
	Delivered   string
	DeliveredAt time.Time
	// WindowOpensAt is when the next registration window of the served file opens;
	// zero when none is ahead.
	WindowOpensAt time.Time
	// Force is the value of the resync annotation ("" = none). A new value asks for
	// one push.
	Force string
}

// UpToDate reports whether the device has fetched the file served now.
func (f Facts) UpToDate() bool { return f.Current != "" && f.Delivered == f.Current }

// State is what Decide remembers between calls for one base. Its zero value is a base
// never pushed. Keeping it in memory is enough: after a restart the worst case is one
// push that the lost state would have delayed. Forced is worth persisting (e.g. in
// status) so that a restart does not act on an old annotation again.
type State struct {
	// Current is the served file Decide last saw, and ChangedAt when it first saw it.
	Current   string
	ChangedAt time.Time
	// Pending is when the first change not yet pushed was seen; zero when none is.
	Pending time.Time
	// Attempts counts the pushes sent for Current that no fetch followed.
	Attempts int
	// LastSent is when the last push was sent.
	LastSent time.Time
	// Recent holds the send times of the last hour, oldest first.
	Recent []time.Time
	// Forced is the last Force value acted on.
	Forced string
	// Window is the window opening a push was already brought forward for.
	Window time.Time
}

// Reason says what Decide decided; the values suit a condition's reason.
type Reason string

const (
	// Sending reasons.
	Changed       Reason = "FileChanged"     // a new file settled
	Retry         Reason = "Retry"           // the last push was not followed by a fetch
	WindowOpening Reason = "WindowOpening"   // a registration window opens soon
	Forced        Reason = "ResyncRequested" // the resync annotation changed
	// Waiting reasons.
	UpToDate    Reason = "UpToDate"    // the device has the served file
	Debouncing  Reason = "Debouncing"  // the file changed moments ago
	BackingOff  Reason = "BackingOff"  // waiting before the next retry
	RateLimited Reason = "RateLimited" // MinInterval since the last push has not passed
	HourlyLimit Reason = "HourlyLimit" // MaxPerHour pushes were sent within the last hour
	NothingYet  Reason = "NoFile"      // nothing is served yet
)

// Decision is what to do now.
type Decision struct {
	// Send is true when a push is due now. The caller sends it and keeps State either
	// way; the send is already counted in it.
	Send   bool
	Reason Reason
	// Message explains the decision to a person.
	Message string
	// Next is when to call Decide again if nothing changes before; zero when nothing is
	// waiting.
	Next time.Time
	// Fetched is true once, on the call that first sees the device up to date after a
	// push; FetchedAfter is then the time from that push to the fetch (for the latency
	// histogram; 0 when the fetch was recorded in the push's second).
	Fetched      bool
	FetchedAfter time.Duration
	State        State
}

// Decide decides whether to push a base now. It is a pure function: same inputs, same
// decision; it reads no clock, starts nothing and keeps nothing.
//
// The rules, in order:
//  1. A new Force value asks for one push now, whether or not the device is up to date.
//  2. A device that has the served file needs nothing else: retries stop, and the time
//     from the last push to that fetch is reported once.
//  3. A device without the served file is pushed once the file has stayed unchanged for
//     Debounce, or MaxDelay after the first change not yet pushed if the file keeps
//     changing. A new file starts the attempts for it afresh.
//  4. A push that no fetch followed is retried after Backoff, doubling with each
//     further attempt up to MaxBackoff.
//  5. While the device lacks the served file, one push is brought forward to
//     WindowLead before a registration window opens, ignoring rules 3 and 4, so that
//     the device has the window's file in time.
//  6. Whatever asked for it, a push waits until MinInterval has passed since the last
//     one and while MaxPerHour were sent within the last hour. So at most MaxPerHour
//     NOTIFYs per base reach the network in any hour, and in a steady failure (no
//     forces, no new files) at most 3600s/MaxBackoff more per hour once backed off.
func Decide(p Policy, s State, f Facts, now time.Time) Decision {
	p = p.withDefaults()
	s.Recent = recentSince(s.Recent, now.Add(-time.Hour))

	if f.Current != s.Current {
		s.Current, s.ChangedAt, s.Attempts = f.Current, now, 0
		if s.Pending.IsZero() {
			s.Pending = now
		}
	}
	d := Decision{}

	// Rule 1.
	forced := f.Force != "" && f.Force != s.Forced

	// Rule 2.
	if f.UpToDate() {
		// A delivery record may keep whole seconds only (metav1.Time): a fetch in the
		// same second as the push counts as following it, after 0s.
		if s.Attempts > 0 && !f.DeliveredAt.Before(s.LastSent.Truncate(time.Second)) {
			d.Fetched, d.FetchedAfter = true, max(f.DeliveredAt.Sub(s.LastSent), 0)
		}
		s.Pending, s.Attempts = time.Time{}, 0
		if !forced {
			d.Reason, d.Message = UpToDate, "the device has the served file"
			d.State = s
			return d
		}
	}
	if f.Current == "" && !forced {
		d.Reason, d.Message, d.State = NothingYet, "no file is served yet", s
		return d
	}
	if !f.UpToDate() && s.Pending.IsZero() && s.Attempts == 0 {
		s.Pending = now
	}

	// Which push is wanted, and from when.
	var (
		reason Reason
		due    time.Time
		msg    string
	)
	switch {
	case forced:
		reason, due, msg = Forced, now, fmt.Sprintf("resync requested (%q)", f.Force)
	case windowSoon(p, s, f, now):
		reason, due, msg = WindowOpening, now,
			fmt.Sprintf("a registration window opens at %s and the device has an older file", f.WindowOpensAt.UTC().Format(time.RFC3339))
	case s.Attempts == 0:
		settled := s.ChangedAt.Add(p.Debounce)
		latest := s.Pending.Add(p.MaxDelay)
		due = minTime(settled, latest)
		reason, msg = Changed, "the served file changed and the device has not fetched it"
		if now.Before(due) {
			d.Reason, d.Next = Debouncing, due
			d.Message = fmt.Sprintf("waiting for the file to settle; push at %s", due.UTC().Format(time.RFC3339Nano))
			d.State = s
			return d
		}
	default:
		due = s.LastSent.Add(backoff(p, s.Attempts))
		reason = Retry
		msg = fmt.Sprintf("the device has not fetched since push %d; retrying", s.Attempts)
		if now.Before(due) {
			d.Reason, d.Next = BackingOff, due
			d.Message = fmt.Sprintf("%d push(es) not followed by a fetch; next at %s", s.Attempts, due.UTC().Format(time.RFC3339))
			if w := windowPushAt(p, s, f); !w.IsZero() && w.Before(due) {
				d.Next = w
			}
			d.State = s
			return d
		}
	}

	// Rule 6.
	if !s.LastSent.IsZero() {
		if next := s.LastSent.Add(p.MinInterval); now.Before(next) {
			d.Reason, d.Next, d.State = RateLimited, next, s
			d.Message = fmt.Sprintf("%s; at most one push per %s, next at %s", msg, p.MinInterval, next.UTC().Format(time.RFC3339))
			return d
		}
	}
	if len(s.Recent) >= p.MaxPerHour {
		next := s.Recent[0].Add(time.Hour)
		d.Reason, d.Next, d.State = HourlyLimit, next, s
		d.Message = fmt.Sprintf("%s; %d pushes in the last hour, next at %s", msg, len(s.Recent), next.UTC().Format(time.RFC3339))
		return d
	}

	// Send.
	if forced {
		s.Forced = f.Force
	}
	if reason == WindowOpening || (forced && windowSoon(p, s, f, now)) {
		s.Window = f.WindowOpensAt
	}
	if !f.UpToDate() {
		s.Attempts++
	}
	s.LastSent, s.Pending = now, time.Time{}
	s.Recent = append(s.Recent, now)
	d.Send, d.Reason, d.Message = true, reason, msg
	if !f.UpToDate() {
		d.Next = now.Add(backoff(p, s.Attempts))
		if w := windowPushAt(p, s, f); !w.IsZero() && w.Before(d.Next) {
			d.Next = w
		}
	}
	d.State = s
	return d
}

// backoff is the wait after the n-th push (n >= 1) that no fetch followed.
func backoff(p Policy, n int) time.Duration {
	b := p.Backoff
	for i := 1; i < n && b < p.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, p.MaxBackoff)
}

// windowPushAt is when rule 5 will push for the next window, or zero if it will not.
func windowPushAt(p Policy, s State, f Facts) time.Time {
	if f.WindowOpensAt.IsZero() || f.UpToDate() || s.Window.Equal(f.WindowOpensAt) {
		return time.Time{}
	}
	return f.WindowOpensAt.Add(-p.WindowLead)
}

func windowSoon(p Policy, s State, f Facts, now time.Time) bool {
	at := windowPushAt(p, s, f)
	return !at.IsZero() && !now.Before(at) && now.Before(f.WindowOpensAt)
}

func recentSince(ts []time.Time, from time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(from) {
		i++
	}
	return append([]time.Time(nil), ts[i:]...)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
