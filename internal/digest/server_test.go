package digest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/fakeclock"
)

// clock is the fake clock of the tests.
type clock = fakeclock.Clock

// newClock stands at a fixed instant, so that test output is stable.
func newClock() *clock { return fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) }

const (
	mac      = "7C2F80CA21E4"
	macID    = "7C2F80CA21E4-AB12"
	user     = "provision"
	password = "correct horse"
	uri      = "/" + mac + ".xml"
)

var ids = []Identity{{user, password}, {mac, macID}}

func newTestServer(t *testing.T, clk *clock) *Server {
	t.Helper()
	s, err := NewServer(Config{Realm: "dect", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// answer parses the i-th challenge and answers it like a client would.
func answer(t *testing.T, challenge string, user, pass string, nc uint32) *Credentials {
	t.Helper()
	ch, err := ParseChallenge(challenge)
	if err != nil {
		t.Fatalf("ParseChallenge(%q): %v", challenge, err)
	}
	c, err := Authorize(ch, "GET", uri, user, pass, nc, "cnonce")
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestChallenges(t *testing.T) {
	s := newTestServer(t, newClock())
	chs := s.Challenges(mac, false)
	if len(chs) != 2 {
		t.Fatalf("got %d challenges, want 2", len(chs))
	}
	var nonces []string
	for i, want := range []Algorithm{SHA256, MD5} {
		ch, err := ParseChallenge(chs[i])
		if err != nil {
			t.Fatalf("challenge %d %q: %v", i, chs[i], err)
		}
		if ch.Algorithm != want || ch.Realm != "dect" || ch.QOP != "auth" || ch.Opaque == "" || ch.Stale {
			t.Errorf("challenge %d = %+v, want %v, realm dect, qop auth, an opaque, not stale", i, ch, want)
		}
		nonces = append(nonces, ch.Nonce)
	}
	if nonces[0] != nonces[1] || len(nonces[0]) != nonceLen {
		t.Errorf("nonces %q: want one shared nonce of %d characters", nonces, nonceLen)
	}
	next, _ := ParseChallenge(s.Challenges(mac, true)[0])
	if next.Nonce == nonces[0] {
		t.Error("two challenges share a nonce")
	}
	if !next.Stale {
		t.Error("Challenges(stale=true) did not set stale=true")
	}
}

func TestVerify(t *testing.T) {
	type step struct {
		advance time.Duration
		user    string
		pass    string
		nc      uint32
		mutate  func(*Credentials, *Request)
		want    error // nil: identity wantID
		wantID  int
	}
	tests := []struct {
		name  string
		alg   int // 0: SHA-256 challenge, 1: MD5
		scope string
		steps []step
	}{
		{"configured identity SHA-256", 0, mac, []step{{user: user, pass: password, nc: 1, wantID: 0}}},
		{"configured identity MD5", 1, mac, []step{{user: user, pass: password, nc: 1, wantID: 0}}},
		{"built-in identity", 0, mac, []step{{user: mac, pass: macID, nc: 1, wantID: 1}}},
		{"built-in identity MD5", 1, mac, []step{{user: mac, pass: macID, nc: 1, wantID: 1}}},
		{"wrong password", 0, mac, []step{{user: user, pass: "wrong", nc: 1, want: ErrCredentials}}},
		{"password of the other identity", 0, mac, []step{{user: user, pass: macID, nc: 1, want: ErrCredentials}}},
		{"unknown user", 1, mac, []step{{user: "root", pass: password, nc: 1, want: ErrCredentials}}},
		{"user name case matters", 0, mac, []step{{user: "Provision", pass: password, nc: 1, want: ErrCredentials}}},
		{"replayed nc", 0, mac, []step{
			{user: user, pass: password, nc: 1, wantID: 0},
			{user: user, pass: password, nc: 1, want: ErrReplay},
		}},
		{"increasing nc reuses nonce, lower nc refused", 0, mac, []step{
			{user: user, pass: password, nc: 1, wantID: 0},
			{user: user, pass: password, nc: 5, wantID: 0},
			{user: user, pass: password, nc: 3, want: ErrReplay},
			{user: user, pass: password, nc: 6, wantID: 0},
		}},
		{"nc zero", 0, mac, []step{{user: user, pass: password, nc: 0, want: ErrReplay}}},
		{"failed attempt does not burn the nonce", 0, mac, []step{
			{user: mac, pass: "not-the-mac-id", nc: 1, want: ErrCredentials},
			{user: user, pass: password, nc: 2, wantID: 0},
		}},
		{"expired nonce, right password: stale", 0, mac, []step{
			{advance: DefaultNonceTTL + time.Second, user: user, pass: password, nc: 1, want: ErrStale},
		}},
		{"expired nonce, wrong password: not stale", 0, mac, []step{
			{advance: DefaultNonceTTL + time.Second, user: user, pass: "wrong", nc: 1, want: ErrCredentials},
		}},
		{"nonce valid until its TTL", 0, mac, []step{
			{advance: DefaultNonceTTL, user: user, pass: password, nc: 1, wantID: 0},
		}},
		{"nonce from the future (clock stepped back)", 0, mac, []step{
			{advance: -2 * maxClockSkew, user: user, pass: password, nc: 1, want: ErrStale},
		}},
		{"nonce from the future, wrong password", 0, mac, []step{
			{advance: -2 * maxClockSkew, user: user, pass: "wrong", nc: 1, want: ErrCredentials},
		}},
		{"nonce for another device, right password: stale", 0, "0004F2000001", []step{{user: user, pass: password, nc: 1, want: ErrStale}}},
		{"nonce for another device, wrong password", 0, "0004F2000001", []step{{user: user, pass: "wrong", nc: 1, want: ErrCredentials}}},
		{"tampered nonce", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.Nonce = flip(c.Nonce, 3)
		}, want: ErrCredentials}}},
		{"garbled nonce", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.Nonce = strings.Repeat("!", nonceLen)
		}, want: ErrCredentials}}},
		{"short nonce", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.Nonce = c.Nonce[:10]
		}, want: ErrCredentials}}},
		{"another realm", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.Realm = "other"
		}, want: ErrMismatch}}},
		{"uri is not the request's", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(_ *Credentials, r *Request) {
			r.URI = "/0004F2000001.xml"
		}, want: ErrMismatch}}},
		{"query differs", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(_ *Credentials, r *Request) {
			r.URI += "?a=1"
		}, want: ErrMismatch}}},
		{"method differs", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(_ *Credentials, r *Request) {
			r.Method = "HEAD"
		}, want: ErrCredentials}}},
		{"wrong opaque", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.Opaque = "x"
		}, want: ErrStale}}},
		{"no opaque is accepted", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.Opaque = ""
		}, wantID: 0}}},
		{"RFC 2069 form (no qop)", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.QOP, c.NC, c.CNonce = "", 0, ""
		}, want: ErrUnsupported}}},
		{"auth-int", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.QOP = "auth-int"
		}, want: ErrUnsupported}}},
		{"userhash", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.UserHash = true
		}, want: ErrUnsupported}}},
		{"response of the other algorithm's length", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.Response = c.Response[:32]
		}, want: ErrMalformed}}},
		{"algorithm switched after answering", 0, mac, []step{{user: user, pass: password, nc: 1, mutate: func(c *Credentials, _ *Request) {
			c.Algorithm = MD5
		}, want: ErrMalformed}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			s := newTestServer(t, clk)
			ch := s.Challenges(tc.scope, false)[tc.alg]
			for i, st := range tc.steps {
				clk.Advance(st.advance)
				c := answer(t, ch, st.user, st.pass, st.nc)
				r := Request{Method: "GET", URI: uri, Scope: mac}
				if st.mutate != nil {
					st.mutate(c, &r)
				}
				id, err := s.Verify(c, r, ids)
				if st.want != nil {
					if !errors.Is(err, st.want) {
						t.Fatalf("step %d: Verify error = %v, want %v", i, err, st.want)
					}
					if id != -1 {
						t.Errorf("step %d: Verify returned identity %d with an error", i, id)
					}
				} else if err != nil || id != st.wantID {
					t.Fatalf("step %d: Verify = %d, %v; want identity %d", i, id, err, st.wantID)
				}
				if err != nil {
					for _, secret := range []string{password, macID} {
						if strings.Contains(err.Error(), secret) {
							t.Errorf("step %d: error %q contains a password", i, err)
						}
					}
				}
			}
		})
	}
}

