package digest

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		base,
		base + `, qop=auth, nc=00000001, cnonce="c", opaque="o", algorithm=MD5`,
		strings.Replace(base, md5Resp, shaResp, 1) + `, algorithm=SHA-256, qop="auth", nc=0000000f, cnonce="x\"y"`,
		`Digest username="7C2F80CA21E4", realm="dect", uri="/7C2F80CA21E4.xml", algorithm=SHA-256, nonce="GJi12bPWgAAAAAAAAAAAAQ-hUsezahUpENwIks7EbUA", nc=00000001, cnonce="abc", qop=auth, response="` + shaResp + `", opaque="8bnlZBT7n3A8gnar"`,
		`Digest ,,, username = "u" ,`, `Digest username="\`, "Digest a=\"\xff\"", `Basic x`, ``,
	} {
		f.Add(s)
	}
	s, err := NewServer(Config{Realm: "dect"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, err := ParseAuthorization(h)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrUnsupported", err)
			}
			// Errors are short and fixed, so they cannot echo the input.
			if len(err.Error()) > 120 {
				t.Fatalf("error is %d bytes long: %q", len(err.Error()), err)
			}
			if c != (Credentials{}) {
				t.Fatalf("non-zero Credentials %+v with error %v", c, err)
			}
			return
		}
		// What parses formats back to a header that parses to the same.
		back, err := ParseAuthorization(c.String())
		if err != nil {
			t.Fatalf("String() of parsed %q = %q does not parse: %v", h, c.String(), err)
		}
		if back != c {
			t.Fatalf("round trip of %q:\ngot  %+v\nwant %+v", h, back, c)
		}
		// Whatever the input, it cannot authenticate: nonces are unforgeable.
		if id, err := s.Verify(&c, Request{Method: "GET", URI: c.URI, Scope: "7C2F80CA21E4"}, ids); err == nil {
			t.Fatalf("forged header %q authenticated as identity %d", h, id)
		}
	})
}

func FuzzParseChallenge(f *testing.F) {
	f.Add(`Digest realm="dect", qop="auth", algorithm=SHA-256, nonce="n", opaque="o", stale=true`)
	f.Add(`Digest realm="r", nonce="n"`)
	f.Fuzz(func(t *testing.T, h string) {
		ch, err := ParseChallenge(h)
		if err != nil {
			return
		}
		back, err := ParseChallenge(ch.String())
		if err != nil || back != ch {
			t.Fatalf("round trip of %q via %q = %+v, %v; want %+v", h, ch.String(), back, err, ch)
		}
	})
}
