package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Algorithm is a Digest hash algorithm.
type Algorithm uint8

// The supported algorithms. The zero Algorithm is invalid.
const (
	MD5 Algorithm = iota + 1
	SHA256
)

// String returns the algorithm's name as written in the headers.
func (a Algorithm) String() string {
	switch a {
	case MD5:
		return "MD5"
	case SHA256:
		return "SHA-256"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// ParseAlgorithm returns the algorithm named s, ignoring case as RFC 7616's
// registry names are compared case-insensitively in practice.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch {
	case strings.EqualFold(s, "MD5"):
		return MD5, nil
	case strings.EqualFold(s, "SHA-256"):
		return SHA256, nil
	}
	return 0, fmt.Errorf("%w: algorithm is not MD5 or SHA-256", ErrUnsupported)
}

// size is the length of the algorithm's digest in bytes.
func (a Algorithm) size() int {
	if a == SHA256 {
		return sha256.Size
	}
	return md5.Size
}

// sum appends the raw digest of data to dst.
func (a Algorithm) sum(dst, data []byte) []byte {
	if a == SHA256 {
		s := sha256.Sum256(data)
		return append(dst, s[:]...)
	}
	s := md5.Sum(data)
	return append(dst, s[:]...)
}

// hexSum appends the lower-case hex digest of data to dst.
func (a Algorithm) hexSum(dst, data []byte) []byte {
	var raw [sha256.Size]byte
	return hex.AppendEncode(dst, a.sum(raw[:0], data))
}

// appendNC appends a nonce count as the 8 lower-case hex digits RFC 7616 uses.
func appendNC(dst []byte, nc uint32) []byte {
	const digits = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, digits[(nc>>uint(shift))&0xf])
	}
	return dst
}

// response appends the raw request digest of RFC 7616 section 3.4.1 for
// qop=auth to dst:
//
//	H( H(user:realm:password) : nonce : nc : cnonce : qop : H(method:uri) )
//
// The buffers live on the stack for the usual sizes, so a verification does not
// allocate.
func (a Algorithm) response(dst []byte, user, realm, password, method, uri, nonce string, nc uint32, cnonce, qop string) []byte {
	var buf [512]byte
	b := append(buf[:0], user...)
	b = append(b, ':')
	b = append(b, realm...)
	b = append(b, ':')
	b = append(b, password...)
	var ha1Buf, ha2Buf [2 * sha256.Size]byte
	ha1 := a.hexSum(ha1Buf[:0], b)
	clear(b) // the buffer held the password

	b = append(b[:0], method...)
	b = append(b, ':')
	b = append(b, uri...)
	ha2 := a.hexSum(ha2Buf[:0], b)

	b = append(b[:0], ha1...)
	b = append(b, ':')
	b = append(b, nonce...)
	b = append(b, ':')
	b = appendNC(b, nc)
	b = append(b, ':')
	b = append(b, cnonce...)
	b = append(b, ':')
	b = append(b, qop...)
	b = append(b, ':')
	b = append(b, ha2...)
	return a.sum(dst, b)
}
