package simulator

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/fakeclock"
)

const (
	testMAC   = "7C2F80CA21E4"
	testMACID = "7C2F80CA21E4-K3Q9"
)

// t0 is when every test device starts; a round date keeps event times readable.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newTestDevice returns a device at t0 on a fake clock; opts adjust its Config.
func newTestDevice(t *testing.T, opts ...func(*Config)) (*Device, *fakeclock.Clock) {
	t.Helper()
	clock := fakeclock.New(t0)
	cfg := Config{MAC: testMAC, MACID: testMACID, Clock: clock}
	for _, o := range opts {
		o(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d, clock
}

// doc builds a provisioning file for testMAC from raw lines inside <Provider>. The
// lines are UTF-8 here and written as ISO-8859-1, as the renderer must.
func doc(lines ...string) []byte {
	return docFor(testMAC, lines...)
}

func docFor(mac string, lines ...string) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<ProviderFrame>\n  <Provider>\n")
	fmt.Fprintf(&b, "    <MAC_ADDRESS value=%q/>\n", mac)
	for _, l := range lines {
		b.WriteString("    " + l + "\n")
	}
	b.WriteString("  </Provider>\n</ProviderFrame>\n")
	return latin1(b.String())
}

// item is one SYMB_ITEM; value is written inside single quotes, as the renderer does.
func item(id, value string) string {
	return fmt.Sprintf(`<SYMB_ITEM ID="%s" class="symb_item" value='%s'/>`, id, value)
}

// str is a string value: "text" with its double quotes.
func str(s string) string { return `"` + s + `"` }

func slotItem(slot int, member, value string) string {
	return item(fmt.Sprintf("BS_VOIP_Data.astVoipAccounts[%d].%s", slot, member), value)
}

// account is a complete, active slot as the operator renders it.
func account(slot int, user, display string) []string {
	return []string{
		slotItem(slot, "ucB_SIP_ACCOUNT_IS_ACTIVE_1", "1"),
		slotItem(slot, "aucS_SIP_USER_ID[0]", str(user)),
		slotItem(slot, "aucS_SIP_LOGIN_ID[0]", str(user)),
		slotItem(slot, "aucS_SIP_PASSWORD[0]", str("secret-"+user)),
		slotItem(slot, "aucS_SIP_DISPLAYNAME[0]", str(display)),
		slotItem(slot, "aucS_SIP_ACCOUNT_NAME_1[0]", str(user)),
		slotItem(slot, "ucVoipProviderIndex", "0"),
		slotItem(slot, "ucB_VOIP_NET_AM_ENABLED_1", "1"),
		slotItem(slot, "aucS_VOIP_NET_AM_NUMBER_1[%]", str("*2")),
	}
}

// freedSlot is a slot cleared as the operator renders a free slot.
func freedSlot(slot int) []string {
	return []string{
		slotItem(slot, "ucB_SIP_ACCOUNT_IS_ACTIVE_1", "0"),
		slotItem(slot, "aucS_SIP_USER_ID[0]", str("")),
		slotItem(slot, "aucS_SIP_LOGIN_ID[0]", str("")),
		slotItem(slot, "aucS_SIP_PASSWORD[0]", str("")),
		slotItem(slot, "aucS_SIP_DISPLAYNAME[0]", str("")),
		slotItem(slot, "aucS_SIP_ACCOUNT_NAME_1[0]", str("")),
		slotItem(slot, "ucB_VOIP_NET_AM_ENABLED_1", "0"),
		slotItem(slot, "aucS_VOIP_NET_AM_NUMBER_1[%]", str("")),
		reserve(slot, "FFFFFFFFFF"),
	}
}

// reserve is the reservation item of slot for an IPUI in 10 hex digits.
func reserve(slot int, ipui string) string {
	var parts []string
	for i := 0; i < len(ipui); i += 2 {
		parts = append(parts, "0x"+ipui[i:i+2])
	}
	return item(fmt.Sprintf("BS_CUSTOM.aucHandsetCode[%d]", slot), strings.Join(parts, ","))
}

// window is the registration window items as the operator writes them by default:
// start as Unix seconds in a quoted string, duration in decimal seconds.
func window(start time.Time, duration time.Duration) []string {
	return []string{
		item("BS_AE_Subscriber.acIPUIRegistrationTimestamp[0]", `"`+fmt.Sprint(unixOrZero(start))+`"`),
		item("BS_AE_Subscriber.ulIPUIRegistrationDuration", fmt.Sprint(int64(duration/time.Second))),
	}
}

// firstReleaseWindow is the window items under the IDs of the operator's first
// release, decimal integers.
func firstReleaseWindow(start time.Time, duration time.Duration) []string {
	return []string{
		item("BS_CUSTOM.aucIPUIRegistrationTimestamp[%]", fmt.Sprint(unixOrZero(start))),
		item("BS_CUSTOM.aucIPUIRegistrationDuration[%]", fmt.Sprint(int64(duration/time.Second))),
	}
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// latin1 encodes a UTF-8 string as ISO-8859-1; it panics on characters outside it,
// which would be a mistake in the test itself.
func latin1(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			panic(fmt.Sprintf("latin1: %q is outside ISO-8859-1", r))
		}
		out = append(out, byte(r))
	}
	return out
}

func concat(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustIPUI(t *testing.T, s string) IPUI {
	t.Helper()
	id, err := ParseIPUI(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// mustApply applies data and fails the test unless the device accepted it.
func mustApply(t *testing.T, d *Device, data []byte) ApplyResult {
	t.Helper()
	res := d.ApplyFile(data)
	if !res.Applied {
		t.Fatalf("file not applied: %s %v", res.IgnoreReason, res.Errors)
	}
	return res
}

func hasProblem(ps []Problem, id, substr string) bool {
	for _, p := range ps {
		if (id == "" || p.ID == id) && strings.Contains(p.Message, substr) {
			return true
		}
	}
	return false
}

// eventsOf returns the events of the given kinds, in order.
func eventsOf(d *Device, kinds ...EventKind) []Event {
	var out []Event
	for _, e := range d.Events() {
		for _, k := range kinds {
			if e.Kind == k {
				out = append(out, e)
			}
		}
	}
	return out
}
