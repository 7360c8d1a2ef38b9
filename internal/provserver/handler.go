package provserver

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dect-operator/dect-operator/internal/digest"
	"github.com/dect-operator/dect-operator/internal/useragent"
)

// Defaults for Options.
const (
	DefaultRealm         = "dect-operator"
	DefaultNonceTTL      = digest.DefaultNonceTTL
	DefaultFailureLimit  = 10
	DefaultFailureWindow = 24 * time.Hour
	DefaultCooldown      = time.Minute
	DefaultMaxCooldown   = time.Hour
)

// Bounds on the memory of the handler's tables.
const (
	maxUnknownDevices  = 256
	maxUnknownRequests = 256
)

// Options configure a Handler. The zero value is usable: no prefix, default
// realm, nonce lifetime and guessing lockout, no callback, unregistered metrics.
type Options struct {
	// PathPrefix is put before "/<MAC>.xml", e.g. "/dect"; "" or "/" for none.
	PathPrefix string
	// Realm is the Digest realm; "" means DefaultRealm.
	Realm string
	// NonceTTL is how long a Digest nonce is accepted; 0 means 5 minutes.
	NonceTTL time.Duration
	// Now returns the current time; nil means time.Now. Tests pass a fake.
	Now func() time.Time
	// Guessing lockout, per MAC and lane (see the package documentation):
	// FailureLimit failures in a row lock the lane for Cooldown, each further
	// failure for twice as long as the previous one, up to MaxCooldown; a lane
	// without a failure for FailureWindow is forgotten. 0 means the defaults
	// (10, 1 minute, 1 hour, 24 hours); a negative FailureLimit disables the
	// lockout.
	FailureLimit                         int
	FailureWindow, Cooldown, MaxCooldown time.Duration
	// NonceKey signs the Digest nonces. Replicas given the same key (at
	// least digest.MinKeyLen random bytes, e.g. from a Secret) accept each
	// other's nonces; nil means a random key per Handler, so a nonce from
	// another replica or from before a restart gets a stale challenge (never
	// counted as a failure). The replay table stays per replica: with a
	// shared key, a captured request can be replayed once to each other
	// replica within NonceTTL, which yields the file that an eavesdropper on
	// plain HTTP has read already.
	NonceKey []byte
	// OnDelivery is called after each GET answered 200, or 304 for the
	// file's own ETag (not for "*"), from the request's goroutine: it must
	// not block.
	OnDelivery func(Delivery)
	// Registry receives the metrics; nil leaves them unregistered.
	Registry prometheus.Registerer
	// FirmwareDir is a directory of firmware images (.bin files) served to any
	// client at <prefix>/firmware/<file>.bin, without authentication, as
	// Gigaset's own firmware server does: the images are public downloads. ""
	// serves none.
	FirmwareDir string
}

// Delivery records that a device fetched (200) or confirmed (304) its file.
type Delivery struct {
	Namespace, Base string
	MAC             string
	Time            time.Time
	Source          netip.Addr
	UserAgent       string // cleaned, at most useragent.MaxLen bytes
	Firmware        string // from the User-Agent, "" if it has none
	Hash            string // of the file the device has now
}

// Handler serves the devices' port. It is safe for concurrent use.
type Handler struct {
	store      *Store
	prefix     string
	now        func() time.Time
	digest     *digest.Server
	guard      *guard // nil when disabled
	unknown    *unknown
	metrics    *metrics
	onDelivery func(Delivery)
	firmware   *os.Root // nil: no firmware served
}

// MinNonceKeyLen is the shortest Options.NonceKey accepted. It lives here, not in the
// controller that creates the shared key, so that the feed, which carries the key to
// the sidecar, can refuse a short one without importing the controller.
const MinNonceKeyLen = digest.MinKeyLen

// Header values shared by all responses; net/http only reads them.
var (
	allowGetHead = []string{"GET, HEAD"}
	noStore      = []string{"no-store"}
	xmlType      = []string{"text/xml; charset=ISO-8859-1"}
)

