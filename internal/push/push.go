// Package push asks a DECT base to fetch its provisioning file now, instead of at its
// next periodic check, and decides when doing so is worth it.
//
// The N720 re-checks its file when it receives a SIP NOTIFY with "Event: check-sync"
// (plain: it does not support the reboot= parameter). Such a NOTIFY can come from the
// operator itself (Direct, package push/sipnotify) or from the PBX the base is
// registered with (Asterisk's manager interface, push/ami; FreeSWITCH's event socket,
// push/esl). Every way is a Notifier; what it reports is a Result written for the person
// reading the DectBase's status.
//
// When to push is decided by Decide, a pure function of a Policy, the State kept
// between calls and the Facts the caller observed (which file is served, which one the
// device fetched). It debounces bursts, rate-limits, backs off while the device does not
// fetch, and stops once it does.
package push

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Method names how a push is sent; the names match the API's.
type Method string

const (
	// None sends nothing: the device fetches on its own timer only.
	None Method = "None"
	// Direct sends the NOTIFY from the operator to the device.
	Direct Method = "Direct"
	// AsteriskAMI asks Asterisk, through its manager interface, to send it.
	AsteriskAMI Method = "AsteriskAMI"
	// FreeSWITCH asks FreeSWITCH, through its event socket, to send it.
	FreeSWITCH Method = "FreeSWITCH"
)

// Transport is the SIP transport of a Direct push.
type Transport string

const (
	UDP Transport = "UDP"
	TCP Transport = "TCP"
)

// DefaultSIPPort is the port of a device that declares none.
const DefaultSIPPort = 5060

// Account is one SIP account of the base: the device answers a check-sync only for an
// account it has, so the Request-URI and To name one.
type Account struct {
	User   string
	Domain string
}

// String is user@domain.
func (a Account) String() string { return a.User + "@" + a.Domain }

// Target is the device a push is for.
type Target struct {
	// Host is the device's address: the one it last fetched from, or a declared one.
	// Direct only; a PBX knows where its registered accounts are.
	Host string
	// Port is the device's SIP port; 0 means DefaultSIPPort. Direct only.
	Port int
	// Transport is UDP or TCP; "" means UDP, what the N720 listens on by default.
	// Direct only.
	Transport Transport
	// Account is one of the base's registered SIP accounts.
	Account Account
	// Peer is the name the PBX knows the account by (Asterisk's PJSIP endpoint or
	// chan_sip peer); "" means Account.User, the usual convention.
	Peer string
}

// Addr is host:port of a Direct target.
func (t Target) Addr() string {
	port := t.Port
	if port == 0 {
		port = DefaultSIPPort
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(port))
}

// PeerName is the PBX's name for the account.
func (t Target) PeerName() string {
	if t.Peer != "" {
		return t.Peer
	}
	return t.Account.User
}

// Result is the outcome of one push, as it appears in status.
type Result struct {
	Method Method
	// OK is true when the push was accepted: the device answered 2xx (Direct), or the
	// PBX said it sent the NOTIFY (AsteriskAMI, FreeSWITCH). It does not mean that the
	// device fetched; the delivery record tells that.
	OK bool
	// Status is what a person reads: "200 OK", "489 Bad Event", "no answer within 4s",
	// "Asterisk: Authentication failed". It never holds a secret.
	Status string
	// Took is how long the exchange took.
	Took time.Duration
}

func (r Result) String() string {
	ok := "failed"
	if r.OK {
		ok = "ok"
	}
	return fmt.Sprintf("%s %s: %s", r.Method, ok, r.Status)
}

// Notifier sends one check-sync. Notify returns when the exchange is over (a final
// answer, an error, or ctx's end); it never panics on a peer's input and never returns
// a secret in the Result.
type Notifier interface {
	Notify(ctx context.Context, t Target) Result
}

// Event is the event package of the NOTIFY: the N720 takes it without parameters.
const Event = "check-sync"
