package gigaset

import (
	"strings"
	"testing"
)

func TestParseMACAcceptsEveryNotation(t *testing.T) {
	for _, in := range []string{
		"7C:2F:80:CA:21:E4",
		"7c:2f:80:ca:21:e4",
		"7c-2f-80-ca-21-e4",
		"7C-2F-80-CA-21-E4",
		"7C2F80CA21E4",
		"7c2f80ca21e4",
		"7c2f.80ca.21e4",
		"7C2F.80CA.21E4",
		"7c:2F:80:cA:21:e4",
	} {
		got, err := ParseMAC(in)
		if err != nil || got != "7C2F80CA21E4" {
			t.Errorf("ParseMAC(%q) = %q, %v; want 7C2F80CA21E4", in, got, err)
		}
	}
}

func TestParseIPUIAcceptsEveryNotation(t *testing.T) {
	for _, in := range []string{
		"00 AB C5 08 71",
		"00ABC50871",
		"00abc50871",
		"00 ab c5 08 71",
		"00:AB:C5:08:71",
		"00-ab-c5-08-71",
		"00ABC 50871",
		"0-0ABC-50871",
	} {
		got, err := ParseIPUI(in)
		if err != nil || got != "00ABC50871" {
			t.Errorf("ParseIPUI(%q) = %q, %v; want 00ABC50871", in, got, err)
		}
	}
}

func TestParsePINAcceptsFourDigits(t *testing.T) {
	for _, in := range []string{"0000", "0001", "1234", "9999"} {
		if got, err := ParsePIN(in); err != nil || got != in {
			t.Errorf("ParsePIN(%q) = %q, %v", in, got, err)
		}
	}
}

func TestParseMACIDAcceptsEveryNotation(t *testing.T) {
	for _, in := range []string{
		"7C2F80CA21E4-ABCD",
		"7c2f80ca21e4-abcd",
		"7C2F80CA21E4ABCD",
		"7c2f80ca21e4abcd",
		"7C2f80ca21E4-aBcD",
	} {
		if got, err := ParseMACID(in); err != nil || got != "7C2F80CA21E4-ABCD" {
			t.Errorf("ParseMACID(%q) = %q, %v; want 7C2F80CA21E4-ABCD", in, got, err)
		}
	}
	if got, err := ParseMACID("589ec6000001-gtmq"); err != nil || got != "589EC6000001-GTMQ" {
		t.Errorf("ParseMACID with letters beyond F in the code = %q, %v", got, err)
	}
}