// flip changes one character of a base64url string to another valid one.
func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestVerifyWithoutIdentities(t *testing.T) {
	s := newTestServer(t, newClock())
	c := answer(t, s.Challenges(mac, false)[0], user, password, 1)
	if _, err := s.Verify(c, Request{Method: "GET", URI: uri, Scope: mac}, nil); !errors.Is(err, ErrCredentials) {
		t.Errorf("Verify with no identities: %v, want ErrCredentials", err)
	}
}

// A nonce from another Server (another process, a restart, a replica with
// another key) never authenticates; with the right password the answer is
// ErrStale (the client only needs a fresh nonce), with a wrong one
// ErrCredentials, as with a good nonce. Servers sharing a Key accept each
// other's nonces.
func TestNonceFromAnotherServer(t *testing.T) {
	clk := newClock()
	key := []byte("0123456789abcdef0123456789abcdef")
	newServer := func(key []byte) *Server {
		s, err := NewServer(Config{Realm: "dect", Now: clk.Now, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	req := Request{Method: "GET", URI: uri, Scope: mac}
	tests := []struct {
		name       string
		keyA, keyB []byte
		pass       string
		noOpaque   bool
		want       error // nil: accepted
	}{
		{"random keys, right password", nil, nil, password, false, ErrStale},
		{"random keys, right password, no opaque", nil, nil, password, true, ErrStale},
		{"random keys, wrong password", nil, nil, "wrong", false, ErrCredentials},
		{"different keys, right password", key, []byte("another key, 32 bytes long......"), password, false, ErrStale},
		{"shared key", key, key, password, false, nil},
		{"shared key, wrong password", key, key, "wrong", false, ErrCredentials},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newServer(tc.keyA), newServer(tc.keyB)
			c := answer(t, a.Challenges(mac, false)[0], user, tc.pass, 1)
			if tc.noOpaque {
				c.Opaque = ""
			}
			_, err := b.Verify(c, req, ids)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Verify on the other server: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestKeyTooShort(t *testing.T) {
	if _, err := NewServer(Config{Realm: "dect", Key: make([]byte, MinKeyLen-1)}); err == nil {
		t.Error("NewServer accepted a 31-byte key")
	}
}

// The nonce's tag covers the realm: with the same key, a nonce minted for one
// realm fails in another, and the length prefixes keep realm/scope pairs apart.
func TestNonceBinding(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	a, b := newNonceMinter("dect", key), newNonceMinter("other", key)
	n := a.mint(mac, 1)
	if _, _, err := a.check(n, mac); err != nil {
		t.Fatalf("own nonce refused: %v", err)
	}
	if _, _, err := b.check(n, mac); !errors.Is(err, ErrNonce) {
		t.Errorf("nonce of realm dect accepted in realm other: %v", err)
	}
	c, d := newNonceMinter("ab", key), newNonceMinter("a", key)
	if _, _, err := d.check(c.mint("c", 1), "bc"); !errors.Is(err, ErrNonce) {
		t.Errorf("realm ab + scope c accepted as realm a + scope bc: %v", err)
	}
}

func TestNewServerValidates(t *testing.T) {
	for _, c := range []Config{
		{},
		{Realm: "a\r\nb"},
		{Realm: "Müller"},
		{Realm: "r", NonceTTL: -1},
		{Realm: "r", MaxNonces: -1},
	} {
		if _, err := NewServer(c); err == nil {
			t.Errorf("NewServer(%+v) succeeded, want an error", c)
		}
	}
	s, err := NewServer(Config{Realm: `a "quoted" \realm`})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := ParseChallenge(s.Challenges("x", false)[0])
	if err != nil || ch.Realm != `a "quoted" \realm` {
		t.Errorf("realm with quotes round trip: %+v, %v", ch, err)
	}
}

// A full round trip through the header strings, as a client and the
// provisioning server do it, for both challenges.
func TestRespondVerify(t *testing.T) {
	s := newTestServer(t, newClock())
	for i := range 2 {
		// Both challenges share a nonce, so each answer needs its own 401.
		ch := s.Challenges(mac, false)[i]
		h, err := Respond(ch, "GET", uri, mac, macID)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{macID} {
			if strings.Contains(h, secret) {
				t.Errorf("Authorization header %q contains the password", h)
			}
		}
		c, err := ParseAuthorization(h)
		if err != nil {
			t.Fatal(err)
		}
		if id, err := s.Verify(&c, Request{Method: "GET", URI: uri, Scope: mac}, ids); err != nil || id != 1 {
			t.Errorf("challenge %d: Verify = %d, %v; want identity 1", i, id, err)
		}
	}
}

func TestVerifyConcurrent(t *testing.T) {
	s := newTestServer(t, newClock())
	ch := s.Challenges(mac, false)[0]
	// Many goroutines race with the same nonce and count: exactly one wins.
	c := answer(t, ch, user, password, 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 16 {
		wg.Go(func() {
			cc := *c
			if _, err := s.Verify(&cc, Request{Method: "GET", URI: uri, Scope: mac}, ids); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent uses of one nonce count succeeded, want 1", wins)
	}
}
