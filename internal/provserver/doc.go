// Package provserver is the HTTP server that hands each Gigaset DECT Manager
// its provisioning file, without any Kubernetes code: the caller keeps a Store
// up to date (from informers) and receives a callback for each delivery.
//
// A device asks for GET <prefix>/<MAC>.xml. The server answers with the file
// of the base declared for that MAC, after checking, in this order, the source
// address against the base's allowed prefixes (403), the throttle for clients
// that failed to authenticate too often (429) and HTTP Digest authentication
// (401), both only when the base has credentials. A 304 answers a matching
// If-None-Match only after authentication, since the ETag is a hash of the
// file. Other methods on a MAC path get 405; unknown MACs get 404, and so does
// every other path. Both are listed for the operator (UnknownDevicesHandler): an
// unknown MAC is usually a device waiting for its DectBase, and a GET for another
// path (Gigaset's firmware chain such as /70/1/master.bin, another file name
// scheme) shows what a real device expects, with its address and User-Agent.
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
// base does not accept the built-in identity that attempt is not counted as a
// failure at all.
//
// The hot path (an authorised or unprotected GET) does no string building, no
// regexp and no map copy: the MAC is parsed from the path into 6 bytes, the
// entry comes from an atomically swapped map, and the headers are precomputed
// per entry.
package provserver
