package simulator

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// digestServer is a provisioning server for tests: it serves files by path behind HTTP
// Digest authentication (RFC 7616, qop=auth) and records every request. It is written
// apart from the client in digest.go, with its own header parsing and hashing, so that
// the two check each other; digest_test.go checks the client against the RFC's own
// examples.
type digestServer struct {
	URL string

	realm      string
	opaque     string
	algorithms []string          // offered, one challenge each, in this order ("Basic" too); none = no authentication
	users      map[string]string // accepted user -> password
	files      map[string][]byte // path -> body
	etag       string            // sent with every file; a matching If-None-Match gets 304
	status     int               // if set, answered to every authenticated request instead of a file
	staleFirst bool              // the first nonce issued has expired: correct answers to it get stale=true
	staleAll   bool              // every nonce has expired: every correct answer gets stale=true
	sayStale   bool              // every challenge carries stale=true, whatever the request

	mu       sync.Mutex
	nonces   map[string]*serverNonce
	issued   int
	requests []seenRequest
}

type serverNonce struct {
	expired bool
	lastNC  uint64
}

// seenRequest is what the server saw of one request.
type seenRequest struct {
	Path        string
	UserAgent   string
	IfNoneMatch string
	User        string // from the Authorization header; "" without one
	Algorithm   string
	Status      int
}

func newDigestServer(t *testing.T, configure func(*digestServer)) *digestServer {
	t.Helper()
	s := &digestServer{
		realm:  "dect-operator",
		opaque: "0123abcd",
		users:  map[string]string{},
		files:  map[string][]byte{},
		nonces: map[string]*serverNonce{},
	}
	if configure != nil {
		configure(s)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *digestServer) seen() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.requests...)
}

func (s *digestServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := seenRequest{Path: r.URL.Path, UserAgent: r.UserAgent(), IfNoneMatch: r.Header.Get("If-None-Match")}
	defer func() { s.requests = append(s.requests, rec) }()

	if len(s.algorithms) > 0 {
		ok, stale := s.authorized(r, &rec)
		if !ok {
			s.challenge(w, stale)
			rec.Status = http.StatusUnauthorized
			return
		}
	}
	switch body, found := s.files[r.URL.Path]; {
	case s.status != 0:
		rec.Status = s.status
		w.WriteHeader(s.status)
	case !found:
		rec.Status = http.StatusNotFound
		http.NotFound(w, r)
	case s.etag != "" && rec.IfNoneMatch == s.etag:
		rec.Status = http.StatusNotModified
		w.Header().Set("ETag", s.etag)
		w.WriteHeader(http.StatusNotModified)
	default:
		rec.Status = http.StatusOK
		if s.etag != "" {
			w.Header().Set("ETag", s.etag)
		}
		w.Header().Set("Content-Type", "application/xml; charset=ISO-8859-1")
		_, _ = w.Write(body)
	}
}

func (s *digestServer) challenge(w http.ResponseWriter, stale bool) {
	s.issued++
	nonce := fmt.Sprintf("nonce-%d", s.issued)
	s.nonces[nonce] = &serverNonce{expired: s.staleAll || (s.staleFirst && s.issued == 1)}
	for _, alg := range s.algorithms {
		if alg == "Basic" {
			w.Header().Add("WWW-Authenticate", fmt.Sprintf(`Basic realm="%s"`, s.realm))
			continue
		}
		h := fmt.Sprintf(`Digest realm="%s", qop="auth", algorithm=%s, nonce="%s", opaque="%s"`, s.realm, alg, nonce, s.opaque)
		if stale || s.sayStale {
			h += ", stale=true"
		}
		w.Header().Add("WWW-Authenticate", h)
	}
	w.WriteHeader(http.StatusUnauthorized)
}

var authParam = regexp.MustCompile(`(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))`)

// authorized checks the Authorization header. stale reports a correct answer to an
// expired nonce, which the server answers with stale=true.
func (s *digestServer) authorized(r *http.Request, rec *seenRequest) (ok, stale bool) {
	h, found := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
	if !found {
		return false, false
	}
	p := map[string]string{}
	for _, m := range authParam.FindAllStringSubmatch(h, -1) {
		p[m[1]] = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[2]) + m[3]
	}
	rec.User, rec.Algorithm = p["username"], p["algorithm"]

	newHash := map[string]func() hash.Hash{"MD5": md5.New, "MD5-sess": md5.New, "SHA-256": sha256.New, "SHA-256-sess": sha256.New}[p["algorithm"]]
	offered := false
	for _, a := range s.algorithms {
		offered = offered || a == p["algorithm"]
	}
	password, known := s.users[p["username"]]
	n := s.nonces[p["nonce"]]
	nc, ncErr := strconv.ParseUint(p["nc"], 16, 64)
	if !offered || newHash == nil || !known || n == nil || ncErr != nil || nc <= n.lastNC ||
		p["realm"] != s.realm || p["uri"] != r.URL.RequestURI() || p["qop"] != "auth" ||
		p["cnonce"] == "" || p["opaque"] != s.opaque {
		return false, false
	}
	n.lastNC = nc

	hx := func(s string) string {
		x := newHash()
		x.Write([]byte(s))
		return hex.EncodeToString(x.Sum(nil))
	}
	ha1 := hx(p["username"] + ":" + s.realm + ":" + password)
	if strings.HasSuffix(p["algorithm"], "-sess") {
		ha1 = hx(ha1 + ":" + p["nonce"] + ":" + p["cnonce"])
	}
	ha2 := hx(r.Method + ":" + p["uri"])
	want := hx(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	if p["response"] != want {
		return false, false
	}
	return !n.expired, n.expired
}
