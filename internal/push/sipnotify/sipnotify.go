// Package sipnotify sends the check-sync NOTIFY straight from the operator to the
// device (push method Direct), over UDP or TCP, with github.com/emiago/sipgo.
//
// The request is an out-of-dialog NOTIFY as Asterisk's PJSIPNotify sends it: the
// Request-URI is the account at the device's address (sip:user@host:port, as the
// contact a registrar would hold), To names the account at its domain, and the
// headers are Event: check-sync (plain: the N720 does not support reboot=),
// Subscription-State: terminated (RFC 6665 requires it; there is no subscription),
// Contact, Max-Forwards, Call-ID, CSeq, Via with a fresh branch and Content-Length: 0.
//
// Over UDP the library retransmits per RFC 3261 (timer E: 500 ms, doubling); the
// exchange ends at the first final answer or when Timeout (default 4s) has passed.
package sipnotify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/dect-operator/dect-operator/internal/push"
)

// DefaultTimeout bounds one NOTIFY exchange: a device on the LAN answers in
// milliseconds, and by 4 s UDP has been sent four times (0, 0.5, 1.5 and 3.5 s).
const DefaultTimeout = 4 * time.Second

// FromUser is the user part of From and Contact: who asks the device to re-check.
const FromUser = "dect-operator"

// Direct sends the NOTIFY itself. The zero value is ready to use.
type Direct struct {
	// Timeout bounds one exchange; 0 means DefaultTimeout.
	Timeout time.Duration
	// Logger receives the library's own messages; nil discards them.
	Logger *slog.Logger
}

var _ push.Notifier = (*Direct)(nil)

// Notify sends one NOTIFY and waits for its final answer.
func (d *Direct) Notify(ctx context.Context, t push.Target) push.Result {
	start := time.Now()
	res := push.Result{Method: push.Direct}
	status, ok := d.notify(ctx, t)
	res.Status, res.OK, res.Took = status, ok, time.Since(start)
	return res
}

func (d *Direct) notify(ctx context.Context, t push.Target) (string, bool) {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if t.Host == "" {
		return "no device address: it has not fetched its file yet and none is declared", false
	}
	if t.Account.User == "" {
		return "no SIP account to address the NOTIFY to", false
	}
	transport := strings.ToUpper(string(t.Transport))
	if transport == "" {
		transport = string(push.UDP)
	}
	if transport != string(push.UDP) && transport != string(push.TCP) {
		return fmt.Sprintf("transport %q is not supported (UDP or TCP)", t.Transport), false
	}

	local := localHost(t.Addr())
	req, err := Build(t, local)
	if err != nil {
		return err.Error(), false
	}

	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(FromUser),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(logger)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(logger)),
	)
	if err != nil {
		return fmt.Sprintf("SIP stack: %v", err), false
	}
	defer ua.Close()
	// Via names the address the device can answer to (the library would write 0.0.0.0
	// for an unbound socket) and asks for rport, so that an answer finds the way back
	// through NAT.
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(logger), sipgo.WithClientHostname(local), sipgo.WithClientNAT())
	if err != nil {
		return fmt.Sprintf("SIP stack: %v", err), false
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := client.Do(ctx, req)
	if err != nil {
		return describeError(err, t.Addr(), transport, timeout), false
	}
	return Describe(resp)
}

// Build returns the NOTIFY for t. localHost is the address the device can answer to,
// used in Contact; the library fills Via's sent-by from the socket.
func Build(t push.Target, localHost string) (*sip.Request, error) {
	transport := strings.ToUpper(string(t.Transport))
	if transport == "" {
		transport = string(push.UDP)
	}
	port := t.Port
	if port == 0 {
		port = push.DefaultSIPPort
	}
	recipient := sip.Uri{Scheme: "sip", User: t.Account.User, Host: t.Host, Port: port}
	if transport == string(push.TCP) {
		recipient.UriParams = sip.NewParams()
		recipient.UriParams.Add("transport", "tcp")
	}
	domain := t.Account.Domain
	if domain == "" {
		domain = t.Host
	}
	req := sip.NewRequest(sip.NOTIFY, recipient)
	req.SetTransport(transport)

	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: FromUser, Host: domain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: t.Account.User, Host: domain}, Params: sip.NewParams()})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: FromUser, Host: localHost}})
	req.AppendHeader(sip.NewHeader("Event", push.Event))
	req.AppendHeader(sip.NewHeader("Subscription-State", "terminated"))
	req.AppendHeader(sip.NewHeader("User-Agent", "dect-operator"))
	req.SetBody(nil)
	return req, nil
}

// Describe turns the device's final answer into the status a person reads, and
// whether it counts as success (2xx).
func Describe(resp *sip.Response) (string, bool) {
	if resp == nil {
		return "no answer", false
	}
	reason := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, resp.Reason)
	if len(reason) > 80 {
		reason = reason[:80]
	}
	status := fmt.Sprintf("%d %s", resp.StatusCode, reason)
	status = strings.TrimSpace(status)
	switch code := int(resp.StatusCode); {
	case code >= 200 && code < 300:
		return status, true
	case code == 404:
		return status + " (the device has no such account)", false
	case code == 481:
		return status + " (the device took it for a request in a dialog it does not have)", false
	case code == 489:
		return status + " (the device does not take check-sync)", false
	}
	return status, false
}

func describeError(err error, addr, transport string, timeout time.Duration) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, sip.ErrTransactionTimeout):
		return fmt.Sprintf("no answer from %s (%s) within %s", addr, transport, timeout)
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused by %s (%s)", addr, transport)
	}
	return fmt.Sprintf("sending to %s (%s): %v", addr, transport, err)
}

// localHost is the local address the kernel would use towards addr: what the device
// can answer to.
func localHost(addr string) string {
	c, err := net.Dial("udp", addr) // sends nothing; only picks a route
	if err != nil {
		return "localhost"
	}
	defer c.Close()
	host, _, err := net.SplitHostPort(c.LocalAddr().String())
	if err != nil {
		return "localhost"
	}
	return host
}

// Method is push.Direct.
func (*Direct) Method() push.Method { return push.Direct }
