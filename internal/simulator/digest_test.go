package simulator

import (
	"strings"
	"testing"
)

// The examples of RFC 7616 §3.9.1 and RFC 2617 §3.5 (and RFC 2069 §2.4 for a server
// that sends no qop): computed by the RFCs' authors, not by this package.
func TestDigestAuthorizationRFCExamples(t *testing.T) {
	const rfc7616 = `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=%s, ` +
		`nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
	tests := []struct {
		name         string
		header       string
		user, pass   string
		cnonce       string
		wantResponse string
	}{
		{"RFC 7616 SHA-256", strings.Replace(rfc7616, "%s", "SHA-256", 1), "Mufasa", "Circle of Life",
			"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
		{"RFC 7616 MD5", strings.Replace(rfc7616, "%s", "MD5", 1), "Mufasa", "Circle of Life",
			"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "8ca523f5e9506fed4657c9700eebdbec"},
		{"RFC 2617", `Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
			"Mufasa", "Circle Of Life", "0a4f113b", "6629fae49393a05397450978507c4ef1"},
		{"RFC 2069 (no qop)", `Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
			"Mufasa", "CircleOfLife", "", "1949323746fe6a43ef61f9606e7febea"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := pickChallenge([]string{tt.header})
			if !ok {
				t.Fatalf("no usable challenge in %s", tt.header)
			}
			got := c.authorization("GET", "/dir/index.html", tt.user, tt.pass, 1, tt.cnonce)
			if !strings.Contains(got, `response="`+tt.wantResponse+`"`) {
				t.Errorf("Authorization: %s\nwant response %s", got, tt.wantResponse)
			}
			wantQop := tt.cnonce != ""
			if strings.Contains(got, "qop=auth, nc=00000001, cnonce=") != wantQop {
				t.Errorf("Authorization: %s: qop, nc and cnonce must be sent exactly when the server offered qop", got)
			}
			if !strings.Contains(got, `opaque="`) {
				t.Errorf("Authorization: %s: opaque not echoed", got)
			}
		})
	}
}

func TestPickChallenge(t *testing.T) {
	tests := []struct {
		name      string
		headers   []string
		wantOK    bool
		wantAlg   string
		wantNonce string
		wantStale bool
	}{
		{"SHA-256 preferred, two headers", []string{`Digest realm="r", nonce="a", algorithm=MD5, qop="auth"`, `Digest realm="r", nonce="b", algorithm=SHA-256, qop="auth"`}, true, "SHA-256", "b", false},
		{"SHA-256 preferred, one header", []string{`Digest realm="r", nonce="a", algorithm=MD5, qop="auth", Digest realm="r", nonce="b", algorithm=SHA-256, qop="auth"`}, true, "SHA-256", "b", false},
		{"Basic before Digest", []string{`Basic realm="r", Digest realm="r", nonce="n", qop="auth"`}, true, "MD5", "n", false},
		{"token68 before Digest", []string{`Negotiate abc==, Digest realm="r", nonce="n"`}, true, "MD5", "n", false},
		{"stale flag, any case", []string{`Digest realm="r", nonce="n", qop=auth, stale=TRUE`}, true, "MD5", "n", true},
		{"quoted comma and escaped quote", []string{`Digest realm="a, \"b\"", nonce="n,1", qop="auth"`}, true, "MD5", "n,1", false},
		{"algorithm case-insensitive", []string{`digest realm="r", nonce="n", algorithm=sha-256`}, true, "SHA-256", "n", false},
		{"only auth-int", []string{`Digest realm="r", nonce="n", qop="auth-int"`}, false, "", "", false},
		{"unsupported algorithm", []string{`Digest realm="r", nonce="n", algorithm=SHA-512-256`}, false, "", "", false},
		{"no nonce", []string{`Digest realm="r", qop="auth"`}, false, "", "", false},
		{"Basic only", []string{`Basic realm="r"`}, false, "", "", false},
		{"garbage", []string{`@@@ ,,, ="`, ``, `Digest`}, false, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := pickChallenge(tt.headers)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.wantOK, c)
			}
			if ok && (c.algorithmName() != tt.wantAlg || c.nonce != tt.wantNonce || c.stale != tt.wantStale) {
				t.Errorf("challenge %+v, want algorithm %s nonce %q stale %v", c, tt.wantAlg, tt.wantNonce, tt.wantStale)
			}
		})
	}
	c, _ := pickChallenge([]string{`Digest realm="a, \"b\"", nonce="n"`})
	if c.realm != `a, "b"` {
		t.Errorf("realm %q", c.realm)
	}
}

func TestAuthorizationQuotesValues(t *testing.T) {
	c, ok := pickChallenge([]string{`Digest realm="r\"1", nonce="n", qop="auth", algorithm=SHA-256`})
	if !ok {
		t.Fatal("challenge not usable")
	}
	got := c.authorization("GET", "/x.xml", `us\er"`, "p", 7, "c")
	for _, want := range []string{`username="us\\er\""`, `realm="r\"1"`, "nc=00000007", "algorithm=SHA-256"} {
		if !strings.Contains(got, want) {
			t.Errorf("Authorization %s: want %s", got, want)
		}
	}
}

func FuzzParseChallenges(f *testing.F) {
	f.Add(`Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth", Basic realm="x"`)
	f.Add(`Negotiate abc==, Digest realm="a\"b", stale=true`)
	f.Fuzz(func(t *testing.T, h string) {
		if c, ok := pickChallenge([]string{h}); ok {
			_ = c.authorization("GET", "/", "u", "p", 1, "c")
		}
	})
}
