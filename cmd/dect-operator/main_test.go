package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryLinksNoTestTooling guards what runs in the cluster: envtest's init creates a
// folder under /tmp, which panics before main on the Pod's read-only root filesystem, and
// the simulator and the demo have no business in production either.
func TestBinaryLinksNoTestTooling(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"envtest", "simulator", "demo", "testenv", "fakeclock"} {
			if strings.Contains(pkg, banned) {
				t.Errorf("the binary links %s", pkg)
			}
		}
	}
}
