package provserver

import (
	"bytes"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/digest"
)

func TestResponseHeaders(t *testing.T) {
	e := newEnv(t, Options{}, entry(Auth{}))
	etag := `"` + mustLookup(t, e.store).Hash + `"`
	get := e.do(req{})
	head := e.do(req{method: http.MethodHead})
	for _, tc := range []struct {
		name string
		w    *http.Response
	}{{"GET", get.Result()}, {"HEAD", head.Result()}} {
		if tc.w.StatusCode != 200 {
			t.Fatalf("%s: status %d, want 200", tc.name, tc.w.StatusCode)
		}
		want := map[string]string{
			"Content-Type":   "text/xml; charset=ISO-8859-1",
			"Content-Length": strconv.Itoa(len(testBody)),
			"Etag":           etag,
			"Cache-Control":  "no-store",
		}
		for k, v := range want {
			if got := tc.w.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, got, v)
			}
		}
	}
	if !bytes.Equal(get.Body.Bytes(), testBody) {
		t.Errorf("GET body %q, want the Latin-1 bytes %q", get.Body.Bytes(), testBody)
	}
	if head.Body.Len() != 0 {
		t.Errorf("HEAD wrote a body of %d bytes", head.Body.Len())
	}
	// Only the GET is a delivery; HEAD does not give the device its file.
	if n := len(e.delivered()); n != 1 {
		t.Errorf("%d deliveries, want 1 (GET only)", n)
	}
}

func TestIfNoneMatch(t *testing.T) {
	e := newEnv(t, Options{}, entry(Auth{}))
	etag := `"` + mustLookup(t, e.store).Hash + `"`
	tests := []struct {
		name   string
		values []string
		want   int
	}{
		{"exact", []string{etag}, 304},
		{"weak", []string{"W/" + etag}, 304},
		{"star", []string{"*"}, 304},
		{"list with match", []string{`"a", ` + etag + `, "b"`}, 304},
		{"list without spaces", []string{`"a",W/` + etag}, 304},
		{"second header line", []string{`"a"`, etag}, 304},
		{"other tag", []string{`"0000"`}, 200},
		{"list without match", []string{`"a", W/"b"`}, 200},
		{"unquoted hash", []string{strings.Trim(etag, `"`)}, 200},
		{"case differs", []string{strings.ToUpper(etag)}, 200},
		{"unterminated", []string{etag[:10]}, 200},
		{"malformed before match", []string{`xyz, ` + etag}, 304},
		{"empty", []string{""}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(req{header: http.Header{"If-None-Match": tc.values}})
			if w.Code != tc.want {
				t.Fatalf("If-None-Match %q: status %d, want %d", tc.values, w.Code, tc.want)
			}
			if w.Code == 304 {
				if w.Body.Len() != 0 {
					t.Errorf("304 with a body")
				}
				if w.Header().Get("ETag") != etag || w.Header().Get("Cache-Control") != "no-store" {
					t.Errorf("304 headers %v lack ETag or Cache-Control", w.Header())
				}
			}
		})
	}
}

// A 304 is only given after authentication: the ETag is a hash of the file.
func TestIfNoneMatchNeedsAuthentication(t *testing.T) {
	e := newEnv(t, Options{}, entry(configuredAuth))
	w := e.do(req{header: http.Header{"If-None-Match": {"*"}}})
	if w.Code != 401 || w.Header().Get("ETag") != "" {
		t.Errorf("unauthenticated If-None-Match: status %d, ETag %q; want 401 without ETag", w.Code, w.Header().Get("ETag"))
	}
}

