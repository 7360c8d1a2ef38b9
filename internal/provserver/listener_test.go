package provserver

import (
	"errors"
	"io"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestSourceKey(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 1}, "192.0.2.1"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 1}, "192.0.2.1"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:0:1:2:3:4:5"), Port: 1}, "2001:db8:0:1::"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:0:1::ffff"), Port: 1}, "2001:db8:0:1::"},
		{&net.UnixAddr{Name: "@x", Net: "unix"}, "invalid IP"},
	}
	for _, tc := range tests {
		if got := sourceKey(tc.addr).String(); got != tc.want {
			t.Errorf("sourceKey(%v) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func dial(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Past the per-source cap a connection is closed at once; closing one frees
// its slot.
func TestLimitListenerPerSource(t *testing.T) {
	c, err := NewConnLimiter(0, 2)
	if err != nil {
		t.Fatal(err)
	}
	ln := c.Listener(listenLoopback(t))
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- conn
		}
	}()
	dial(t, ln)
	dial(t, ln)
	sa, sb := <-accepted, <-accepted
	third := dial(t, ln)
	// The server closes the third connection without a word.
	if n, err := third.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) && !isReset(err) {
		t.Errorf("third connection: read %d, %v; want EOF", n, err)
	}
	if c.Refused() != 1 || c.Open() != 2 {
		t.Errorf("refused %d, open %d; want 1, 2", c.Refused(), c.Open())
	}
	reg := prometheus.NewRegistry()
	if err := c.Register(reg); err != nil {
		t.Fatal(err)
	}
	if open, refused := metricValue(t, reg, MetricConnectionsOpen), metricValue(t, reg, MetricConnectionsRefused); open != 2 || refused != 1 {
		t.Errorf("metrics: open %v, refused %v; want 2, 1", open, refused)
	}
	sa.Close()
	sa.Close() // twice: released once
	dial(t, ln)
	sc := <-accepted
	if c.Open() != 2 {
		t.Errorf("open %d after a close and a new connection, want 2", c.Open())
	}
	sb.Close()
	sc.Close()
	if c.Open() != 0 {
		t.Errorf("open %d after closing all, want 0", c.Open())
	}
	ln.Close()
	for range accepted {
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// At the total cap Accept waits until a connection closes, and Close ends the
// wait.
func TestLimitListenerTotal(t *testing.T) {
	c, err := NewConnLimiter(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	ln := c.Listener(listenLoopback(t))
	accepted := make(chan net.Conn, 10)
	done := make(chan error, 1)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				done <- err
				return
			}
			accepted <- conn
		}
	}()
	for range 3 {
		dial(t, ln) // the kernel completes all three handshakes
	}
	s1, s2 := <-accepted, <-accepted
	if c.Open() != 2 {
		t.Fatalf("open %d, want 2", c.Open())
	}
	s1.Close()
	s3 := <-accepted // only now
	if n := c.Open(); n != 2 {
		t.Errorf("open %d when the third is accepted, want 2", n)
	}
	ln.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
	}
	s2.Close()
	s3.Close()
}

// Close ends an Accept that waits for a slot.
func TestLimitListenerCloseWhileFull(t *testing.T) {
	c, _ := NewConnLimiter(1, 0)
	ln := c.Listener(listenLoopback(t))
	dial(t, ln)
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan error, 1)
	go func() { _, err := ln.Accept(); done <- err }()
	ln.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept: %v, want net.ErrClosed", err)
	}
}

func TestConnLimiterRefusesNegative(t *testing.T) {
	for _, caps := range [][2]int{{-1, 0}, {0, -1}} {
		if _, err := NewConnLimiter(caps[0], caps[1]); err == nil {
			t.Errorf("NewConnLimiter%v accepted", caps)
		}
	}
	if _, err := LimitListener(nil, -1, 0); err == nil {
		t.Error("LimitListener accepted a negative cap")
	}
}
