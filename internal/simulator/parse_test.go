package simulator

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseGigasetExample(t *testing.T) {
	data := readTestdata(t, "gigaset-example.xml")
	f, err := ParseFile(data, testMAC)
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings: %v", f.Warnings)
	}
	if f.MAC != testMAC || f.ProfileName != "gigaset-example" {
		t.Errorf("MAC %q, profile %q", f.MAC, f.ProfileName)
	}
	if got, want := len(f.Items), 3*9+4; got != want {
		t.Fatalf("%d items, want %d", got, want)
	}
	first := Item{ID: "BS_VOIP_Data.astVoipAccounts[0].ucB_SIP_ACCOUNT_IS_ACTIVE_1", Value: "1", Line: 15}
	if f.Items[0] != first {
		t.Errorf("first item %+v, want %+v", f.Items[0], first)
	}

	d, _ := newTestDevice(t)
	res := mustApply(t, d, data)
	if res.ItemsApplied != len(f.Items) || len(res.Warnings) != 0 {
		t.Errorf("applied %d items, warnings %v", res.ItemsApplied, res.Warnings)
	}
	want := []SlotState{
		{Index: 0, Active: true, UserID: "1013", LoginID: "1013", Password: "Password", DisplayName: "N720_1013",
			AccountName: "1013", MailboxEnabled: true, MailboxNumber: "*2",
			Reserved: mustIPUI(t, "00 AB C5 08 71"), Registered: NoIPUI},
		{Index: 1, Active: true, UserID: "1014", LoginID: "1014", Password: "Password", DisplayName: "N720_1014",
			AccountName: "1014", MailboxEnabled: true, MailboxNumber: "*2",
			Reserved: mustIPUI(t, "00 AB B8 4A 08"), Registered: NoIPUI},
		{Index: 2, Active: true, UserID: "1022", LoginID: "1022", Password: "Password", DisplayName: "N720_1022",
			AccountName: "1022", MailboxEnabled: true, MailboxNumber: "*2",
			Reserved: NoIPUI, Registered: NoIPUI},
		{Index: 3, Reserved: NoIPUI, Registered: NoIPUI},
	}
	for i, w := range want {
		if got := d.Slot(i); got != w {
			t.Errorf("slot %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	snap := d.Snapshot()
	if snap.Registration.PIN != "0001" || snap.Registration.RandomPIN {
		t.Errorf("registration %+v, want PIN 0001 without random PIN", snap.Registration)
	}
	if len(snap.Base) != 0 {
		t.Errorf("base settings %v, want none: every item of the example is modelled", snap.Base)
	}
}

func TestParseLatin1(t *testing.T) {
	display := "BS_VOIP_Data.astVoipAccounts[0].aucS_SIP_DISPLAYNAME[0]"
	tests := []struct {
		name        string
		data        []byte
		want        string // display name as stored, in UTF-8
		wantWarning string // substring of a warning; "" = no warning
		wantError   string // substring of an item error; "" = applied
	}{
		{
			name: "umlauts in ISO-8859-1",
			data: doc(item(display, str("Jürgen Müller-Größ"))),
			want: "Jürgen Müller-Größ",
		},
		{
			name:        "UTF-8 bytes declared as ISO-8859-1 read as mojibake",
			data:        []byte(strings.Replace(string(doc(item(display, str("Mueller")))), "Mueller", "Müller", 1)),
			want:        "MÃ¼ller",
			wantWarning: "UTF-8",
		},
		{
			name:        "Windows-1252 euro sign is a C1 control in ISO-8859-1",
			data:        bytes.Replace(doc(item(display, str("5 EUR"))), []byte("EUR"), []byte{0x80}, 1),
			want:        "5 \u0080",
			wantWarning: "C1 control",
		},
		{
			name: "character reference inside ISO-8859-1",
			data: doc(item(display, str("M&#252;ller &amp; S&#xF6;hne"))),
			want: "Müller & Söhne",
		},
		{
			name:      "character reference outside ISO-8859-1",
			data:      doc(item(display, str("5 &#8364;"))),
			wantError: "outside ISO-8859-1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTestDevice(t)
			res := d.ApplyFile(tt.data)
			if tt.wantError != "" {
				if res.Applied || !hasProblem(res.Errors, display, tt.wantError) {
					t.Fatalf("applied=%v errors %v, want an error containing %q", res.Applied, res.Errors, tt.wantError)
				}
				return
			}
			if !res.Applied {
				t.Fatalf("ignored: %s %v", res.IgnoreReason, res.Errors)
			}
			if got := d.Slot(0).DisplayName; got != tt.want {
				t.Errorf("display name %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantWarning == "" && len(res.Warnings) > 0:
				t.Errorf("unexpected warnings %v", res.Warnings)
			case tt.wantWarning != "" && !hasProblem(res.Warnings, "", tt.wantWarning):
				t.Errorf("warnings %v, want one containing %q", res.Warnings, tt.wantWarning)
			}
		})
	}
}

func TestParseIgnoresWholeFile(t *testing.T) {
	valid := item("BS_IP_Data.ucB_TIME_USE_AUTOMATIC_DST", "1")
	tests := []struct {
		name       string
		data       []byte
		wantReason IgnoreReason
		wantMsg    string
	}{
		{"another device's MAC", docFor("001122334455", valid), ReasonMACMismatch, `for MAC "001122334455"`},
		{"MAC with separators is another string", docFor("7C:2F:80:CA:21:E4", valid), ReasonMACMismatch, "this device is " + testMAC},
		{"no MAC_ADDRESS", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><ProviderFrame><Provider>` + valid + `</Provider></ProviderFrame>`), ReasonStructure, "no MAC_ADDRESS"},
		{"two MAC_ADDRESS", doc(`<MAC_ADDRESS value="7C2F80CA21E4"/>`), ReasonStructure, "second MAC_ADDRESS"},
		{"no XML declaration", bytes.TrimPrefix(doc(valid), []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`)), ReasonEncoding, "does not begin with an XML declaration"},
		{"declaration after white space", append([]byte("\n"), doc(valid)...), ReasonEncoding, "does not begin with an XML declaration"},
		{"UTF-8 byte order mark", append([]byte("\xEF\xBB\xBF"), doc(valid)...), ReasonEncoding, "byte order mark"},
		{"declared UTF-8", bytes.Replace(doc(valid), []byte("ISO-8859-1"), []byte("UTF-8"), 1), ReasonEncoding, `encoding "UTF-8"`},
		{"no encoding declared", bytes.Replace(doc(valid), []byte(` encoding="ISO-8859-1"`), nil, 1), ReasonEncoding, "names no encoding"},
		{"wrong root", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><Provider><MAC_ADDRESS value="7C2F80CA21E4"/></Provider>`), ReasonStructure, "root element is <Provider>"},
		{"no Provider", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><ProviderFrame></ProviderFrame>`), ReasonStructure, "no <Provider>"},
		{"two Providers", bytes.Replace(doc(valid), []byte("</Provider>"), []byte("</Provider><Provider></Provider>"), 1), ReasonStructure, "more than one <Provider>"},
		{"no root element", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), ReasonStructure, "no root element"},
		{"second root element", append(doc(valid), "<ProviderFrame/>"...), ReasonStructure, "after the root element"},
		{"truncated", doc(valid)[:120], ReasonSyntax, ""},
		{"mismatched end tag", bytes.Replace(doc(valid), []byte("</Provider>"), []byte("</Provide>"), 1), ReasonSyntax, ""},
		{"undefined entity", doc(item("BS_IP_Data.aucS_DATA_SERVER[%]", str("&nbsp;"))), ReasonSyntax, ""},
		{"raw control character", doc(item("BS_IP_Data.aucS_DATA_SERVER[%]", str("a\x01b"))), ReasonSyntax, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile(tt.data, testMAC)
			var ferr *FileError
			if !errors.As(err, &ferr) {
				t.Fatalf("err = %v, want a *FileError", err)
			}
			if ferr.Reason != tt.wantReason || len(ferr.Problems) == 0 || !strings.Contains(ferr.Problems[0].Message, tt.wantMsg) {
				t.Errorf("got %s %v, want %s with %q", ferr.Reason, ferr.Problems, tt.wantReason, tt.wantMsg)
			}
			if f == nil {
				t.Error("ParseFile returned a nil File")
			}

			// The device changes nothing, and says why.
			d, _ := newTestDevice(t)
			res := d.ApplyFile(tt.data)
			if res.Applied || !res.Ignored || res.IgnoreReason != tt.wantReason {
				t.Errorf("ApplyFile: applied=%v ignored=%v reason=%s", res.Applied, res.Ignored, res.IgnoreReason)
			}
			if _, ok := d.Setting("BS_IP_Data.ucB_TIME_USE_AUTOMATIC_DST"); ok {
				t.Error("a setting of an ignored file was stored")
			}
			if got := eventsOf(d, EventFileIgnored); len(got) != 1 || !strings.Contains(got[0].Detail, string(tt.wantReason)) {
				t.Errorf("events %v, want one %s naming %s", got, EventFileIgnored, tt.wantReason)
			}
		})
	}
}

