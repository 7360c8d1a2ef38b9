// Package useragent reads what a Gigaset DECT Manager says about itself in its
// HTTP User-Agent header, such as
//
//	Gigaset N720 DM PRO/70.108.00.000.000;7C2F80CA21E4
//
// The result is only recorded (the firmware shown in status, the model in the
// list of unknown devices); the provisioning server identifies a device by the
// URL it asks for, never by its User-Agent, which anyone can forge. Parsing is
// therefore best effort: any input, however long or malformed, yields an Info
// whose fields are each either empty or safe to store and show.
package useragent

import (
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"strings"
	"unicode/utf8"
)

// MaxLen is the number of bytes of a User-Agent that Parse looks at and Clean
// keeps. Real devices send about 50; the rest of a longer header is noise.
const MaxLen = 256

// Limits for each parsed field. A field that does not fit is left empty rather
// than truncated: a truncated firmware version would look real and be wrong.
const (
	maxModel    = 64
	maxFirmware = 64
)

// vendorPrefix is the product-name prefix all Gigaset devices use.
const vendorPrefix = "Gigaset "

// Info is what a User-Agent tells about a device. Each field is empty when the
// header does not contain it in a recognisable form.
type Info struct {
	// Model is the product name without the vendor, e.g. "N720 DM PRO".
	// Printable ASCII only.
	Model string
	// Firmware is the version after the "/", e.g. "70.108.00.000.000".
	// Letters, digits and ".-_+" only.
	Firmware string
	// MAC is the device MAC that some firmware appends after ";", as 12
	// upper-case hex digits. Never use it to identify the device.
	MAC string
}

// Parse extracts model, firmware and MAC from a User-Agent header value.
//
// The expected shape is "<vendor> <model>/<firmware>[;<MAC>]". Anything after
// the firmware version up to the ";" (such as a parenthesised comment) is
// ignored. Parse never panics and looks at no more than MaxLen bytes. When the
// input has valid fields, the strings returned share its memory, so the hot path
// of the server does not allocate.
func Parse(s string) Info {
	if len(s) > MaxLen {
		s = s[:MaxLen]
	}
	product, extra, _ := strings.Cut(s, ";")
	name, version, hasVersion := strings.Cut(product, "/")

	var info Info
	name = strings.TrimLeft(name, " \t")
	name, _ = strings.CutPrefix(name, vendorPrefix)
	name = strings.TrimSpace(name)
	if len(name) <= maxModel && isPrintableASCII(name) {
		info.Model = name
	}
	if hasVersion {
		version = strings.TrimLeft(version, " \t")
		if i := strings.IndexAny(version, " \t("); i >= 0 {
			version = version[:i]
		}
		if len(version) <= maxFirmware && isVersion(version) {
			info.Firmware = version
		}
	}
	info.MAC = parseMAC(strings.TrimSpace(extra))
	return info
}

// parseMAC returns the canonical form of a MAC in any notation gigaset.ParseMAC takes,
// or "" for anything else.
func parseMAC(s string) string {
	if s == "" {
		return "" // most User-Agents carry no MAC; spare them ParseMAC's error
	}
	mac, err := gigaset.ParseMAC(s)
	if err != nil {
		return ""
	}
	return mac
}

// Clean returns s made safe to record: at most MaxLen bytes, cut on a rune
// boundary, with control characters and invalid UTF-8 replaced by U+FFFD.
// It returns s itself (no allocation) when s is already clean.
func Clean(s string) string {
	if len(s) <= MaxLen && isPrintableASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), MaxLen))
	// Ranging over a string yields U+FFFD for each invalid byte.
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			r = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(r) > MaxLen {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// isVersion reports whether s is a non-empty firmware version token.
func isVersion(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c == '.', c == '-', c == '_', c == '+':
		default:
			return false
		}
	}
	return true
}
