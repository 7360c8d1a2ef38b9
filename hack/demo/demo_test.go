package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoOnce runs the README's first command in its --once mode: the whole flow, from
// an empty control plane to a simulated device with the three sample accounts.
func TestDemoOnce(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := Run(ctx, Options{
		Once:      true,
		Samples:   filepath.Join("..", "..", "config", "samples"),
		Workdir:   dir,
		Addr:      "127.0.0.1:0",
		Namespace: "telephony",
		Out:       &out,
	})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"DectBase and 3 Handsets are Ready", "3 active accounts, 3 of 3 reserved handsets registered", "got all 3 accounts"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "kubeconfig")); err != nil {
		t.Errorf("no kubeconfig written: %v", err)
	}
}
