package ami

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/dect-operator/dect-operator/internal/push/textconn"
)

// Limits on what a server may send, so that a broken or hostile one cannot make the
// operator buffer without end.
const (
	maxLine   = 4096
	maxFields = 256
)

// ErrMalformed is returned for input that is not AMI.
var ErrMalformed = errors.New("malformed manager message")

// Field is one "Key: Value" line.
type Field struct{ Key, Value string }

// Message is one manager message: fields in order (a key may repeat, e.g. Variable).
type Message []Field

// Get returns the first value of key (case-insensitive), or "".
func (m Message) Get(key string) string {
	for _, f := range m {
		if strings.EqualFold(f.Key, key) {
			return f.Value
		}
	}
	return ""
}

// Success reports Response: Success.
func (m Message) Success() bool { return strings.EqualFold(m.Get("Response"), "Success") }

// Text is what the answer says, for a person: its Message, or its Response.
func (m Message) Text() string {
	if msg := m.Get("Message"); msg != "" {
		return textconn.Printable(msg)
	}
	if r := m.Get("Response"); r != "" {
		return textconn.Printable(r) + " (no message)"
	}
	return "an answer without a Response"
}

// String is the message on the wire: CRLF after each line and a blank line at the end.
func (m Message) String() string {
	var b strings.Builder
	for _, f := range m {
		b.WriteString(f.Key + ": " + f.Value + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// ReadGreeting reads the line the server sends first.
func ReadGreeting(r *bufio.Reader) (string, error) {
	return textconn.ReadLine(r, maxLine, ErrMalformed)
}

// ReadMessage reads one message: lines up to an empty line. Leading empty lines are
// skipped. Lines without a colon (the body of an old "Response: Follows") are kept with
// an empty key.
func ReadMessage(r *bufio.Reader) (Message, error) {
	var m Message
	for {
		line, err := textconn.ReadLine(r, maxLine, ErrMalformed)
		if err != nil {
			return nil, err
		}
		if line == "" {
			if len(m) == 0 {
				continue
			}
			return m, nil
		}
		if len(m) >= maxFields {
			return nil, fmt.Errorf("%w: more than %d lines", ErrMalformed, maxFields)
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			m = append(m, Field{"", line})
			continue
		}
		m = append(m, Field{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
}
