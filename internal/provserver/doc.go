// Package provserver is the HTTP server that hands each Gigaset DECT Manager
// its provisioning file, without any Kubernetes code: the caller keeps a Store
// up to date (from informers) and receives a callback for each delivery.
//
// A device asks for GET <prefix>/<MAC>.xml. ServeHTTP checks, in this order,
// and each status code is written in one place:
//
//  1. A firmware image (see below): 200/206 from http.ServeContent.
//  2. Another method than GET or HEAD on a MAC path: 405, whether the MAC is
//     configured or not.
//  3. A configured MAC asked from outside its base's allowed prefixes: the
//     very answer of an unknown MAC (404, same body, same headers), so that an
//     outsider cannot tell which MACs are configured. It is counted for the
//     base (result "forbidden") and not listed as unknown.
//  4. An unknown MAC, or any other path: 404, listed for the operator
//     (UnknownDevicesHandler): an unknown MAC is usually a device waiting for
//     its DectBase, and a GET for another path (Gigaset's firmware chain such
//     as /70/1/master.bin, another file name scheme) shows what a real device
//     expects, with its address and User-Agent.
//  5. Only when the base has credentials: the guessing lockout (429 with
//     Retry-After, before any challenge), then HTTP Digest (401 with fresh
//     challenges; stale=true when the password was right but the nonce was
//     not this server's or has expired).
//  6. If-None-Match: 304 (only after authentication, since the ETag is a hash
//     of the file); otherwise 200 with the file.
//
// A GET answered 200, or 304 for the file's own ETag, is a delivery; a 304 for
// "If-None-Match: *" is not, since it says nothing of which file the device has.
//
// With Options.FirmwareDir, a GET or HEAD for <prefix>/firmware/<file>.bin is
// answered from that directory before any of the checks above, without
// authentication and with Range support (http.ServeContent); the file name is one
// path segment ending in .bin, and the directory is opened as an os.Root, so no
// request reaches a file outside it. A missing image is an unknown request (404,
// listed).
//
// The device's own login sequence shapes the authentication: after a first 401
// it tries its built-in identity (its MAC and the MAC-ID on its label), and
// after a second 401 the credentials configured on it. So a failed built-in
// identity must yield a fresh challenge rather than a lockout, and when the
// base does not accept the built-in identity (no MAC-ID, and a configured user
// name that is not the MAC in any letter case) that attempt is not counted as a
// failure at all. A right password over a nonce from another replica or from
// before a restart is not a failure either (401 stale=true); replicas given the
// same Options.NonceKey accept each other's nonces.
//
// # Guessing
//
// The built-in identity is weak: the MAC is public and the MAC-ID adds 4
// characters. So failures are counted per MAC, from any number of source
// addresses, in two lanes: the known lane, for the last two distinct (exact)
// addresses that authenticated for that MAC, and the other lane, for every
// other address. With the defaults (Options.FailureLimit 10, Cooldown 1
// minute, MaxCooldown 1 hour, FailureWindow 24 hours):
//
//   - the 10th failure in a row in a lane locks it for 1 minute, the 11th for
//     2, then 4, 8, 16, 32 minutes, then 1 hour for each further failure;
//   - a locked lane gets 429 before any credential is checked, so it answers
//     no guess;
//   - a success resets the lane it came through (the known lane; a success
//     from another address makes that address known, and leaves the other
//     lane's count alone, so the device's fetches never reset an attacker's);
//   - a lane without a failure for 24 hours is forgotten, and both lanes start
//     afresh when the base's credentials change.
//
// An attacker rotating through any number of addresses thus gets at most 15
// guesses answered for one MAC in the first hour and 1 per hour after (24 a
// day; a 4-hex-digit MAC-ID suffix, 65,536 values, takes 3.7 years on average;
// TestGuardManyAddresses measures it), plus as many again if it shares one of
// the device's known addresses exactly. The device at its known address keeps
// working whatever the other lane does, and a neighbour failing for another
// MAC, even from the device's very address, never touches the device's lanes.
// Limits, by design: a device that fetches from a new address while its MAC is
// under attack waits for the other lane; an attacker behind the same address
// as the device (a NAT, or the node address under externalTrafficPolicy:
// Cluster, which every client then shares) shares the known lane and can lock
// the device out, so use externalTrafficPolicy: Local. The state is in memory,
// one record per configured MAC (an attacker can neither grow it nor evict a
// record), per replica: N replicas allow N times the guesses, and a restart
// starts afresh.
//
// The hot path (an authorised or unprotected GET) does no string building, no
// regexp and no map copy: the MAC is parsed from the path into 6 bytes, the
// entry comes from an atomically swapped map, and the headers are precomputed
// per entry.
package provserver
