// Package digest implements HTTP Digest access authentication (RFC 7616) as the
// Gigaset DECT Managers speak it: the server side (challenges, a strict parser
// of the Authorization header, verification with expiring nonces and replay
// protection) and a small client side for tests and simulated devices.
//
// Choices, and why:
//
//   - Algorithms MD5 and SHA-256. The server offers SHA-256 first, then MD5, as
//     RFC 7616 asks; devices that only know RFC 2617 pick MD5. The "-sess"
//     variants are not offered or accepted: they exist so that a third party can
//     verify with a pre-hashed secret, which this system has no use for.
//   - qop=auth is required. The RFC 2069 form without qop has no client nonce
//     and no nonce count, so a captured request could be replayed for the whole
//     life of its nonce. auth-int is not offered (it would hash a GET's empty
//     body, adding nothing).
//   - userhash=false only: the user names here (a device's MAC, a configured
//     name) are not secret, and hashed user names would need a lookup table.
//   - Nonces carry their issue time and an HMAC over the realm and a
//     caller-chosen scope, so verifying one needs no storage and a nonce issued
//     for one device cannot be used for another. The key comes from
//     crypto/rand per Server, or from Config.Key: replicas given the same key
//     accept each other's nonces. A right digest over a nonce this key did not
//     sign (an earlier process, another replica) is answered ErrStale, never
//     a failure, so a restart or a load balancer never looks like a wrong
//     password; a wrong digest is ErrCredentials whatever the nonce.
//     Only nonces that have authenticated a request are remembered, with the
//     highest nonce count seen, to refuse replays; that table is bounded.
//   - Every comparison involving credentials uses crypto/subtle.
//   - No error, challenge or formatted value ever contains a password, and the
//     parser's errors never echo the header they were given.
package digest
