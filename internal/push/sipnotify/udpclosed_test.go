package sipnotify

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/push"
)

// TestDirectUDPPortClosed: nothing listens on the device's SIP port (the device is
// up, its SIP stack is not). Over UDP that is either an ICMP port unreachable or
// silence; either way the result names the address and the transport.
func TestDirectUDPPortClosed(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	res := (&Direct{Timeout: time.Second}).Notify(context.Background(), push.Target{Host: "127.0.0.1", Port: port, Account: office})
	t.Logf("%s after %v", res.Status, res.Took)
	if res.OK || !strings.Contains(res.Status, c.LocalAddr().String()) || !strings.Contains(res.Status, "(UDP)") {
		t.Fatalf("result %+v", res)
	}
}
