package server

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
)

// Paths the manager's metrics endpoint serves for its sidecar (AdminProxy).
const (
	PathUnknownDevices = "/unknown-devices"
	PathServerMetrics  = "/server-metrics"
)

// AdminProxy returns the handlers by which the manager's metrics endpoint serves its
// sidecar's admin listener, at adminURL (e.g. http://127.0.0.1:8082, bound to loopback
// in the Pod): /unknown-devices as is, and the sidecar's /metrics as /server-metrics. So
// the sidecar opens no admin port on the Pod's address, and whatever guards the
// manager's metrics endpoint guards these too. Only GET and HEAD are passed on.
func AdminProxy(adminURL string) (map[string]http.Handler, error) {
	u, err := url.Parse(adminURL)
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("the server's admin URL %q: want http://<host>:<port>", adminURL)
	}
	to := func(path string) http.Handler {
		proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host, r.Out.URL.Path, r.Out.URL.RawPath = u.Scheme, u.Host, path, ""
			r.Out.Host = u.Host
		}}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				w.Header().Set("Allow", "GET, HEAD")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			proxy.ServeHTTP(w, r)
		})
	}
	return map[string]http.Handler{
		PathUnknownDevices: to("/unknown-devices"),
		PathServerMetrics:  to("/metrics"),
	}, nil
}