// NewHandler returns the handler for the devices' port, serving the entries of
// store as configured by opts.
func NewHandler(store *Store, opts Options) (*Handler, error) {
	if store == nil {
		return nil, errors.New("provserver: store is nil")
	}
	prefix, err := cleanPrefix(opts.PathPrefix)
	if err != nil {
		return nil, err
	}
	if opts.Realm == "" {
		opts.Realm = DefaultRealm
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FailureWindow < 0 || opts.Cooldown < 0 || opts.MaxCooldown < 0 || opts.NonceTTL < 0 {
		return nil, errors.New("provserver: FailureWindow, Cooldown, MaxCooldown and NonceTTL must not be negative")
	}
	ds, err := digest.NewServer(digest.Config{Realm: opts.Realm, NonceTTL: opts.NonceTTL, Now: opts.Now, Key: opts.NonceKey})
	if err != nil {
		return nil, fmt.Errorf("provserver: %w", err)
	}
	h := &Handler{
		store:      store,
		prefix:     prefix,
		now:        opts.Now,
		digest:     ds,
		unknown:    newUnknown(maxUnknownDevices, maxUnknownRequests),
		onDelivery: opts.OnDelivery,
	}
	if opts.FailureLimit >= 0 {
		limit, window, cooldown, maxCooldown := opts.FailureLimit, opts.FailureWindow, opts.Cooldown, opts.MaxCooldown
		if limit == 0 {
			limit = DefaultFailureLimit
		}
		if window == 0 {
			window = DefaultFailureWindow
		}
		if cooldown == 0 {
			cooldown = DefaultCooldown
		}
		if maxCooldown == 0 {
			maxCooldown = max(DefaultMaxCooldown, cooldown)
		}
		if maxCooldown < cooldown {
			return nil, errors.New("provserver: MaxCooldown must not be below Cooldown")
		}
		h.guard = newGuard(limit, cooldown, maxCooldown, window, store)
	}
	if h.metrics, err = newMetrics(opts.Registry); err != nil {
		return nil, err
	}
	store.OnGone(h.Forget)
	if opts.FirmwareDir != "" {
		if h.firmware, err = openFirmwareDir(opts.FirmwareDir); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// cleanPrefix validates a path prefix and returns it without trailing slash.
func cleanPrefix(p string) (string, error) {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "", nil
	}
	if p[0] != '/' || path.Clean(p) != p || strings.ContainsAny(p, "?#% \t\r\n") {
		return "", fmt.Errorf("provserver: PathPrefix %q: expected an absolute, clean path such as /dect", truncate(p, 64))
	}
	return p, nil
}

// ServeHTTP answers one request; see the package documentation for the
// order of the checks.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, isMAC := macFromPath(r.URL.Path, h.prefix)
	var e *served
	if isMAC {
		e = h.store.get(key)
	}
	m := h.metrics.none
	if e != nil {
		m = h.baseMetrics(e)
	}
	fetch := r.Method == http.MethodGet || r.Method == http.MethodHead
	if !isMAC && fetch && h.firmware != nil {
		if name, ok := firmwareName(r.URL.Path, h.prefix); ok && h.serveFirmware(w, r, name) {
			h.metrics.firmware.Inc()
			return
		}
	}
	if isMAC && !fetch {
		// The same answer whether the MAC exists or not: 405 reveals nothing.
		m.results[resultMethodNotAllowed].Inc()
		w.Header()["Allow"] = allowGetHead
		writeStatus(w, http.StatusMethodNotAllowed)
		return
	}
	src := clientAddr(r)
	hidden := false
	if e != nil && !e.allows(src) {
		// A configured MAC asked from outside its allowed prefixes gets the
		// answer of an unknown MAC, so that an outsider cannot tell which MACs
		// exist; it is counted for the base (forbidden), not listed as unknown.
		m.results[resultForbidden].Inc()
		e, hidden = nil, true
	}
	if e == nil {
		if !hidden {
			m.results[resultNotFound].Inc()
		}
		switch {
		case hidden: // counted above, and not an unknown device
		case isMAC:
			h.metrics.unknownMAC.Inc()
			h.unknown.recordMAC(key, src, r.Header.Get("User-Agent"), h.now())
		case fetch:
			target := r.RequestURI // as the client sent it
			if target == "" {      // a request built in-process rather than read from the wire
				target = r.URL.RequestURI()
			}
			h.unknown.recordRequest(target, src, r.Header.Get("User-Agent"), h.now())
		}
		writeStatus(w, http.StatusNotFound)
		return
	}
	if e.Auth.Enabled() {
		if res, ok := h.authenticate(w, r, e, src); !ok {
			m.results[res].Inc()
			return
		}
	}

	hdr := w.Header()
	hdr["Etag"] = e.etagHeader
	hdr["Cache-Control"] = noStore
	delivered := true
	if matched, exact := noneMatch(r.Header["If-None-Match"], e.etag); matched {
		w.WriteHeader(http.StatusNotModified)
		m.results[resultNotModified].Inc()
		// "*" matches any file: it says nothing about which one the device
		// has, so only a listed ETag that is this file's records a delivery.
		delivered = exact
	} else {
		hdr["Content-Type"] = xmlType
		hdr["Content-Length"] = e.lenHeader
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(e.Body) // one write; a failure is the client's (gone) and unreportable
		}
		m.results[resultOK].Inc()
	}
	if r.Method == http.MethodGet && delivered {
		h.deliver(e, m, src, r)
	}
}

