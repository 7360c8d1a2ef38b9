package simulator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// value is a SYMB_ITEM value read in every form its text allows. The text alone does
// not say which form is meant: "0x13" is both the integer 19 and a one-byte list, and
// "1" is an integer and a boolean. The field the item addresses decides, so the parser
// only checks that at least one form fits and the plan picks the one it needs.
type value struct {
	text    string // string form, without its quotes
	isText  bool
	num     uint64
	isNum   bool
	bytes   []byte
	isBytes bool
}

// parseValue reads a value attribute (already XML-unescaped).
func parseValue(raw string) (value, error) {
	if strings.HasPrefix(raw, `"`) {
		return parseStringValue(raw)
	}
	var v value
	num, numErr := parseInteger(raw)
	if numErr == nil {
		v.num, v.isNum = num, true
	}
	if b, ok := parseByteList(raw); ok {
		v.bytes, v.isBytes = b, true
	}
	switch {
	case v.isNum || v.isBytes:
		return v, nil
	case errors.Is(numErr, strconv.ErrRange):
		return v, fmt.Errorf("integer %s does not fit in 64 bits", raw)
	case raw == "":
		return v, errors.New("empty value (an empty string is written \"\")")
	default:
		return v, fmt.Errorf("value %q is neither a quoted string, an integer nor a byte list", raw)
	}
}

func parseStringValue(raw string) (value, error) {
	if len(raw) < 2 || !strings.HasSuffix(raw, `"`) {
		return value{}, fmt.Errorf("string value %s has no closing double quote", raw)
	}
	inner := raw[1 : len(raw)-1]
	// How the device reads a quote inside a string is unknown, so it is malformed here:
	// a renderer must reject such text rather than guess.
	if i := strings.IndexAny(inner, `"'`); i >= 0 {
		return value{}, fmt.Errorf("string value holds the quote character %c, whose handling by the device is unknown", inner[i])
	}
	for _, r := range inner {
		if r < 0x20 || r == 0x7F {
			return value{}, fmt.Errorf("string value holds the control character U+%04X", r)
		}
	}
	return value{text: inner, isText: true}, nil
}

// parseInteger reads a decimal or 0x-prefixed hexadecimal unsigned integer.
func parseInteger(s string) (uint64, error) {
	if hexDigits, ok := strings.CutPrefix(s, "0x"); ok {
		if hexDigits == "" || !isHex(hexDigits) {
			return 0, strconv.ErrSyntax
		}
		n, err := strconv.ParseUint(hexDigits, 16, 64)
		return n, unwrapNumError(err)
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, unwrapNumError(err)
}

func unwrapNumError(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}

// parseByteList reads "0x01,0xAB,...": two hex digits per byte, no spaces.
func parseByteList(s string) ([]byte, bool) {
	parts := strings.Split(s, ",")
	out := make([]byte, 0, len(parts))
	for _, p := range parts {
		digits, ok := strings.CutPrefix(p, "0x")
		if !ok || len(digits) != 2 || !isHex(digits) {
			return nil, false
		}
		n, _ := strconv.ParseUint(digits, 16, 8)
		out = append(out, byte(n))
	}
	return out, true
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}

// The typed readings below are what the plan asks of a value for a known field.

func (v value) asString() (string, error) {
	if !v.isText {
		return "", errors.New("want a quoted string")
	}
	return v.text, nil
}

func (v value) asBool() (bool, error) {
	if !v.isNum || v.num > 1 {
		return false, errors.New("want 0 or 1")
	}
	return v.num == 1, nil
}

func (v value) asUint8() (uint8, error) {
	if !v.isNum || v.num > 0xFF {
		return 0, errors.New("want an integer from 0 to 255")
	}
	return uint8(v.num), nil
}

// asUint32 reads an integer that may be written either as a number or as 4 bytes,
// most significant first; which encoding the N720 expects for the registration window
// is unconfirmed, so both are accepted and the one used is reported. A single byte
// such as "0x13" is read as a number.
func (v value) asUint32() (uint32, IntEncoding, error) {
	switch {
	case v.isNum && v.num <= 0xFFFFFFFF:
		return uint32(v.num), EncodingInteger, nil
	case v.isNum:
		return 0, EncodingUnset, errors.New("integer does not fit in 32 bits")
	case v.isBytes && len(v.bytes) == 4:
		b := v.bytes
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), EncodingBigEndianBytes, nil
	default:
		return 0, EncodingUnset, errors.New("want an integer or a 4-byte list (big-endian)")
	}
}

// asDecimalString reads a member of type "ac" that holds a number: a quoted string of
// 1 to 10 decimal digits that fits in 32 bits.
func (v value) asDecimalString() (uint32, error) {
	const want = `want a quoted decimal number, e.g. "1767225600"`
	if !v.isText || v.text == "" || len(v.text) > 10 || strings.Trim(v.text, "0123456789") != "" {
		return 0, errors.New(want)
	}
	n, err := strconv.ParseUint(v.text, 10, 64)
	if err != nil || n > 0xFFFFFFFF {
		return 0, errors.New(want + " of at most 32 bits")
	}
	return uint32(n), nil
}

// asInteger32 reads a member of type "ul": an integer of at most 32 bits.
func (v value) asInteger32() (uint32, error) {
	if !v.isNum || v.num > 0xFFFFFFFF {
		return 0, errors.New("want an integer of at most 32 bits")
	}
	return uint32(v.num), nil
}

func (v value) asIPUI() (IPUI, error) {
	var id IPUI
	if !v.isBytes || len(v.bytes) != len(id) {
		return id, errors.New("want a 5-byte list (0xFF,0xFF,0xFF,0xFF,0xFF for no reservation)")
	}
	copy(id[:], v.bytes)
	return id, nil
}

// asBCDPIN reads a 4-digit PIN stored as 2 BCD bytes: PIN 0001 is 0x00,0x01.
func (v value) asBCDPIN() (string, error) {
	if !v.isBytes || len(v.bytes) != 2 {
		return "", errors.New("want a PIN as 2 BCD bytes, e.g. 0x00,0x01 for 0001")
	}
	var pin [4]byte
	for i, b := range v.bytes {
		hi, lo := b>>4, b&0x0F
		if hi > 9 || lo > 9 {
			return "", fmt.Errorf("byte 0x%02X is not two BCD digits", b)
		}
		pin[2*i], pin[2*i+1] = '0'+hi, '0'+lo
	}
	return string(pin[:]), nil
}
