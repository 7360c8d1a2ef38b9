package useragent

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	long := "Gigaset N720 DM PRO/70.108.00.000.000;7C2F80CA21E4" + strings.Repeat("x", 10000)
	tests := []struct {
		name string
		in   string
		want Info
	}{
		{"full", "Gigaset N720 DM PRO/70.108.00.000.000;7C2F80CA21E4",
			Info{Model: "N720 DM PRO", Firmware: "70.108.00.000.000", MAC: "7C2F80CA21E4"}},
		{"no MAC", "Gigaset N720 DM PRO/70.108.00.000.000",
			Info{Model: "N720 DM PRO", Firmware: "70.108.00.000.000"}},
		{"lower-case MAC", "Gigaset N720 DM PRO/70.108.00.000.000;7c2f80ca21e4",
			Info{Model: "N720 DM PRO", Firmware: "70.108.00.000.000", MAC: "7C2F80CA21E4"}},
		{"MAC with colons and spaces", "Gigaset N720 DM PRO/70.108.00.000.000; 7c:2f:80:ca:21:e4 ",
			Info{Model: "N720 DM PRO", Firmware: "70.108.00.000.000", MAC: "7C2F80CA21E4"}},
		{"MAC with dashes", "Gigaset N720 DM PRO/70.108;7C-2F-80-CA-21-E4",
			Info{Model: "N720 DM PRO", Firmware: "70.108", MAC: "7C2F80CA21E4"}},
		{"mixed separators", "Gigaset N720 DM PRO/70.108;7C:2F-80:CA:21:E4",
			Info{Model: "N720 DM PRO", Firmware: "70.108"}},
		{"MAC too short", "Gigaset N720 DM PRO/70.108;7C2F80CA21E",
			Info{Model: "N720 DM PRO", Firmware: "70.108"}},
		{"MAC not hex", "Gigaset N720 DM PRO/70.108;7C2F80CA21EZ",
			Info{Model: "N720 DM PRO", Firmware: "70.108"}},
		{"empty MAC", "Gigaset N720 DM PRO/70.108;",
			Info{Model: "N720 DM PRO", Firmware: "70.108"}},
		{"comment after version", "Gigaset N870 IP PRO/83.250.00.000.000 (build 7)",
			Info{Model: "N870 IP PRO", Firmware: "83.250.00.000.000"}},
		{"other vendor", "curl/8.5.0", Info{Model: "curl", Firmware: "8.5.0"}},
		{"browser", "Mozilla/5.0 (X11; Linux x86_64)", Info{Model: "Mozilla", Firmware: "5.0"}},
		{"no version", "Gigaset N720 DM PRO", Info{Model: "N720 DM PRO"}},
		{"empty version", "Gigaset N720 DM PRO/", Info{Model: "N720 DM PRO"}},
		{"version with quote", `Gigaset N720/70"108`, Info{Model: "N720"}},
		{"vendor only", "Gigaset ", Info{}},
		{"empty", "", Info{}},
		{"garbage", "\x00\x01\xff/\xfe;\x80", Info{}},
		{"control char in model", "Gigaset N720\tDM/70.1", Info{Firmware: "70.1"}},
		{"non-ASCII model", "Gigaset Müller/70.1", Info{Firmware: "70.1"}},
		{"slashes", "///", Info{}},
		{"very long", long, Info{Model: "N720 DM PRO", Firmware: "70.108.00.000.000"}},
		{"long model", strings.Repeat("M", 65) + "/1.0", Info{Firmware: "1.0"}},
		{"long firmware", "Gigaset N720/" + strings.Repeat("1", 65), Info{Model: "N720"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Parse(tc.in); got != tc.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseDoesNotAllocate(t *testing.T) {
	ua := "Gigaset N720 DM PRO/70.108.00.000.000;7C2F80CA21E4"
	allocs := testing.AllocsPerRun(100, func() { _ = Parse(ua) })
	// The upper-casing of the MAC is the one allocation a full header needs.
	if allocs > 1 {
		t.Errorf("Parse allocates %v times per call, want at most 1", allocs)
	}
	ua = "Gigaset N720 DM PRO/70.108.00.000.000"
	if allocs := testing.AllocsPerRun(100, func() { _ = Parse(ua) }); allocs != 0 {
		t.Errorf("Parse without MAC allocates %v times per call, want 0", allocs)
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"clean", "Gigaset N720 DM PRO/70.108", "Gigaset N720 DM PRO/70.108"},
		{"empty", "", ""},
		{"control characters", "a\r\nb\x00c\x7fd", "a\uFFFD\uFFFDb\uFFFDc\uFFFDd"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"C1 control", "a\u0085b", "a\uFFFDb"},
		{"latin-1 letter kept", "Müller", "Müller"},
		{"long", strings.Repeat("a", MaxLen+10), strings.Repeat("a", MaxLen)},
		// A multi-byte rune that would cross the limit is dropped, not split.
		{"rune at limit", strings.Repeat("a", MaxLen-1) + "ü", strings.Repeat("a", MaxLen-1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// checkInfo asserts the guarantees Parse documents for every input.
func checkInfo(t *testing.T, in string, info Info) {
	t.Helper()
	if len(info.Model) > maxModel || !isPrintableASCII(info.Model) {
		t.Errorf("Parse(%q).Model = %q: not short printable ASCII", in, info.Model)
	}
	if len(info.Firmware) > maxFirmware || (info.Firmware != "" && !isVersion(info.Firmware)) {
		t.Errorf("Parse(%q).Firmware = %q: not a version token", in, info.Firmware)
	}
	if info.MAC != "" {
		if len(info.MAC) != 12 || strings.ToUpper(info.MAC) != info.MAC {
			t.Errorf("Parse(%q).MAC = %q: not 12 upper-case hex digits", in, info.MAC)
		}
		for i := 0; i < len(info.MAC); i++ {
			if !isHex(info.MAC[i]) {
				t.Errorf("Parse(%q).MAC = %q: not hex", in, info.MAC)
			}
		}
	}
}

func FuzzUserAgent(f *testing.F) {
	for _, s := range []string{
		"Gigaset N720 DM PRO/70.108.00.000.000;7C2F80CA21E4",
		"Gigaset N720 DM PRO/70.108.00.000.000",
		"Gigaset N720 DM PRO/70.108;7c:2f:80:ca:21:e4",
		"Mozilla/5.0 (X11; Linux x86_64)",
		"", ";", "/", "\xff\xfe", "Gigaset /;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		info := Parse(in)
		checkInfo(t, in, info)
		c := Clean(in)
		if len(c) > MaxLen || !utf8.ValidString(c) {
			t.Errorf("Clean(%q) = %q: longer than %d bytes or invalid UTF-8", in, c, MaxLen)
		}
		for _, r := range c {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Errorf("Clean(%q) = %q: contains control character %U", in, c, r)
			}
		}
		// A well-formed header built from the parsed fields parses back to them.
		if info.Model != "" && info.Firmware != "" && strings.TrimSpace(info.Model) == info.Model &&
			!strings.ContainsAny(info.Model, "/;") && !strings.HasPrefix(info.Model, "Gigaset ") {
			s := vendorPrefix + info.Model + "/" + info.Firmware
			if info.MAC != "" {
				s += ";" + info.MAC
			}
			if got := Parse(s); got != info {
				t.Errorf("Parse(%q) = %+v, want %+v (round trip of %q)", s, got, info, in)
			}
		}
	})
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
