package simulator

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const filePath = "/" + testMAC + ".xml"

func TestFetchIdentitySequence(t *testing.T) {
	file := doc(account(0, "1013", "Anna")...)
	builtIn := map[string]string{testMAC: testMACID}
	tests := []struct {
		name         string
		server       func(*digestServer)
		username     string // configured on the device
		password     string
		wantErr      error
		wantIdentity Identity
		wantAlg      string
		wantUsers    []string // user of each request, in order ("" = no credentials)
	}{
		{
			name:         "no authentication",
			server:       func(s *digestServer) {},
			wantIdentity: IdentityNone,
			wantUsers:    []string{""},
		},
		{
			name:         "built-in identity, SHA-256 chosen over MD5",
			server:       func(s *digestServer) { s.algorithms = []string{"MD5", "SHA-256"}; s.users = builtIn },
			wantIdentity: IdentityBuiltIn,
			wantAlg:      "SHA-256",
			wantUsers:    []string{"", testMAC},
		},
		{
			name:         "built-in identity with MD5 only",
			server:       func(s *digestServer) { s.algorithms = []string{"MD5"}; s.users = builtIn },
			wantIdentity: IdentityBuiltIn,
			wantAlg:      "MD5",
			wantUsers:    []string{"", testMAC},
		},
		{
			name:         "built-in identity with MD5-sess",
			server:       func(s *digestServer) { s.algorithms = []string{"MD5-sess"}; s.users = builtIn },
			wantIdentity: IdentityBuiltIn,
			wantAlg:      "MD5-sess",
			wantUsers:    []string{"", testMAC},
		},
		{
			name: "built-in rejected, configured credentials accepted",
			server: func(s *digestServer) {
				s.algorithms = []string{"SHA-256"}
				s.users = map[string]string{"provisioning": "s3cret \"quoted\""}
			},
			username: "provisioning", password: `s3cret "quoted"`,
			wantIdentity: IdentityConfigured,
			wantAlg:      "SHA-256",
			wantUsers:    []string{"", testMAC, "provisioning"},
		},
		{
			name: "built-in and configured both rejected",
			server: func(s *digestServer) {
				s.algorithms = []string{"SHA-256"}
				s.users = map[string]string{"provisioning": "right"}
			},
			username: "provisioning", password: "wrong",
			wantErr:   ErrUnauthorized,
			wantUsers: []string{"", testMAC, "provisioning"},
		},
		{
			name:      "built-in rejected, nothing configured",
			server:    func(s *digestServer) { s.algorithms = []string{"SHA-256"}; s.users = map[string]string{"x": "y"} },
			wantErr:   ErrUnauthorized,
			wantUsers: []string{"", testMAC},
		},
		{
			name: "stale nonce retried with the same identity",
			server: func(s *digestServer) {
				s.algorithms = []string{"SHA-256"}
				s.users = map[string]string{testMAC: testMACID, "provisioning": "s3cret"}
				s.staleFirst = true
			},
			username: "provisioning", password: "s3cret",
			wantIdentity: IdentityBuiltIn,
			wantAlg:      "SHA-256",
			wantUsers:    []string{"", testMAC, testMAC},
		},
		{
			name: "stale=true without credentials sent is no reason to repeat the request",
			server: func(s *digestServer) {
				s.algorithms = []string{"SHA-256"}
				s.users = builtIn
				s.sayStale = true
			},
			wantIdentity: IdentityBuiltIn,
			wantAlg:      "SHA-256",
			wantUsers:    []string{"", testMAC},
		},
		{
			name: "a server that is always stale cannot keep the device busy",
			server: func(s *digestServer) {
				s.algorithms = []string{"SHA-256"}
				s.users = map[string]string{testMAC: testMACID, "provisioning": "s3cret"}
				s.staleAll = true
			},
			username: "provisioning", password: "s3cret",
			wantErr:   ErrUnauthorized,
			wantUsers: []string{"", testMAC, testMAC, testMAC, "provisioning", "provisioning", "provisioning"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDigestServer(t, func(s *digestServer) {
				tt.server(s)
				s.files[filePath] = file
			})
			d, _ := newTestDevice(t, func(c *Config) { c.Username, c.Password = tt.username, tt.password })

			res, err := d.Fetch(context.Background(), srv.URL)

			seen := srv.seen()
			var users []string
			for _, r := range seen {
				users = append(users, r.User)
				if r.Path != filePath || r.UserAgent != "Gigaset N720 DM PRO/70.108.00.000.000;"+testMAC {
					t.Errorf("request %+v: want path %s and the device's User-Agent", r, filePath)
				}
			}
			if strings.Join(users, ",") != strings.Join(tt.wantUsers, ",") {
				t.Errorf("users %q, want %q", users, tt.wantUsers)
			}
			if res.Requests != len(tt.wantUsers) {
				t.Errorf("Requests = %d, want %d", res.Requests, len(tt.wantUsers))
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if res.Applied || d.Slot(0).Active || len(eventsOf(d, EventFetchFailed)) != 1 {
					t.Errorf("a failed fetch must change nothing and be logged: %+v", res)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if res.StatusCode != http.StatusOK || res.Identity != tt.wantIdentity || res.Algorithm != tt.wantAlg {
				t.Errorf("status %d identity %s algorithm %q, want 200 %s %q", res.StatusCode, res.Identity, res.Algorithm, tt.wantIdentity, tt.wantAlg)
			}
			if !res.Applied || res.Bytes != len(file) || res.ItemsApplied != 9 || d.Slot(0).UserID != "1013" {
				t.Errorf("result %+v: want the file applied", res)
			}
			if res.URL != srv.URL+filePath {
				t.Errorf("URL %q", res.URL)
			}
		})
	}
}

func TestFetchNotModified(t *testing.T) {
	srv := newDigestServer(t, func(s *digestServer) {
		s.algorithms = []string{"SHA-256"}
		s.users = map[string]string{testMAC: testMACID}
		s.files[filePath] = doc(concat(account(0, "1013", "Anna"), []string{reserve(0, "00ABC50871")})...)
		s.etag = `"v1"`
	})
	d, clock := newTestDevice(t)
	ctx := context.Background()

	first, err := d.Fetch(ctx, srv.URL+"/")
	if err != nil || !first.Applied || first.ETag != `"v1"` {
		t.Fatalf("first fetch: %v %+v", err, first)
	}
	armed := d.Window().ArmedAt
	clock.Advance(10 * time.Minute)

	second, err := d.Fetch(ctx, srv.URL+"/")
	if err != nil {
		t.Fatalf("second fetch: %v", err)
	}
	if !second.NotModified || second.Applied || second.StatusCode != http.StatusNotModified || second.Identity != IdentityBuiltIn {
		t.Errorf("second fetch %+v, want 304 after authentication", second)
	}
	seen := srv.seen()
	if seen[0].IfNoneMatch != "" || seen[len(seen)-1].IfNoneMatch != `"v1"` {
		t.Errorf("If-None-Match: first fetch %q, second %q", seen[0].IfNoneMatch, seen[len(seen)-1].IfNoneMatch)
	}
	if got := d.Window().ArmedAt; !got.Equal(armed) {
		t.Errorf("a 304 re-armed the window at %v", got)
	}
	if got := len(eventsOf(d, EventFileApplied)); got != 1 {
		t.Errorf("%d files applied, want 1", got)
	}
}

func TestFetchIgnoredFileKeepsOldETag(t *testing.T) {
	srv := newDigestServer(t, func(s *digestServer) {
		s.files[filePath] = docFor("001122334455", account(0, "1013", "Anna")...)
		s.etag = `"other"`
	})
	d, _ := newTestDevice(t)
	for i := range 2 {
		res, err := d.Fetch(context.Background(), srv.URL)
		if err != nil || !res.Ignored || res.IgnoreReason != ReasonMACMismatch {
			t.Fatalf("fetch %d: %v %+v, want the file ignored for its MAC", i, err, res)
		}
	}
	for _, r := range srv.seen() {
		if r.IfNoneMatch != "" {
			t.Errorf("If-None-Match %q sent after an ignored file", r.IfNoneMatch)
		}
	}
	if d.Slot(0).Active {
		t.Error("an ignored file was applied")
	}
}

func TestFetchNotFoundKeepsSettings(t *testing.T) {
	srv := newDigestServer(t, nil)
	d, _ := newTestDevice(t)
	mustApply(t, d, doc(account(0, "1013", "Anna")...))

	res, err := d.Fetch(context.Background(), srv.URL)
	if err != nil || !res.NotFound || res.StatusCode != http.StatusNotFound || res.Applied {
		t.Fatalf("Fetch: %v %+v, want a 404 reported", err, res)
	}
	if d.Slot(0).UserID != "1013" {
		t.Error("a 404 changed the settings")
	}
	if ev := eventsOf(d, EventFetched); len(ev) != 1 || !strings.Contains(ev[0].Detail, "settings kept") {
		t.Errorf("events %v", ev)
	}
}

func TestFetchTooLarge(t *testing.T) {
	file := doc(account(0, "1013", "Anna")...)
	srv := newDigestServer(t, func(s *digestServer) { s.files[filePath] = file })
	d, _ := newTestDevice(t, func(c *Config) { c.MaxFileSize = 100 })
	res, err := d.Fetch(context.Background(), srv.URL)
	if err != nil || !res.Ignored || res.IgnoreReason != ReasonTooLarge || res.Bytes != 101 {
		t.Errorf("Fetch: %v %+v, want the file ignored after reading 101 bytes", err, res)
	}
}

func TestFetchFailures(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		server  func(*digestServer)
		ctx     context.Context
		baseURL string // replaces the server's URL if set
		wantErr error
	}{
		{"server error", func(s *digestServer) { s.status = http.StatusInternalServerError }, nil, "", ErrUnexpectedStatus},
		{"redirect not followed", func(s *digestServer) { s.status = http.StatusFound }, nil, "", ErrUnexpectedStatus},
		{"Basic only", func(s *digestServer) { s.algorithms = []string{"Basic"} }, nil, "", ErrNoDigestChallenge},
		{"unsupported Digest algorithm", func(s *digestServer) { s.algorithms = []string{"SHA-512-256"} }, nil, "", ErrNoDigestChallenge},
		{"canceled", nil, canceled, "", context.Canceled},
		{"not an http URL", nil, nil, "ftp://example.org", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDigestServer(t, tt.server)
			d, _ := newTestDevice(t)
			ctx, url := tt.ctx, srv.URL
			if ctx == nil {
				ctx = context.Background()
			}
			if tt.baseURL != "" {
				url = tt.baseURL
			}
			res, err := d.Fetch(ctx, url)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if res.Applied {
				t.Error("applied")
			}
		})
	}
}

func TestFetchBaseURLWithPath(t *testing.T) {
	srv := newDigestServer(t, func(s *digestServer) { s.files["/prov"+filePath] = doc() })
	d, _ := newTestDevice(t)
	if res, err := d.Fetch(context.Background(), srv.URL+"/prov"); err != nil || !res.Applied {
		t.Fatalf("Fetch: %v %+v", err, res)
	}
}
