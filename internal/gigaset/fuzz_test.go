package gigaset

import (
	"regexp"
	"strings"
	"sync"
	"testing"
)

func isUpperHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// stripSeparators removes the separators the parsers accept and upper-cases.
func stripSeparators(s, seps string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if strings.ContainsRune(seps, r) {
			return -1
		}
		return r
	}, s))
}

func FuzzParseMAC(f *testing.F) {
	for _, s := range []string{"7C:2F:80:CA:21:E4", "7c-2f-80-ca-21-e4", "7C2F80CA21E4", "7c2f.80ca.21e4",
		"7C:2F-80:CA:21:E4", "7C2F80CA21E", "", "7C:2F:80:CA:21:G4", "gggggggggggg", "7c2f..80ca21e4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseMAC(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "MAC address ") {
				t.Fatalf("error does not name the input kind: %v", err)
			}
			return
		}
		if len(c) != 12 || !isUpperHex(c) {
			t.Fatalf("ParseMAC(%q) = %q, not 12 upper-case hex digits", s, c)
		}
		if c != stripSeparators(s, ":-.") {
			t.Fatalf("ParseMAC(%q) = %q changed more than case and separators", s, c)
		}
		if again, err := ParseMAC(c); err != nil || again != c {
			t.Fatalf("canonical %q re-parses as %q, %v", c, again, err)
		}
	})
}

func FuzzParseIPUI(f *testing.F) {
	for _, s := range []string{"00 AB C5 08 71", "00ABB84A08", "00abc50871", "00:AB:C5:08:71", "00-ab-c5-08-71",
		"FF FF FF FF FF", "00 AB C5 08", "00  AB C5 08 71", " 00ABC50871", "00ABC50871 ", "0x00,0xAB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseIPUI(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "IPUI ") {
				t.Fatalf("error does not name the input kind: %v", err)
			}
			return
		}
		if len(c) != 10 || !isUpperHex(c) || c == noReservation {
			t.Fatalf("ParseIPUI(%q) = %q, not a canonical IPUI", s, c)
		}
		if c != stripSeparators(s, " :-") {
			t.Fatalf("ParseIPUI(%q) = %q changed more than case and separators", s, c)
		}
		if again, err := ParseIPUI(c); err != nil || again != c {
			t.Fatalf("canonical %q re-parses as %q, %v", c, again, err)
		}
		b, ok := parseByteList(IPUIBytes(c), 5)
		if !ok || string(appendHex(nil, b)) != c {
			t.Fatalf("IPUIBytes(%q) = %q does not decode back", c, IPUIBytes(c))
		}
	})
}

func FuzzParsePIN(f *testing.F) {
	for _, s := range []string{"0000", "0001", "9999", "123", "12345", "12a4", "", "١٢٣٤"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParsePIN(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "PIN ") || PINBytes(s) != "" {
				t.Fatalf("ParsePIN(%q) = %v, PINBytes %q", s, err, PINBytes(s))
			}
			return
		}
		if c != s || len(c) != 4 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("ParsePIN(%q) = %q", s, c)
		}
		b, ok := parseByteList(PINBytes(c), 2)
		if !ok || string(appendHex(nil, b)) != c {
			t.Fatalf("PINBytes(%q) = %q does not decode back", c, PINBytes(c))
		}
	})
}

// macIDError is every message ParseMACID may return: none repeats the input.
var macIDError = regexp.MustCompile(`^MAC-ID: (the dash must follow the 12th character; |character \d+ is not a (hex digit|letter or digit); )?` +
	regexp.QuoteMeta("expected 12 hex digits, a dash and 4 letters or digits as printed on the label (XXXXXXXXXXXX-XXXX)") + `(; got \d+ characters)?$`)