// authenticate checks the guessing lockout and the Digest credentials of r.
// When they do not pass, it has written the response and returns the result to
// count.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, e *served, src netip.Addr) (result, bool) {
	now := h.now()
	if wait, blocked := h.guard.blocked(e, src, now); blocked {
		// Round up: a client that waits exactly Retry-After must not be early.
		secs := int64((wait + time.Second - 1) / time.Second)
		w.Header()["Retry-After"] = []string{strconv.FormatInt(secs, 10)}
		writeStatus(w, http.StatusTooManyRequests)
		return resultThrottled, false
	}
	authz := r.Header["Authorization"]
	if len(authz) == 0 {
		// The first request of every fetch: not a failure.
		h.challenge(w, e, false)
		return resultUnauthorized, false
	}
	var creds digest.Credentials
	var err error
	if len(authz) > 1 {
		err = fmt.Errorf("%w: %d Authorization headers", digest.ErrMalformed, len(authz))
	} else if creds, err = digest.ParseAuthorization(authz[0]); err == nil {
		uri := r.RequestURI
		if uri == "" { // a request built in-process rather than read from the wire
			uri = r.URL.RequestURI()
		}
		_, err = h.digest.Verify(&creds, digest.Request{Method: r.Method, URI: uri, Scope: e.MAC}, e.identities)
	}
	if err == nil {
		h.guard.succeed(e, src)
		return resultOK, true
	}
	stale := errors.Is(err, digest.ErrStale)
	// A stale nonce with the right password is no failure, nor is the device
	// trying the built-in identity of a base that does not accept it.
	probe := e.probeExempt && errors.Is(err, digest.ErrCredentials) && strings.EqualFold(creds.Username, e.MAC)
	if !stale && !probe {
		h.guard.fail(e, src, now)
	}
	h.challenge(w, e, stale)
	return resultUnauthorized, false
}

// challenge writes a 401 with fresh Digest challenges.
func (h *Handler) challenge(w http.ResponseWriter, e *served, stale bool) {
	w.Header()["Www-Authenticate"] = h.digest.Challenges(e.MAC, stale)
	writeStatus(w, http.StatusUnauthorized)
}

// deliver reports a delivery to the metrics and the callback.
func (h *Handler) deliver(e *served, m *baseMetrics, src netip.Addr, r *http.Request) {
	now := h.now()
	m.lastDelivery.Set(float64(now.UnixNano()) / 1e9)
	if h.onDelivery == nil {
		return
	}
	ua := r.Header.Get("User-Agent")
	h.onDelivery(Delivery{
		Namespace: e.Namespace,
		Base:      e.Base,
		MAC:       e.MAC,
		Time:      now,
		Source:    src,
		UserAgent: useragent.Clean(ua),
		Firmware:  useragent.Parse(ua).Firmware,
		Hash:      e.Hash,
	})
}

// baseMetrics returns e's metric children, cached on the entry.
func (h *Handler) baseMetrics(e *served) *baseMetrics {
	if c := e.metrics.Load(); c != nil && c.h == h {
		return c.m
	}
	m := h.metrics.forBase(baseID{e.Namespace, e.Base})
	e.metrics.Store(&handlerMetrics{h: h, m: m})
	return m
}

// statusResponse is a precomputed error response: short, fixed, and free of
// anything the request or the configuration contained.
type statusResponse struct {
	body   []byte
	length []string
}

var statusResponses = map[int]statusResponse{}

func init() {
	for _, code := range []int{
		http.StatusUnauthorized, http.StatusNotFound,
		http.StatusMethodNotAllowed, http.StatusTooManyRequests, http.StatusInternalServerError,
	} {
		body := []byte(strings.ToLower(http.StatusText(code)) + "\n")
		statusResponses[code] = statusResponse{body, []string{strconv.Itoa(len(body))}}
	}
}

var (
	textType = []string{"text/plain; charset=utf-8"}
	nosniff  = []string{"nosniff"}
)

// writeStatus writes an error response (one of statusResponses).
func writeStatus(w http.ResponseWriter, code int) {
	resp := statusResponses[code]
	hdr := w.Header()
	hdr["Content-Type"] = textType
	hdr["X-Content-Type-Options"] = nosniff
	hdr["Cache-Control"] = noStore
	hdr["Content-Length"] = resp.length
	w.WriteHeader(code)
	w.Write(resp.body)
}
