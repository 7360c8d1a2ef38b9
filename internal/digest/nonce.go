package digest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
)

// A nonce is base64url(payload || tag), where payload is the issue time (Unix
// nanoseconds) and a per-Server sequence number, 8 bytes each, big-endian, and
// tag is the first 16 bytes of HMAC-SHA256(key, realm, scope, payload). The
// sequence number makes every nonce unique even when the clock does not move;
// the tag makes nonces unforgeable and binds each to its realm and scope.
const (
	nonceTimeLen    = 8
	nonceSeqLen     = 8
	noncePayloadLen = nonceTimeLen + nonceSeqLen
	nonceTagLen     = 16
	nonceRawLen     = noncePayloadLen + nonceTagLen
)

var nonceEncoding = base64.RawURLEncoding

// nonceLen is the length of a nonce as sent (43 characters).
var nonceLen = nonceEncoding.EncodedLen(nonceRawLen)

// nonceKey identifies a nonce in the replay table.
type nonceKey [nonceTagLen]byte

// nonceMinter mints and checks nonces for one realm with one key.
type nonceMinter struct {
	realm string
	seq   atomic.Uint64
	macs  sync.Pool // of hash.Hash, HMAC-SHA256 with the key; hmac.New allocates
}

func newNonceMinter(realm string, key []byte) *nonceMinter {
	m := &nonceMinter{realm: realm}
	// A random start keeps replicas sharing a key from minting equal nonces
	// in the same nanosecond.
	var seq [8]byte
	rand.Read(seq[:])
	m.seq.Store(binary.BigEndian.Uint64(seq[:]))
	k := append([]byte(nil), key...)
	m.macs.New = func() any { return hmac.New(sha256.New, k) }
	return m
}

// tag appends the truncated HMAC of payload for scope to dst.
func (m *nonceMinter) tag(dst []byte, scope string, payload []byte) []byte {
	h := m.macs.Get().(hash.Hash)
	defer m.macs.Put(h)
	h.Reset()
	// Length prefixes keep (realm, scope) pairs from colliding: without them
	// realm "a" + scope "bc" would sign like realm "ab" + scope "c".
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(m.realm)))
	h.Write(n[:])
	h.Write([]byte(m.realm))
	binary.BigEndian.PutUint32(n[:], uint32(len(scope)))
	h.Write(n[:])
	h.Write([]byte(scope))
	h.Write(payload)
	var sum [sha256.Size]byte
	return append(dst, h.Sum(sum[:0])[:nonceTagLen]...)
}

// mint returns a new nonce for scope issued at unixNano.
func (m *nonceMinter) mint(scope string, unixNano int64) string {
	var raw [nonceRawLen]byte
	binary.BigEndian.PutUint64(raw[:nonceTimeLen], uint64(unixNano))
	binary.BigEndian.PutUint64(raw[nonceTimeLen:noncePayloadLen], m.seq.Add(1))
	m.tag(raw[:noncePayloadLen], scope, raw[:noncePayloadLen])
	return nonceEncoding.EncodeToString(raw[:])
}

// check verifies that nonce was minted by m for scope and returns its issue
// time and replay-table key.
func (m *nonceMinter) check(nonce, scope string) (issued int64, key nonceKey, err error) {
	var raw [nonceRawLen]byte
	if len(nonce) != nonceLen {
		return 0, key, fmt.Errorf("%w: wrong length", ErrNonce)
	}
	if n, err := nonceEncoding.Decode(raw[:], []byte(nonce)); err != nil || n != nonceRawLen {
		return 0, key, fmt.Errorf("%w: not base64url", ErrNonce)
	}
	var want [nonceTagLen]byte
	m.tag(want[:0], scope, raw[:noncePayloadLen])
	if subtle.ConstantTimeCompare(want[:], raw[noncePayloadLen:]) != 1 {
		return 0, key, fmt.Errorf("%w: not issued here for this realm and URL", ErrNonce)
	}
	copy(key[:], raw[noncePayloadLen:])
	return int64(binary.BigEndian.Uint64(raw[:nonceTimeLen])), key, nil
}
