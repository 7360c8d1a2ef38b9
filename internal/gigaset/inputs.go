package gigaset

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the parsers for values that come from outside (users, Kubernetes
// objects) and the encoders that turn their canonical forms into device notation.
// Every error says what was expected and quotes the input in a safe form (escaped,
// truncated), except for secrets, which are never quoted.

// maxQuoted bounds how much of a rejected input an error message repeats: enough to
// recognise it, not enough to flood a status condition.
const maxQuoted = 64

// quoteInput returns a printable, escaped and bounded form of s for error messages.
func quoteInput(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// macLayouts are the notations ParseMAC accepts; 'X' marks a hex digit.
var macLayouts = []string{
	"XXXXXXXXXXXX",
	"XX:XX:XX:XX:XX:XX",
	"XX-XX-XX-XX-XX-XX",
	"XXXX.XXXX.XXXX",
}

// ParseMAC accepts a MAC address as 7C:2F:80:CA:21:E4, 7c-2f-80-ca-21-e4,
// 7C2F80CA21E4 or 7c2f.80ca.21e4 and returns the device's notation: 12 upper-case
// hex digits. The device ignores a file whose MAC_ADDRESS differs from its own, so
// the canonical form is the only one ever rendered.
func ParseMAC(s string) (string, error) {
	for _, layout := range macLayouts {
		if !matchesLayout(s, layout) {
			continue
		}
		out := make([]byte, 0, 12)
		for i := 0; i < len(s); i++ {
			if layout[i] != 'X' {
				continue
			}
			if !isHex(s[i]) {
				return "", fmt.Errorf("MAC address %s: character %d %s is not a hex digit (0-9, A-F)",
					quoteInput(s), i+1, quoteInput(s[i:i+1]))
			}
			out = append(out, upperHex(s[i]))
		}
		return string(out), nil
	}
	return "", fmt.Errorf("MAC address %s: expected 12 hex digits, written as 7C2F80CA21E4, "+
		"7C:2F:80:CA:21:E4, 7C-2F-80-CA-21-E4 or 7C2F.80CA.21E4", quoteInput(s))
}

// matchesLayout reports whether s has layout's length and its separators at the
// layout's separator positions; digits are checked by the caller, so that a typo in
// a digit gets a more precise message than "wrong notation".
func matchesLayout(s, layout string) bool {
	if len(s) != len(layout) {
		return false
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] != 'X' && s[i] != layout[i] {
			return false
		}
		if layout[i] == 'X' && (s[i] == ':' || s[i] == '-' || s[i] == '.') {
			return false
		}
	}
	return true
}

// noReservation is the IPUI the device uses for "no handset reserved".
const noReservation = "FFFFFFFFFF"

// ParseIPUI accepts a handset's IPUI as printed on its box or shown by *#06#:
// 10 hex digits in any case, optionally grouped by single spaces, colons or dashes
// ("00 AB C5 08 71", "00ABC50871", "00:ab:c5:08:71"). It returns 10 upper-case hex
// digits. FFFFFFFFFF is refused: the device reads it as "no reservation".
func ParseIPUI(s string) (string, error) {
	if s == "" {
		return "", errors.New(`IPUI "": expected 10 hex digits, e.g. 00 AB C5 08 71`)
	}
	out := make([]byte, 0, 10)
	sepOK := false // a separator must stand between two digits
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isHex(c):
			if len(out) == 10 {
				return "", fmt.Errorf("IPUI %s: more than 10 hex digits; expected 5 bytes, e.g. 00 AB C5 08 71", quoteInput(s))
			}
			out = append(out, upperHex(c))
			sepOK = true
		case c == ' ' || c == ':' || c == '-':
			if !sepOK {
				return "", fmt.Errorf("IPUI %s: separator at character %d must stand between two hex digits", quoteInput(s), i+1)
			}
			sepOK = false
		default:
			return "", fmt.Errorf("IPUI %s: character %d %s is neither a hex digit nor a separator (space, colon, dash)",
				quoteInput(s), i+1, quoteInput(s[i:i+1]))
		}
	}
	if !sepOK {
		return "", fmt.Errorf("IPUI %s: ends with a separator; expected 10 hex digits, e.g. 00 AB C5 08 71", quoteInput(s))
	}
	if len(out) != 10 {
		return "", fmt.Errorf("IPUI %s: has %d hex digits; expected 10 (5 bytes, e.g. 00 AB C5 08 71)", quoteInput(s), len(out))
	}
	if string(out) == noReservation {
		return "", fmt.Errorf("IPUI %s: FFFFFFFFFF is the device's \"no reservation\" marker, not a handset identity", quoteInput(s))
	}
	return string(out), nil
}

