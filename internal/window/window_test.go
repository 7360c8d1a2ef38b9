package window

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func TestPlan(t *testing.T) {
	hour := time.Hour
	tests := []struct {
		name string
		req  Request
		want Window
	}{
		{"always is the device default", Request{Mode: Always, Now: t0}, Window{}},
		{"scheduled writes start and duration", Request{Mode: Scheduled, Start: t0, Duration: hour, Now: t0.Add(-24 * hour)}, Window{t0.Unix(), 3600}},
		{"scheduled reopened after its start", Request{Mode: Scheduled, Start: t0, Duration: hour, ReopenedAt: t0.Add(48 * hour), Now: t0.Add(48 * hour)}, Window{t0.Add(48 * hour).Unix(), 3600}},
		{"scheduled reopen before the start changes nothing", Request{Mode: Scheduled, Start: t0, Duration: hour, ReopenedAt: t0.Add(-hour)}, Window{t0.Unix(), 3600}},
		{"on change: first file opens now", Request{Mode: OnChange, Duration: hour, ReservationsChanged: true, Now: t0}, Window{t0.Unix(), 3600}},
		{"on change: unchanged reservations keep the stored start", Request{Mode: OnChange, Duration: hour, Previous: &Window{t0.Unix(), 3600}, Now: t0.Add(5 * hour)}, Window{t0.Unix(), 3600}},
		{"on change: changed reservations open now", Request{Mode: OnChange, Duration: hour, Previous: &Window{t0.Unix(), 3600}, ReservationsChanged: true, Now: t0.Add(5 * hour)}, Window{t0.Add(5 * hour).Unix(), 3600}},
		{"on change: a new duration keeps the start", Request{Mode: OnChange, Duration: 2 * hour, Previous: &Window{t0.Unix(), 3600}, Now: t0.Add(5 * hour)}, Window{t0.Unix(), 7200}},
		{"on change: switching from always opens now", Request{Mode: OnChange, Duration: hour, Previous: &Window{}, Now: t0}, Window{t0.Unix(), 3600}},
		{"on change: reopen moves the start", Request{Mode: OnChange, Duration: hour, Previous: &Window{t0.Unix(), 3600}, ReopenedAt: t0.Add(3 * hour), Now: t0.Add(3 * hour)}, Window{t0.Add(3 * hour).Unix(), 3600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Plan(tt.req); got != tt.want {
				t.Errorf("Plan() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestObserve(t *testing.T) {
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	hourAt := Window{Start: t0.Unix(), Duration: 3600}
	tests := []struct {
		name     string
		w        Window
		reserved bool
		fetched  *time.Time
		now      time.Time
		want     State
		opens    *time.Time
		next     time.Time
	}{
		{"nothing reserved", hourAt, false, at(0), t0, StateIdle, nil, time.Time{}},
		{"always, not fetched", Window{}, true, nil, t0, StateScheduled, nil, time.Time{}},
		{"always, fetched 10s ago", Window{}, true, at(-10 * time.Second), t0, StateScheduled, at(20 * time.Second), *at(20 * time.Second)},
		{"always, fetched a minute ago", Window{}, true, at(-time.Minute), t0, StateOpen, at(-30 * time.Second), time.Time{}},
		{"scheduled in the future, fetched", hourAt, true, at(-time.Hour), t0.Add(-time.Minute), StateScheduled, at(0), t0},
		{"scheduled, start passed, fetched just now", hourAt, true, at(10 * time.Minute), t0.Add(10 * time.Minute), StateScheduled, at(10*time.Minute + 30*time.Second), *at(10*time.Minute + 30*time.Second)},
		{"scheduled, open", hourAt, true, at(-time.Hour), t0.Add(10 * time.Minute), StateOpen, at(0), *at(time.Hour)},
		{"scheduled, over", hourAt, true, at(-time.Hour), t0.Add(time.Hour), StateClosed, nil, time.Time{}},
		{"scheduled, fetched too late", hourAt, true, at(time.Hour - 10*time.Second), t0.Add(time.Hour - 5*time.Second), StateClosed, nil, time.Time{}},
		{"scheduled, not fetched, ends at its end", hourAt, true, nil, t0, StateScheduled, nil, *at(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Observe(tt.w, tt.reserved, tt.fetched, tt.now)
			if got.State != tt.want {
				t.Fatalf("state = %s (%s), want %s", got.State, got.Message, tt.want)
			}
			if (got.OpensAt == nil) != (tt.opens == nil) || (got.OpensAt != nil && !got.OpensAt.Equal(*tt.opens)) {
				t.Errorf("opensAt = %v, want %v", got.OpensAt, tt.opens)
			}
			if !got.Next.Equal(tt.next) {
				t.Errorf("next = %v, want %v", got.Next, tt.next)
			}
			if got.Message == "" {
				t.Error("no message for the person waiting")
			}
		})
	}
}

// An open window has a cost a person must see where they look: manual registration in
// the device's web UI is blocked until it closes. No other state claims that.
func TestOpenWindowSaysManualRegistrationIsBlocked(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fetched := now.Add(-time.Minute)
	open := Observe(Window{}, true, &fetched, now)
	if open.State != StateOpen || !strings.Contains(open.Message, ManualRegistrationBlocked) {
		t.Errorf("open window: %s %q, want it to say %q", open.State, open.Message, ManualRegistrationBlocked)
	}
	for _, st := range []Status{
		Observe(Window{}, false, &fetched, now),
		Observe(Window{}, true, nil, now),
		Observe(Window{Start: now.Unix() + 3600, Duration: 600}, true, &fetched, now),
	} {
		if strings.Contains(st.Message, ManualRegistrationBlocked) {
			t.Errorf("%s window says manual registration is blocked: %q", st.State, st.Message)
		}
	}
}