func TestPathsAndMethods(t *testing.T) {
	tests := []struct {
		name, prefix, method, target string
		want                         int
	}{
		{"upper case", "", "GET", "/7C2F80CA21E4.xml", 200},
		{"lower case", "", "GET", "/7c2f80ca21e4.xml", 200},
		{"mixed case", "", "GET", "/7c2F80cA21e4.xml", 200},
		{"query string ignored", "", "GET", "/7C2F80CA21E4.xml?v=1", 200},
		{"HEAD", "", "HEAD", "/7C2F80CA21E4.xml", 200},
		{"extension case", "", "GET", "/7C2F80CA21E4.XML", 404},
		{"no extension", "", "GET", "/7C2F80CA21E4", 404},
		{"trailing slash", "", "GET", "/7C2F80CA21E4.xml/", 404},
		{"double slash", "", "GET", "//7C2F80CA21E4.xml", 404},
		{"separators", "", "GET", "/7C-2F-80-CA-21-E4.xml", 404},
		{"not hex", "", "GET", "/7C2F80CA21EG.xml", 404},
		{"short", "", "GET", "/7C2F80CA21E.xml", 404},
		{"root", "", "GET", "/", 404},
		{"other file", "", "GET", "/index.html", 404},
		{"unknown MAC", "", "GET", "/0004F2000001.xml", 404},
		{"subdirectory without prefix", "", "GET", "/dect/7C2F80CA21E4.xml", 404},
		{"prefix", "/dect", "GET", "/dect/7C2F80CA21E4.xml", 200},
		{"prefix with trailing slash configured", "/dect/", "GET", "/dect/7C2F80CA21E4.xml", 200},
		{"nested prefix", "/a/b", "GET", "/a/b/7C2F80CA21E4.xml", 200},
		{"prefix missing", "/dect", "GET", "/7C2F80CA21E4.xml", 404},
		{"prefix as substring", "/dect", "GET", "/dectx/7C2F80CA21E4.xml", 404},
		{"prefix case", "/dect", "GET", "/DECT/7C2F80CA21E4.xml", 404},
		{"root prefix", "/", "GET", "/7C2F80CA21E4.xml", 200},
		{"POST", "", "POST", "/7C2F80CA21E4.xml", 405},
		{"PUT", "", "PUT", "/7C2F80CA21E4.xml", 405},
		{"DELETE", "", "DELETE", "/7C2F80CA21E4.xml", 405},
		{"PATCH", "", "PATCH", "/7C2F80CA21E4.xml", 405},
		{"OPTIONS", "", "OPTIONS", "/7C2F80CA21E4.xml", 405},
		{"POST to unknown MAC", "", "POST", "/0004F2000001.xml", 405},
		{"POST to bad path", "", "POST", "/index.html", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{PathPrefix: tc.prefix}, entry(Auth{}))
			w := e.do(req{method: tc.method, target: tc.target})
			if w.Code != tc.want {
				t.Fatalf("%s %s (prefix %q): status %d, want %d", tc.method, tc.target, tc.prefix, w.Code, tc.want)
			}
			if allow := w.Header().Get("Allow"); (w.Code == 405) != (allow == "GET, HEAD") {
				t.Errorf("status %d with Allow %q; want Allow: GET, HEAD exactly on 405", w.Code, allow)
			}
			if w.Code != 200 && w.Header().Get("ETag") != "" {
				t.Errorf("status %d carries an ETag", w.Code)
			}
		})
	}
}

func TestNewHandlerValidates(t *testing.T) {
	for _, opts := range []Options{
		{PathPrefix: "dect"},
		{PathPrefix: "/a/../b"},
		{PathPrefix: "/a//b"},
		{PathPrefix: "/a b"},
		{PathPrefix: "/a?b"},
		{Realm: "bad\nrealm"},
		{FailureWindow: -1},
		{Cooldown: -time.Second},
		{NonceTTL: -time.Second},
	} {
		if _, err := NewHandler(NewStore(), opts); err == nil {
			t.Errorf("NewHandler(%+v) succeeded, want an error", opts)
		}
	}
	if _, err := NewHandler(nil, Options{}); err == nil {
		t.Error("NewHandler(nil store) succeeded")
	}
	e := newEnv(t, Options{})
	if _, err := NewHandler(e.store, Options{Registry: e.reg}); err == nil {
		t.Error("registering the metrics twice on one registry succeeded")
	}
}