// IPUIBytes turns a canonical IPUI into the device's byte list:
// "00ABC50871" -> "0x00,0xAB,0xC5,0x08,0x71". The empty IPUI gives
// "0xFF,0xFF,0xFF,0xFF,0xFF" (no reservation). Any other input is not canonical
// (run it through ParseIPUI) and gives "".
func IPUIBytes(canonical string) string {
	if canonical == "" {
		canonical = noReservation
	}
	if len(canonical) != 10 {
		return ""
	}
	for i := 0; i < len(canonical); i++ {
		if c := canonical[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return ""
		}
	}
	var b strings.Builder
	b.Grow(24)
	for i := 0; i < 10; i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("0x")
		b.WriteString(canonical[i : i+2])
	}
	return b.String()
}

// ParsePIN accepts the registration PIN: exactly 4 ASCII digits, because a handset
// keypad can type nothing else and the device stores the PIN as 2 BCD bytes.
func ParsePIN(s string) (string, error) {
	if len(s) != 4 {
		return "", fmt.Errorf("PIN %s: expected exactly 4 digits 0-9, e.g. 0000", quoteInput(s))
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", fmt.Errorf("PIN %s: character %d is not a digit 0-9; expected exactly 4 digits", quoteInput(s), i+1)
		}
	}
	return s, nil
}

// PINBytes encodes a 4-digit PIN as the device's 2 BCD bytes: "0001" -> "0x00,0x01".
// Input that ParsePIN would refuse gives "".
func PINBytes(pin string) string {
	if _, err := ParsePIN(pin); err != nil {
		return ""
	}
	return "0x" + pin[0:2] + ",0x" + pin[2:4]
}

// ParseMACID accepts the MAC-ID printed on the device's label, the password of its
// built-in HTTP Digest identity: 12 hex digits (the MAC), an optional dash, then 4
// letters or digits, in any case. It returns the label's form, upper case with the
// dash: "7C2F80CA21E4-ABCD". The MAC-ID is a credential, so errors never repeat it.
func ParseMACID(s string) (string, error) {
	const want = "expected 12 hex digits, a dash and 4 letters or digits as printed on the label (XXXXXXXXXXXX-XXXX)"
	body := s
	if dash := strings.IndexByte(s, '-'); dash >= 0 {
		if dash != 12 {
			return "", fmt.Errorf("MAC-ID: the dash must follow the 12th character; %s", want)
		}
		body = s[:12] + s[13:]
	}
	if len(body) != 16 {
		return "", fmt.Errorf("MAC-ID: %s; got %d characters", want, utf8.RuneCountInString(s))
	}
	out := make([]byte, 0, 17)
	for i := 0; i < 16; i++ {
		c := body[i]
		pos := i + 1
		if len(body) != len(s) && i >= 12 {
			pos++ // count the dash
		}
		switch {
		case i < 12 && !isHex(c):
			return "", fmt.Errorf("MAC-ID: character %d is not a hex digit; %s", pos, want)
		case i >= 12 && !isHex(c) && !('g' <= c && c <= 'z' || 'G' <= c && c <= 'Z'):
			return "", fmt.Errorf("MAC-ID: character %d is not a letter or digit; %s", pos, want)
		}
		if i == 12 {
			out = append(out, '-')
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(out), nil
}

// checkText returns "" when s can be sent to the device as a string value, else a
// message without the field name. Acceptable are valid UTF-8, only characters of
// ISO-8859-1 (the file's real byte encoding), no control characters (C0, DEL, C1), no
// quote of either kind (how the device parses them is unknown), and at most max
// characters. For secrets the message describes only the kind of problem, never the
// value nor the offending character.
func checkText(s string, max int, secret bool) string {
	subject := func() string { // quoting costs, so only on failure
		if secret {
			return "the value"
		}
		return quoteInput(s)
	}
	n := 0
	for i, r := range s {
		n++
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				if secret {
					return subject() + " is not valid UTF-8"
				}
				return fmt.Sprintf("%s is not valid UTF-8 (byte %d)", subject(), i+1)
			}
		}
		var problem string
		switch {
		case r == '"':
			problem = "a double quote (\")"
		case r == '\'':
			problem = "a single quote (')"
		case r < 0x20 || r == 0x7F || 0x80 <= r && r <= 0x9F:
			problem = fmt.Sprintf("control character U+%04X", r)
			if secret {
				problem = "a control character"
			}
		case r > 0xFF:
			problem = fmt.Sprintf("%s (U+%04X), which is not in ISO-8859-1 (Latin-1), the only character set the N720 reads", string(r), r)
			if secret {
				problem = "a character outside ISO-8859-1 (Latin-1), the only character set the N720 reads"
			}
		default:
			continue
		}
		if secret {
			return fmt.Sprintf("%s contains %s; allowed are printable ISO-8859-1 characters except quotes", subject(), problem)
		}
		return fmt.Sprintf("%s contains %s at character %d; allowed are printable ISO-8859-1 characters except quotes", subject(), problem, n)
	}
	if n > max {
		return fmt.Sprintf("%s is %d characters long; at most %d are allowed", subject(), n, max)
	}
	return ""
}