func TestParseMACIsCaseInsensitive(t *testing.T) {
	if _, err := ParseFile(docFor("7c2f80ca21e4"), testMAC); err != nil {
		t.Fatalf("lower-case MAC: %v", err)
	}
}

// TestMalformedItems checks that a malformed item, found by the parser or only when the
// value meets its field, makes the device ignore the whole file: the valid item beside
// it must not be applied either.
func TestMalformedItems(t *testing.T) {
	slot := "BS_VOIP_Data.astVoipAccounts[0]."
	tests := []struct {
		name string
		line string
		id   string // ID the error must name ("" = the item has none)
		msg  string
	}{
		// Found by the parser.
		{"no ID", `<SYMB_ITEM class="symb_item" value="1"/>`, "", "without an ID"},
		{"no class", `<SYMB_ITEM ID="BS_X.a" value="1"/>`, "BS_X.a", "no class"},
		{"wrong class", `<SYMB_ITEM ID="BS_X.a" class="string" value="1"/>`, "BS_X.a", `class "string"`},
		{"no value", `<SYMB_ITEM ID="BS_X.a" class="symb_item"/>`, "BS_X.a", "no value"},
		{"empty value", item("BS_X.a", ""), "BS_X.a", "empty value"},
		{"bare word", item("BS_X.a", "yes"), "BS_X.a", "neither a quoted string"},
		{"unterminated string", item("BS_X.a", `"abc`), "BS_X.a", "no closing double quote"},
		{"double quote in string", item("BS_X.a", `"a"b"`), "BS_X.a", "quote character \""},
		{"single quote in string", `<SYMB_ITEM ID="BS_X.a" class="symb_item" value="&quot;O'Brien&quot;"/>`, "BS_X.a", "quote character '"},
		{"tab in string", item("BS_X.a", `"a&#9;b"`), "BS_X.a", "control character U+0009"},
		{"space in byte list", item("BS_X.a", "0x01, 0x02"), "BS_X.a", "neither"},
		{"one hex digit in byte list", item("BS_X.a", "0x1,0x02"), "BS_X.a", "neither"},
		{"upper-case 0X", item("BS_X.a", "0X1F"), "BS_X.a", "neither"},
		{"negative integer", item("BS_X.a", "-1"), "BS_X.a", "neither"},
		{"integer overflow", item("BS_X.a", "18446744073709551616"), "BS_X.a", "does not fit in 64 bits"},
		{"space in ID", item("BS X.a", "1"), "BS X.a", "not an identifier"},
		{"bad index in ID", item("BS_X.a[x]", "1"), "BS_X.a[x]", "neither a number nor %"},
		{"SYMB_ITEM with content", `<SYMB_ITEM ID="BS_X.a" class="symb_item" value="1">text</SYMB_ITEM>`, "BS_X.a", "has content"},
		{"attribute given twice", `<SYMB_ITEM ID="BS_X.a" class="symb_item" value="1" value="2"/>`, "BS_X.a", "attribute value given twice"},
		// Found when the value meets its field.
		{"boolean 2", item(slot+"ucB_SIP_ACCOUNT_IS_ACTIVE_1", "2"), slot + "ucB_SIP_ACCOUNT_IS_ACTIVE_1", "want 0 or 1"},
		{"string for a boolean", item(slot+"ucB_SIP_ACCOUNT_IS_ACTIVE_1", str("1")), slot + "ucB_SIP_ACCOUNT_IS_ACTIVE_1", "want 0 or 1"},
		{"integer for a string", item(slot+"aucS_SIP_USER_ID[0]", "1013"), slot + "aucS_SIP_USER_ID[0]", "want a quoted string"},
		{"provider index 256", item(slot+"ucVoipProviderIndex", "256"), slot + "ucVoipProviderIndex", "0 to 255"},
		{"slot 100", item("BS_VOIP_Data.astVoipAccounts[100].ucVoipProviderIndex", "0"), "BS_VOIP_Data.astVoipAccounts[100].ucVoipProviderIndex", "outside 0..99"},
		{"reservation of 4 bytes", item("BS_CUSTOM.aucHandsetCode[3]", "0x00,0xAB,0xC5,0x08"), "BS_CUSTOM.aucHandsetCode[3]", "5-byte list"},
		{"reservation slot 100", item("BS_CUSTOM.aucHandsetCode[100]", "0xFF,0xFF,0xFF,0xFF,0xFF"), "BS_CUSTOM.aucHandsetCode[100]", "outside 0..99"},
		{"reservation with two indexes", item("BS_CUSTOM.aucHandsetCode[1][0]", "0xFF,0xFF,0xFF,0xFF,0xFF"), "BS_CUSTOM.aucHandsetCode[1][0]", "a reservation is written"},
		{"PIN not BCD", item("BS_CUSTOM.aucKdsPin[%]", "0x0A,0x00"), "BS_CUSTOM.aucKdsPin[%]", "not two BCD digits"},
		{"PIN as integer", item("BS_CUSTOM.aucKdsPin[%]", "1"), "BS_CUSTOM.aucKdsPin[%]", "2 BCD bytes"},
		{"start as 3 bytes", item("BS_CUSTOM.aucIPUIRegistrationTimestamp[%]", "0x01,0x02,0x03"), "BS_CUSTOM.aucIPUIRegistrationTimestamp[%]", "4-byte list"},
		{"duration beyond 32 bits", item("BS_CUSTOM.aucIPUIRegistrationDuration[%]", "4294967296"), "BS_CUSTOM.aucIPUIRegistrationDuration[%]", "32 bits"},
		{"random PIN 2", item("BS_CUSTOM.bit.UseRandomRegistrationPIN", "2"), "BS_CUSTOM.bit.UseRandomRegistrationPIN", "want 0 or 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTestDevice(t)
			data := doc(slotItem(5, "aucS_SIP_DISPLAYNAME[0]", str("valid")), tt.line)
			res := d.ApplyFile(data)
			if res.Applied || res.IgnoreReason != ReasonMalformedItems {
				t.Fatalf("applied=%v reason=%q, want the file ignored for %s", res.Applied, res.IgnoreReason, ReasonMalformedItems)
			}
			if !hasProblem(res.Errors, tt.id, tt.msg) {
				t.Errorf("errors %v, want one for ID %q containing %q", res.Errors, tt.id, tt.msg)
			}
			if res.Errors[0].Line != 6 {
				t.Errorf("error on line %d, want 6", res.Errors[0].Line)
			}
			if got := d.Slot(5).DisplayName; got != "" {
				t.Errorf("slot 5 display name %q: the valid item of an ignored file was applied", got)
			}
		})
	}
}

