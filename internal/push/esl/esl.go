// Package esl has FreeSWITCH send the check-sync NOTIFY (push method FreeSWITCH),
// through its event socket (mod_event_socket, inbound mode).
//
// One push is one short TCP session: the server sends "Content-Type: auth/request";
// the client answers "auth <password>" and gets a command/reply whose Reply-Text starts
// with +OK or -ERR; then "api sofia profile <profile> check_sync <user>@<domain>",
// whose api/response body (Content-Length bytes) is sofia's output: "+OK ..." when the
// command ran, "-ERR ..." or "Invalid Profile ..." when it did not; then "exit".
//
// Written from FreeSWITCH's published event socket documentation and tested against a
// protocol fake; not yet against a real FreeSWITCH, which no package here provides.
// What sofia prints for check_sync on success is taken from its documentation: any
// body starting with +OK counts as success.
package esl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/dect-operator/dect-operator/internal/push"
	"github.com/dect-operator/dect-operator/internal/push/textconn"
)

// DefaultPort is mod_event_socket's usual port.
const DefaultPort = 8021

// DefaultProfile is the sofia profile the phones usually register with.
const DefaultProfile = "internal"

// DefaultTimeout bounds the whole session.
const DefaultTimeout = 5 * time.Second

// Notifier asks one FreeSWITCH to send check-sync.
type Notifier struct {
	// Addr is host[:port] of the event socket.
	Addr string
	// Password is the event socket's (from a Secret); sent only in "auth", never in a
	// Result.
	Password string
	// Profile is the sofia profile; "" means DefaultProfile.
	Profile string
	// Timeout bounds one session; 0 means DefaultTimeout.
	Timeout time.Duration
}

var _ push.Notifier = (*Notifier)(nil)

// Notify runs one event socket session that asks FreeSWITCH to send check-sync.
func (n *Notifier) Notify(ctx context.Context, t push.Target) push.Result {
	start := time.Now()
	status, ok := n.notify(ctx, t)
	if n.Password != "" {
		status = strings.ReplaceAll(status, n.Password, "[secret]")
	}
	return push.Result{Method: push.FreeSWITCH, OK: ok, Status: status, Took: time.Since(start)}
}

func (n *Notifier) addr() string {
	if _, _, err := net.SplitHostPort(n.Addr); err == nil {
		return n.Addr
	}
	return net.JoinHostPort(n.Addr, strconv.Itoa(DefaultPort))
}

// safe reports whether s can go into a command line: no line breaks or spaces that
// would end or split the command.
func safe(s string) bool { return s != "" && !strings.ContainsAny(s, " \t\r\n") }

func (n *Notifier) notify(ctx context.Context, t push.Target) (string, bool) {
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	profile := n.Profile
	if profile == "" {
		profile = DefaultProfile
	}
	account := t.Account.String()
	if !safe(t.Account.User) || !safe(t.Account.Domain) || !safe(profile) {
		return fmt.Sprintf("cannot name account %q on profile %q in a command", account, profile), false
	}
	if strings.ContainsAny(n.Password, "\r\n") {
		return "the event socket password contains a line break", false
	}
	if strings.TrimSpace(n.Addr) == "" {
		return "no FreeSWITCH event socket address", false
	}
	addr := n.addr()
	where := "FreeSWITCH event socket at " + addr

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, closeConn, err := textconn.Dial(ctx, addr)
	if err != nil {
		return where + ": " + textconn.DialError(err, timeout), false
	}
	defer closeConn()
	r := bufio.NewReader(conn)

	first, err := ReadMessage(r)
	if err != nil {
		return where + ": " + textconn.ReadError(ctx, err, timeout, "greeting"), false
	}
	if first.Header("Content-Type") != "auth/request" {
		return fmt.Sprintf("%s: not a FreeSWITCH event socket (first Content-Type %q)", where, textconn.Printable(first.Header("Content-Type"))), false
	}

	if _, err := io.WriteString(conn, "auth "+n.Password+"\n\n"); err != nil {
		return where + ": " + err.Error(), false
	}
	reply, err := readReply(r, "command/reply")
	if err != nil {
		return where + ": " + textconn.ReadError(ctx, err, timeout, "answer to auth"), false
	}
	if text := reply.Header("Reply-Text"); !strings.HasPrefix(text, "+OK") {
		return fmt.Sprintf("FreeSWITCH auth: %s", describeReply(text)), false
	}

	cmd := fmt.Sprintf("sofia profile %s check_sync %s", profile, account)
	if _, err := io.WriteString(conn, "api "+cmd+"\n\n"); err != nil {
		return where + ": " + err.Error(), false
	}
	resp, err := readReply(r, "api/response")
	if err != nil {
		return fmt.Sprintf("FreeSWITCH %s: %s", cmd, textconn.ReadError(ctx, err, timeout, "answer")), false
	}
	// A polite goodbye, waited for so that the server has it before the socket
	// closes; the outcome is already known.
	if _, err := io.WriteString(conn, "exit\n\n"); err == nil {
		_, _ = readReply(r, "command/reply")
	}
	body := strings.TrimSpace(string(resp.Body))
	text := textconn.Printable(firstLine(body))
	if text == "" {
		text = "(empty answer)"
	}
	return fmt.Sprintf("FreeSWITCH %s: %s", cmd, text), strings.HasPrefix(body, "+OK")
}

// readReply reads messages until one of the given Content-Type, skipping events.
// A disconnect notice ends the wait with the server's reason.
func readReply(r *bufio.Reader, contentType string) (Message, error) {
	for i := 0; i < maxSkipped; i++ {
		m, err := ReadMessage(r)
		if err != nil {
			return Message{}, err
		}
		switch m.Header("Content-Type") {
		case contentType:
			return m, nil
		case "text/disconnect-notice":
			return Message{}, fmt.Errorf("the server disconnected: %s", textconn.Printable(firstLine(string(m.Body))))
		}
	}
	return Message{}, errors.New("no answer among the server's messages")
}

// maxSkipped bounds the events read while waiting for one answer.
const maxSkipped = 1000

func describeReply(text string) string {
	text = textconn.Printable(text)
	switch {
	case text == "":
		return "no Reply-Text"
	case text == "-ERR invalid":
		return "-ERR invalid (wrong password)"
	}
	return text
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// Method is push.FreeSWITCH.
func (*Notifier) Method() push.Method { return push.FreeSWITCH }
