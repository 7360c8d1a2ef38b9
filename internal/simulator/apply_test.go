package simulator

import (
	"strings"
	"testing"
)

func TestApplyKeepsUnmentionedSettings(t *testing.T) {
	d, _ := newTestDevice(t)
	mustApply(t, d, doc(concat(
		account(0, "1013", "Anna"),
		account(1, "1014", "Ben"),
		[]string{
			reserve(0, "00ABC50871"),
			item("BS_IP_Data.aucS_TIME_NTP_SERVER[%]", str("pool.ntp.org")),
			item("BS_CUSTOM.aucKdsPin[%]", "0x12,0x34"),
			`<PROFILE_NAME class="string" value="office-1"/>`,
		},
	)...))
	before := d.Snapshot()

	// A file that mentions one field of slot 1 and one other base setting.
	mustApply(t, d, doc(
		slotItem(1, "aucS_SIP_DISPLAYNAME[0]", str("Ben Müller")),
		item("BS_IP_Data.uiI_TIME_TIMEZONE", "0x1B"),
	))
	after := d.Snapshot()

	if after.Slots[0] != before.Slots[0] {
		t.Errorf("slot 0 changed:\n%+v\n%+v", before.Slots[0], after.Slots[0])
	}
	wantSlot1 := before.Slots[1]
	wantSlot1.DisplayName = "Ben Müller"
	if after.Slots[1] != wantSlot1 {
		t.Errorf("slot 1:\n got %+v\nwant %+v", after.Slots[1], wantSlot1)
	}
	if got := after.Base["BS_IP_Data.aucS_TIME_NTP_SERVER[%]"]; got != `"pool.ntp.org"` {
		t.Errorf("NTP server %q, want it kept", got)
	}
	if got := after.Base["BS_IP_Data.uiI_TIME_TIMEZONE"]; got != "0x1B" {
		t.Errorf("timezone %q", got)
	}
	if after.Registration != before.Registration || after.Registration.PIN != "1234" {
		t.Errorf("registration %+v, want %+v kept", after.Registration, before.Registration)
	}
	if after.ProfileName != "office-1" {
		t.Errorf("profile name %q, want it kept", after.ProfileName)
	}
}

func TestApplyClearsSlot(t *testing.T) {
	d, _ := newTestDevice(t)
	mustApply(t, d, doc(concat(account(0, "1013", "Anna"), account(1, "1014", "Ben"),
		[]string{reserve(0, "00ABC50871"), reserve(1, "00ABB84A08")})...))

	mustApply(t, d, doc(freedSlot(1)...))

	want := SlotState{Index: 1, Reserved: NoIPUI, Registered: NoIPUI}
	if got := d.Slot(1); got != want {
		t.Errorf("freed slot:\n got %+v\nwant %+v", got, want)
	}
	if got := d.Slot(0); got.UserID != "1013" || got.Reserved != mustIPUI(t, "00ABC50871") {
		t.Errorf("slot 0 %+v, want it untouched", got)
	}
}

func TestApplyIndexForms(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		check func(SlotState) bool
	}{
		{"mailbox number bare", slotItem(2, "aucS_VOIP_NET_AM_NUMBER_1", str("*2")), func(s SlotState) bool { return s.MailboxNumber == "*2" }},
		{"mailbox number [0]", slotItem(2, "aucS_VOIP_NET_AM_NUMBER_1[0]", str("*2")), func(s SlotState) bool { return s.MailboxNumber == "*2" }},
		{"mailbox number [%]", slotItem(2, "aucS_VOIP_NET_AM_NUMBER_1[%]", str("*2")), func(s SlotState) bool { return s.MailboxNumber == "*2" }},
		{"user ID [%]", slotItem(2, "aucS_SIP_USER_ID[%]", str("42")), func(s SlotState) bool { return s.UserID == "42" }},
		{"user ID bare", slotItem(2, "aucS_SIP_USER_ID", str("42")), func(s SlotState) bool { return s.UserID == "42" }},
		{"provider index 0x hex", slotItem(2, "ucVoipProviderIndex", "0x03"), func(s SlotState) bool { return s.ProviderIndex == 3 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTestDevice(t)
			res := mustApply(t, d, doc(tt.line))
			if s := d.Slot(2); !tt.check(s) {
				t.Errorf("slot 2 = %+v", s)
			}
			if len(res.Warnings) != 0 || len(d.Snapshot().Base) != 0 {
				t.Errorf("warnings %v, base %v: the item was not recognised", res.Warnings, d.Snapshot().Base)
			}
		})
	}

	// [1] on a string field would address one character: not modelled, kept raw.
	d, _ := newTestDevice(t)
	res := mustApply(t, d, doc(slotItem(2, "aucS_SIP_USER_ID[1]", str("4"))))
	if d.Slot(2).UserID != "" || !hasProblem(res.Warnings, "", "not modelled") {
		t.Errorf("aucS_SIP_USER_ID[1]: user %q, warnings %v", d.Slot(2).UserID, res.Warnings)
	}
}

