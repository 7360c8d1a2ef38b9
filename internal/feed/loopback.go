package feed

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// Listen listens on addr, which must be a loopback IP address and a port, such as
// 127.0.0.1:8090 or [::1]:8090 (a host name is refused: the feed carries passwords and
// has no authentication of its own; see the package documentation).
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("feed: address %q: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("feed: address %q: the feed listens on a loopback address only, such as 127.0.0.1:8090", addr)
	}
	return net.Listen("tcp", addr)
}

// ParseURL parses the sidecar's view of the feed: http://<loopback IP>:<port>, with no
// path, query or user.
func ParseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("feed: URL %q: %w", s, err)
	}
	ip, ipErr := netip.ParseAddr(u.Hostname())
	switch {
	case u.Scheme != "http":
		return nil, fmt.Errorf("feed: URL %q: want http://127.0.0.1:<port>", s)
	case ipErr != nil || !ip.IsLoopback():
		return nil, fmt.Errorf("feed: URL %q: the feed is reached on a loopback address only, such as http://127.0.0.1:8090", s)
	case u.Port() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "":
		return nil, fmt.Errorf("feed: URL %q: want http://127.0.0.1:<port>, nothing else", s)
	}
	u.Path = ""
	return u, nil
}

// NewServer returns the http.Server for a Publisher's listener. It has no write
// timeout: a poll waits up to MaxWait, and a full set may be large.
func NewServer(p *Publisher) *http.Server {
	return &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
}

// newClient is the sidecar's HTTP client: no proxy (the feed is on loopback), and a
// bounded wait for the answer's headers, which come at the latest after the poll's wait.
func newClient(wait time.Duration) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 nil,
		ResponseHeaderTimeout: wait + 30*time.Second,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       time.Minute,
	}}
}
