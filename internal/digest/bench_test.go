package digest

import "testing"

func BenchmarkParseAuthorization(b *testing.B) {
	h := `Digest username="7C2F80CA21E4", realm="dect", uri="/7C2F80CA21E4.xml", algorithm=SHA-256, nonce="GJi12bPWgAAAAAAAAAAAAQ-hUsezahUpENwIks7EbUA", nc=00000001, cnonce="0a4f113b0a4f113b", qop=auth, response="` + shaResp + `", opaque="8bnlZBT7n3A8gnar"`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAuthorization(h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChallengeVerify(b *testing.B) {
	s, err := NewServer(Config{Realm: "dect"})
	if err != nil {
		b.Fatal(err)
	}
	r := Request{Method: "GET", URI: uri, Scope: mac}
	b.ReportAllocs()
	for b.Loop() {
		ch, _ := ParseChallenge(s.Challenges(mac, false)[0])
		c, _ := Authorize(ch, "GET", uri, user, password, 1, "cnonce")
		if _, err := s.Verify(&c, r, ids); err != nil {
			b.Fatal(err)
		}
	}
}
