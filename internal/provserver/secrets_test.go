package provserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// No response of any kind carries a password or MAC-ID: not the challenges,
// not the error bodies, not the headers of a success.
func TestNoSecretInResponses(t *testing.T) {
	en := entry(bothAuth)
	// High enough for the failures below from the default address.
	const limit = 30
	e := newEnv(t, Options{FailureLimit: limit}, en)
	uri := "/" + testMAC + ".xml"
	check := func(what string, w *httptest.ResponseRecorder) {
		t.Helper()
		noSecrets(t, what, w.Header(), w.Body.Bytes())
	}
	first := e.do(req{})
	check("401", first)
	for _, id := range [][2]string{{testUser, testPassword}, {testMAC, testMACID}, {testUser, "wrong"}, {testMAC, "wrong"}} {
		for _, alg := range []string{"SHA-256", "MD5"} {
			a := authorize(t, e.do(req{}).Header(), alg, "GET", uri, id[0], id[1])
			check("authenticated GET", e.do(req{header: http.Header{"Authorization": {a}}}))
			check("replay", e.do(req{header: http.Header{"Authorization": {a}}}))
			a = authorize(t, e.do(req{}).Header(), alg, "HEAD", uri, id[0], id[1])
			check("authenticated HEAD", e.do(req{method: "HEAD", header: http.Header{"Authorization": {a}}}))
		}
	}
	a := authorize(t, e.do(req{}).Header(), "SHA-256", "GET", uri, testUser, testPassword)
	check("304", e.do(req{header: http.Header{"Authorization": {a}, "If-None-Match": {"*"}}}))
	a = authorize(t, e.do(req{}).Header(), "SHA-256", "GET", uri, testUser, testPassword)
	e.clock.Advance(time.Hour)
	check("stale", e.do(req{header: http.Header{"Authorization": {a}}}))
	check("405", e.do(req{method: "POST"}))
	check("404", e.do(req{target: "/" + otherMAC + ".xml"}))
	for range limit {
		e.fail("198.51.100.1:1")
	}
	throttled := e.do(req{remote: "198.51.100.1:1"})
	if throttled.Code != 429 {
		t.Fatalf("want a 429 to check, got %d", throttled.Code)
	}
	check("429", throttled)

	restricted := entry(bothAuth)
	restricted.AllowedSources = mustPrefixes("10.0.0.0/8")
	w := newEnv(t, Options{}, restricted).do(req{remote: "192.0.2.1:1"})
	if w.Code != 404 {
		t.Fatalf("want a 404 (refused source) to check, got %d", w.Code)
	}
	check("404 for a refused source", w)
}

// Logging an Entry or its Auth with any verb shows no secret.
func TestFormatRedactsSecrets(t *testing.T) {
	en := entry(bothAuth)
	en.Body = []byte("<SYMB_ITEM value='\"sip-password-in-body\"'/>")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		for _, v := range []any{en, &en, en.Auth, []Entry{en}, struct{ E Entry }{en}} {
			s := fmt.Sprintf(verb, v)
			for _, secret := range append(secrets, "sip-password-in-body", fmt.Sprintf("%x", testPassword)) {
				if strings.Contains(s, secret) {
					t.Errorf("Sprintf(%q, %T) = %q shows a secret", verb, v, s)
				}
			}
		}
	}
	if s := fmt.Sprint(en.Auth); !strings.Contains(s, testUser) || !strings.Contains(s, "<redacted>") {
		t.Errorf("Auth formats as %q, want the user name and <redacted>", s)
	}
}
