package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/dect-operator/dect-operator/internal/offline"
)

func runRender(args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	out := fs.String("o", "", "write each base's file to <dir>/<namespace>/<base>/<MAC>.xml instead of standard output")
	namespace := fs.String("namespace", "default", "namespace of objects that name none")
	serverURL := fs.String("server-url", "", "the manager's --server-url, for firmware files that its provisioning server serves (spec.firmware.*.file)")
	nowFlag := fs.String("now", "", "render as at this instant (RFC 3339), so that two renders of the same objects give the same bytes for every registration window mode; default: the current time")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: dect-operator render [-o dir] [--namespace ns] [--now RFC3339] FILE|DIR...\n\n"+
			"Renders the provisioning file of each DectBase found in the YAML files, with its Handsets\n"+
			"and Secrets, as the operator stores it in the base's ConfigMap (no secrets) when it\n"+
			"renders at the instant --now. Handsets take slots in the order they are read. Exits 1\n"+
			"on any problem the operator would report, naming the file and object.")
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
	set, err := offline.Load(fs.Args(), *namespace)
	if err != nil {
		return err
	}
	set.ServerURL = *serverURL
	if len(set.Bases) == 0 {
		return errors.New("no DectBase in the input")
	}
	files, err := offline.Render(set, now)
	if err != nil {
		return err
	}
	if *out != "" {
		return offline.Write(*out, files)
	}
	for _, f := range files {
		if _, err := os.Stdout.Write(f.Document); err != nil {
			return err
		}
	}
	return nil
}
