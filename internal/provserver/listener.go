package provserver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// ConnLimiter caps the connections the server holds open, in total and per
// source, across all the listeners it wraps (the HTTP and the HTTPS port share
// one budget). Without it, every half-open connection costs a goroutine and
// its buffers until a timeout closes it, and a flood of them can exhaust the
// container's memory.
//
// At the total cap, Accept waits for a connection to close: new connections
// queue in the kernel's backlog (and are dropped by it when that is full)
// rather than in the process. Past the per-source cap, a new connection is
// closed at once, so one client cannot take the slots of everyone else. A
// source is an IPv4 address or an IPv6 /64 (one host usually owns a whole
// /64), unmapped; clients behind one NAT address share its cap, so size it for
// the most devices behind one address (with externalTrafficPolicy: Cluster
// every client appears as a node address: prefer Local, or a larger cap).
//
// The cap on connections bounds memory only together with the http.Server's
// timeouts (ReadHeaderTimeout, IdleTimeout) and MaxHeaderBytes, which free the
// slots that idle clients hold.
type ConnLimiter struct {
	slots     chan struct{} // one token per open connection; nil: no total cap
	perSource int           // 0: no per-source cap

	mu      sync.Mutex
	sources map[netip.Addr]int

	refused atomic.Uint64
}

// NewConnLimiter returns a limiter of total open connections and perSource
// connections from one source; 0 means no cap of that kind.
func NewConnLimiter(total, perSource int) (*ConnLimiter, error) {
	if total < 0 || perSource < 0 {
		return nil, errors.New("provserver: connection caps must not be negative")
	}
	c := &ConnLimiter{perSource: perSource, sources: make(map[netip.Addr]int)}
	if total > 0 {
		c.slots = make(chan struct{}, total)
	}
	return c, nil
}

// LimitListener wraps ln with a new ConnLimiter of its own.
func LimitListener(ln net.Listener, total, perSource int) (net.Listener, error) {
	c, err := NewConnLimiter(total, perSource)
	if err != nil {
		return nil, err
	}
	return c.Listener(ln), nil
}

// Listener wraps ln: its connections count against c.
func (c *ConnLimiter) Listener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, c: c, done: make(chan struct{})}
}

// Open returns the number of connections open through c.
func (c *ConnLimiter) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.sources {
		n += k
	}
	return n
}

// Register registers the gauge of open connections and the counter of
// refused ones (MetricConnectionsOpen, MetricConnectionsRefused) with reg.
func (c *ConnLimiter) Register(reg prometheus.Registerer) error {
	for _, col := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: MetricConnectionsOpen,
			Help: "Connections open on the devices' ports.",
		}, func() float64 { return float64(c.Open()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: MetricConnectionsRefused,
			Help: "Connections closed at once because their source address (IPv4, or IPv6 /64) was at its cap.",
		}, func() float64 { return float64(c.Refused()) }),
	} {
		if err := reg.Register(col); err != nil {
			return fmt.Errorf("provserver: registering connection metrics: %w", err)
		}
	}
	return nil
}

// Refused returns the number of connections closed at once because their
// source was at its cap.
func (c *ConnLimiter) Refused() uint64 { return c.refused.Load() }

func sourceKey(a net.Addr) netip.Addr {
	var ip netip.Addr
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ = netip.AddrFromSlice(ta.IP)
	} else if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip = ap.Addr()
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip // invalid addresses share one key
}

// admit counts a connection from src, or reports that src is at its cap.
func (c *ConnLimiter) admit(src netip.Addr) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.perSource > 0 && c.sources[src] >= c.perSource {
		return false
	}
	c.sources[src]++
	return true
}

func (c *ConnLimiter) release(src netip.Addr) {
	c.mu.Lock()
	if c.sources[src] <= 1 {
		delete(c.sources, src)
	} else {
		c.sources[src]--
	}
	c.mu.Unlock()
	if c.slots != nil {
		<-c.slots
	}
}

type limitListener struct {
	net.Listener
	c         *ConnLimiter
	closeOnce sync.Once
	done      chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		if l.c.slots != nil {
			select {
			case l.c.slots <- struct{}{}:
			case <-l.done:
				return nil, net.ErrClosed
			}
		}
		conn, err := l.Listener.Accept()
		if err != nil {
			if l.c.slots != nil {
				<-l.c.slots
			}
			return nil, err
		}
		src := sourceKey(conn.RemoteAddr())
		if !l.c.admit(src) {
			// Counted before the close, so that whoever sees the connection end finds
			// it counted (TestLimitListenerPerSource failed once on the other order).
			l.c.refused.Add(1)
			conn.Close()
			if l.c.slots != nil {
				<-l.c.slots
			}
			continue
		}
		return &limitConn{Conn: conn, c: l.c, src: src}, nil
	}
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type limitConn struct {
	net.Conn
	c    *ConnLimiter
	src  netip.Addr
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.c.release(c.src) })
	return err
}
