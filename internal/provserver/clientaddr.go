package provserver

import (
	"net/http"
	"net/netip"
)

// clientAddr returns the address a request comes from, unmapped so that IPv4
// clients on a dual-stack socket match IPv4 prefixes. It is invalid (and so
// allowed by no prefix) when it cannot be read. Proxy headers such as
// X-Forwarded-For are never read: the server faces the devices directly, and a
// header would let any client choose its own address.
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
