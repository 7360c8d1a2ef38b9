package digest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Authorize computes the credentials that answer ch for a request, with an
// explicit nonce count and client nonce, for clients that reuse a nonce. It
// supports what Server accepts: MD5 or SHA-256 with qop=auth, no userhash.
// Errors never contain the password.
func Authorize(ch Challenge, method, uri, user, password string, nc uint32, cnonce string) (Credentials, error) {
	switch {
	case ch.Algorithm != MD5 && ch.Algorithm != SHA256:
		return Credentials{}, fmt.Errorf("%w: algorithm is not MD5 or SHA-256", ErrUnsupported)
	case !ch.offers("auth"):
		return Credentials{}, fmt.Errorf("%w: challenge does not offer qop=auth", ErrUnsupported)
	case ch.UserHash:
		return Credentials{}, fmt.Errorf("%w: userhash=true", ErrUnsupported)
	case cnonce == "":
		return Credentials{}, fmt.Errorf("digest: cnonce is empty")
	}
	for _, v := range [...]struct{ what, s string }{
		{"user name", user}, {"uri", uri}, {"cnonce", cnonce},
		{"realm", ch.Realm}, {"nonce", ch.Nonce}, {"opaque", ch.Opaque},
	} {
		if err := checkQuotable(v.what, v.s); err != nil {
			return Credentials{}, err
		}
	}
	var sum [32]byte
	d := ch.Algorithm.response(sum[:0], user, ch.Realm, password, method, uri, ch.Nonce, nc, cnonce, "auth")
	return Credentials{
		Username:  user,
		Realm:     ch.Realm,
		Nonce:     ch.Nonce,
		URI:       uri,
		Response:  hex.EncodeToString(d),
		Algorithm: ch.Algorithm,
		QOP:       "auth",
		NC:        nc,
		CNonce:    cnonce,
		Opaque:    ch.Opaque,
	}, nil
}

// Respond answers one Digest challenge (a WWW-Authenticate header value) and
// returns the Authorization header value for the request method and uri (the
// request-target, e.g. "/7C2F80CA21E4.xml"), with nonce count 1 and a random
// client nonce. Errors never contain the password.
func Respond(challengeHeader, method, uri, user, password string) (string, error) {
	ch, err := ParseChallenge(challengeHeader)
	if err != nil {
		return "", err
	}
	var cn [16]byte
	rand.Read(cn[:])
	c, err := Authorize(ch, method, uri, user, password, 1, hex.EncodeToString(cn[:]))
	if err != nil {
		return "", err
	}
	return c.String(), nil
}
