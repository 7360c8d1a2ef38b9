package provserver

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns the address a request comes from, unmapped so that IPv4
// clients on a dual-stack socket match IPv4 prefixes. It is invalid (and so
// allowed by no prefix) when it cannot be read.
//
// With trustProxy, the last address of the last X-Forwarded-For header is used
// when present: that is the one the proxy in front of us appended; the ones
// before it are whatever the client claimed. Only enable it behind a proxy that
// always sets the header, or clients can choose their own address.
func clientAddr(r *http.Request, trustProxy bool) netip.Addr {
	if trustProxy {
		if xff := r.Header["X-Forwarded-For"]; len(xff) > 0 {
			v := xff[len(xff)-1]
			if i := strings.LastIndexByte(v, ','); i >= 0 {
				v = v[i+1:]
			}
			a, err := netip.ParseAddr(strings.TrimSpace(v))
			if err != nil {
				return netip.Addr{}
			}
			return a.Unmap()
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
