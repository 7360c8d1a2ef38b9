package digest

import (
	"errors"
	"strings"
	"testing"
)

const (
	md5Resp = "0123456789abcdef0123456789abcdef"
	shaResp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// base is a minimal valid header; tests append to or vary it.
const base = `Digest username="u", realm="r", nonce="n", uri="/x", response="` + md5Resp + `"`

func TestParseAuthorization(t *testing.T) {
	good := func(mod func(*Credentials)) Credentials {
		c := Credentials{Username: "u", Realm: "r", Nonce: "n", URI: "/x", Response: md5Resp, Algorithm: MD5}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	tests := []struct {
		name string
		in   string
		want Credentials
		err  error // nil: must parse to want
	}{
		{"RFC 2069 form", base, good(nil), nil},
		{"qop auth", base + `, qop=auth, nc=0000000a, cnonce="c"`,
			good(func(c *Credentials) { c.QOP, c.NC, c.CNonce = "auth", 10, "c" }), nil},
		{"quoted qop and nc", base + `, qop="auth", nc="ffffffff", cnonce="c"`,
			good(func(c *Credentials) { c.QOP, c.NC, c.CNonce = "auth", 0xffffffff, "c" }), nil},
		{"scheme and names in any case", `dIGEST USERNAME="u", Realm="r", NONCE="n", Uri="/x", RESPONSE="` + md5Resp + `"`, good(nil), nil},
		{"tabs, no spaces, empty elements", "Digest\tusername=\"u\",,realm=\"r\" ,\t, nonce = \"n\",uri=\"/x\",response=\"" + md5Resp + "\",", good(nil), nil},
		{"token values", `Digest username=u, realm=r, nonce=n, uri="/x", response=` + md5Resp, good(nil), nil},
		{"escaped quotes", `Digest username="a\"b\\c", realm="r", nonce="n", uri="/x", response="` + md5Resp + `"`,
			good(func(c *Credentials) { c.Username = `a"b\c` }), nil},
		{"obs-text kept", "Digest username=\"M\xfcller\", realm=\"r\", nonce=\"n\", uri=\"/x\", response=\"" + md5Resp + "\"",
			good(func(c *Credentials) { c.Username = "M\xfcller" }), nil},
		{"sha-256", strings.Replace(base, md5Resp, shaResp, 1) + `, algorithm=sha-256`,
			good(func(c *Credentials) { c.Response, c.Algorithm = shaResp, SHA256 }), nil},
		{"explicit MD5, upper-case hex response", strings.Replace(base, md5Resp, strings.ToUpper(md5Resp), 1) + `, algorithm="MD5"`,
			good(func(c *Credentials) { c.Response = strings.ToUpper(md5Resp) }), nil},
		{"opaque and extension parameter", base + `, opaque="o", x-ext="1", y=2`,
			good(func(c *Credentials) { c.Opaque = "o" }), nil},
		{"userhash false", base + `, userhash=false`, good(nil), nil},
		{"userhash true", base + `, userhash="TRUE"`, good(func(c *Credentials) { c.UserHash = true }), nil},
		{"empty username", strings.Replace(base, `username="u"`, `username=""`, 1),
			good(func(c *Credentials) { c.Username = "" }), nil},

		{"empty", "", Credentials{}, ErrMalformed},
		{"basic scheme", "Basic dTpw", Credentials{}, ErrMalformed},
		{"scheme without separator", `Digestusername="u"`, Credentials{}, ErrMalformed},
		{"scheme only", "Digest", Credentials{}, ErrMalformed},
		{"missing response", `Digest username="u", realm="r", nonce="n", uri="/x"`, Credentials{}, ErrMalformed},
		{"missing username", `Digest realm="r", nonce="n", uri="/x", response="` + md5Resp + `"`, Credentials{}, ErrMalformed},
		{"duplicate", base + `, Realm="s"`, Credentials{}, ErrMalformed},
		{"duplicate extension is fine", base + `, x=1, x=2`, good(nil), nil},
		{"response too short", strings.Replace(base, md5Resp, md5Resp[1:], 1), Credentials{}, ErrMalformed},
		{"response not hex", strings.Replace(base, md5Resp, "g"+md5Resp[1:], 1), Credentials{}, ErrMalformed},
		{"md5 length with sha-256", base + `, algorithm=SHA-256`, Credentials{}, ErrMalformed},
		{"unknown algorithm", base + `, algorithm=SHA-512-256`, Credentials{}, ErrUnsupported},
		{"sess algorithm", base + `, algorithm=MD5-sess`, Credentials{}, ErrUnsupported},
		{"username*", base + `, username*=UTF-8''a`, Credentials{}, ErrUnsupported},
		{"qop without nc", base + `, qop=auth, cnonce="c"`, Credentials{}, ErrMalformed},
		{"qop without cnonce", base + `, qop=auth, nc=00000001`, Credentials{}, ErrMalformed},
		{"empty cnonce", base + `, qop=auth, nc=00000001, cnonce=""`, Credentials{}, ErrMalformed},
		{"empty qop", base + `, qop="", nc=00000001, cnonce="c"`, Credentials{}, ErrMalformed},
		{"nc without qop", base + `, nc=00000001`, Credentials{}, ErrMalformed},
		{"cnonce without qop", base + `, cnonce="c"`, Credentials{}, ErrMalformed},
		{"nc short", base + `, qop=auth, nc=1, cnonce="c"`, Credentials{}, ErrMalformed},
		{"nc upper-case", base + `, qop=auth, nc=0000000A, cnonce="c"`, Credentials{}, ErrMalformed},
		{"nc sign", base + `, qop=auth, nc=+0000001, cnonce="c"`, Credentials{}, ErrMalformed},
		{"userhash bogus", base + `, userhash=maybe`, Credentials{}, ErrMalformed},
		{"unterminated quote", `Digest username="u`, Credentials{}, ErrMalformed},
		{"backslash at end", `Digest username="u\`, Credentials{}, ErrMalformed},
		{"newline in quoted", "Digest username=\"u\nv\", realm=\"r\"", Credentials{}, ErrMalformed},
		{"NUL in quoted", "Digest username=\"u\x00\"", Credentials{}, ErrMalformed},
		{"escaped control", "Digest username=\"u\\\x01\"", Credentials{}, ErrMalformed},
		{"missing equals", `Digest username "u"`, Credentials{}, ErrMalformed},
		{"missing value", `Digest username=, realm="r"`, Credentials{}, ErrMalformed},
		{"missing comma", `Digest username="u" realm="r"`, Credentials{}, ErrMalformed},
		{"garbage after value", `Digest username="u"x, realm="r"`, Credentials{}, ErrMalformed},
		{"bad name", `Digest user@name="u"`, Credentials{}, ErrMalformed},
		{"too many parameters", base + strings.Repeat(`, x=1`, maxParams), Credentials{}, ErrMalformed},
		{"too long", base + `, x="` + strings.Repeat("a", maxHeaderLen) + `"`, Credentials{}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAuthorization(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("ParseAuthorization error = %v, want %v", err, tc.err)
				}
				if got != (Credentials{}) {
					t.Errorf("ParseAuthorization returned %+v with an error, want zero Credentials", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAuthorization: %v", err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCredentialsStringRoundTrip(t *testing.T) {
	for _, c := range []Credentials{
		{Username: "7C2F80CA21E4", Realm: "dect", Nonce: "abc-_", URI: "/7C2F80CA21E4.xml?x=1", Response: shaResp,
			Algorithm: SHA256, QOP: "auth", NC: 0xdeadbeef, CNonce: "c n", Opaque: "o"},
		{Username: `quote" back\ `, Realm: `r"\`, Nonce: "n", URI: "/", Response: md5Resp, Algorithm: MD5},
		{Username: "u", Realm: "r", Nonce: "n", URI: "/", Response: md5Resp, Algorithm: MD5, QOP: "auth, auth-int", NC: 1, CNonce: "c", UserHash: true},
	} {
		s := c.String()
		got, err := ParseAuthorization(s)
		if err != nil {
			t.Fatalf("ParseAuthorization(%q): %v", s, err)
		}
		if got != c {
			t.Errorf("round trip of %q:\ngot  %+v\nwant %+v", s, got, c)
		}
	}
	// RFC 7616: algorithm, qop and nc are never quoted.
	s := Credentials{Username: "u", Realm: "r", Nonce: "n", URI: "/", Response: md5Resp, Algorithm: MD5, QOP: "auth", NC: 1, CNonce: "c"}.String()
	for _, want := range []string{"algorithm=MD5", "qop=auth", "nc=00000001"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q does not contain %s", s, want)
		}
	}
}

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Challenge
		err  error
	}{
		{"server's", `Digest realm="dect", qop="auth", algorithm=SHA-256, nonce="n", opaque="o"`,
			Challenge{Realm: "dect", QOP: "auth", Algorithm: SHA256, Nonce: "n", Opaque: "o"}, nil},
		{"RFC 2617 style with domain and stale", `Digest realm="r", domain="/a /b", nonce="n", stale=TRUE, qop="auth,auth-int", charset=UTF-8`,
			Challenge{Realm: "r", Algorithm: MD5, Nonce: "n", Stale: true, QOP: "auth,auth-int"}, nil},
		{"stale false, userhash", `Digest realm="r", nonce="n", stale=false, userhash=true`,
			Challenge{Realm: "r", Algorithm: MD5, Nonce: "n", UserHash: true}, nil},
		{"no nonce", `Digest realm="r"`, Challenge{}, ErrMalformed},
		{"no realm", `Digest nonce="n"`, Challenge{}, ErrMalformed},
		{"duplicate nonce", `Digest realm="r", nonce="n", nonce="m"`, Challenge{}, ErrMalformed},
		{"unknown algorithm", `Digest realm="r", nonce="n", algorithm=SHA-512-256`, Challenge{}, ErrUnsupported},
		{"basic", `Basic realm="r"`, Challenge{}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseChallenge(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("ParseChallenge error = %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if err == nil {
				back, err := ParseChallenge(got.String())
				if err != nil || back != got {
					t.Errorf("round trip of %q = %+v, %v", got.String(), back, err)
				}
			}
		})
	}
}

func TestAuthorizeRefuses(t *testing.T) {
	const password = "s3cret-Pa55"
	ok := Challenge{Realm: "r", Nonce: "n", Algorithm: MD5, QOP: "auth"}
	tests := []struct {
		name   string
		ch     Challenge
		user   string
		uri    string
		cnonce string
		err    error
	}{
		{"no qop", Challenge{Realm: "r", Nonce: "n", Algorithm: MD5}, "u", "/", "c", ErrUnsupported},
		{"only auth-int", Challenge{Realm: "r", Nonce: "n", Algorithm: MD5, QOP: "auth-int"}, "u", "/", "c", ErrUnsupported},
		{"userhash", Challenge{Realm: "r", Nonce: "n", Algorithm: MD5, QOP: "auth", UserHash: true}, "u", "/", "c", ErrUnsupported},
		{"zero algorithm", Challenge{Realm: "r", Nonce: "n", QOP: "auth"}, "u", "/", "c", ErrUnsupported},
		{"CR LF in user", ok, "u\r\nX-Evil: 1", "/", "c", nil},
		{"control in uri", ok, "u", "/\x00", "c", nil},
		{"empty cnonce", ok, "u", "/", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Authorize(tc.ch, "GET", tc.uri, tc.user, password, 1, tc.cnonce)
			if err == nil {
				t.Fatal("Authorize succeeded, want an error")
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("error = %v, want %v", err, tc.err)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
	if _, err := Respond(`Digest realm="r"`, "GET", "/", "u", password); !errors.Is(err, ErrMalformed) {
		t.Errorf("Respond to a challenge without nonce: error = %v, want ErrMalformed", err)
	}
}

func TestRespondOffersAuthAmongOthers(t *testing.T) {
	h, err := Respond(`Digest realm="r", nonce="n", qop="auth-int, auth"`, "GET", "/a", "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseAuthorization(h)
	if err != nil {
		t.Fatal(err)
	}
	if c.QOP != "auth" || c.NC != 1 || len(c.CNonce) != 32 || c.URI != "/a" {
		t.Errorf("Respond gave %+v, want qop=auth, nc=1, a 32-digit cnonce and uri /a", c)
	}
	h2, _ := Respond(`Digest realm="r", nonce="n", qop="auth"`, "GET", "/a", "u", "p")
	c2, _ := ParseAuthorization(h2)
	if c2.CNonce == c.CNonce {
		t.Error("two Respond calls used the same cnonce")
	}
}
