package simulator

import (
	"context"
	"time"
)

// FetchEvery fetches from serverURL every interval of wall-clock time until ctx ends,
// like the N720's periodic check (often once a day). Push tests give it hours, so that
// every fast fetch in them is the push's doing; a failed fetch is logged and the timer
// carries on, as on the device. It returns when ctx ends.
func (d *Device) FetchEvery(ctx context.Context, serverURL string, interval time.Duration) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = d.Fetch(ctx, serverURL)
		}
	}
}
