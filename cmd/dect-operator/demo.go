package main

import (
	"flag"
	"os"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dect-operator/dect-operator/internal/demo"
)

func runDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	o := demo.Options{Out: os.Stdout}
	fs.BoolVar(&o.Once, "once", false, "run the flow once and exit 0 only if the simulated device got every account")
	fs.StringVar(&o.CRDs, "crds", "config/crd/bases", "folder of the CRDs")
	fs.StringVar(&o.Samples, "samples", "config/samples", "folder of the sample objects (a kustomization)")
	fs.StringVar(&o.Workdir, "workdir", ".demo", "folder for the demo's kubeconfig")
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8088", "address of the provisioning server")
	fs.StringVar(&o.Namespace, "namespace", "telephony", "namespace of the sample objects")
	zopts := zap.Options{Development: false}
	zopts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The demo prints its own story; the operator's logs show errors only.
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zopts), zap.Level(zapcore.ErrorLevel)))
	return demo.Run(ctrl.SetupSignalHandler(), o)
}