func TestApplyRecordArrayWildcard(t *testing.T) {
	d, _ := newTestDevice(t)
	mustApply(t, d, doc(
		item("BS_VOIP_Data.astVoipAccounts[%].ucVoipProviderIndex", "2"),
		reserve(4, "00ABC50871"),
		reserve(5, "00ABB84A08"),
	))
	for i := range NumSlots {
		if got := d.Slot(i).ProviderIndex; got != 2 {
			t.Fatalf("slot %d provider index %d, want 2", i, got)
		}
	}
	mustApply(t, d, doc(item("BS_CUSTOM.aucHandsetCode[%]", "0xFF,0xFF,0xFF,0xFF,0xFF")))
	for _, i := range []int{4, 5} {
		if got := d.Slot(i).Reserved; !got.IsNone() {
			t.Errorf("slot %d reservation %s after clearing every slot", i, got)
		}
	}
}

func TestApplyRegistrationEncodings(t *testing.T) {
	const (
		start       = "BS_AE_Subscriber.acIPUIRegistrationTimestamp[0]"
		duration    = "BS_AE_Subscriber.ulIPUIRegistrationDuration"
		oldStart    = "BS_CUSTOM.aucIPUIRegistrationTimestamp[%]"
		oldDuration = "BS_CUSTOM.aucIPUIRegistrationDuration[%]"
	)
	tests := []struct {
		name  string
		lines []string
		want  RegistrationSettings
	}{
		{
			name: "factory",
			want: RegistrationSettings{PIN: "0000"},
		},
		{
			name:  "production IDs: quoted decimal start, decimal duration",
			lines: []string{item(start, `"1772442000"`), item(duration, "3600")},
			want:  RegistrationSettings{Start: 1772442000, StartEncoding: EncodingDecimalString, Duration: 3600, DurationEncoding: EncodingInteger, PIN: "0000"},
		},
		{
			name:  "production IDs: bare and [%] mean the whole field",
			lines: []string{item("BS_AE_Subscriber.acIPUIRegistrationTimestamp", `"7"`), item(duration+"[%]", "0xE10")},
			want:  RegistrationSettings{Start: 7, StartEncoding: EncodingDecimalString, Duration: 3600, DurationEncoding: EncodingInteger, PIN: "0000"},
		},
		{
			name:  "first release IDs: decimal integers",
			lines: []string{item(oldStart, "1772442000"), item(oldDuration, "3600")},
			want:  RegistrationSettings{Start: 1772442000, StartEncoding: EncodingInteger, Duration: 3600, DurationEncoding: EncodingInteger, PIN: "0000"},
		},
		{
			name:  "first release IDs: hex integers",
			lines: []string{item(oldStart, "0x69A55290"), item(oldDuration, "0xE10")},
			want:  RegistrationSettings{Start: 0x69A55290, StartEncoding: EncodingInteger, Duration: 3600, DurationEncoding: EncodingInteger, PIN: "0000"},
		},
		{
			name:  "first release IDs: 4-byte big-endian lists",
			lines: []string{item(oldStart, "0x69,0xA5,0x52,0x90"), item(oldDuration, "0x00,0x00,0x0E,0x10")},
			want:  RegistrationSettings{Start: 0x69A55290, StartEncoding: EncodingBigEndianBytes, Duration: 3600, DurationEncoding: EncodingBigEndianBytes, PIN: "0000"},
		},
		{
			name:  "[0] suffix means the whole field",
			lines: []string{item("BS_CUSTOM.aucIPUIRegistrationDuration[0]", "60")},
			want:  RegistrationSettings{Duration: 60, DurationEncoding: EncodingInteger, PIN: "0000"},
		},
		{
			name:  "both spellings of one setting: the later wins",
			lines: []string{item(oldStart, "5"), item(start, `"6"`)},
			want:  RegistrationSettings{Start: 6, StartEncoding: EncodingDecimalString, PIN: "0000"},
		},
		{
			name:  "PIN and random PIN",
			lines: []string{item("BS_CUSTOM.aucKdsPin[%]", "0x00,0x01"), item("BS_CUSTOM.bit.UseRandomRegistrationPIN", "1")},
			want:  RegistrationSettings{PIN: "0001", RandomPIN: true},
		},
		{
			name:  "PIN 9876",
			lines: []string{item("BS_CUSTOM.aucKdsPin[%]", "0x98,0x76")},
			want:  RegistrationSettings{PIN: "9876"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTestDevice(t)
			mustApply(t, d, doc(tt.lines...))
			snap := d.Snapshot()
			if snap.Registration != tt.want {
				t.Errorf("registration\n got %+v\nwant %+v", snap.Registration, tt.want)
			}
			if len(snap.Base) != 0 {
				t.Errorf("base %v: a registration item was not recognised", snap.Base)
			}
		})
	}
}

