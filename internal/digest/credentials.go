package digest

import (
	"fmt"
	"strings"
)

// Credentials are the parameters of a Digest Authorization header.
type Credentials struct {
	Username string
	Realm    string
	Nonce    string
	URI      string // the digest-uri, which must equal the request-target
	Response string // hex request digest
	// Algorithm is MD5 when the header names none, as RFC 7616 prescribes.
	Algorithm Algorithm
	QOP       string // "" for the RFC 2069 form, which Verify refuses
	NC        uint32 // nonce count; 0 when QOP is ""
	CNonce    string
	Opaque    string // "" when absent
	UserHash  bool
}

// Names of the parameters ParseAuthorization reads, indexed like the bits of
// its "seen" set.
var credentialParams = [...]string{
	"username", "realm", "nonce", "uri", "response",
	"algorithm", "qop", "nc", "cnonce", "opaque", "userhash",
}

// ParseAuthorization parses the value of an Authorization header that carries
// Digest credentials.
//
// It is strict where leniency could hide an attack or a bug: duplicate
// parameters, a response that is not hex of the algorithm's length, a nonce
// count that is not 8 lower-case hex digits, qop without nc and cnonce (or the
// reverse), a missing required parameter, and username* (RFC 7616's encoded
// user name, which no device here needs) are errors. Parameters it does not
// know are ignored, as the RFC requires. The input is bounded (4 KiB, 24
// parameters) and parsed in one pass. Errors wrap ErrMalformed or
// ErrUnsupported and never quote the input.
func ParseAuthorization(header string) (Credentials, error) {
	rest, err := cutScheme(header)
	if err != nil {
		return Credentials{}, err
	}
	var ps [maxParams]param
	n, err := parseParams(rest, &ps)
	if err != nil {
		return Credentials{}, err
	}

	var values [len(credentialParams)]string
	var seen [len(credentialParams)]bool
	for _, p := range ps[:n] {
		if strings.EqualFold(p.name, "username*") {
			return Credentials{}, fmt.Errorf("%w: username* (encoded user name)", ErrUnsupported)
		}
		k := paramIndex(p.name)
		if k < 0 {
			continue // an extension parameter
		}
		if seen[k] {
			return Credentials{}, fmt.Errorf("%w: parameter %s appears twice", ErrMalformed, credentialParams[k])
		}
		seen[k], values[k] = true, p.value
	}
	for k := range 5 { // username, realm, nonce, uri, response
		if !seen[k] {
			return Credentials{}, fmt.Errorf("%w: parameter %s is missing", ErrMalformed, credentialParams[k])
		}
	}

	c := Credentials{
		Username: values[0],
		Realm:    values[1],
		Nonce:    values[2],
		URI:      values[3],
		Response: values[4],
		QOP:      values[6],
		CNonce:   values[8],
		Opaque:   values[9],
	}
	c.Algorithm = MD5
	if seen[5] {
		if c.Algorithm, err = ParseAlgorithm(values[5]); err != nil {
			return Credentials{}, err
		}
	}
	if len(c.Response) != 2*c.Algorithm.size() || !isHex(c.Response) {
		return Credentials{}, fmt.Errorf("%w: response is not %d hex digits", ErrMalformed, 2*c.Algorithm.size())
	}
	if seen[10] {
		switch {
		case strings.EqualFold(values[10], "true"):
			c.UserHash = true
		case strings.EqualFold(values[10], "false"):
		default:
			return Credentials{}, fmt.Errorf("%w: userhash is not true or false", ErrMalformed)
		}
	}
	switch {
	case seen[6]:
		if c.QOP == "" {
			return Credentials{}, fmt.Errorf("%w: qop is empty", ErrMalformed)
		}
		if !seen[7] || !seen[8] {
			return Credentials{}, fmt.Errorf("%w: qop requires nc and cnonce", ErrMalformed)
		}
		if c.NC, err = parseNC(values[7]); err != nil {
			return Credentials{}, err
		}
		if c.CNonce == "" {
			return Credentials{}, fmt.Errorf("%w: cnonce is empty", ErrMalformed)
		}
	case seen[7] || seen[8]:
		return Credentials{}, fmt.Errorf("%w: nc and cnonce are only allowed with qop", ErrMalformed)
	}
	return c, nil
}

func paramIndex(name string) int {
	for k, known := range credentialParams {
		if strings.EqualFold(name, known) {
			return k
		}
	}
	return -1
}

// parseNC parses a nonce count: exactly 8 lower-case hex digits (8LHEX).
func parseNC(s string) (uint32, error) {
	if len(s) != 8 {
		return 0, fmt.Errorf("%w: nc is not 8 lower-case hex digits", ErrMalformed)
	}
	var v uint32
	for i := 0; i < 8; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint32(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		default:
			return 0, fmt.Errorf("%w: nc is not 8 lower-case hex digits", ErrMalformed)
		}
	}
	return v, nil
}

// String formats c as an Authorization header value, in the parameter order and
// quoting of RFC 7616's examples (algorithm, qop and nc as tokens). Opaque is
// left out when empty, and qop, nc and cnonce when QOP is empty. The values must
// not contain control characters; Authorize guarantees that for what it builds.
func (c Credentials) String() string {
	b := make([]byte, 0, 160+len(c.Username)+len(c.Realm)+len(c.Nonce)+len(c.URI)+len(c.Response)+len(c.CNonce)+len(c.Opaque))
	b = append(b, "Digest username="...)
	b = appendQuoted(b, c.Username)
	b = append(b, ", realm="...)
	b = appendQuoted(b, c.Realm)
	b = append(b, ", uri="...)
	b = appendQuoted(b, c.URI)
	b = append(b, ", algorithm="...)
	b = append(b, c.Algorithm.String()...)
	b = append(b, ", nonce="...)
	b = appendQuoted(b, c.Nonce)
	if c.QOP != "" {
		b = append(b, ", nc="...)
		b = appendNC(b, c.NC)
		b = append(b, ", cnonce="...)
		b = appendQuoted(b, c.CNonce)
		b = append(b, ", qop="...)
		b = appendToken(b, c.QOP)
	}
	b = append(b, ", response="...)
	b = appendQuoted(b, c.Response)
	if c.Opaque != "" {
		b = append(b, ", opaque="...)
		b = appendQuoted(b, c.Opaque)
	}
	if c.UserHash {
		b = append(b, ", userhash=true"...)
	}
	return string(b)
}
