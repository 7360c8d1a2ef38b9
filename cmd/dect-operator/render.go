package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/dect-operator/dect-operator/internal/offline"
)

func runRender(args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	out := fs.String("o", "", "write each base's file to <dir>/<namespace>/<base>/<MAC>.xml instead of standard output")
	namespace := fs.String("namespace", "default", "namespace of objects that name none")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: dect-operator render [-o dir] [--namespace ns] FILE|DIR...\n\n"+
			"Renders the provisioning file of each DectBase found in the YAML files, with its Handsets\n"+
			"and Secrets, exactly as the operator stores it in the base's ConfigMap (no secrets).\n"+
			"Handsets take slots in the order they are read. Exits 1 on any problem the operator\n"+
			"would report, naming the file and object.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no input files")
	}
	set, err := offline.Load(fs.Args(), *namespace)
	if err != nil {
		return err
	}
	if len(set.Bases) == 0 {
		return errors.New("no DectBase in the input")
	}
	files, err := offline.Render(set)
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
