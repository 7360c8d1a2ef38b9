package provserver

import (
	"net/http"
	"time"
)

// HTTPServer returns the http.Server of the devices' port, serving h: the timeouts and
// limits production uses, shared with the benchmarks so that they measure the same
// configuration. With the connection caps (ConnLimiter) the timeouts are what bounds
// memory: they free the connections that idle or slow clients hold.
func HTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
}
