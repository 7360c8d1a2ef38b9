package digest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Defaults for Config.
const (
	DefaultNonceTTL  = 5 * time.Minute
	DefaultMaxNonces = 16384
)

// maxClockSkew is how far in the future a nonce's issue time may lie. Nonces
// come from this process's clock, so only a clock step backwards explains
// one; beyond this it is refused.
const maxClockSkew = time.Minute

// Config configures a Server.
type Config struct {
	// Realm names the protection space, shown to users by browsers. Required:
	// printable ASCII.
	Realm string
	// NonceTTL is how long a nonce is accepted; 0 means DefaultNonceTTL.
	NonceTTL time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxNonces bounds the replay table; 0 means DefaultMaxNonces.
	MaxNonces int
	// Key signs the nonces and derives the opaque value. Servers given the
	// same Key (and Realm) accept each other's nonces, so replicas behind one
	// Service behave as one server. It must hold at least MinKeyLen bytes of
	// secret random data; nil means a fresh random key per Server.
	Key []byte
}

// MinKeyLen is the shortest Config.Key accepted.
const MinKeyLen = 32

// Identity is a user name and password that Verify accepts.
type Identity struct {
	Username, Password string
}

// Request is what Verify checks credentials against.
type Request struct {
	Method string
	// URI is the request-target as received (path and query, r.RequestURI);
	// the credentials' uri must equal it.
	URI string
	// Scope binds nonces to a resource: a nonce is only accepted for the scope
	// it was issued for. The provisioning server uses the device's MAC.
	Scope string
}

// Server issues Digest challenges and verifies credentials. It is safe for
// concurrent use.
type Server struct {
	realm  string
	ttl    time.Duration
	now    func() time.Time
	opaque string
	nonces *nonceMinter
	replay *replayTable
	// heads holds the precomputed start of each challenge, up to its nonce's
	// opening quote,
	// in the order they are offered: SHA-256 first, as RFC 7616 asks.
	heads [2]string
	tail  string // after the nonce: its closing quote and the opaque
}