// Authentication failures through the handler all end in a 401 with fresh
// challenges, never in a 200, a 500 or a body with secrets.
func TestDigestFailures(t *testing.T) {
	uri := "/" + testMAC + ".xml"
	first401 := func(t *testing.T, e *env, target string) http.Header {
		w := e.do(req{target: target})
		if w.Code != 401 {
			t.Fatalf("first request: %d, want 401", w.Code)
		}
		return w.Header()
	}
	tests := []struct {
		name      string
		run       func(t *testing.T, e *env) *http.Response
		wantStale bool
	}{
		{"wrong password", func(t *testing.T, e *env) *http.Response {
			a := authorize(t, first401(t, e, ""), "SHA-256", "GET", uri, testUser, "nope")
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, false},
		{"replayed request", func(t *testing.T, e *env) *http.Response {
			a := authorize(t, first401(t, e, ""), "SHA-256", "GET", uri, testUser, testPassword)
			if w := e.do(req{header: http.Header{"Authorization": {a}}}); w.Code != 200 {
				t.Fatalf("first use: %d, want 200", w.Code)
			}
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, false},
		{"stale nonce", func(t *testing.T, e *env) *http.Response {
			a := authorize(t, first401(t, e, ""), "MD5", "GET", uri, testUser, testPassword)
			e.clock.Advance(DefaultNonceTTL + time.Second)
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, true},
		{"stale nonce with wrong password is not stale", func(t *testing.T, e *env) *http.Response {
			a := authorize(t, first401(t, e, ""), "MD5", "GET", uri, testUser, "nope")
			e.clock.Advance(DefaultNonceTTL + time.Second)
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, false},
		// A nonce this server did not sign for this MAC never authenticates;
		// with the right password the client only needs a fresh one.
		{"nonce issued for another MAC, right password: stale", func(t *testing.T, e *env) *http.Response {
			h := first401(t, e, "/"+otherMAC+".xml")
			a := authorize(t, h, "SHA-256", "GET", uri, testUser, testPassword)
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, true},
		{"nonce issued for another MAC, wrong password", func(t *testing.T, e *env) *http.Response {
			h := first401(t, e, "/"+otherMAC+".xml")
			a := authorize(t, h, "SHA-256", "GET", uri, testUser, "nope")
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, false},
		{"credentials for another path", func(t *testing.T, e *env) *http.Response {
			a := authorize(t, first401(t, e, ""), "SHA-256", "GET", "/"+otherMAC+".xml", testUser, testPassword)
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, false},
		{"credentials for another realm", func(t *testing.T, e *env) *http.Response {
			h := first401(t, e, "")
			ch := strings.Replace(h.Values("WWW-Authenticate")[0], `realm="dect-operator"`, `realm="other"`, 1)
			a, err := digest.Respond(ch, "GET", uri, testUser, testPassword)
			if err != nil {
				t.Fatal(err)
			}
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, false},
		{"HEAD credentials used for GET", func(t *testing.T, e *env) *http.Response {
			a := authorize(t, first401(t, e, ""), "SHA-256", "HEAD", uri, testUser, testPassword)
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, false},
		{"two Authorization headers", func(t *testing.T, e *env) *http.Response {
			h := first401(t, e, "")
			a := authorize(t, h, "SHA-256", "GET", uri, testUser, testPassword)
			return e.do(req{header: http.Header{"Authorization": {a, a}}}).Result()
		}, false},
		{"Basic", func(t *testing.T, e *env) *http.Response {
			return e.do(req{header: http.Header{"Authorization": {"Basic cHJvdmlzaW9uaW5nOlNlY3JldA=="}}}).Result()
		}, false},
		{"malformed", func(t *testing.T, e *env) *http.Response {
			return e.do(req{header: http.Header{"Authorization": {`Digest username="x`}}}).Result()
		}, false},
		{"forged nonce, right password: stale", func(t *testing.T, e *env) *http.Response {
			ch := `Digest realm="dect-operator", qop="auth", algorithm=SHA-256, nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"`
			a, err := digest.Respond(ch, "GET", uri, testUser, testPassword)
			if err != nil {
				t.Fatal(err)
			}
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, true},
		{"forged nonce, wrong password", func(t *testing.T, e *env) *http.Response {
			ch := `Digest realm="dect-operator", qop="auth", algorithm=SHA-256, nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"`
			a, err := digest.Respond(ch, "GET", uri, testUser, "nope")
			if err != nil {
				t.Fatal(err)
			}
			return e.do(req{header: http.Header{"Authorization": {a}}}).Result()
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{}, entry(configuredAuth), Entry{Namespace: testNS, Base: "other", MAC: otherMAC, Body: []byte("x"), Auth: configuredAuth})
			resp := tc.run(t, e)
			if resp.StatusCode != 401 {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			chs := resp.Header.Values("WWW-Authenticate")
			if len(chs) != 2 || !strings.Contains(chs[0], "algorithm=SHA-256") || !strings.Contains(chs[1], "algorithm=MD5") {
				t.Fatalf("challenges %q, want SHA-256 then MD5", chs)
			}
			for _, ch := range chs {
				if got := strings.Contains(ch, "stale=true"); got != tc.wantStale {
					t.Errorf("challenge %q: stale=true is %v, want %v", ch, got, tc.wantStale)
				}
			}
			body := make([]byte, 512)
			n, _ := resp.Body.Read(body)
			noSecrets(t, "401", resp.Header, body[:n])
			if len(e.delivered()) > 1 {
				t.Errorf("failed request reported as delivery")
			}
		})
	}
}

// After a stale 401 the client retries with the new nonce and gets in.
func TestStaleThenRetry(t *testing.T) {
	e := newEnv(t, Options{}, entry(configuredAuth))
	uri := "/" + testMAC + ".xml"
	a := authorize(t, e.do(req{}).Header(), "SHA-256", "GET", uri, testUser, testPassword)
	e.clock.Advance(time.Hour)
	w := e.do(req{header: http.Header{"Authorization": {a}}})
	if w.Code != 401 {
		t.Fatalf("stale: %d, want 401", w.Code)
	}
	a = authorize(t, w.Header(), "SHA-256", "GET", uri, testUser, testPassword)
	if w := e.do(req{header: http.Header{"Authorization": {a}}}); w.Code != 200 {
		t.Fatalf("retry with the fresh nonce: %d, want 200", w.Code)
	}
}

func TestAllowedSources(t *testing.T) {
	prefixes := []netip.Prefix{
		netip.MustParsePrefix("10.1.0.0/16"),
		netip.MustParsePrefix("2001:db8:1::/48"),
		netip.MustParsePrefix("::ffff:192.168.7.0/120"), // mapped form of 192.168.7.0/24
	}
	tests := []struct {
		name, remote, xff string
		want              int
	}{
		{"inside IPv4", "10.1.2.3:5060", "", 401},
		{"outside IPv4", "10.2.0.1:5060", "", 404},
		{"inside IPv6", "[2001:db8:1::5]:80", "", 401},
		{"outside IPv6", "[2001:db8:2::5]:80", "", 404},
		{"IPv4-mapped client", "[::ffff:10.1.0.9]:80", "", 401},
		{"IPv4-mapped prefix", "192.168.7.20:80", "", 401},
		{"unparsable remote", "garbage", "", 404},
		{"proxy header ignored", "10.2.0.1:80", "10.1.0.1", 404},
		{"proxy header cannot move an allowed client out", "10.1.0.1:80", "10.9.9.9", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			en := entry(configuredAuth)
			en.AllowedSources = prefixes
			e := newEnv(t, Options{}, en)
			h := http.Header{}
			if tc.xff != "" {
				h.Set("X-Forwarded-For", tc.xff)
			}
			w := e.do(req{remote: tc.remote, header: h})
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			// Refused before authentication: no challenge.
			if w.Code == 404 && w.Header().Get("WWW-Authenticate") != "" {
				t.Error("404 carries a challenge")
			}
		})
	}
}

func TestDeliveryUserAgent(t *testing.T) {
	e := newEnv(t, Options{}, entry(Auth{}))
	e.do(req{remote: "192.0.2.7:1234", header: http.Header{"User-Agent": {"Gigaset N720 DM PRO/70.108.00.000.000\r\x00" + strings.Repeat("x", 500)}}})
	e.do(req{remote: "192.0.2.7:1234"})
	d := e.delivered()
	if len(d) != 2 {
		t.Fatalf("%d deliveries, want 2", len(d))
	}
	if d[0].Firmware != "" || len(d[0].UserAgent) > 256 || strings.ContainsAny(d[0].UserAgent, "\r\x00") {
		t.Errorf("hostile User-Agent recorded as %q, firmware %q", d[0].UserAgent, d[0].Firmware)
	}
	if d[1].UserAgent != "" || d[1].Firmware != "" || d[1].Source != netip.MustParseAddr("192.0.2.7") {
		t.Errorf("delivery without User-Agent: %+v", d[1])
	}
}
