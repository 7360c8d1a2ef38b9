package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dect-operator/dect-operator/internal/scheme"
	"github.com/dect-operator/dect-operator/internal/slotexport"
)

// runSlots writes the live slot table back for Git: `slots export` prints a spec.slot
// pin for every Handset that holds a slot its manifest does not pin.
func runSlots(args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return errors.New("usage: dect-operator slots export [-n namespace] [--base name] [--kubeconfig file]")
	}
	fs := flag.NewFlagSet("slots export", flag.ContinueOnError)
	namespace := fs.String("n", "", "namespace of the Handsets (default: every namespace)")
	base := fs.String("base", "", "only the Handsets of this DectBase")
	if err := parseClusterFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return fmt.Errorf("connecting to the cluster: %w", err)
	}
	return slotexport.Write(ctrl.SetupSignalHandler(), c, *namespace, *base, os.Stdout)
}
