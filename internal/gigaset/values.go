package gigaset

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file converts between model values and SYMB_ITEM value attributes (the
// logical attribute text, before XML escaping and Latin-1 conversion).

const hexDigits = "0123456789ABCDEF"

// appendByteList appends bytes as the device's byte list notation, 0x01,0xAB.
func appendByteList(dst []byte, bs ...byte) []byte {
	for i, b := range bs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '0', 'x', hexDigits[b>>4], hexDigits[b&0xF])
	}
	return dst
}

// appendValue appends the attribute text of a validated value. For EncodingString
// it appends only the text between the quotes: the writer adds quoting and escaping.
func (p *Profile) appendValue(dst []byte, e *Entry, k kind, v value) []byte {
	n := v.n
	if k == kindTransport {
		t, _ := p.Transport(v.s)
		n = int64(t)
	}
	switch e.Encoding {
	case EncodingString:
		return append(dst, v.s...)
	case EncodingBoolean, EncodingInteger, EncodingQuotedDecimal:
		return strconv.AppendInt(dst, n, 10)
	case EncodingDDMMYYHHMM:
		return time.Unix(ceilMinute(n), 0).UTC().AppendFormat(dst, ddmmyyhhmm)
	case EncodingHex16:
		return append(dst, '0', 'x', hexDigits[n>>12&0xF], hexDigits[n>>8&0xF], hexDigits[n>>4&0xF], hexDigits[n&0xF])
	case EncodingUint32BE:
		return appendByteList(dst, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	case EncodingUint32LE:
		return appendByteList(dst, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	case EncodingIPUI:
		return append(dst, IPUIBytes(v.s)...)
	default: // EncodingBCDPIN
		return append(dst, PINBytes(v.s)...)
	}
}

// decodeValue reads an attribute text back into a model value and validates it.
// Messages for secret entries never repeat the text.
func (p *Profile) decodeValue(e *Entry, k kind, raw string) (value, error) {
	fail := func(want string) (value, error) {
		shown := "the value"
		if !e.Secret {
			shown = quoteInput(raw)
		}
		return value{}, fmt.Errorf("%s does not decode as %s: expected %s", shown, e.Encoding, want)
	}
	var v value
	switch e.Encoding {
	case EncodingString:
		if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
			return fail(`a string in double quotes, e.g. "1013"`)
		}
		v.s = raw[1 : len(raw)-1]
	case EncodingBoolean, EncodingInteger, EncodingHex16:
		n, ok := parseInteger(raw)
		if !ok {
			return fail("a decimal or 0x hex number")
		}
		v.n = n
	case EncodingQuotedDecimal:
		inner, ok := quotedDigits(raw, 1, 10)
		n, ok2 := parseInteger(inner)
		if !ok || !ok2 {
			return fail(`a decimal number in double quotes, e.g. "1767225600"`)
		}
		v.n = n
	case EncodingDDMMYYHHMM:
		inner, ok := quotedDigits(raw, 10, 10)
		t, err := time.Parse(ddmmyyhhmm, inner)
		if !ok || err != nil {
			return fail(`a date and time DDMMYYHHMM in double quotes, e.g. "0101261200"`)
		}
		v.n = t.Unix()
	case EncodingUint32BE, EncodingUint32LE:
		b, ok := parseByteList(raw, 4)
		if !ok {
			return fail("a list of 4 bytes, e.g. 0x65,0x4A,0x1B,0x00")
		}
		if e.Encoding == EncodingUint32BE {
			v.n = int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
		} else {
			v.n = int64(b[3])<<24 | int64(b[2])<<16 | int64(b[1])<<8 | int64(b[0])
		}
	case EncodingIPUI:
		b, ok := parseByteList(raw, 5)
		if !ok {
			return fail("a list of 5 bytes, e.g. 0x00,0xAB,0xC5,0x08,0x71")
		}
		s := string(appendHex(nil, b))
		if s != noReservation {
			v.s = s
		}
	case EncodingBCDPIN:
		b, ok := parseByteList(raw, 2)
		if !ok || b[0]>>4 > 9 || b[0]&0xF > 9 || b[1]>>4 > 9 || b[1]&0xF > 9 {
			return fail("2 BCD bytes, e.g. 0x00,0x01 for PIN 0001")
		}
		v.s = string(appendHex(nil, b))
	default:
		return fail("a known encoding")
	}
	if k == kindTransport {
		name, ok := p.transportName(v.n)
		if !ok {
			return value{}, fmt.Errorf("transport value %d is not in the profile's transport table (%s)", v.n, p.transportNames())
		}
		v = value{s: name}
	}
	if err := p.checkValue(e, k, v); err != nil {
		return value{}, err
	}
	return v, nil
}

// ddmmyyhhmm is the time layout of EncodingDDMMYYHHMM. Go reads the two-digit year
// 69..99 as 1969..1999 and 00..68 as 2000..2068; Unix time starts in 1970.
const ddmmyyhhmm = "0201061504"

// maxDDMMYYHHMM is the last minute EncodingDDMMYYHHMM writes and reads back alike,
// 2068-12-31 23:59 UTC.
var maxDDMMYYHHMM = time.Date(2068, 12, 31, 23, 59, 0, 0, time.UTC).Unix()

// ceilMinute rounds Unix seconds up to a whole minute, the resolution of
// EncodingDDMMYYHHMM: rounding up keeps a window from opening before its start.
func ceilMinute(n int64) int64 { return (n + 59) / 60 * 60 }

// quotedDigits returns the text inside double quotes if it is min..max ASCII digits.
func quotedDigits(raw string, min, max int) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if len(inner) < min || len(inner) > max || strings.Trim(inner, "0123456789") != "" {
		return "", false
	}
	return inner, true
}

