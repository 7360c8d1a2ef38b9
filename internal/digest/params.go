package digest

import (
	"fmt"
	"strings"
)

// Bounds of the parser. A real Authorization header from a device is about 300
// bytes with 10 parameters; these leave room for long URIs and extensions while
// keeping the work per request small and fixed.
const (
	maxHeaderLen = 4096
	maxParams    = 24
)

// param is one auth-param: name=value, with value unquoted.
type param struct {
	name, value string
	quoted      bool
}

// cutScheme splits a credentials or challenge header value into its
// auth-scheme, which must be "Digest" (any case), and the parameters after it.
func cutScheme(h string) (string, error) {
	if len(h) > maxHeaderLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxHeaderLen)
	}
	h = strings.TrimLeft(h, " \t")
	const scheme = "Digest"
	if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", fmt.Errorf("%w: expected the Digest scheme", ErrMalformed)
	}
	rest := h[len(scheme):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", fmt.Errorf("%w: expected the Digest scheme", ErrMalformed)
	}
	return rest, nil
}

// parseParams parses a comma-separated auth-param list (RFC 9110 section 11.2)
// into out and returns how many it found. Values are tokens or quoted-strings;
// empty list elements are skipped as the list rule requires. It runs in one pass
// over s, allocates only to unescape a quoted-string that has backslashes, and
// fails on more than len(out) parameters. Errors name the position, never the
// content, so that nothing from the header reaches a log.
func parseParams(s string, out *[maxParams]param) (int, error) {
	n, i := 0, 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i == len(s) {
			return n, nil
		}
		if n == len(out) {
			return 0, fmt.Errorf("%w: more than %d parameters", ErrMalformed, len(out))
		}
		start := i
		for i < len(s) && isTchar(s[i]) {
			i++
		}
		if i == start {
			return 0, fmt.Errorf("%w: parameter %d: expected a name at byte %d", ErrMalformed, n+1, i)
		}
		p := param{name: s[start:i]}
		i = skipWS(s, i)
		if i == len(s) || s[i] != '=' {
			return 0, fmt.Errorf("%w: parameter %d: expected \"=\" at byte %d", ErrMalformed, n+1, i)
		}
		i = skipWS(s, i+1)
		if i < len(s) && s[i] == '"' {
			v, next, err := parseQuoted(s, i)
			if err != nil {
				return 0, fmt.Errorf("%w: parameter %d: %v", ErrMalformed, n+1, err)
			}
			p.value, p.quoted, i = v, true, next
		} else {
			start = i
			for i < len(s) && isTchar(s[i]) {
				i++
			}
			if i == start {
				return 0, fmt.Errorf("%w: parameter %d: expected a token or quoted-string at byte %d", ErrMalformed, n+1, i)
			}
			p.value = s[start:i]
		}
		out[n] = p
		n++
		i = skipWS(s, i)
		if i < len(s) && s[i] != ',' {
			return 0, fmt.Errorf("%w: parameter %d: expected \",\" at byte %d", ErrMalformed, n, i)
		}
	}
}

// parseQuoted parses the quoted-string that starts at s[i] (a '"') and returns
// its unescaped value and the index after the closing quote.
func parseQuoted(s string, i int) (string, int, error) {
	i++
	start, escaped := i, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			v := s[start:i]
			if escaped {
				v = unescape(v)
			}
			return v, i + 1, nil
		case c == '\\':
			i++
			if i == len(s) || !isQuotable(s[i]) {
				return "", 0, fmt.Errorf("invalid quoted-pair at byte %d", i)
			}
			escaped = true
		case !isQuotable(c):
			return "", 0, fmt.Errorf("control character in quoted-string at byte %d", i)
		}
	}
	return "", 0, fmt.Errorf("unterminated quoted-string")
}

// unescape removes the backslashes of quoted-pairs from an already validated
// quoted-string body.
func unescape(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// appendQuoted appends s as a quoted-string, escaping '"' and '\'. s must not
// contain control characters (see checkQuotable).
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// appendToken appends s bare if it is a token, as RFC 7616 wants for qop and
// the like, and as a quoted-string otherwise so that the output stays parsable.
func appendToken(dst []byte, s string) []byte {
	if s == "" {
		return appendQuoted(dst, s)
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return appendQuoted(dst, s)
		}
	}
	return append(dst, s...)
}

// checkQuotable reports an error if s cannot be sent in a quoted-string. what
// names the value in the error; s itself is never included.
func checkQuotable(what, s string) error {
	for i := 0; i < len(s); i++ {
		if !isQuotable(s[i]) {
			return fmt.Errorf("digest: %s contains a control character at byte %d", what, i)
		}
	}
	return nil
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// isQuotable reports whether c may appear in a quoted-string, escaped or not:
// HTAB, SP, VCHAR and obs-text.
func isQuotable(c byte) bool {
	return c == '\t' || (c >= 0x20 && c != 0x7f)
}

// tchars marks the token characters of RFC 9110 section 5.6.2.
var tchars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0
	}
	return t
}()

func isTchar(c byte) bool { return tchars[c] }

// isHex reports whether s is non-empty and all hex digits of either case.
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
