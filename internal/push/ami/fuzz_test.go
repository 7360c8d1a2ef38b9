package ami

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/dect-operator/dect-operator/internal/fuzzing"
)

func TestMain(m *testing.M) { fuzzing.Main(m) }

// FuzzReadMessage reads arbitrary server output as a session does: no panic, bounded
// messages, and texts that stay one printable line.
func FuzzReadMessage(f *testing.F) {
	for _, s := range []string{
		"Asterisk Call Manager/9.0.0\r\nResponse: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n",
		"Response: Error\r\nMessage: Authentication failed\r\n\r\n",
		"Event: FullyBooted\r\nStatus: Fully Booted\r\n\r\nResponse: Success\r\nMessage: NOTIFY sent\r\n\r\n",
		"Response: Follows\r\nPrivilege: Command\r\nsome output\r\n--END COMMAND--\r\n\r\n",
		"\r\n\r\nResponse:\r\n\r\n",
		"Response: Error\nMessage: \x00\x1b[31mred\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		if _, err := ReadGreeting(r); err != nil {
			return
		}
		for i := 0; i < 100; i++ {
			m, err := ReadMessage(r)
			if err != nil {
				return
			}
			if len(m) == 0 || len(m) > maxFields {
				t.Fatalf("message of %d fields", len(m))
			}
			text := m.Text()
			if strings.ContainsAny(text, "\r\n\x00") || len([]rune(text)) > 203 {
				t.Fatalf("text %q", text)
			}
			_ = m.Success()
		}
	})
}
