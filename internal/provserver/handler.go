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
	DefaultFailureWindow = 5 * time.Minute
	DefaultCooldown      = 5 * time.Minute
)

// Bounds on the memory of the handler's tables.
const (
	maxThrottled       = 4096 // clients tracked for failed authentications
	maxUnknownDevices  = 256
	maxUnknownRequests = 256
)

// Options configure a Handler. The zero value is usable: no prefix, default
// realm, nonce lifetime and throttling, no callback, unregistered metrics.
type Options struct {
	// PathPrefix is put before "/<MAC>.xml", e.g. "/dect"; "" or "/" for none.
	PathPrefix string
	// Realm is the Digest realm; "" means DefaultRealm.
	Realm string
	// NonceTTL is how long a Digest nonce is accepted; 0 means 5 minutes.
	NonceTTL time.Duration
	// Now returns the current time; nil means time.Now. Tests pass a fake.
	Now func() time.Time
	// FailureLimit failed authentications from one client within
	// FailureWindow put it in a Cooldown during which it gets 429. 0 means the
	// defaults (10 in 5 minutes, 5 minutes); a negative FailureLimit disables
	// throttling.
	FailureLimit            int
	FailureWindow, Cooldown time.Duration
	// OnDelivery is called after each GET answered 200 or 304, from the
	// request's goroutine: it must not block.
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
	throttle   *throttle // nil when disabled
	unknown    *unknown
	metrics    *metrics
	onDelivery func(Delivery)
	firmware   *os.Root // nil: no firmware served
}

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
	if opts.FailureWindow < 0 || opts.Cooldown < 0 || opts.NonceTTL < 0 {
		return nil, errors.New("provserver: FailureWindow, Cooldown and NonceTTL must not be negative")
	}
	ds, err := digest.NewServer(digest.Config{Realm: opts.Realm, NonceTTL: opts.NonceTTL, Now: opts.Now})
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
		limit, window, cooldown := opts.FailureLimit, opts.FailureWindow, opts.Cooldown
		if limit == 0 {
			limit = DefaultFailureLimit
		}
		if window == 0 {
			window = DefaultFailureWindow
		}
		if cooldown == 0 {
			cooldown = DefaultCooldown
		}
		h.throttle = newThrottle(limit, window, cooldown, maxThrottled)
	}
	if h.metrics, err = newMetrics(opts.Registry); err != nil {
		return nil, err
	}
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
	if e == nil {
		m.results[resultNotFound].Inc()
		switch {
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
	if !e.allows(src) {
		m.results[resultForbidden].Inc()
		writeStatus(w, http.StatusForbidden)
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
	if inm := r.Header["If-None-Match"]; len(inm) > 0 && noneMatch(inm, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		m.results[resultNotModified].Inc()
	} else {
		hdr["Content-Type"] = xmlType
		hdr["Content-Length"] = e.lenHeader
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(e.Body) // one write; a failure is the client's (gone) and unreportable
		}
		m.results[resultOK].Inc()
	}
	if r.Method == http.MethodGet {
		h.deliver(e, m, src, r)
	}
}

// authenticate checks the throttle and the Digest credentials of r. When they
// do not pass, it has written the response and returns the result to count.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, e *served, src netip.Addr) (result, bool) {
	now := h.now()
	if wait, blocked := h.throttle.blocked(src, now); blocked {
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
		return resultOK, true
	}
	stale := errors.Is(err, digest.ErrStale)
	// A stale nonce with the right password is no failure, nor is the device
	// trying the built-in identity of a base that does not accept it.
	probe := e.probeExempt && errors.Is(err, digest.ErrCredentials) && strings.EqualFold(creds.Username, e.MAC)
	if !stale && !probe {
		h.throttle.fail(src, now)
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
		http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
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