func appendHex(dst []byte, bs []byte) []byte {
	for _, b := range bs {
		dst = append(dst, hexDigits[b>>4], hexDigits[b&0xF])
	}
	return dst
}

// checkValue validates a model value for an entry; the message omits the field name.
func (p *Profile) checkValue(e *Entry, k kind, v value) error {
	switch k {
	case kindText:
		if msg := checkText(v.s, e.MaxLen, e.Secret); msg != "" {
			return fmt.Errorf("%s", msg)
		}
	case kindTransport:
		if _, ok := p.Transport(v.s); !ok {
			return fmt.Errorf("unknown transport %s; the profile knows %s (case-sensitive)", quoteInput(v.s), p.transportNames())
		}
	case kindIPUI:
		if v.s != "" && !isCanonicalIPUI(v.s) {
			if c, err := ParseIPUI(v.s); err != nil {
				return err
			} else if c != v.s {
				return fmt.Errorf("IPUI %s is not canonical: expected %s (use ParseIPUI)", quoteInput(v.s), c)
			}
		}
	case kindPIN:
		if _, err := ParsePIN(v.s); err != nil {
			return err
		}
	case kindUnixTime:
		if e.Encoding == EncodingDDMMYYHHMM && (v.n < 0 || ceilMinute(v.n) > maxDDMMYYHHMM) {
			return fmt.Errorf("time %d is outside what ddmmyyhhmm can write (1970-01-01 00:00 to 2068-12-31 23:59 UTC, whole minutes rounded up)", v.n)
		}
		lo, hi := k.bounds()
		if v.n < lo || v.n > hi {
			return fmt.Errorf("value %d is outside %d..%d", v.n, lo, hi)
		}
	default:
		lo, hi := k.bounds()
		if v.n < lo || v.n > hi {
			if k == kindZero {
				return fmt.Errorf("value %d: only provider 0 is modelled, expected 0", v.n)
			}
			return fmt.Errorf("value %d is outside %d..%d", v.n, lo, hi)
		}
	}
	return nil
}

// isCanonicalIPUI is the allocation-free fast path of ParseIPUI(s) == s.
func isCanonicalIPUI(s string) bool {
	if len(s) != 10 || s == noReservation {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// parseInteger reads a non-negative decimal or 0x hex number of at most 32 bits,
// the two notations the device accepts.
func parseInteger(s string) (int64, bool) {
	base, digits := 10, s
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		base, digits = 16, s[2:]
	}
	if digits == "" || len(digits) > 10 || digits[0] == '+' || digits[0] == '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		return 0, false
	}
	return int64(n), true
}

// parseByteList reads exactly want bytes written as 0x.. separated by commas (one or
// two hex digits each, any case, no spaces).
func parseByteList(s string, want int) ([]byte, bool) {
	out := make([]byte, 0, want)
	for part := range strings.SplitSeq(s, ",") {
		if len(out) == want {
			return nil, false
		}
		b, ok := parseByte(part)
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, len(out) == want
}

func parseByte(s string) (byte, bool) {
	if len(s) < 3 || len(s) > 4 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return 0, false
	}
	var b byte
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !isHex(c) {
			return 0, false
		}
		b = b<<4 | hexValue(c)
	}
	return b, true
}

func hexValue(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// Limits of extra item values; they keep a maximal document under Parse's size cap.
const (
	maxExtraText  = maxTextLen
	maxExtraBytes = 256
)

// checkExtraValue validates a raw item value: a quoted string, an integer or a byte
// list. The message omits the field name and, for secrets, the value.
func checkExtraValue(v string, secret bool) string {
	shown := func() string {
		if secret {
			return "the value"
		}
		return quoteInput(v)
	}
	const want = `expected a quoted string ("abc"), an integer (decimal or 0x hex, at most 32 bits) or a byte list (0x01,0x02)`
	switch {
	case strings.HasPrefix(v, `"`):
		if len(v) < 2 || !strings.HasSuffix(v, `"`) {
			return shown() + " has no closing double quote; " + want
		}
		return checkText(v[1:len(v)-1], maxExtraText, secret)
	case strings.Contains(v, ","):
		n := strings.Count(v, ",") + 1
		if n > maxExtraBytes {
			return fmt.Sprintf("%s is a list of %d bytes; at most %d are allowed", shown(), n, maxExtraBytes)
		}
		if _, ok := parseByteList(v, n); !ok {
			return shown() + " is not a valid byte list; " + want
		}
	default:
		if _, ok := parseInteger(v); !ok {
			return shown() + ": " + want
		}
	}
	return ""
}