// TestApplyWarnsAboutSuspiciousWindowItems: two spellings of one setting in one file,
// and a quoted start that reads as a date in the 1970s (DDMMYYHHMM read as Unix
// seconds), are applied but reported.
func TestApplyWarnsAboutSuspiciousWindowItems(t *testing.T) {
	d, _ := newTestDevice(t)
	res := d.ApplyFile(doc(
		item("BS_CUSTOM.aucIPUIRegistrationDuration[%]", "60"),
		item("BS_AE_Subscriber.ulIPUIRegistrationDuration", "120"),
		item("BS_AE_Subscriber.acIPUIRegistrationTimestamp[0]", `"0101261200"`),
	))
	if !res.Applied {
		t.Fatalf("file not applied: %+v", res)
	}
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.Message)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"sets the registration duration again, also set by BS_CUSTOM.aucIPUIRegistrationDuration[%] on line", "DDMMYYHHMM"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
	if r := d.Snapshot().Registration; r.Duration != 120 || r.Start != 101261200 {
		t.Errorf("registration %+v, want duration 120 and start 101261200", r)
	}
}

// TestApplyReservationSpellings: the reservation array is read under both candidate
// records; an ID of neither is an ordinary setting.
func TestApplyReservationSpellings(t *testing.T) {
	d, _ := newTestDevice(t)
	mustApply(t, d, doc(
		item("BS_CUSTOM.aucHandsetCode[3]", "0x00,0xAB,0xC5,0x08,0x71"),
		item("BS_AE_Subscriber.aucHandsetCode[4]", "0x00,0xAB,0xB8,0x4A,0x08"),
		item("BS_DECT.astHandsets[5].aucIPUI[%]", "0x01,0x23,0x45,0x67,0x89"),
	))
	snap := d.Snapshot()
	if snap.Slots[3].Reserved != mustIPUI(t, ipuiA) || snap.Slots[4].Reserved != mustIPUI(t, ipuiB) {
		t.Errorf("reservations: slot 3 %s, slot 4 %s", snap.Slots[3].Reserved, snap.Slots[4].Reserved)
	}
	if !snap.Slots[5].Reserved.IsNone() || snap.Base["BS_DECT.astHandsets[5].aucIPUI[%]"] == "" {
		t.Errorf("an unknown array was read as a reservation: slot 5 %s, base %v", snap.Slots[5].Reserved, snap.Base)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad MAC", Config{MAC: "7C2F80CA21", MACID: testMACID}, "MAC address"},
		{"non-hex MAC", Config{MAC: "7C2F80CA21EG", MACID: testMACID}, "MAC address"},
		{"no MAC-ID", Config{MAC: testMAC}, "MAC-ID"},
		{"lower-case MAC-ID", Config{MAC: testMAC, MACID: strings.ToLower(testMACID)}, "MAC-ID"},
		{"password without user", Config{MAC: testMAC, MACID: testMACID, Password: "x"}, "username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}

	d, err := New(Config{MAC: "7c:2f:80:ca:21:e4", MACID: testMACID})
	if err != nil {
		t.Fatalf("New with a colon MAC: %v", err)
	}
	if d.MAC() != testMAC || d.UserAgent() != "Gigaset N720 DM PRO/70.108.00.000.000;"+testMAC {
		t.Errorf("MAC %q, User-Agent %q", d.MAC(), d.UserAgent())
	}
}
