package digest

import (
	"fmt"
	"strings"
)

// Challenge is one Digest challenge, the value of one WWW-Authenticate header.
type Challenge struct {
	Realm     string
	Nonce     string
	Opaque    string    // "" when absent
	Algorithm Algorithm // MD5 when the challenge names none
	QOP       string    // the offered qop options, comma-separated; "" for none
	Stale     bool
	UserHash  bool
}

// ParseChallenge parses a WWW-Authenticate header value that holds exactly one
// Digest challenge, as this package's Server sends. realm and nonce are
// required; domain, charset and unknown parameters are ignored; duplicates
// are errors. Errors never quote the input.
func ParseChallenge(header string) (Challenge, error) {
	rest, err := cutScheme(header)
	if err != nil {
		return Challenge{}, err
	}
	var ps [maxParams]param
	n, err := parseParams(rest, &ps)
	if err != nil {
		return Challenge{}, err
	}
	ch := Challenge{Algorithm: MD5}
	var seen uint8
	for _, p := range ps[:n] {
		var bit uint8
		switch name := strings.ToLower(p.name); name {
		case "realm":
			bit, ch.Realm = 1<<0, p.value
		case "nonce":
			bit, ch.Nonce = 1<<1, p.value
		case "opaque":
			bit, ch.Opaque = 1<<2, p.value
		case "algorithm":
			bit = 1 << 3
			if ch.Algorithm, err = ParseAlgorithm(p.value); err != nil {
				return Challenge{}, err
			}
		case "qop":
			bit, ch.QOP = 1<<4, p.value
		case "stale":
			bit, ch.Stale = 1<<5, strings.EqualFold(p.value, "true")
		case "userhash":
			bit, ch.UserHash = 1<<6, strings.EqualFold(p.value, "true")
		default:
			continue
		}
		if seen&bit != 0 {
			return Challenge{}, fmt.Errorf("%w: challenge parameter %s appears twice", ErrMalformed, strings.ToLower(p.name))
		}
		seen |= bit
	}
	if seen&(1<<0) == 0 || seen&(1<<1) == 0 {
		return Challenge{}, fmt.Errorf("%w: challenge lacks realm or nonce", ErrMalformed)
	}
	return ch, nil
}

// offers reports whether the challenge's qop list contains option.
func (ch Challenge) offers(option string) bool {
	for o := range strings.SplitSeq(ch.QOP, ",") {
		if strings.EqualFold(strings.TrimSpace(o), option) {
			return true
		}
	}
	return false
}

// String formats ch as a WWW-Authenticate header value in the order of RFC
// 7616's examples. The values must not contain control characters.
func (ch Challenge) String() string {
	b := make([]byte, 0, 96+len(ch.Realm)+len(ch.Nonce)+len(ch.Opaque)+len(ch.QOP))
	b = appendChallengeHead(b, ch.Realm, ch.QOP, ch.Algorithm)
	b = appendQuoted(b, ch.Nonce)
	if ch.Opaque != "" {
		b = append(b, ", opaque="...)
		b = appendQuoted(b, ch.Opaque)
	}
	if ch.Stale {
		b = append(b, ", stale=true"...)
	}
	if ch.UserHash {
		b = append(b, ", userhash=true"...)
	}
	return string(b)
}

// appendChallengeHead appends a challenge up to the opening quote of its nonce.
// The Server precomputes it once per algorithm.
func appendChallengeHead(b []byte, realm, qop string, alg Algorithm) []byte {
	b = append(b, "Digest realm="...)
	b = appendQuoted(b, realm)
	if qop != "" {
		b = append(b, ", qop="...)
		b = appendQuoted(b, qop)
	}
	b = append(b, ", algorithm="...)
	b = append(b, alg.String()...)
	return append(b, ", nonce="...)
}
