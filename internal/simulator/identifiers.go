package simulator

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// IPUI is the 5-byte identity of a DECT handset (International Portable User Identity).
type IPUI [5]byte

// NoIPUI is the "no reservation" value of a slot (0xFF x5, the factory default). The
// simulator also uses it for "no handset registered".
var NoIPUI = IPUI{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}

// ParseIPUI reads 10 hex digits in any common notation: "00ABC50871", "00 AB C5 08 71",
// "00:ab:c5:08:71".
func ParseIPUI(s string) (IPUI, error) {
	digits := stripSeparators(s)
	var id IPUI
	if len(digits) != 2*len(id) {
		return id, fmt.Errorf("IPUI %q: want 10 hex digits", s)
	}
	if _, err := hex.Decode(id[:], []byte(digits)); err != nil {
		return id, fmt.Errorf("IPUI %q: want 10 hex digits", s)
	}
	return id, nil
}

// IsNone reports whether i is NoIPUI.
func (i IPUI) IsNone() bool { return i == NoIPUI }

// String returns 10 upper-case hex digits, or "none" for NoIPUI.
func (i IPUI) String() string {
	if i.IsNone() {
		return "none"
	}
	return strings.ToUpper(hex.EncodeToString(i[:]))
}

// normaliseMAC accepts a MAC address in any common notation and returns it as the device
// writes it: 12 upper-case hex digits.
func normaliseMAC(s string) (string, error) {
	digits := strings.ToUpper(stripSeparators(s))
	if len(digits) != 12 || strings.Trim(digits, "0123456789ABCDEF") != "" {
		return "", fmt.Errorf("MAC address %q: want 12 hex digits", s)
	}
	return digits, nil
}

// checkMACID checks the label code that is the device's built-in Digest password:
// XXXXXXXXXXXX-XXXX, upper-case letters and digits. It is used verbatim, so it is not
// normalised: a different case would be a different password.
func checkMACID(s string) error {
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	head, tail, ok := strings.Cut(s, "-")
	if !ok || len(head) != 12 || len(tail) != 4 || strings.Trim(head+tail, alnum) != "" {
		return fmt.Errorf("MAC-ID %q: want XXXXXXXXXXXX-XXXX (upper-case letters and digits)", s)
	}
	return nil
}

func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', ':', '-', '.':
			return -1
		}
		return r
	}, s)
}
