package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/testenv"
)

// stack is the one API server, manager and provisioning server every test shares. Each
// test works in a namespace of its own, with a base whose MAC no other test uses.
var stack *testenv.Stack

// firmwareDir holds firmwareImage, served by the server at /firmware/.
var firmwareDir string

// firmwareImage is a DECT Manager image in Gigaset's naming: firmware 70.117.
const firmwareImage = "einsteiniwu117_70.bin"

// firmwareBytes is the image's content: not a real image, 300 KB that a truncated
// download could not pass for.
func firmwareBytes() []byte {
	b := make([]byte, 300_000)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "e2e: KUBEBUILDER_ASSETS is not set: run the tests with `make test`, or with\n"+
			"  KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/e2e/ -count=1 -v")
		return 1
	}
	dir, err := os.MkdirTemp("", "dect-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	// The firmware folder the server serves, as a volume holding the images a user
	// downloaded from Gigaset would be.
	firmwareDir = filepath.Join(dir, "firmware")
	if err := os.MkdirAll(firmwareDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if err := os.WriteFile(filepath.Join(firmwareDir, firmwareImage), firmwareBytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stack, err = testenv.Start(ctx, testenv.Options{
		Dir: dir,
		// Every fetch is recorded, so that tests see each delivery in status quickly.
		DeliveryRecordInterval: time.Second,
		// A missing Secret is waited for only briefly, so that tests see it stall.
		ManagerArgs: []string{"--stall-after=3s"},
		ServerArgs:  []string{"--firmware-dir=" + filepath.Join(dir, "firmware")},
		Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...)
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting the stack:", err)
		printLogTails(dir)
		return 1
	}
	code := m.Run()
	stack.Stop()
	if code != 0 || os.Getenv("E2E_KEEP") != "" {
		// Kept for a look; each failed test printed what the processes logged meanwhile.
		fmt.Fprintf(os.Stderr, "e2e: binary, kubeconfig and logs (manager, server, API server) kept in %s\n", dir)
		return code
	}
	_ = os.RemoveAll(dir)
	return code
}

func printLogTails(dir string) {
	for _, name := range []string{"manager.log", "server.log"} {
		p := &testenv.Process{LogPath: dir + "/" + name}
		lines := p.LogSince(0, nil, 40)
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(os.Stderr, "---- %s\n", name)
		for _, l := range lines {
			fmt.Fprintln(os.Stderr, l)
		}
	}
}
