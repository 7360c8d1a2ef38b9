// The demo: see main.go.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/fakeclock"
	"github.com/dect-operator/dect-operator/internal/simulator"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// Options configure a demo run.
type Options struct {
	// Once runs the flow and returns: nil only if the simulated device got every account.
	Once bool
	// Binary is the dect-operator binary to run; empty builds one.
	Binary string
	// Samples is the folder of the sample objects.
	Samples string
	// Workdir receives the kubeconfig.
	Workdir string
	// Addr is the provisioning server's address; "127.0.0.1:0" picks a free port.
	Addr string
	// Namespace the samples are applied to.
	Namespace string
	Out       io.Writer
}

// Run runs the demo until ctx is done (or, with Once, until the flow is through).
func Run(ctx context.Context, o Options) (err error) {
	out := o.Out
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	if err := os.MkdirAll(o.Workdir, 0o700); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "dect-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	addr := o.Addr
	if strings.HasSuffix(addr, ":0") {
		ports, err := testenv.FreePorts(1)
		if err != nil {
			return err
		}
		addr = fmt.Sprintf("%s:%d", strings.TrimSuffix(addr, ":0"), ports[0])
	}
	if o.Binary == "" {
		say("Building the operator from this checkout...")
	}
	say("Starting a local control plane (kube-apiserver and etcd) and the operator's manager and server...")
	stack, err := testenv.Start(ctx, testenv.Options{Dir: dir, Binary: o.Binary, ServerAddr: addr,
		DeliveryRecordInterval: time.Second})
	if err != nil {
		return err
	}
	defer stack.Stop()
	kubeconfig, err := filepath.Abs(filepath.Join(o.Workdir, "kubeconfig"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(kubeconfig, stack.Env.KubeConfig, 0o600); err != nil {
		return err
	}
	c, serverURL := stack.Client, stack.ServerURL
	say("Operator (manager and provisioning server) running; devices fetch from %s", serverURL)

	base, err := applySamples(ctx, c, o.Samples, o.Namespace)
	if err != nil {
		return err
	}
	say("Applied %s to namespace %s.", o.Samples, o.Namespace)
	if err := waitReady(ctx, c, o.Namespace, say); err != nil {
		return err
	}

	dev, clock, err := fetchAndRegister(ctx, base, serverURL, say)
	if err != nil {
		return err
	}
	accounts := 0
	for i := range simulator.NumSlots {
		if dev.Slot(i).Active {
			accounts++
		}
	}
	if o.Once {
		if accounts != 3 {
			return fmt.Errorf("the simulated device got %d accounts, want 3", accounts)
		}
		say("\nThe simulated device got all %d accounts.", accounts)
		return nil
	}

	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	say(`
Try, in another terminal:
  export KUBECONFIG=%s
  %s get dect -n %s
  %s describe dectbase %s -n %s
  curl -s %s/%s.xml | iconv -f ISO-8859-1
  %s patch handset hs-1014 -n %s --type merge -p '{"spec":{"sip":{"displayName":"Jürgen Müller"}}}'

The simulated device checks for a new file every 10 seconds, as its update timer does.
Press Ctrl-C to stop.`, kubeconfig, kubectl, o.Namespace, kubectl, base.Name, o.Namespace, serverURL, base.Status.MACAddress, kubectl, o.Namespace)

	ticker := time.NewTicker(10 * time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			say("\nStopping.")
			return nil
		case <-ticker.C:
			res, err := dev.Fetch(ctx, serverURL)
			if err != nil {
				say("device: fetch failed: %v", err)
				continue
			}
			if res.StatusCode == 200 && res.Applied {
				clock.Advance(simulator.OpeningDelay + time.Second)
				say("\ndevice: fetched a new file (%d items applied):\n%s", res.ItemsApplied, dev.Summary())
			}
		}
	}
}

// fetchAndRegister makes the simulated device fetch its file, and its handsets register.
// The device runs on simulated time so that the 30-second opening delay of the
// registration window passes at once.
func fetchAndRegister(ctx context.Context, base *dectv1alpha1.DectBase, url string, say func(string, ...any)) (*simulator.Device, *fakeclock.Clock, error) {
	clock := fakeclock.New(time.Now())
	dev, err := simulator.New(simulator.Config{MAC: base.Spec.MACAddress, MACID: macIDFor(base.Status.MACAddress), Clock: clock})
	if err != nil {
		return nil, nil, err
	}
	res, err := dev.Fetch(ctx, url)
	if err != nil {
		return nil, nil, fmt.Errorf("the simulated device could not fetch its file: %w", err)
	}
	if res.StatusCode != 200 || !res.Applied {
		return nil, nil, fmt.Errorf("the simulated device got status %d and applied nothing (%s)", res.StatusCode, res.IgnoreReason)
	}
	say("\nSimulated N720 %s fetched %s: %d bytes, %d items applied.", dev.MAC(), res.URL, res.Bytes, res.ItemsApplied)

	clock.Advance(simulator.OpeningDelay + time.Second)
	for i := range simulator.NumSlots {
		s := dev.Slot(i)
		if s.Active && !s.Reserved.IsNone() {
			if err := dev.Register(s.Reserved.String(), "0000"); err != nil {
				say("handset %s could not register: %v", s.Reserved, err)
			}
		}
	}
	say("%s", dev.Summary())
	return dev, clock, nil
}

// macIDFor makes up the label code of the simulated device (the samples configure no
// authentication, so it is never asked for).
func macIDFor(mac string) string { return mac + "-0000" }

func waitReady(ctx context.Context, c client.Client, ns string, say func(string, ...any)) error {
	deadline := time.Now().Add(time.Minute)
	for {
		var bases dectv1alpha1.DectBaseList
		var handsets dectv1alpha1.HandsetList
		if err := c.List(ctx, &bases, client.InNamespace(ns)); err != nil {
			return err
		}
		if err := c.List(ctx, &handsets, client.InNamespace(ns)); err != nil {
			return err
		}
		var waiting []string
		for _, b := range bases.Items {
			if !meta.IsStatusConditionTrue(b.Status.Conditions, dectv1alpha1.ConditionReady) {
				waiting = append(waiting, "DectBase "+b.Name)
			}
		}
		for _, h := range handsets.Items {
			if !meta.IsStatusConditionTrue(h.Status.Conditions, dectv1alpha1.ConditionReady) {
				waiting = append(waiting, "Handset "+h.Name)
			}
		}
		if len(waiting) == 0 {
			say("DectBase and %d Handsets are Ready.", len(handsets.Items))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not Ready after a minute: %s", strings.Join(waiting, ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// applySamples creates the objects of the samples folder's kustomization, in its order,
// and returns the DectBase once the operator has reported on it.
func applySamples(ctx context.Context, c client.Client, dir, ns string) (*dectv1alpha1.DectBase, error) {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("%s/kustomization.yaml: %w", dir, err)
	}
	var baseName string
	for _, file := range k.Resources {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(data)), 4096)
		for {
			var u unstructured.Unstructured
			if err := dec.Decode(&u.Object); err == io.EOF {
				break
			} else if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			if len(u.Object) == 0 {
				continue
			}
			u.SetNamespace(ns)
			if err := c.Create(ctx, &u); err != nil {
				return nil, fmt.Errorf("%s: creating %s %s: %w", file, u.GetKind(), u.GetName(), err)
			}
			if u.GetKind() == "DectBase" {
				baseName = u.GetName()
			}
		}
	}
	if baseName == "" {
		return nil, fmt.Errorf("%s holds no DectBase", dir)
	}
	var base dectv1alpha1.DectBase
	for {
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: baseName}, &base); err != nil {
			return nil, err
		}
		if base.Status.MACAddress != "" {
			return &base, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
