package digest

import "errors"

// Errors returned by this package, wrapped with detail; test with errors.Is.
// None of them ever carries a password or the raw header.
var (
	// ErrMalformed: the header does not follow the Digest syntax.
	ErrMalformed = errors.New("digest: malformed header")
	// ErrUnsupported: a well-formed request for something this package does not
	// do (another algorithm, no qop or qop=auth-int, userhash, username*).
	ErrUnsupported = errors.New("digest: unsupported")
	// ErrMismatch: the credentials are for another realm, URI or opaque.
	ErrMismatch = errors.New("digest: credentials do not match the request")
	// ErrNonce: the nonce was not issued by this server for this realm and
	// scope (forged, damaged, from another instance, or for another device).
	// Verify does not return it: it answers such a nonce with ErrStale when
	// the digest is right and ErrCredentials when it is not.
	ErrNonce = errors.New("digest: unknown nonce")
	// ErrCredentials: no identity matches the user name and password.
	ErrCredentials = errors.New("digest: wrong user name or password")
	// ErrStale: the credentials are right but the nonce has expired (or was
	// forgotten); the client should retry with the new nonce it is given,
	// without asking for other credentials (stale=true).
	ErrStale = errors.New("digest: stale nonce")
	// ErrReplay: the nonce count did not increase, so the request may be a
	// replay of an earlier one.
	ErrReplay = errors.New("digest: replayed nonce count")
)
