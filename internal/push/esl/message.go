package esl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dect-operator/dect-operator/internal/push/textconn"
)

// Limits on what a server may send.
const (
	maxLine    = 4096
	maxHeaders = 256
	maxBody    = 64 << 10
)

// ErrMalformed is returned for input that is not the event socket protocol.
var ErrMalformed = errors.New("malformed event socket message")

// Message is one event socket message: headers up to an empty line, then
// Content-Length bytes of body.
type Message struct {
	Headers [][2]string
	Body    []byte
}

// Header returns the first value of name (case-insensitive), or "".
func (m Message) Header(name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

// ReadMessage reads one message. Leading empty lines are skipped.
func ReadMessage(r *bufio.Reader) (Message, error) {
	var m Message
	for {
		line, err := textconn.ReadLine(r, maxLine, ErrMalformed)
		if err != nil {
			return Message{}, err
		}
		if line == "" {
			if len(m.Headers) == 0 {
				continue
			}
			break
		}
		if len(m.Headers) >= maxHeaders {
			return Message{}, fmt.Errorf("%w: more than %d header lines", ErrMalformed, maxHeaders)
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return Message{}, fmt.Errorf("%w: header line without a colon", ErrMalformed)
		}
		m.Headers = append(m.Headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	if cl := m.Header("Content-Length"); cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 {
			return Message{}, fmt.Errorf("%w: Content-Length %q", ErrMalformed, textconn.Printable(cl))
		}
		if n > maxBody {
			return Message{}, fmt.Errorf("%w: a body of %d bytes", ErrMalformed, n)
		}
		m.Body = make([]byte, n)
		if _, err := io.ReadFull(r, m.Body); err != nil {
			return Message{}, err
		}
	}
	return m, nil
}