func TestUnknownItemsStoredRaw(t *testing.T) {
	d, _ := newTestDevice(t)
	res := mustApply(t, d, doc(
		item("BS_IP_Data.aucS_TIME_NTP_SERVER[%]", str("pool.ntp.org")),
		item("BS_VOIP_Data.astVoipProviders[0].uiSIP_SERVER_PORT", "0x13c4"),
		item("BS_IP_Data.aucSomeBytes[%]", "0x01,0xff"),
		slotItem(4, "ucSomethingNew", "7"),
	))
	want := map[string]string{
		"BS_IP_Data.aucS_TIME_NTP_SERVER[%]":                 `"pool.ntp.org"`,
		"BS_VOIP_Data.astVoipProviders[0].uiSIP_SERVER_PORT": "0x13c4",
		"BS_IP_Data.aucSomeBytes[%]":                         "0x01,0xff",
		"BS_VOIP_Data.astVoipAccounts[4].ucSomethingNew":     "7",
	}
	for id, w := range want {
		if got, ok := d.Setting(id); !ok || got != w {
			t.Errorf("Setting(%s) = %q, %v; want %q", id, got, ok, w)
		}
	}
	if !hasProblem(res.Warnings, "BS_VOIP_Data.astVoipAccounts[4].ucSomethingNew", "not modelled") {
		t.Errorf("warnings %v, want one for the unmodelled account member", res.Warnings)
	}
}

