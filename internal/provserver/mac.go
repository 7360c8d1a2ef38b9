package provserver

import "strings"

// macKey is a MAC address as 6 bytes, the Store's map key, so that the MAC in a
// request path can be looked up without building a string.
type macKey [6]byte

// parseMAC parses exactly 12 hex digits of either case.
func parseMAC(s string) (macKey, bool) {
	var k macKey
	if len(s) != 12 {
		return k, false
	}
	for i := range k {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return macKey{}, false
		}
		k[i] = hi<<4 | lo
	}
	return k, true
}

// String returns the canonical form: 12 upper-case hex digits.
func (k macKey) String() string {
	const digits = "0123456789ABCDEF"
	var b [12]byte
	for i, c := range k {
		b[2*i], b[2*i+1] = digits[c>>4], digits[c&0xf]
	}
	return string(b[:])
}

// macFromPath returns the MAC of a request path of the form
// prefix + "/" + 12 hex digits + ".xml", where prefix is "" or a clean path
// without a trailing slash. Everything else is refused.
func macFromPath(path, prefix string) (macKey, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok || len(rest) != len("/0123456789AB.xml") || rest[0] != '/' || rest[13:] != ".xml" {
		return macKey{}, false
	}
	return parseMAC(rest[1:13])
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
