// Command secretmem measures the manager's memory in a cluster full of Secrets that are
// none of its business. It starts a control plane (envtest), creates -secrets Secrets of
// -size bytes each (by default 2,000 of 10 KiB), none labelled consumable, spread over
// -namespaces namespaces, then one DectBase with the three handsets of Gigaset's example
// (their Secrets labelled), starts the manager of a dect-operator binary, waits until
// the base is Ready, lets it settle, and prints the manager's resident memory (VmRSS)
// and its peak (VmHWM).
//
// -binary runs another build, e.g. one of the main branch, to compare:
//
//	git worktree add /tmp/before main && (cd /tmp/before && go build -o dect-operator ./cmd/dect-operator)
//	go run ./hack/secretmem -binary /tmp/before/dect-operator
//	go run ./hack/secretmem
//
// It is run by `make bench`; KUBEBUILDER_ASSETS must be set. Figures are printed, never
// judged.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

type config struct {
	secrets, size, namespaces, workers int
	binary                             string
	settle, timeout                    time.Duration
}

func main() {
	var c config
	flag.IntVar(&c.secrets, "secrets", 2000, "unrelated Secrets, none labelled consumable")
	flag.IntVar(&c.size, "size", 10<<10, "bytes of data in each unrelated Secret")
	flag.IntVar(&c.namespaces, "namespaces", 10, "namespaces the unrelated Secrets are spread over")
	flag.IntVar(&c.workers, "workers", 8, "clients creating Secrets at once")
	flag.StringVar(&c.binary, "binary", "", "dect-operator binary whose manager is measured; empty builds this tree's")
	flag.DurationVar(&c.settle, "settle", 5*time.Second, "time after the base is Ready before memory is read")
	flag.DurationVar(&c.timeout, "timeout", 5*time.Minute, "give up waiting for the base after this long")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "secretmem:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "secretmem %s: "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(c config) error {
	dir, err := os.MkdirTemp("", "dect-secretmem-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	binary := c.binary
	if binary == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			return err
		}
		binary = filepath.Join(dir, "dect-operator")
		logf("building %s", binary)
		build := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/dect-operator")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building the binary: %v\n%s", err, out)
		}
	}

	logf("starting the API server")
	cp, err := testenv.StartControlPlane(dir)
	if err != nil {
		return err
	}
	defer cp.Stop()
	k := cp.Client

	logf("creating %d Secrets of %d bytes in %d namespaces", c.secrets, c.size, c.namespaces)
	start := time.Now()
	for i := range c.namespaces {
		if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("unrelated-%d", i)}}); err != nil {
			return err
		}
	}
	if err := createSecrets(ctx, k, c); err != nil {
		return err
	}
	logf("created in %v", time.Since(start).Round(time.Millisecond))

	const ns = "telephony"
	if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	if err := k.Create(ctx, &dectv1alpha1.DectBase{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "office"},
		Spec:       dectv1alpha1.DectBaseSpec{MACAddress: "7C2F80CA21E4", SIP: &dectv1alpha1.SIPProvider{Domain: "pbx.example.com"}},
	}); err != nil {
		return err
	}
	for _, h := range testenv.Example {
		if err := k.Create(ctx, h.Secret(ns)); err != nil {
			return err
		}
		if err := k.Create(ctx, h.Handset(ns, "office")); err != nil {
			return err
		}
	}

	manager := &testenv.Process{
		Name: "manager", Path: binary, LogPath: filepath.Join(dir, "manager.log"),
		Env:  append(os.Environ(), "KUBECONFIG="+cp.Kubeconfig),
		Args: []string{"manager", "--metrics-bind-address=0", "--health-probe-bind-address=0", "--server-url=http://127.0.0.1:1"},
	}
	logf("starting %s", manager)
	if err := manager.Start(); err != nil {
		return err
	}
	defer func() { _ = manager.Stop(10 * time.Second) }()
	started := time.Now()
	if err := waitReady(ctx, k, manager, types.NamespacedName{Namespace: ns, Name: "office"}, c.timeout); err != nil {
		log, _ := os.ReadFile(manager.LogPath)
		return fmt.Errorf("%w; the manager's log:\n%s", err, tail(string(log), 20))
	}
	ready := time.Since(started)
	time.Sleep(c.settle)
	rss, err := manager.RSS()
	if err != nil {
		return err
	}
	peak, err := manager.PeakRSS()
	if err != nil {
		return err
	}
	fmt.Printf("binary\t%s\n", binary)
	fmt.Printf("unrelated Secrets\t%d x %d bytes in %d namespaces (%.1f MiB of data)\n",
		c.secrets, c.size, c.namespaces, float64(c.secrets*c.size)/(1<<20))
	fmt.Printf("manager start to base Ready\t%v\n", ready.Round(time.Millisecond))
	fmt.Printf("manager RSS (VmRSS), %v after Ready\t%.1f MiB\n", c.settle, float64(rss)/(1<<20))
	fmt.Printf("manager peak RSS (VmHWM)\t%.1f MiB\n", float64(peak)/(1<<20))
	return nil
}

// createSecrets creates c.secrets unlabelled Secrets of c.size bytes, c.workers at once.
func createSecrets(ctx context.Context, k client.Client, c config) error {
	data := []byte(strings.Repeat("x", c.size))
	jobs := make(chan int)
	errs := make(chan error, c.workers)
	var wg sync.WaitGroup
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				s := &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("unrelated-%d", i%c.namespaces), Name: fmt.Sprintf("app-%d", i)},
					Data:       map[string][]byte{"blob": data},
				}
				if err := k.Create(ctx, s); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := range c.secrets {
		select {
		case jobs <- i:
		case err = <-errs:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err = <-errs:
	default:
	}
	return err
}

// waitReady waits until the DectBase is Ready for its current generation.
func waitReady(ctx context.Context, k client.Client, p *testenv.Process, key types.NamespacedName, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var b dectv1alpha1.DectBase
		err := k.Get(ctx, key, &b)
		if err == nil && b.Status.ObservedGeneration == b.Generation &&
			meta.IsStatusConditionTrue(b.Status.Conditions, dectv1alpha1.ConditionReady) {
			return nil
		}
		select {
		case <-p.Exited():
			return fmt.Errorf("the manager exited: %v", p.ExitErr())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("DectBase %s not Ready after %v (get: %v)", key, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