func TestParseWarnings(t *testing.T) {
	data := doc(
		`<VERSION value="0103261200"/>`,
		`<EXTRA value="x"/>`,
		item("BS_X.a", "1"),
		item("BS_X.a", "2"),
		`<SYMB_ITEM ID="BS_X.b" class="symb_item" value="1" comment="x"/>`,
		reserve(7, "00ABC50871"),
		reserve(9, "00ABC50871"),
	)
	d, _ := newTestDevice(t)
	res := mustApply(t, d, data)
	for _, want := range []string{"VERSION element ignored", "unknown element <EXTRA>", "unknown attribute comment", "the later value wins", "reserved in slots 7 and 9"} {
		if !hasProblem(res.Warnings, "", want) {
			t.Errorf("warnings %v, want one containing %q", res.Warnings, want)
		}
	}
	if got, _ := d.Setting("BS_X.a"); got != "2" {
		t.Errorf("duplicate item: value %q, want the later one", got)
	}
}

func TestParseSizeLimit(t *testing.T) {
	data := doc(account(0, "1013", "Anna")...)
	tests := []struct {
		limit   int
		applied bool
	}{
		{len(data), true},
		{len(data) - 1, false},
	}
	for _, tt := range tests {
		d, _ := newTestDevice(t, func(c *Config) { c.MaxFileSize = tt.limit })
		res := d.ApplyFile(data)
		if res.Applied != tt.applied || (!tt.applied && res.IgnoreReason != ReasonTooLarge) {
			t.Errorf("limit %d for %d bytes: applied=%v reason=%q", tt.limit, len(data), res.Applied, res.IgnoreReason)
		}
	}

	huge := doc("<!--" + strings.Repeat("x", DefaultMaxFileSize) + "-->")
	if _, err := ParseFile(huge, testMAC); err == nil || err.(*FileError).Reason != ReasonTooLarge {
		t.Errorf("ParseFile of %d bytes: %v, want %s", len(huge), err, ReasonTooLarge)
	}
}

func TestProblemListIsBounded(t *testing.T) {
	var lines []string
	for range maxProblems + 10 {
		lines = append(lines, item("BS_X.a", "bad"))
	}
	_, err := ParseFile(doc(lines...), testMAC)
	var ferr *FileError
	if !errors.As(err, &ferr) {
		t.Fatalf("err = %v", err)
	}
	if len(ferr.Problems) != maxProblems+1 || !strings.Contains(ferr.Problems[maxProblems].Message, "10 more problems") {
		t.Errorf("%d problems, last %v", len(ferr.Problems), ferr.Problems[len(ferr.Problems)-1])
	}
}
