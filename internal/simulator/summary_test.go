package simulator

import (
	"strings"
	"testing"
	"time"
)

func TestSummary(t *testing.T) {
	d, clock := newTestDevice(t)
	if got := d.Summary(); !strings.Contains(got, "closed (no file applied yet)") || !strings.Contains(got, "0 active accounts, 0 of 0") {
		t.Errorf("factory summary:\n%s", got)
	}

	mustApply(t, d, readTestdata(t, "gigaset-example.xml"))
	clock.Advance(OpeningDelay)
	if err := d.Register(ipuiA, "0001"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	mustApply(t, d, doc(reserve(0, ipuiC), reserve(9, ipuiA)))

	want := `Gigaset N720 DM PRO 7C2F80CA21E4, firmware 70.108.00.000.000, profile "gigaset-example"
registration window: opens 2026-03-02 09:01:01, no end while handsets wait; PIN 0001
SLOT  USER          DISPLAY NAME  IPUI        HANDSET
0     1013          N720_1013     0123456789  registered 00ABC50871 (conflicts with the reservation)
1     1014          N720_1014     00ABB84A08  waiting
2     1022          N720_1022     -           -
9     - (inactive)  -             00ABC50871  waiting
3 active accounts, 0 of 3 reserved handsets registered
`
	if got := d.Summary(); got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestEventLog(t *testing.T) {
	d, _ := newTestDevice(t)
	for range maxEvents + 5 {
		_ = d.Register("bad", "")
	}
	mustApply(t, d, doc())
	events := d.Events()
	if len(events) != maxEvents {
		t.Fatalf("%d events, want the newest %d", len(events), maxEvents)
	}
	last := events[len(events)-1]
	if last.Kind != EventWindowNotOpened || last.Slot != -1 || !last.IPUI.IsNone() {
		t.Errorf("last event %+v", last)
	}
	wantText := "2026-03-02 09:00:00 no window: " + WindowReasonNoneWaiting
	if got := last.String(); got != wantText {
		t.Errorf("String() = %q, want %q", got, wantText)
	}
	events[0].Detail = "changed"
	if d.Events()[0].Detail == "changed" {
		t.Error("Events returned the log itself, not a copy")
	}
}
