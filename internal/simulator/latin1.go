package simulator

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// latin1ToUTF8 converts ISO-8859-1 bytes to UTF-8. Every byte is a character in
// ISO-8859-1 (byte 0xNN is code point U+00NN), so the conversion cannot fail: this is
// exactly how the device reads whatever it is sent.
func latin1ToUTF8(b []byte) []byte {
	n := len(b)
	for _, c := range b {
		if c >= utf8.RuneSelf {
			n++
		}
	}
	out := make([]byte, 0, n)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// encodingWarnings looks for bytes that are valid ISO-8859-1 but were probably not
// meant as such: UTF-8 multibyte sequences (a server that declares ISO-8859-1 but
// writes UTF-8 turns "Müller" into "MÃ¼ller" on the handsets) and C1 control bytes
// 0x80-0x9F (typical of Windows-1252 text, e.g. 0x80 for the euro sign). Either is
// reported once, at its first occurrence, with a count.
func encodingWarnings(b []byte) []Problem {
	var (
		utf8Count, c1Count int
		utf8At, c1At       = -1, -1
		utf8Len            int
	)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		if _, size := utf8.DecodeRune(b[i:]); size > 1 {
			if utf8At < 0 {
				utf8At, utf8Len = i, size
			}
			utf8Count++
			i += size
			continue
		}
		if c <= 0x9F {
			if c1At < 0 {
				c1At = i
			}
			c1Count++
		}
		i++
	}

	var warnings []Problem
	if utf8At >= 0 {
		seq := b[utf8At : utf8At+utf8Len]
		warnings = append(warnings, Problem{
			Line: lineAt(b, utf8At),
			Message: fmt.Sprintf("bytes % X are UTF-8 for %q, but the file declares ISO-8859-1, so the device reads %q (%d such sequences): the server probably wrote UTF-8",
				seq, string(seq), string(latin1ToUTF8(seq)), utf8Count),
		})
	}
	if c1At >= 0 {
		warnings = append(warnings, Problem{
			Line: lineAt(b, c1At),
			Message: fmt.Sprintf("byte 0x%02X is a C1 control character in ISO-8859-1 (%d such bytes): the text is probably Windows-1252",
				b[c1At], c1Count),
		})
	}
	return warnings
}

// lineAt returns the 1-based line number of byte offset off.
func lineAt(b []byte, off int) int {
	return bytes.Count(b[:off], []byte{'\n'}) + 1
}