func TestByteEncoders(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{IPUIBytes("00ABC50871"), "0x00,0xAB,0xC5,0x08,0x71"},
		{IPUIBytes("00ABB84A08"), "0x00,0xAB,0xB8,0x4A,0x08"},
		{IPUIBytes(""), "0xFF,0xFF,0xFF,0xFF,0xFF"},
		{IPUIBytes("00abc50871"), ""}, // not canonical
		{IPUIBytes("00ABC5087"), ""},
		{PINBytes("0001"), "0x00,0x01"},
		{PINBytes("0000"), "0x00,0x00"},
		{PINBytes("1234"), "0x12,0x34"},
		{PINBytes("9870"), "0x98,0x70"},
		{PINBytes("123"), ""},
		{PINBytes("12a4"), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestCheckTextAccepts(t *testing.T) {
	for _, s := range []string{
		"", "1013", "Jürgen Müller", "Müller & Söhne <Büro>", "ÄÖÜäöüßéñøå¿×ÿ",
		"\u00A0non-breaking", "*2", strings.Repeat("x", 32), strings.Repeat("ü", 32),
	} {
		if err := checkField("display name", s, 32, false); err != nil {
			t.Errorf("checkText(%q) = %v", s, err)
		}
		if err := checkField("password", s, 32, true); err != nil {
			t.Errorf("checkText(%q, secret) = %v", s, err)
		}
	}
}

// TestMalformedInputs pins the exact message for every kind of bad outside input:
// the messages are what a person reads in a status condition.
func TestMalformedInputs(t *testing.T) {
	mac := func(s string) func() error { return func() error { _, err := ParseMAC(s); return err } }
	ipui := func(s string) func() error { return func() error { _, err := ParseIPUI(s); return err } }
	pin := func(s string) func() error { return func() error { _, err := ParsePIN(s); return err } }
	macID := func(s string) func() error { return func() error { _, err := ParseMACID(s); return err } }
	str := func(s string, max int) func() error {
		return func() error { return checkField("display name", s, max, false) }
	}
	secret := func(s string, max int) func() error {
		return func() error { return checkField("SIP password", s, max, true) }
	}
	override := func(o ...Override) func() error {
		return func() error { _, err := N720().WithOverrides(o); return err }
	}
	const macWant = `: expected 12 hex digits, written as 7C2F80CA21E4, 7C:2F:80:CA:21:E4, 7C-2F-80-CA-21-E4 or 7C2F.80CA.21E4`
	const macIDWant = "expected 12 hex digits, a dash and 4 letters or digits as printed on the label (XXXXXXXXXXXX-XXXX)"
	const allowed = "; allowed are printable ISO-8859-1 characters except quotes"
	tests := []struct {
		name string
		run  func() error
		want string // the exact message
	}{
		{"mac empty", mac(""), `MAC address ""` + macWant},
		{"mac too short", mac("7C:2F:80:CA:21"), `MAC address "7C:2F:80:CA:21"` + macWant},
		{"mac too long", mac("7C2F80CA21E4F"), `MAC address "7C2F80CA21E4F"` + macWant},
		{"mac mixed separators", mac("7C:2F-80:CA:21:E4"), `MAC address "7C:2F-80:CA:21:E4"` + macWant},
		{"mac non-hex digit", mac("7C:2F:80:CA:21:G4"), `MAC address "7C:2F:80:CA:21:G4": character 16 "G" is not a hex digit (0-9, A-F)`},
		{"mac surrounding space", mac(" 7C2F80CA21E4"), `MAC address " 7C2F80CA21E4"` + macWant},
		{"mac dots wrong groups", mac("7C2.F80CA.21E4"), `MAC address "7C2.F80CA.21E4"` + macWant},
		{"mac control char quoted safely", mac("7C2F80CA21E\n"), `MAC address "7C2F80CA21E\n": character 12 "\n" is not a hex digit (0-9, A-F)`},
		{"ipui empty", ipui(""), `IPUI "": expected 10 hex digits, e.g. 00 AB C5 08 71`},
		{"ipui 4 bytes", ipui("00 AB C5 08"), `IPUI "00 AB C5 08": has 8 hex digits; expected 10 (5 bytes, e.g. 00 AB C5 08 71)`},
		{"ipui 6 bytes", ipui("00 AB C5 08 71 12"), `IPUI "00 AB C5 08 71 12": more than 10 hex digits; expected 5 bytes, e.g. 00 AB C5 08 71`},
		{"ipui non-hex", ipui("00 AB C5 08 7Z"), `IPUI "00 AB C5 08 7Z": character 14 "Z" is neither a hex digit nor a separator (space, colon, dash)`},
		{"ipui double separator", ipui("00  AB C5 08 71"), `IPUI "00  AB C5 08 71": separator at character 4 must stand between two hex digits`},
		{"ipui leading separator", ipui(":00ABC50871"), `IPUI ":00ABC50871": separator at character 1 must stand between two hex digits`},
		{"ipui trailing separator", ipui("00ABC50871-"), `IPUI "00ABC50871-": ends with a separator; expected 10 hex digits, e.g. 00 AB C5 08 71`},
		{"ipui no reservation marker", ipui("FF FF FF FF FF"), `IPUI "FF FF FF FF FF": FFFFFFFFFF is the device's "no reservation" marker, not a handset identity`},
		{"pin too short", pin("123"), `PIN "123": expected exactly 4 digits 0-9, e.g. 0000`},
		{"pin too long", pin("12345"), `PIN "12345": expected exactly 4 digits 0-9, e.g. 0000`},
		{"pin letter", pin("12a4"), `PIN "12a4": character 3 is not a digit 0-9; expected exactly 4 digits`},
		{"pin empty", pin(""), `PIN "": expected exactly 4 digits 0-9, e.g. 0000`},
		{"pin unicode digit", pin("１２３"), `PIN "１２３": expected exactly 4 digits 0-9, e.g. 0000`},
		{"mac-id too short", macID("7C2F80CA21E4-ABC"), "MAC-ID: " + macIDWant + "; got 16 characters"},
		{"mac-id non-hex mac part", macID("7C2F80CA21EX-ABCD"), "MAC-ID: character 12 is not a hex digit; " + macIDWant},
		{"mac-id symbol in code", macID("7C2F80CA21E4-AB!D"), "MAC-ID: character 16 is not a letter or digit; " + macIDWant},
		{"mac-id dash misplaced", macID("7C2F80CA21E-4ABCD"), "MAC-ID: the dash must follow the 12th character; " + macIDWant},
		{"string double quote", str(`Say "hi"`, 32), `display name: "Say \"hi\"" contains a double quote (") at character 5` + allowed},
		{"string single quote", str("O'Brien", 32), `display name: "O'Brien" contains a single quote (') at character 2` + allowed},
		{"string tab", str("a\tb", 32), `display name: "a\tb" contains control character U+0009 at character 2` + allowed},
		{"string DEL", str("a\x7f", 32), `display name: "a\x7f" contains control character U+007F at character 2` + allowed},
		{"string C1", str("a\u0085", 32), `display name: "a\u0085" contains control character U+0085 at character 2` + allowed},
		{"string euro sign", str("5 €", 32), `display name: "5 €" contains € (U+20AC), which is not in ISO-8859-1 (Latin-1), the only character set the N720 reads at character 3` + allowed},
		{"string invalid utf-8", str("ab\xfc", 32), `display name: "ab\xfc" is not valid UTF-8 (byte 3)`},
		{"string too long in characters", str(strings.Repeat("ü", 33), 32), `display name: "` + strings.Repeat("ü", 32) + `"... is 33 characters long; at most 32 are allowed`},
		{"secret with quote", secret(`pa"ss`, 32), `SIP password: the value contains a double quote (")` + allowed},
		{"secret non-latin1", secret("pass€", 32), "SIP password: the value contains a character outside ISO-8859-1 (Latin-1), the only character set the N720 reads" + allowed},
		{"secret too long", secret(strings.Repeat("p", 40), 32), "SIP password: the value is 40 characters long; at most 32 are allowed"},
		{"override unknown param", override(Override{Param: "slot.nickname", ID: "X.y"}),
			`override 0: unknown parameter "slot.nickname"; known parameters: ` + N720().paramNames()},
		{"override per-slot without {slot}", override(Override{Param: ParamSlotUserID, ID: "BS_VOIP_Data.astVoipAccounts[0].aucS_SIP_USER_ID[0]"}),
			`override 0: entry slot.userID: ID "BS_VOIP_Data.astVoipAccounts[0].aucS_SIP_USER_ID[0]" must contain the index {slot} exactly once (it has 0), e.g. BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_USER_ID[0]`},
		{"override base with {slot}", override(Override{Param: ParamDataServer, ID: "BS_IP_Data.aucS_DATA_SERVER[{slot}]"}),
			`override 0: entry dataServer: ID "BS_IP_Data.aucS_DATA_SERVER[{slot}]": index [{slot}]: {slot} is only allowed in per-slot profile entries; expected dot-separated names (letters, digits, _) each optionally followed by [N] or [%], e.g. ` + idExample},
		{"override malformed ID", override(Override{Param: ParamWebPassword, ID: "BS_CUSTOM..WebUIPassword"}),
			`override 0: entry webPassword: ID "BS_CUSTOM..WebUIPassword": character 11: expected a name; expected dot-separated names (letters, digits, _) each optionally followed by [N] or [%], e.g. ` + idExample},
		{"override wrong encoding for kind", override(Override{Param: ParamSlotIPUI, Encoding: EncodingString}),
			`override 0: entry slot.ipui: encoding "string" cannot represent a ipui value; expected one of ipui`},
		{"override unknown encoding", override(Override{Param: ParamRegistrationWindowStart, Encoding: "uint32"}),
			`override 0: entry registration.windowStart: encoding "uint32" cannot represent a unix time value; expected one of integer, quotedDecimal, ddmmyyhhmm, uint32be, uint32le`},
		{"override two params one ID", override(Override{Param: ParamSlotLoginID, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_USER_ID[%]"}),
			"entries slot.userID and slot.loginID both address BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_USER_ID[%]: every parameter needs its own setting"},
		{"override max length on a number", override(Override{Param: ParamProviderServerPort, MaxLen: 10}),
			"override 0: entry provider.serverPort: a maximum length applies to text parameters only, not to a positive16 value"},
		{"override twice", override(Override{Param: ParamSlotUserID, MaxLen: 20}, Override{Param: ParamSlotUserID, MaxLen: 30}),
			"override 1: parameter slot.userID is overridden twice"},
	}
	if len(tests) < 25 {
		t.Fatalf("only %d malformed inputs; the table must keep at least 25", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatalf("accepted; want error %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n  got  %s\n  want %s", err, tc.want)
			}
		})
	}
}

// TestMACIDErrorsNeverEchoTheCredential: the MAC-ID is the device's Digest password.
func TestMACIDErrorsNeverEchoTheCredential(t *testing.T) {
	for _, in := range []string{"7C2F80CA21E4-AB", "7C2F80CA21EX-QRST", "7C2F80CA21E4-QR$T", "QRSTQRSTQRSTQRST"} {
		_, err := ParseMACID(in)
		if err == nil {
			t.Fatalf("ParseMACID(%q) accepted", in)
		}
		for _, part := range []string{in, in[:8], "QRST"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("ParseMACID(%q) error %q repeats %q", in, err, part)
			}
		}
	}
}

// TestCanonicalOutputsReparse: every accepted notation yields a canonical form that
// is itself accepted and unchanged.
func TestCanonicalOutputsReparse(t *testing.T) {
	for _, in := range []string{"7c-2f-80-ca-21-e4", "7c2f.80ca.21e4"} {
		c, _ := ParseMAC(in)
		if again, err := ParseMAC(c); err != nil || again != c {
			t.Errorf("ParseMAC(%q) = %q, %v", c, again, err)
		}
	}
	for _, in := range []string{"00 ab c5 08 71", "00:AB:C5:08:71"} {
		c, _ := ParseIPUI(in)
		if again, err := ParseIPUI(c); err != nil || again != c {
			t.Errorf("ParseIPUI(%q) = %q, %v", c, again, err)
		}
	}
	c, _ := ParseMACID("7c2f80ca21e4abcd")
	if again, err := ParseMACID(c); err != nil || again != c {
		t.Errorf("ParseMACID(%q) = %q, %v", c, again, err)
	}
}
