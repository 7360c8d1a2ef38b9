package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dect-operator/dect-operator/internal/offline"
)

func runRender(args []string) error {
	return render(args, os.Stdin, os.Stdout, os.Stderr)
}

// render is the render command with its streams as arguments, so that tests see what it
// prints. Notes (what was skipped, which credentials were left out) go to stderr, one
// line each; they name files, objects, Secrets and keys, never a value.
func render(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write each base's file to <dir>/<namespace>/<base>/<MAC>.xml instead of standard output")
	namespace := fs.String("namespace", "default", "namespace of objects that name none")
	serverURL := fs.String("server-url", "", "the manager's --server-url, for firmware files that its provisioning server serves (spec.firmware.*.file)")
	nowFlag := fs.String("now", "", "render as at this instant (RFC 3339), so that two renders of the same objects give the same bytes for every registration window mode; default: the current time")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: dect-operator render [-o dir] [--namespace ns] [--now RFC3339] FILE|DIR|-...\n\n"+
			"Renders the provisioning file of each DectBase found in the YAML files (- reads standard\n"+
			"input), with its Handsets and Secrets, as the operator stores it in the base's ConfigMap\n"+
			"(no secrets) when the objects are applied at once and rendered at the instant --now.\n"+
			"Handsets without a pinned slot take the first free slots in the order of their names, as\n"+
			"the cluster gives them when they are created in the same second. Secrets that are\n"+
			"SOPS-encrypted, sealed, external or absent leave their credentials out (noted on\n"+
			"stderr); templates and other YAML are skipped with a note. Exits 1 on any problem the\n"+
			"operator would report, and on two objects with one kind, namespace and name.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no input files")
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("--now: %w", err)
		}
		now = t
	}
	set, err := offline.LoadFrom(stdin, fs.Args(), *namespace)
	for _, n := range set.Notes {
		fmt.Fprintf(stderr, "dect-operator render: note: %s\n", n)
	}
	if err != nil {
		return err
	}
	set.ServerURL = *serverURL
	if len(set.Bases) == 0 {
		return errors.New("no DectBase in the input")
	}
	files, err := offline.Render(set, now)
	for _, f := range files {
		for _, w := range f.Withheld {
			fmt.Fprintf(stderr, "dect-operator render: note: %s/%s: %s\n", f.Namespace, f.Base, w)
		}
	}
	if err != nil {
		return err
	}
	if *out != "" {
		return offline.Write(*out, files)
	}
	for _, f := range files {
		if _, err := stdout.Write(f.Document); err != nil {
			return err
		}
	}
	return nil
}
