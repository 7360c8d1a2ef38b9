package macpolicy

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseList: the annotation is written by people, and a wrong reading either refuses
// a tenant its devices or hands them to another.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", "7C:2F:80:CA:21:E4", "7C2F80*, 7c-2f-80-ca-21-e4", "*", "7C2F80CA21E",
		"7C2F80CA21E4*", "7C::2F*", "7C2F80CA21E4\n7C2F81*", "a,b,c,d,e", "7C2F.80CA.21E4, 7C:2F:8*", "\xff*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseList(s)
		if err != nil && len(err.Error()) > 600 {
			t.Fatalf("error of %d bytes: %v", len(err.Error()), err)
		}
		for _, e := range l.entries {
			if len(e) > 12 || !isCanonicalDigits(e) {
				t.Fatalf("entry %q of %q is not 0 to 12 upper-case hex digits", e, s)
			}
			// Every MAC under an entry matches it.
			mac := e + strings.Repeat("0", 12-len(e))
			if l.Match(mac) < len(e) {
				t.Fatalf("%s, under entry %q, matches with %d", mac, e, l.Match(mac))
			}
		}
		// The canonical notation reads back to the same list, without error.
		again, err := ParseList(l.String())
		if err != nil || !slices.Equal(again.entries, l.entries) {
			t.Fatalf("%q: canonical %q reads back as %q, %v", s, l.String(), again.String(), err)
		}
		// Listing everything twice changes nothing.
		twice, _ := ParseList(s + "," + s)
		if !slices.Equal(twice.entries, l.entries) {
			t.Fatalf("%q twice reads as %q, once as %q", s, twice.String(), l.String())
		}
	})
}

func isCanonicalDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
