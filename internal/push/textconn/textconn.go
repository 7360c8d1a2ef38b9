// Package textconn is what the PBX notifiers (Asterisk's manager interface, FreeSWITCH's
// event socket) share: one short-lived TCP session bounded by a context, lines of a
// bounded length, and errors written for the person who reads them in status.
package textconn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// Dial connects to addr for one session that ends with ctx: reads and writes fail at
// its deadline, and the connection is closed when it ends, so that a read waiting on a
// silent server returns. close releases both.
func Dial(ctx context.Context, addr string) (conn net.Conn, close func(), err error) {
	var dialer net.Dialer
	conn, err = dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	return conn, func() { stop(); conn.Close() }, nil
}

// ReadLine reads one line of at most max bytes, without its line end. A longer line is
// an error wrapping malformed.
func ReadLine(r *bufio.Reader, max int, malformed error) (string, error) {
	var b []byte
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, chunk...)
		if len(b) > max {
			return "", fmt.Errorf("%w: a line longer than %d bytes", malformed, max)
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}

// Printable keeps a server's text to one line of at most 200 printable characters.
func Printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "..."
	}
	return s
}

// DialError says why a connection could not be made within timeout.
func DialError(err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Sprintf("no connection within %s", timeout)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "cannot resolve " + dnsErr.Name
	}
	return err.Error()
}

// ReadError says why reading what (a greeting, a reply) failed. The connection is
// closed by this side when ctx ends, so a read on a closed connection means that the
// time was up.
func ReadError(ctx context.Context, err error, timeout time.Duration, what string) string {
	switch {
	case isTimeout(err), errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("no %s within %s", what, timeout)
	case ctx.Err() != nil:
		return "cancelled"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return "the server closed the connection before its " + what
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
