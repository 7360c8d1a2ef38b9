package digest

import (
	"encoding/hex"
	"testing"
)

// Published examples: RFC 7616 section 3.9.1 (MD5 and SHA-256) and RFC 2617
// section 3.5 (MD5). They pin the hashing to the standard independently of this
// package's own client.
func TestResponseVectors(t *testing.T) {
	const (
		rfc7616Nonce  = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
		rfc7616CNonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	)
	tests := []struct {
		name                         string
		alg                          Algorithm
		realm, nonce, cnonce, uri    string
		user, password, method, want string
	}{
		{"RFC 7616 MD5", MD5, "http-auth@example.org", rfc7616Nonce, rfc7616CNonce, "/dir/index.html",
			"Mufasa", "Circle of Life", "GET", "8ca523f5e9506fed4657c9700eebdbec"},
		{"RFC 7616 SHA-256", SHA256, "http-auth@example.org", rfc7616Nonce, rfc7616CNonce, "/dir/index.html",
			"Mufasa", "Circle of Life", "GET", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
		{"RFC 2617 MD5", MD5, "testrealm@host.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "0a4f113b", "/dir/index.html",
			"Mufasa", "Circle Of Life", "GET", "6629fae49393a05397450978507c4ef1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := hex.EncodeToString(tc.alg.response(nil, tc.user, tc.realm, tc.password, tc.method, tc.uri, tc.nonce, 1, tc.cnonce, "auth"))
			if got != tc.want {
				t.Errorf("response = %s, want %s", got, tc.want)
			}
			ch := Challenge{Realm: tc.realm, Nonce: tc.nonce, Algorithm: tc.alg, QOP: "auth"}
			c, err := Authorize(ch, tc.method, tc.uri, tc.user, tc.password, 1, tc.cnonce)
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if c.Response != tc.want {
				t.Errorf("Authorize response = %s, want %s", c.Response, tc.want)
			}
		})
	}
}

// The RFC 7616 example Authorization header parses to the documented values.
func TestParseAuthorizationRFCExample(t *testing.T) {
	h := `Digest username="Mufasa",
       realm="http-auth@example.org",
       uri="/dir/index.html",
       algorithm=SHA-256,
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       nc=00000001,
       cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
       qop=auth,
       response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
	// The RFC folds the header over lines for print; on the wire it is one.
	h = unfold(h)
	got, err := ParseAuthorization(h)
	if err != nil {
		t.Fatalf("ParseAuthorization: %v", err)
	}
	want := Credentials{
		Username: "Mufasa", Realm: "http-auth@example.org", URI: "/dir/index.html",
		Algorithm: SHA256, Nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", NC: 1,
		CNonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", QOP: "auth",
		Response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
		Opaque:   "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
	}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func unfold(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}