// NewServer returns a Server signing its nonces with c.Key, or with a fresh
// random key when c.Key is nil. A nonce signed with another key (an earlier
// process, another replica) never authenticates: with an otherwise correct
// digest Verify answers ErrStale, so that the client retries with the fresh
// nonce of a stale challenge.
func NewServer(c Config) (*Server, error) {
	if c.Realm == "" {
		return nil, errors.New("digest: realm is empty, expected printable ASCII")
	}
	for i := 0; i < len(c.Realm); i++ {
		if c.Realm[i] < 0x20 || c.Realm[i] > 0x7e {
			return nil, fmt.Errorf("digest: realm has a non-printable or non-ASCII byte at %d, expected printable ASCII", i)
		}
	}
	if c.Key != nil && len(c.Key) < MinKeyLen {
		return nil, fmt.Errorf("digest: Key has %d bytes, expected at least %d", len(c.Key), MinKeyLen)
	}
	if c.NonceTTL < 0 || c.MaxNonces < 0 {
		return nil, errors.New("digest: NonceTTL and MaxNonces must not be negative")
	}
	if c.NonceTTL == 0 {
		c.NonceTTL = DefaultNonceTTL
	}
	if c.MaxNonces == 0 {
		c.MaxNonces = DefaultMaxNonces
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	key := c.Key
	if key == nil {
		key = make([]byte, MinKeyLen)
		rand.Read(key) // never fails (crypto/rand, Go 1.24+)
	}
	// Two subkeys, so that the opaque (sent in clear) says nothing about the
	// nonce key; both are the same on servers sharing Key.
	nonceKey, opaque := deriveKey(key, "nonce"), deriveKey(key, "opaque")
	s := &Server{
		realm:  c.Realm,
		ttl:    c.NonceTTL,
		now:    c.Now,
		opaque: base64.RawURLEncoding.EncodeToString(opaque[:12]),
		nonces: newNonceMinter(c.Realm, nonceKey),
		replay: newReplayTable(c.MaxNonces, int64(c.NonceTTL)),
	}
	for i, alg := range [...]Algorithm{SHA256, MD5} {
		// Nonces are base64url, so they need no escaping inside the quotes.
		s.heads[i] = string(appendChallengeHead(nil, c.Realm, "auth", alg)) + `"`
	}
	s.tail = `", opaque="` + s.opaque + `"`
	return s, nil
}

// Realm returns the server's realm.
func (s *Server) Realm() string { return s.realm }

// Challenges returns the WWW-Authenticate header values to send with a 401 for
// a resource in scope: one challenge per algorithm, SHA-256 first, sharing one
// fresh nonce. stale marks them stale=true (after ErrStale).
func (s *Server) Challenges(scope string, stale bool) []string {
	nonce := s.nonces.mint(scope, s.now().UnixNano())
	tail := s.tail
	if stale {
		tail += ", stale=true"
	}
	return []string{s.heads[0] + nonce + tail, s.heads[1] + nonce + tail}
}

// Verify checks parsed credentials against a request and the identities
// accepted for it, and returns the index in ids of the identity that matched.
//
// The checks run in an order that leaks nothing to a client without the
// password: the form (algorithm, qop=auth, userhash) first, then realm and
// URI; then the digest, which is computed for every identity, and compared, in
// constant time. A wrong digest gives ErrCredentials whatever the nonce. A
// right digest with a nonce this server's key did not sign (another replica's
// key, a process before a restart, another scope, damaged), with another
// opaque, with an issue time in the future, or with an expired nonce gives
// ErrStale: the client knows the password and only needs a fresh nonce. With a
// nonce count that does not increase it gives ErrReplay. Errors wrap the
// package's sentinel errors.
func (s *Server) Verify(c *Credentials, r Request, ids []Identity) (int, error) {
	switch {
	case c.UserHash:
		return -1, fmt.Errorf("%w: userhash=true", ErrUnsupported)
	case c.Algorithm != MD5 && c.Algorithm != SHA256:
		return -1, fmt.Errorf("%w: algorithm is not MD5 or SHA-256", ErrUnsupported)
	case c.QOP != "auth":
		return -1, fmt.Errorf("%w: qop=auth is required", ErrUnsupported)
	case len(c.Response) != 2*c.Algorithm.size():
		return -1, fmt.Errorf("%w: response is not %d hex digits", ErrMalformed, 2*c.Algorithm.size())
	}
	if subtle.ConstantTimeCompare([]byte(c.Realm), []byte(s.realm)) != 1 {
		return -1, fmt.Errorf("%w: realm", ErrMismatch)
	}
	if subtle.ConstantTimeCompare([]byte(c.URI), []byte(r.URI)) != 1 {
		return -1, fmt.Errorf("%w: uri is not the request-target", ErrMismatch)
	}
	// A nonce or opaque from elsewhere is no reason to skip the digest: a
	// client with the right password must learn that it only needs a fresh
	// nonce (stale), and one without must get the same ErrCredentials as
	// with a good nonce, so that a forged nonce gains nothing.
	var foreign error
	if c.Opaque != "" && subtle.ConstantTimeCompare([]byte(c.Opaque), []byte(s.opaque)) != 1 {
		foreign = fmt.Errorf("%w: opaque of another key (another replica or an earlier process)", ErrStale)
	}
	issued, key, err := s.nonces.check(c.Nonce, r.Scope)
	now := s.now().UnixNano()
	switch {
	case foreign != nil:
	case err != nil:
		foreign = fmt.Errorf("%w: nonce not signed by this key for this realm and URL (another replica, an earlier process, or damaged)", ErrStale)
	case issued-now > int64(maxClockSkew):
		foreign = fmt.Errorf("%w: nonce issued in the future", ErrStale)
	}

	var got [32]byte
	if _, err := hex.Decode(got[:], []byte(c.Response)); err != nil {
		return -1, fmt.Errorf("%w: response is not hex", ErrMalformed)
	}
	match := -1
	for i, id := range ids {
		var want [32]byte
		d := c.Algorithm.response(want[:0], c.Username, s.realm, id.Password, r.Method, c.URI, c.Nonce, c.NC, c.CNonce, c.QOP)
		ok := subtle.ConstantTimeCompare([]byte(c.Username), []byte(id.Username)) &
			subtle.ConstantTimeCompare(d, got[:len(d)])
		if ok == 1 && match < 0 {
			match = i
		}
	}
	if match < 0 {
		return -1, ErrCredentials
	}
	if foreign != nil {
		return -1, foreign
	}
	if now-issued > int64(s.ttl) {
		return -1, fmt.Errorf("%w: older than %v", ErrStale, s.ttl)
	}
	if err := s.replay.use(key, issued, c.NC, now); err != nil {
		return -1, err
	}
	return match, nil
}

// deriveKey returns HMAC-SHA256(key, "dect-operator digest "+label).
func deriveKey(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("dect-operator digest " + label))
	return m.Sum(nil)
}
