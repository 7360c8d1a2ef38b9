package provserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dect-operator/dect-operator/internal/digest"
	"github.com/dect-operator/dect-operator/internal/fakeclock"
)

// Test identities. The secrets are distinctive so a leak check can find them.
const (
	testMAC      = "7C2F80CA21E4"
	testMACID    = "7C2F80CA21E4-SECRETMACID"
	testUser     = "provisioning"
	testPassword = "Secret-Digest-Password"
	testNS       = "office"
	testBase     = "hq"
	testUA       = "Gigaset N720 DM PRO/70.108.00.000.000;7C2F80CA21E4"
	otherMAC     = "0004F2000001"
)

var secrets = []string{testMACID, testPassword}

// clock is the fake clock of the tests.
type clock = fakeclock.Clock

// newClock stands at a fixed instant, so that test output is stable.
func newClock() *clock { return fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) }

// testBody is a small provisioning file with a Latin-1 byte (ü = 0xFC).
var testBody = []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<ProviderFrame><Provider>" +
	"<MAC_ADDRESS value=\"7C2F80CA21E4\"/><SYMB_ITEM ID=\"x\" class=\"symb_item\" value='\"M\xfcller\"'/>" +
	"</Provider></ProviderFrame>\n")

func entry(auth Auth) Entry {
	return Entry{Namespace: testNS, Base: testBase, MAC: testMAC, Body: testBody, Auth: auth}
}

var (
	bothAuth       = Auth{Username: testUser, Password: testPassword, MACID: testMACID}
	configuredAuth = Auth{Username: testUser, Password: testPassword}
	macIDAuth      = Auth{MACID: testMACID}
)

// env is a handler under test with its store, clock, registry and deliveries.
type env struct {
	t     *testing.T
	h     *Handler
	store *Store
	clock *clock
	reg   *prometheus.Registry

	mu         sync.Mutex
	deliveries []Delivery
}

func newEnv(t *testing.T, opts Options, entries ...Entry) *env {
	t.Helper()
	e := &env{t: t, store: NewStore(), clock: newClock(), reg: prometheus.NewRegistry()}
	for _, en := range entries {
		if err := e.store.Set(en); err != nil {
			t.Fatal(err)
		}
	}
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	opts.Registry = e.reg
	opts.OnDelivery = func(d Delivery) {
		e.mu.Lock()
		e.deliveries = append(e.deliveries, d)
		e.mu.Unlock()
	}
	h, err := NewHandler(e.store, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

func (e *env) delivered() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Delivery(nil), e.deliveries...)
}

// req is a request for the in-process handler.
type req struct {
	method, target, remote string
	header                 http.Header
}

// do serves one request in-process and returns the recorded response.
func (e *env) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	if r.target == "" {
		r.target = "/" + testMAC + ".xml"
	}
	hr := httptest.NewRequest(r.method, r.target, nil)
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	for k, vs := range r.header {
		hr.Header[k] = vs
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	return w
}

// authorize answers the challenge for alg found in a 401 response.
func authorize(t *testing.T, resp http.Header, alg, method, uri, user, pass string) string {
	t.Helper()
	for _, ch := range resp.Values("WWW-Authenticate") {
		if strings.Contains(ch, "algorithm="+alg+",") {
			h, err := digest.Respond(ch, method, uri, user, pass)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
	}
	t.Fatalf("no %s challenge in %q", alg, resp.Values("WWW-Authenticate"))
	return ""
}

// device simulates the N720's fetch over real HTTP: a request without
// credentials, then its built-in identity, then the configured credentials
// (if it has any), each after a 401.
type device struct {
	mac, macID  string
	user, pass  string // configured on the device; "" for none
	alg         string // the challenge it answers: "SHA-256" or "MD5"
	userAgent   string
	ifNoneMatch string
	client      *http.Client
	url, uri    string
}

// fetch returns the status codes of the sequence and the final response body.
func (d *device) fetch(t *testing.T) ([]int, []byte, http.Header) {
	t.Helper()
	var codes []int
	identities := [][2]string{{d.mac, d.macID}}
	if d.user != "" {
		identities = append(identities, [2]string{d.user, d.pass})
	}
	authz := ""
	for try := 0; ; try++ {
		r, err := http.NewRequest(http.MethodGet, d.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("User-Agent", d.userAgent)
		if d.ifNoneMatch != "" {
			r.Header.Set("If-None-Match", d.ifNoneMatch)
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		resp, err := d.client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode != http.StatusUnauthorized || try == len(identities) {
			return codes, body, resp.Header
		}
		id := identities[try]
		authz = authorize(t, resp.Header, d.alg, http.MethodGet, d.uri, id[0], id[1])
	}
}

// serve starts a real HTTP server for the handler.
func (e *env) serve() *httptest.Server {
	srv := httptest.NewServer(e.h)
	e.t.Cleanup(srv.Close)
	return srv
}

func (e *env) device(srv *httptest.Server, alg string) *device {
	uri := "/" + testMAC + ".xml"
	return &device{
		mac: testMAC, macID: testMACID, alg: alg, userAgent: testUA,
		client: srv.Client(), url: srv.URL + uri, uri: uri,
	}
}

// noSecrets fails if a response carries a password or MAC-ID anywhere.
func noSecrets(t *testing.T, what string, header http.Header, body []byte) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("%s: body contains a secret", what)
		}
		for k, vs := range header {
			for _, v := range vs {
				if strings.Contains(v, s) {
					t.Errorf("%s: header %s contains a secret", what, k)
				}
			}
		}
	}
}

func codesString(codes []int) string { return fmt.Sprint(codes) }

func mustPrefixes(ss ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range ss {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}