func FuzzParseMACID(f *testing.F) {
	for _, s := range []string{"7C2F80CA21E4-ABCD", "7c2f80ca21e4abcd", "589EC6000001-GTMQ", "7C2F80CA21E4-AB",
		"7C2F80CA21E-4ABCD", "7C2F80CA21E4--BCD", "7C2F80CA21E4-AB!D", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseMACID(s)
		if err != nil {
			if !macIDError.MatchString(err.Error()) {
				t.Fatalf("ParseMACID(%q): unexpected message form (it may repeat the credential): %v", s, err)
			}
			return
		}
		if len(c) != 17 || c[12] != '-' || !isUpperHex(c[:12]) || strings.ToUpper(c) != c {
			t.Fatalf("ParseMACID(%q) = %q, not canonical", s, c)
		}
		if c[:12]+c[13:] != stripSeparators(s, "-") {
			t.Fatalf("ParseMACID(%q) = %q changed more than case and the dash", s, c)
		}
		if again, err := ParseMACID(c); err != nil || again != c {
			t.Fatalf("canonical %q re-parses as %q, %v", c, again, err)
		}
	})
}

// fuzzProfiles are the profiles FuzzParse reads with: the default and the window
// alternatives, so that every window encoding's reader is fuzzed.
var fuzzProfiles = sync.OnceValue(func() []*Profile {
	ps := []*Profile{N720()}
	for _, o := range [][]Override{
		{{Param: ParamRegistrationWindowStart, Encoding: EncodingDDMMYYHHMM}},
		oldWindowOverrides(EncodingInteger),
		oldWindowOverrides(EncodingUint32BE),
	} {
		p, err := N720().WithOverrides(o)
		if err != nil {
			panic(err)
		}
		ps = append(ps, p)
	}
	return ps
})

// FuzzParse: Parse never panics; what it accepts renders, and the rendering parses
// back to the same model (joined), and to the model without secrets (public part).
// which picks the profile.
func FuzzParse(f *testing.F) {
	for which, p := range fuzzProfiles() {
		for _, d := range []*Document{baseDocument(), exampleDocument(), fullDocument()} {
			d.Extra = append(d.Extra, Item{ID: "BS_F.secret[%]", Value: `"s&<"`, Secret: true}, Item{ID: "BS_F.b", Value: "0x01,0xFF"})
			r, err := Render(d, p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(which), Join(r.Document, r.Credentials))
			f.Add(uint8(which), r.Document)
		}
	}
	for _, s := range []string{
		"",
		"<ProviderFrame><Provider><MAC_ADDRESS value=\"7C2F80CA21E4\"/></Provider></ProviderFrame>",
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><ProviderFrame><Provider><!-- slot 3: a-%2Db --><SYMB_ITEM ID=\"BS_X.y\" class=\"symb_item\" value='\"\xfc\"'/></Provider></ProviderFrame>",
		"<!DOCTYPE x><ProviderFrame/>",
		"<ProviderFrame><Provider><SYMB_ITEM ID=\"BS_VOIP_Data.astVoipAccounts[100].aucS_SIP_USER_ID[0]\" class=\"symb_item\" value='\"1\"'/></Provider></ProviderFrame>",
		"<ProviderFrame><Provider><!-- secret item: BS_X.y --></Provider></ProviderFrame>",
	} {
		f.Add(uint8(0), []byte(s))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		ps := fuzzProfiles()
		p := ps[int(which)%len(ps)]
		d, err := Parse(data, p)
		if err != nil {
			return
		}
		r, err := Render(d, p)
		if err != nil {
			t.Fatalf("Parse accepted a document that Render refuses: %v", err)
		}
		again, err := Parse(Join(r.Document, r.Credentials), p)
		if err != nil {
			t.Fatalf("Parse refuses the rendering of a parsed document: %v", err)
		}
		if diff := diffDocuments(d, again); diff != "" {
			t.Fatalf("re-parsed model differs:\n%s", diff)
		}
		public, err := Parse(r.Document, p)
		if err != nil {
			t.Fatalf("Parse refuses the public part: %v", err)
		}
		// Secrets parsed from the public part would show up here: it must hold none.
		if diff := diffDocuments(withoutSecrets(d), public); diff != "" {
			t.Fatalf("public part differs from the model without secrets:\n%s", diff)
		}
	})
}
