package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runAsMain is set in the environment of a copy of the test binary that is to run main
// with the given arguments: that is how the tests below see real exit codes without
// building the binary.
const runAsMain = "DECT_OPERATOR_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMain) == "1" {
		os.Args = append([]string{"dect-operator"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// dectOperator runs the command's main in a child process and returns its exit code,
// standard output and standard error.
func dectOperator(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runAsMain+"=1")
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("running %v: %v", args, err)
	return 0, "", ""
}

func TestRenderExitCodes(t *testing.T) {
	testdata := filepath.Join("..", "..", "internal", "offline", "testdata")
	gitops := filepath.Join(testdata, "gitops")
	stdin, err := os.ReadFile(filepath.Join(testdata, "stdin", "kustomize-build.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	now := "--now=2026-01-01T00:00:00Z"
	tests := []struct {
		name   string
		args   []string
		stdin  string
		exit   int
		stdout string   // part of standard output ("" for none at all)
		stderr []string // parts of standard error
	}{
		{"SOPS site", []string{"render", now, filepath.Join(gitops, "sites", "berlin")}, "", 0,
			"<!-- slot 0: anna -->", []string{`Handset zoe: SIP password (Secret sip-1013, key "password") left out: SOPS-encrypted in`}},
		{"SealedSecret site", []string{"render", now, filepath.Join(gitops, "sites", "hamburg")}, "", 0,
			"<!-- slot 0: hh-2001 -->", []string{"left out: a SealedSecret in"}},
		{"Helm chart alone", []string{"render", now, filepath.Join(gitops, "charts")}, "", 1,
			"", []string{"handsets.yaml: skipped: a template", "no DectBase in the input"}},
		{"two sites", []string{"render", now, gitops}, "", 1,
			"", []string{"DectBase default/office is declared a second time (first in " + filepath.Join(gitops, "sites", "berlin", "base.yaml")}},
		{"standard input", []string{"render", now, "-"}, string(stdin), 0,
			"<!-- slot 0: zoe -->", nil},
		{"a Secret lacking its key", []string{"render", now, filepath.Join(testdata, "cases", "plain-lacks-key.yaml")}, "", 1,
			"", []string{"SecretNotFound"}},
		{"bad --now", []string{"render", "--now=yesterday", "-"}, "", 1, "", []string{"--now"}},
		{"no input", []string{"render"}, "", 1, "", []string{"no input files"}},
		{"no command", nil, "", 2, "", []string{"usage: dect-operator <command>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exit, stdout, stderr := dectOperator(t, tt.stdin, tt.args...)
			if exit != tt.exit {
				t.Errorf("exit code %d, want %d; stderr:\n%s", exit, tt.exit, stderr)
			}
			if tt.stdout == "" && stdout != "" {
				t.Errorf("printed %d bytes on standard output, want none", len(stdout))
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("standard output lacks %q", tt.stdout)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("standard error lacks %q:\n%s", w, stderr)
				}
			}
			// The inputs' secret values (plain ones) must never be printed.
			for _, secret := range []string{"pw-1013", "not-the-key"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("printed the secret value %q", secret)
				}
			}
		})
	}
}
