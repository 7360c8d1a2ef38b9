package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAdminProxy(t *testing.T) {
	sidecar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "sidecar "+r.URL.Path+" "+r.URL.RawQuery)
	}))
	defer sidecar.Close()
	handlers, err := AdminProxy(sidecar.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", PathUnknownDevices, 200, "sidecar /unknown-devices "},
		{"GET", PathServerMetrics + "?name[]=x", 200, "sidecar /metrics name[]=x"},
		{"POST", PathUnknownDevices, 405, ""},
	} {
		path, _, _ := strings.Cut(tc.path, "?")
		w := httptest.NewRecorder()
		handlers[path].ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.code || !strings.HasPrefix(w.Body.String(), tc.want) {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, w.Code, w.Body.String(), tc.code, tc.want)
		}
	}
	// The sidecar not there: 502, not a hang or a panic.
	sidecar.Close()
	w := httptest.NewRecorder()
	handlers[PathUnknownDevices].ServeHTTP(w, httptest.NewRequest("GET", PathUnknownDevices, nil))
	if w.Code != http.StatusBadGateway {
		t.Errorf("with the sidecar gone: %d, want 502", w.Code)
	}
	for _, bad := range []string{"127.0.0.1:8082", "https://127.0.0.1:8082", "http://127.0.0.1:8082/metrics", "http://"} {
		if _, err := AdminProxy(bad); err == nil {
			t.Errorf("AdminProxy(%q) took it", bad)
		}
	}
}
