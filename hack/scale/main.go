// Command scale measures the operator at the size of a large installation: many bases
// of 100 handsets each, declared at once, with the real binary's manager and server as
// separate processes against a real API server (envtest), and simulated N720s fetching
// their files. It prints:
//
//   - the time until every base is Ready with all its handsets and its device is served
//     a file that holds them all;
//   - the API writes of the operator's two processes, in total and per handset, from
//     the API server's own request counters (apiserver_request_total), less the writes
//     this program made itself;
//   - the peak memory of the manager and of the server: anonymous (heap, stacks and
//     runtime data, sampled) and all resident (VmHWM, which also counts the pages of the
//     executable); with -manager-limit, the manager runs as under a container memory
//     limit (GOMEMLIMIT, as internal/memlimit sets it) and the report tells whether its
//     anonymous memory stayed within;
//   - the time from one Handset change until its device is served the change (median of
//     several changes, one at a time);
//   - the API writes during a minute at rest.
//
// The API server's own write rate is the limit every figure is read against: before the
// operator's run, the same objects are created by the same clients on a control plane
// of their own with no operator running (the bare creation time), and convergence is
// reported as a ratio to it. With -pairs N, the bare creation and the convergence are
// timed N times, one pair after the other, and the ratio reported is the median pair's:
// a machine whose speed drifts over minutes makes one pair's ratio a poor measure.
//
// With -sizes, it runs once per fleet size, each on fresh control planes, and ends with
// one table of all of them (the growth curve). It is run by hack/scale.sh (part of `make
// bench`); KUBEBUILDER_ASSETS must be set. Figures are printed, never judged: a slow
// machine gives slow figures.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/memlimit"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/simulator"
	"github.com/dect-operator/dect-operator/internal/testenv"
	"github.com/dect-operator/dect-operator/internal/window"
)

type config struct {
	bases, handsets, changes, workers int
	shards, pairs                     int
	idle, poll, timeout               time.Duration
	keep, bare, profile, profileTail  bool
	profileFrom, profileFor           time.Duration // -profile's CPU profile window
	// managerLimit is the managers' memory limit per 1,000 handsets above
	// managerLimitBase, in MiB; 0: none.
	managerLimit float64
}

// managerLimitBase is the fixed part of the manager's memory limit (docs/scale.md).
const managerLimitBase = 100

func main() {
	var c config
	var sizes string
	flag.IntVar(&c.bases, "bases", 50, "DectBases, one namespace each (at most 4096)")
	flag.IntVar(&c.handsets, "handsets", 100, "Handsets per base (at most 100)")
	flag.StringVar(&sizes, "sizes", "", "comma-separated fleet sizes in handsets (e.g. 5000,10000,20000): one run each, of size/handsets bases, and a table of all; overrides -bases")
	flag.IntVar(&c.shards, "shards", 0, "run this many manager shards (manager --shard-selector), the namespaces labelled "+shardLabel+"=s<i> in turn; 0: one manager for all")
	flag.BoolVar(&c.bare, "bare", true, "first time the creation of the same objects with no operator running, on a control plane of its own")
	flag.IntVar(&c.pairs, "pairs", 1, "time the bare creation and the convergence this many times, one pair after the other, each on fresh control planes; the ratio reported is the median pair's (this machine's speed drifts over minutes: one pair's ratio says little). Only the last pair goes on to the changes and the rest")
	flag.IntVar(&c.changes, "changes", 20, "single Handset changes timed one after the other")
	flag.IntVar(&c.workers, "workers", 16, "clients creating objects at once")
	flag.DurationVar(&c.idle, "idle", time.Minute, "time at rest during which writes are counted")
	flag.DurationVar(&c.poll, "poll", 10*time.Second, "after the quiet rest, rest again as long with every device re-checking its file this often; 0 skips it")
	flag.DurationVar(&c.timeout, "timeout", 20*time.Minute, "give up converging after this long")
	flag.BoolVar(&c.keep, "keep", false, "keep the work folder (binary, kubeconfig, logs)")
	flag.Float64Var(&c.managerLimit, "manager-limit", 0, fmt.Sprintf("run each manager as under a container memory limit of %d MiB + this many MiB per 1,000 handsets: GOMEMLIMIT at %.0f %% of it, as internal/memlimit sets it in a container; the report tells whether its anonymous memory (what the limit must hold) stayed within it. 0: no limit", managerLimitBase, 100*memlimit.DefaultFraction))
	flag.BoolVar(&c.profile, "profile", false, "save CPU profiles of the manager and the API server during the apply (and of the API server during the bare creation, the same window), and both processes' heap profiles once every base is served and once the writes stopped, into the work folder (kept)")
	flag.DurationVar(&c.profileFrom, "profile-from", 0, "with -profile: start the CPU profiles this long after the apply began (e.g. the bare creation time, to see the tail after the apply)")
	flag.DurationVar(&c.profileFor, "profile-for", 0, "with -profile: profile CPU this long; 0: as long as the bare creation took (5 s with -profile-tail)")
	flag.BoolVar(&c.profileTail, "profile-tail", false, "with -profile: start the CPU profiles when the apply ends, instead of -profile-from after it began: the tail, every base's run after the apply")
	flag.Parse()
	ctrllog.SetLogger(logr.Discard()) // envtest's own progress lines are not this report's
	if err := runAll(c, sizes); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// runAll runs once, or once per size of sizes, and prints the reports.
func runAll(c config, sizes string) error {
	if sizes == "" {
		r, err := run(c)
		if err != nil {
			return err
		}
		r.print(os.Stdout)
		return nil
	}
	var reports []*report
	for _, f := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < c.handsets || n%c.handsets != 0 {
			return fmt.Errorf("size %q: want a multiple of -handsets (%d)", f, c.handsets)
		}
		c.bases = n / c.handsets
		logf("---- %d handsets: %d bases x %d ----", n, c.bases, c.handsets)
		r, err := run(c)
		if err != nil {
			return fmt.Errorf("%d handsets: %w", n, err)
		}
		r.print(os.Stdout)
		fmt.Println()
		reports = append(reports, r)
	}
	printTable(os.Stdout, reports)
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scale %s: "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// base is one declared base and the simulated device that fetches its file.
type base struct {
	ns, name string
	dev      *simulator.Device
	users    []string // SIP user of handset i
	served   time.Duration
	ready    time.Duration // when the watch first showed it Ready (since the apply began)
	misses   int           // fetches of it while Ready that were not yet served it all
}

func run(c config) (*report, error) {
	if c.handsets < 1 || c.handsets > simulator.NumSlots || c.bases < 1 || c.bases > 4096 || c.changes < 0 || c.pairs < 1 {
		return nil, errors.New("want 1..100 handsets per base, 1..4096 bases, changes >= 0 and pairs >= 1")
	}
	if c.pairs > 1 && !c.bare {
		return nil, errors.New("-pairs times the convergence against the bare creation: not with -bare=false")
	}
	dir, err := os.MkdirTemp("", "dect-scale-")
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	var r report
	r.config = c
	opts := testenv.Options{Dir: dir, Logf: logf}
	if c.managerLimit > 0 {
		r.managerLimit = int64((managerLimitBase + c.managerLimit*float64(c.bases*c.handsets)/1000) * (1 << 20))
		opts.ManagerEnv = []string{fmt.Sprintf("GOMEMLIMIT=%d", int64(float64(r.managerLimit)*memlimit.DefaultFraction))}
		logf("managers run as under a memory limit of %.0f MiB (%s)", mib(r.managerLimit), opts.ManagerEnv[0])
	}
	for i := range c.shards {
		opts.Shards = append(opts.Shards, fmt.Sprintf("%s=s%d", shardLabel, i))
	}
	for i := 1; i < c.pairs; i++ {
		p, binary, err := convergencePair(ctx, c, opts, filepath.Join(dir, fmt.Sprintf("pair-%d", i)))
		if err != nil {
			return nil, fmt.Errorf("pair %d: %w", i, err)
		}
		opts.Binary = binary
		r.pairs = append(r.pairs, p)
		logf("pair %d of %d: bare creation %v, every base Ready and served after %v (apply %v): ratio %.2f",
			i, c.pairs, p.bare.Round(time.Millisecond), p.served.Round(time.Millisecond), p.apply.Round(time.Millisecond), p.ratio())
	}
	if c.bare {
		if r.bare, r.bareCPU, err = bareCreation(ctx, c, filepath.Join(dir, "bare")); err != nil {
			return nil, err
		}
		logf("bare creation (no operator): %v; CPU: API server %.1f s, etcd %.1f s", r.bare.Round(time.Millisecond), r.bareCPU.apiserver, r.bareCPU.etcd)
	}
	var pprofAddrs []string // the manager's and the server's profile addresses
	if c.profile && c.shards > 0 {
		return nil, errors.New("-profile runs one manager: not with -shards")
	}
	if c.profile {
		c.keep = true
		ports, err := testenv.FreePorts(2)
		if err != nil {
			return nil, err
		}
		pprofAddrs = []string{fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])}
		opts.ManagerArgs, opts.ServerArgs = []string{"--pprof-addr=" + pprofAddrs[0]}, []string{"--pprof-addr=" + pprofAddrs[1]}
	}
	s, err := testenv.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	anon := sampleAnon(sampling, s)
	saveHeaps := func(when string) {
		for i, who := range []string{"manager", "server"} {
			if len(pprofAddrs) == 0 {
				return
			}
			path := filepath.Join(dir, fmt.Sprintf("%s-heap-%s.pb.gz", who, when))
			if err := download("http://"+pprofAddrs[i]+"/debug/pprof/heap", path); err != nil {
				logf("heap profile of the %s: %v", who, err)
				continue
			}
			logf("heap profile of the %s %s: go tool pprof -top -sample_index=inuse_space %s", who, when, path)
		}
	}
	defer func() {
		s.Stop()
		if c.keep {
			logf("work folder kept: %s", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()
	d, err := newDriver(c, s)
	if err != nil {
		return nil, err
	}
	m := d.m

	// ---- 1. declare everything at once, wait until every base is Ready and served ----
	before, err := m.writes(ctx)
	if err != nil {
		return nil, err
	}
	appliedCh := make(chan struct{})
	if len(pprofAddrs) > 0 {
		// Where the CPU goes while the objects arrive: as long as the bare creation took
		// (or 30 s), unless -profile-from, -profile-for or -profile-tail choose the window.
		seconds := int(cmp.Or(c.profileFor, r.bare, 30*time.Second).Seconds()) + 1
		wait := func() { time.Sleep(c.profileFrom) }
		window := fmt.Sprintf("%v to %v after the apply began", c.profileFrom, c.profileFrom+time.Duration(seconds)*time.Second)
		if c.profileTail {
			seconds = int(cmp.Or(c.profileFor, 5*time.Second).Seconds())
			wait = func() { <-appliedCh }
			window = fmt.Sprintf("the %d s after the apply ended", seconds)
		}
		go func() {
			wait()
			path := filepath.Join(dir, "manager-cpu.pb.gz")
			if err := download(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddrs[0], seconds), path); err != nil {
				logf("CPU profile of the manager: %v", err)
				return
			}
			logf("CPU profile of the manager, %s: go tool pprof -top %s", window, path)
		}()
		profileAPIServer(ctx, m.cs, wait, seconds, filepath.Join(dir, "apiserver-cpu.pb.gz"), "", window)
		go profileSelf(wait, seconds, filepath.Join(dir, "driver-cpu.pb.gz"), window)
	}
	cpu0 := controlPlaneCPU()
	start := time.Now()
	bases, err := d.declare(ctx)
	if err != nil {
		return nil, err
	}
	r.created = time.Since(start)
	close(appliedCh)
	applied := controlPlaneCPU().minus(cpu0)
	driverCPU := cpuSeconds(os.Getpid())
	logf("declared %d bases and %d handsets in %v; CPU until then: manager %.1f s, server %.1f s, API server %.1f s, etcd %.1f s",
		c.bases, c.bases*c.handsets, r.created.Round(time.Millisecond), managersCPU(s), cpuSeconds(s.Server.Pid()), applied.apiserver, applied.etcd)
	if r.converged, err = d.waitConverged(ctx, bases, start); err != nil {
		return nil, err
	}
	if c.bare {
		r.pairs = append(r.pairs, pair{bare: r.bare, apply: r.created, served: r.converged})
	}
	r.runs, _ = scrape(d.managerMetrics, "controller_runtime_reconcile_total", `controller="dectbase"`)
	if served, err := m.writes(ctx); err == nil {
		r.servedWrites = m.operatorWrites(before, served)
	}
	r.managerCPU, r.serverCPU = managersCPU(s), cpuSeconds(s.Server.Pid())
	r.controlCPU = controlPlaneCPU().minus(cpu0)
	logf("every base Ready and served after %v (apply %v); CPU until then: manager %.1f s, server %.1f s, API server %.1f s, etcd %.1f s; operator writes %.0f",
		r.converged.Round(time.Millisecond), r.created.Round(time.Millisecond), r.managerCPU, r.serverCPU, r.controlCPU.apiserver, r.controlCPU.etcd, sum(r.servedWrites))
	logTail(bases, r.created)
	logf("this driver (the devices' fetches) used %.1f s of CPU after the apply", cpuSeconds(os.Getpid())-driverCPU)
	saveHeaps("served")
	// The first half of the changes while the statuses are still being written.
	settling := time.Now()
	if err := d.timeChanges(ctx, bases, 0, c.changes/2, &r, "while settling"); err != nil {
		return nil, err
	}
	changed := time.Since(settling)
	// The status writer writes 100 statuses a second (--kube-api-qps): allow twice the
	// time that takes.
	settleLimit := max(10*time.Minute, time.Duration(c.bases*c.handsets/50)*time.Second)
	quiet, err := m.waitQuiet(ctx, 10*time.Second, settleLimit)
	r.settled = changed + quiet
	if err != nil {
		return nil, err
	}
	after, err := m.writes(ctx)
	if err != nil {
		return nil, err
	}
	r.convergeWrites = m.operatorWrites(before, after)
	r.runsSettled, _ = scrape(d.managerMetrics, "controller_runtime_reconcile_total", `controller="dectbase"`)
	saveHeaps("settled")
	r.managerPeak = managersPeak(s)
	r.serverPeak, _ = s.Server.PeakRSS()

	// ---- 2. one change at a time, until the device is served it: the second half of
	// them at rest (the first half ran above, while the fleet settled) ----
	if err := d.timeChanges(ctx, bases, c.changes/2, c.changes, &r, "at rest"); err != nil {
		return nil, err
	}
	if _, err := m.waitQuiet(ctx, 5*time.Second, 2*time.Minute); err != nil {
		return nil, err
	}

	// The devices armed their registration windows when they applied the changed files;
	// the windows open 30 s later and the operator reports it on the base and on every
	// reserved handset. That is a change of state, not rest: it is counted on its own.
	logf("waiting for the registration windows armed by the changes to open")
	before, err = m.writes(ctx)
	if err != nil {
		return nil, err
	}
	time.Sleep(window.OpenDelay + 5*time.Second)
	if _, err := m.waitQuiet(ctx, 5*time.Second, 2*time.Minute); err != nil {
		return nil, err
	}
	after, err = m.writes(ctx)
	if err != nil {
		return nil, err
	}
	r.windowWrites = m.operatorWrites(before, after)

	// ---- 3. at rest ----
	logf("at rest for %v", c.idle)
	before, err = m.writes(ctx)
	if err != nil {
		return nil, err
	}
	time.Sleep(c.idle)
	after, err = m.writes(ctx)
	if err != nil {
		return nil, err
	}
	r.idleWrites = m.operatorWrites(before, after)

	// ---- 4. at rest, with devices that re-check their files ----
	if c.poll > 0 {
		logf("at rest for %v, every device re-checking its file every %v", c.idle, c.poll)
		if r.polls, r.pollWrites, err = d.restPolling(ctx, bases, m); err != nil {
			return nil, err
		}
	}
	r.managerPeak = max(r.managerPeak, managersPeak(s))
	if p, err := s.Server.PeakRSS(); err == nil {
		r.serverPeak = max(r.serverPeak, p)
	}
	r.managerAnon, r.serverAnon = anon.manager.Load(), anon.server.Load()
	return &r, nil
}

// logTail splits the time after the apply ended: until the bases turned Ready (their
// files stored and their statuses written) and from each one's Ready until its device
// was served its file (the way to the provisioning server, and the fetch).
func logTail(bases []*base, applied time.Duration) {
	if len(bases) == 0 {
		return
	}
	readies := make([]time.Duration, 0, len(bases))
	var lag []time.Duration // from Ready to served
	misses := 0
	for _, b := range bases {
		readies = append(readies, b.ready-applied)
		lag = append(lag, b.served-b.ready)
		misses += b.misses
	}
	slices.Sort(readies)
	slices.Sort(lag)
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	logf("after the apply: first base Ready +%v, median +%v, last +%v; Ready to served: median %v, max %v; %d fetches of Ready bases not yet served everything",
		r(readies[0]), r(median(readies)), r(readies[len(readies)-1]), r(median(lag)), r(lag[len(lag)-1]), misses)
}

// profileSelf saves a CPU profile of this process (the driver and its simulated
// devices, on the same cores as the operator) over the same window as the others.
func profileSelf(wait func(), seconds int, path, window string) {
	wait()
	f, err := os.Create(path)
	if err != nil {
		logf("CPU profile of the driver: %v", err)
		return
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		logf("CPU profile of the driver: %v", err)
		return
	}
	time.Sleep(time.Duration(seconds) * time.Second)
	pprof.StopCPUProfile()
	logf("CPU profile of the driver, %s: go tool pprof -top %s", window, path)
}

// pair is one timing of the fleet's convergence and, just before it, of its bare
// creation, each on a control plane of its own.
type pair struct{ bare, apply, served time.Duration }

func (p pair) ratio() float64 { return p.served.Seconds() / p.bare.Seconds() }

// convergencePair times the bare creation of the fleet, then its convergence with the
// operator of opts running, in dir; it returns the operator's binary for the next
// stack.
func convergencePair(ctx context.Context, c config, opts testenv.Options, dir string) (pair, string, error) {
	var p pair
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return p, "", err
	}
	var err error
	c.profile = false // -profile is the last pair's
	if p.bare, _, err = bareCreation(ctx, c, filepath.Join(dir, "bare")); err != nil {
		return p, "", err
	}
	opts.Dir = dir
	s, err := testenv.Start(ctx, opts)
	if err != nil {
		return p, "", err
	}
	defer s.Stop()
	d, err := newDriver(c, s)
	if err != nil {
		return p, "", err
	}
	start := time.Now()
	bases, err := d.declare(ctx)
	if err != nil {
		return p, "", err
	}
	p.apply = time.Since(start)
	if p.served, err = d.waitConverged(ctx, bases, start); err != nil {
		return p, "", err
	}
	return p, s.Binary, nil
}

// bareCreation creates the fleet on a control plane of its own with no operator
// running, with the same clients, and returns the time it took: what the API server
// alone takes to accept the objects.
func bareCreation(ctx context.Context, c config, dir string) (time.Duration, cpuSplit, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, cpuSplit{}, err
	}
	logf("timing the creation of the fleet with no operator running")
	cp, err := testenv.StartControlPlane(dir)
	if err != nil {
		return 0, cpuSplit{}, err
	}
	defer cp.Stop()
	d := &driver{c: c, k: cp.Client, m: &meter{own: map[string]*atomic.Int64{}}}
	profiled := func() {}
	if c.profile {
		// The same window of the bare creation, to compare with the operator's run:
		// go tool pprof -diff_base bare/apiserver-cpu.pb.gz apiserver-cpu.pb.gz
		cs, err := kubernetes.NewForConfig(cp.Config)
		if err != nil {
			return 0, cpuSplit{}, err
		}
		seconds := int(cmp.Or(c.profileFor, 20*time.Second).Seconds()) + 1
		window := fmt.Sprintf("%v to %v after the creation began", c.profileFrom, c.profileFrom+time.Duration(seconds)*time.Second)
		done := profileAPIServer(ctx, cs, func() { time.Sleep(c.profileFrom) }, seconds, filepath.Join(dir, "apiserver-cpu.pb.gz"), " (bare creation)", window)
		profiled = func() { <-done }
	}
	cpu0 := controlPlaneCPU()
	start := time.Now()
	if _, err := d.declare(ctx); err != nil {
		return 0, cpuSplit{}, err
	}
	took, cpu := time.Since(start), controlPlaneCPU().minus(cpu0)
	profiled()
	return took, cpu, nil
}

// profileAPIServer saves a CPU profile of the API server of cs to path, for seconds once
// wait returns; what follows "API server" in the log line, window says when it was. The
// channel is closed once it is saved or failed.
func profileAPIServer(ctx context.Context, cs *kubernetes.Clientset, wait func(), seconds int, path, what, window string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait()
		raw, err := cs.RESTClient().Get().AbsPath("/debug/pprof/profile").Param("seconds", strconv.Itoa(seconds)).DoRaw(ctx)
		if err == nil {
			err = os.WriteFile(path, raw, 0o600)
		}
		if err != nil {
			logf("CPU profile of the API server%s: %v", what, err)
			return
		}
		logf("CPU profile of the API server%s, %s: go tool pprof -top %s", what, window, path)
	}()
	return done
}

// cpuSplit is CPU seconds used by the API server, etcd and this program (the driver
// and the simulated devices).
type cpuSplit struct{ apiserver, etcd, driver float64 }

func (a cpuSplit) minus(b cpuSplit) cpuSplit {
	return cpuSplit{a.apiserver - b.apiserver, a.etcd - b.etcd, a.driver - b.driver}
}

// controlPlaneCPU reads the CPU seconds of this process and of its children named
// kube-apiserver and etcd (envtest starts them).
func controlPlaneCPU() cpuSplit {
	split := cpuSplit{driver: cpuSeconds(os.Getpid())}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		comm, f, ok := procStat(pid)
		if !ok || f[1] != strconv.Itoa(os.Getpid()) { // f[1]: the parent's pid
			continue
		}
		switch comm {
		case "kube-apiserver":
			split.apiserver += statCPU(f)
		case "etcd":
			split.etcd += statCPU(f)
		}
	}
	return split
}

// ---- the driver: what a GitOps tool and the devices do ----

// newDriver returns a driver of the fleet on s, with a meter of s's API writes.
func newDriver(c config, s *testenv.Stack) (*driver, error) {
	m := &meter{stack: s, own: map[string]*atomic.Int64{}}
	var err error
	if m.cs, err = kubernetes.NewForConfig(s.Config); err != nil {
		return nil, err
	}
	d := &driver{c: c, k: s.Client, cs: m.cs, m: m, serverURL: s.ServerURL, managerMetrics: s.ManagerMetricsURL}
	if d.w, err = client.NewWithWatch(s.Config, client.Options{Scheme: s.Client.Scheme()}); err != nil {
		return nil, err
	}
	return d, nil
}

type driver struct {
	c              config
	k              client.Client
	w              client.WithWatch // the bases' watch (waitConverged)
	cs             *kubernetes.Clientset
	m              *meter
	serverURL      string
	managerMetrics string
}

// create creates o and counts the write as the driver's own.
func (d *driver) create(ctx context.Context, o client.Object, resource string) error {
	err := retry.OnError(retry.DefaultBackoff, func(err error) bool { return !isAlreadyExists(err) }, func() error {
		return d.k.Create(ctx, o)
	})
	d.m.ownWrite("POST", resource)
	if err != nil {
		return fmt.Errorf("creating %s %s/%s: %w", resource, o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// declare creates, with several clients at once, each base in a namespace of its own
// with its device's authentication Secret, and its handsets with one password Secret
// each: everything a Git repository of a large installation would hold.
func (d *driver) declare(ctx context.Context) ([]*base, error) {
	bases := make([]*base, d.c.bases)
	var jobs []func() error
	for i := range bases {
		b := &base{ns: fmt.Sprintf("scale-%04d", i), name: "dm"}
		mac := fmt.Sprintf("7C2F80B0%04X", i)
		macID := fmt.Sprintf("%s-S%03d", mac, i)
		dev, err := simulator.New(simulator.Config{MAC: mac, MACID: macID})
		if err != nil {
			return nil, err
		}
		b.dev = dev
		bases[i] = b
		jobs = append(jobs, func() error {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.ns}}
			if d.c.shards > 0 {
				ns.Labels = map[string]string{shardLabel: fmt.Sprintf("s%d", i%d.c.shards)}
			}
			if err := d.create(ctx, ns, "namespaces"); err != nil {
				return err
			}
			if err := d.create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: b.ns, Name: "device-auth", Labels: testenv.Consumable()},
				StringData: map[string]string{"macID": macID}}, "secrets"); err != nil {
				return err
			}
			return d.create(ctx, &dectv1alpha1.DectBase{
				ObjectMeta: metav1.ObjectMeta{Namespace: b.ns, Name: b.name},
				Spec: dectv1alpha1.DectBaseSpec{
					MACAddress:   mac,
					SIP:          &dectv1alpha1.SIPProvider{Domain: "pbx.example.com"},
					Provisioning: dectv1alpha1.Provisioning{AuthSecretRef: &dectv1alpha1.LocalObjectReference{Name: "device-auth"}},
				},
			}, "dectbases")
		})
	}
	if err := d.parallel(jobs); err != nil {
		return nil, err
	}

	jobs = nil
	for i, b := range bases {
		for j := range d.c.handsets {
			user := fmt.Sprintf("%d%03d", 10+i, j)
			b.users = append(b.users, user)
			jobs = append(jobs, func() error {
				if err := d.create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: b.ns, Name: "sip-" + user, Labels: testenv.Consumable()},
					StringData: map[string]string{"password": "pw-" + user}}, "secrets"); err != nil {
					return err
				}
				return d.create(ctx, &dectv1alpha1.Handset{
					ObjectMeta: metav1.ObjectMeta{Namespace: b.ns, Name: "hs-" + user},
					Spec: dectv1alpha1.HandsetSpec{
						BaseRef: dectv1alpha1.LocalObjectReference{Name: b.name},
						IPUI:    fmt.Sprintf("0%04X%05X", 0xB00+i, j),
						SIP: dectv1alpha1.HandsetSIP{UserID: dectv1alpha1.Text(user), DisplayName: dectv1alpha1.Text("User " + user), Mailbox: "*2",
							PasswordSecretRef: dectv1alpha1.SecretKeyRef{Name: "sip-" + user}},
					},
				}, "handsets")
			})
		}
	}
	// Interleave the bases, as a tool applying a whole repository would.
	return bases, d.parallel(interleave(jobs, d.c.bases, d.c.handsets))
}

func interleave(jobs []func() error, bases, per int) []func() error {
	out := make([]func() error, 0, len(jobs))
	for j := range per {
		for i := range bases {
			out = append(out, jobs[i*per+j])
		}
	}
	return out
}

func (d *driver) parallel(jobs []func() error) error {
	work := make(chan func() error)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range d.c.workers {
		wg.Go(func() {
			for job := range work {
				if err := job(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// waitConverged waits until every base is Ready with all its handsets ready, and its
// device has been served a file with every handset's account, and returns when the last
// one was. It watches the bases, as a GitOps tool waiting for health does: listing every
// DectBase (each with a slot table of 100 handsets) four times a second made the API
// server spend more CPU on the driver's polls than on the operator's writes.
func (d *driver) waitConverged(ctx context.Context, bases []*base, start time.Time) (time.Duration, error) {
	ctx, cancel := context.WithDeadline(ctx, start.Add(d.c.timeout))
	defer cancel()
	// Each base's device fetches as soon as the watch shows the base Ready (as a device
	// asked to fetch by a push would), and again shortly after while its file lacks an
	// account; at most workers fetch at once.
	var mu sync.Mutex
	readyAt := map[string]time.Duration{}
	turnedReady := map[string]chan struct{}{}
	for _, b := range bases {
		turnedReady[b.ns] = make(chan struct{})
	}
	err := d.watchBases(ctx, func(item *dectv1alpha1.DectBase) {
		if !baseReady(item, d.c.handsets) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, seen := readyAt[item.Namespace]; !seen {
			readyAt[item.Namespace] = time.Since(start)
			if ch, ok := turnedReady[item.Namespace]; ok {
				close(ch)
			}
		}
	})
	if err != nil {
		return 0, err
	}
	var served atomic.Int32
	fetching := make(chan struct{}, d.c.workers)
	var devices errgroup.Group
	for _, b := range bases {
		devices.Go(func() error {
			select {
			case <-turnedReady[b.ns]:
			case <-ctx.Done():
				return nil // reported below, with the others still pending
			}
			for {
				fetching <- struct{}{}
				ok, err := d.servedAll(ctx, b)
				<-fetching
				if err != nil || ok {
					if ok {
						b.served = time.Since(start)
						served.Add(1)
					}
					return err
				}
				b.misses++
				select {
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
					return nil
				}
			}
		})
	}
	progress := time.NewTicker(10 * time.Second)
	defer progress.Stop()
	done := make(chan error, 1)
	go func() { done <- devices.Wait() }()
	for {
		select {
		case err := <-done:
			mu.Lock()
			for _, b := range bases {
				b.ready = readyAt[b.ns]
			}
			ready := len(readyAt)
			mu.Unlock()
			if err != nil {
				return 0, err
			}
			if n := int(served.Load()); n < len(bases) {
				return 0, fmt.Errorf("not converged after %v: %d bases pending (%d of them Ready)", d.c.timeout, len(bases)-n, ready-n)
			}
			return slices.MaxFunc(bases, func(a, b *base) int { return cmp.Compare(a.served, b.served) }).served, nil
		case <-progress.C:
			mu.Lock()
			ready := len(readyAt)
			mu.Unlock()
			n := int(served.Load())
			logf("%d bases pending, %d of them Ready and waiting to be served", len(bases)-n, ready-n)
		}
	}
}

// watchBases hands seen every DectBase as a watch shows it (list, then watch from its
// version, started anew whenever the API server ends it), until ctx is done.
func (d *driver) watchBases(ctx context.Context, seen func(*dectv1alpha1.DectBase)) error {
	listAndWatch := func() (watch.Interface, error) {
		var list dectv1alpha1.DectBaseList
		if err := d.w.List(ctx, &list); err != nil {
			return nil, err
		}
		for i := range list.Items {
			seen(&list.Items[i])
		}
		return d.w.Watch(ctx, &dectv1alpha1.DectBaseList{}, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})
	}
	w, err := listAndWatch()
	if err != nil {
		return err
	}
	go func() {
		for {
			for ev := range w.ResultChan() {
				if b, ok := ev.Object.(*dectv1alpha1.DectBase); ok && ev.Type != watch.Deleted {
					seen(b)
				}
			}
			if ctx.Err() != nil {
				return
			}
			for {
				if w, err = listAndWatch(); err == nil {
					break
				}
				if ctx.Err() != nil {
					return
				}
				time.Sleep(time.Second)
			}
		}
	}()
	return nil
}

func baseReady(b *dectv1alpha1.DectBase, handsets int) bool {
	c := meta.FindStatusCondition(b.Status.Conditions, dectv1alpha1.ConditionReady)
	h := b.Status.Handsets
	return b.Status.ObservedGeneration == b.Generation && c != nil && c.Status == metav1.ConditionTrue &&
		int(h.Total) == handsets && int(h.Assigned) == handsets && int(h.Ready) == handsets
}

// servedAll makes b's device fetch once and tells whether it now has every account.
func (d *driver) servedAll(ctx context.Context, b *base) (bool, error) {
	res, err := b.dev.Fetch(ctx, d.serverURL)
	if err != nil {
		return false, nil // not served yet (404 before the server has the file, say)
	}
	if res.Ignored {
		return false, fmt.Errorf("device of %s ignored its file: %v", b.ns, res.Errors)
	}
	snap := b.dev.Snapshot()
	active := 0
	for _, s := range snap.Slots {
		if s.Active {
			active++
		}
	}
	return active == len(b.users), nil
}

// change is one timed change: from the Handset's update until the device was served
// it, and until the API server stored the new file (the ConfigMap's watch event), which
// splits the time into the operator's part and the server's.
type change struct {
	phase         string
	served, file  time.Duration
	limiterWaitMs float64 // the manager's clients' rate limiter wait meanwhile, summed
	queued        float64 // bases waiting in the manager's queue when the change was made
}

// timeChanges times changes from..to-1 one after the other and adds them to r, with the
// manager's rate limiter wait during each (from its metrics).
func (d *driver) timeChanges(ctx context.Context, bases []*base, from, to int, r *report, phase string) error {
	for i := from; i < to; i++ {
		before, _ := scrape(d.managerMetrics, "rest_client_rate_limiter_duration_seconds_sum", "")
		queued, _ := scrape(d.managerMetrics, "workqueue_depth", `name="dectbase"`)
		ch, err := d.timeOneChange(ctx, bases[(i*7)%len(bases)], (i*37)%d.c.handsets, i)
		if err != nil {
			return err
		}
		after, _ := scrape(d.managerMetrics, "rest_client_rate_limiter_duration_seconds_sum", "")
		ch.phase, ch.limiterWaitMs, ch.queued = phase, (after-before)*1000, queued
		r.changes = append(r.changes, ch)
		logf("change %d (%s) served after %v (file stored after %v; rate limiter wait %.0f ms; %.0f bases queued before it)", i+1, phase,
			ch.served.Round(time.Millisecond), ch.file.Round(time.Millisecond), ch.limiterWaitMs, ch.queued)
	}
	return nil
}

// timeOneChange renames handset j of b and returns the time until b's device is served
// the new name.
func (d *driver) timeOneChange(ctx context.Context, b *base, j, n int) (change, error) {
	user := b.users[j]
	slot := -1
	for _, s := range b.dev.Snapshot().Slots {
		if s.UserID == user {
			slot = s.Index
		}
	}
	if slot < 0 {
		return change{}, fmt.Errorf("%s: user %s is on no slot of the device", b.ns, user)
	}
	// The file's ConfigMap, watched from its current version on: its next event is the
	// new file.
	cm, err := d.cs.CoreV1().ConfigMaps(b.ns).Get(ctx, provfile.ConfigMapName(b.name), metav1.GetOptions{})
	if err != nil {
		return change{}, err
	}
	watch, err := d.cs.CoreV1().ConfigMaps(b.ns).Watch(ctx, metav1.ListOptions{
		FieldSelector: "metadata.name=" + cm.Name, ResourceVersion: cm.ResourceVersion})
	if err != nil {
		return change{}, err
	}
	defer watch.Stop()
	var ch change
	name := dectv1alpha1.Text(fmt.Sprintf("Changed %d", n))
	start := time.Now()
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var h dectv1alpha1.Handset
		if err := d.k.Get(ctx, types.NamespacedName{Namespace: b.ns, Name: "hs-" + user}, &h); err != nil {
			return err
		}
		h.Spec.SIP.DisplayName = name
		d.m.ownWrite("PUT", "handsets")
		return d.k.Update(ctx, &h)
	})
	if err != nil {
		return change{}, err
	}
	for time.Since(start) < 2*time.Minute {
		select {
		case <-watch.ResultChan():
			if ch.file == 0 {
				ch.file = time.Since(start)
			}
		default:
		}
		if _, err := b.dev.Fetch(ctx, d.serverURL); err == nil && b.dev.Slot(slot).DisplayName == string(name) {
			ch.served = time.Since(start)
			if ch.file == 0 { // the event and the fetch in the same 10 ms
				ch.file = ch.served
			}
			return ch, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return change{}, fmt.Errorf("%s: the change of %s was not served within 2 minutes", b.ns, user)
}

// shardLabel is the Namespace label whose value picks a manager shard (-shards).
const shardLabel = "provisioning.dect-operator.dev/shard"

// managersPeak is the largest peak RSS of the stack's managers (one, or one per shard).
func managersPeak(s *testenv.Stack) int64 {
	var peak int64
	for _, rep := range s.Replicas {
		if p, err := rep.Manager.PeakRSS(); err == nil {
			peak = max(peak, p)
		}
	}
	return peak
}

// anonPeaks are the largest anonymous resident memory (RssAnon) of the managers and of
// the server seen so far. A memory limit must hold that: the heap, stacks and runtime
// data, what GOMEMLIMIT governs. VmHWM also counts the pages of the executable (some
// 45 MiB of the manager's), which the kernel drops and reads again when a container
// nears its limit; and the kernel keeps no peak of the anonymous part alone, so it is
// sampled.
type anonPeaks struct{ manager, server atomic.Int64 }

// anonInterval is how often sampleAnon reads the processes' memory: often enough to see
// a reconcile's garbage (a full base's render takes some 30 ms of CPU), cheaply (one
// read of /proc/<pid>/status each).
const anonInterval = 20 * time.Millisecond

// sampleAnon records the stack's anonymous memory peaks until ctx ends.
func sampleAnon(ctx context.Context, s *testenv.Stack) *anonPeaks {
	p := &anonPeaks{}
	keepMax := func(peak *atomic.Int64, b int64, err error) {
		if err == nil && b > peak.Load() {
			peak.Store(b)
		}
	}
	go func() {
		tick := time.NewTicker(anonInterval)
		defer tick.Stop()
		for {
			for _, rep := range s.Replicas {
				b, err := rep.Manager.AnonRSS()
				keepMax(&p.manager, b, err)
			}
			b, err := s.Server.AnonRSS()
			keepMax(&p.server, b, err)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// managersCPU is the CPU time the managers of every replica (or shard) used so far.
func managersCPU(s *testenv.Stack) float64 {
	t := cpuSeconds(s.Manager.Pid())
	for _, rep := range s.Replicas[1:] {
		t += cpuSeconds(rep.Manager.Pid())
	}
	return t
}

// cpuSeconds is the CPU time (user and system) process pid has used, from /proc; 0 when
// unknown.
func cpuSeconds(pid int) float64 {
	_, f, ok := procStat(pid)
	if !ok {
		return 0
	}
	return statCPU(f)
}

// procStat reads /proc/<pid>/stat: the command name and the fields after it (the
// name is in parentheses and may hold spaces and parentheses of its own).
func procStat(pid int) (comm string, fields []string, ok bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", nil, false
	}
	open, closing := strings.IndexByte(string(raw), '('), strings.LastIndexByte(string(raw), ')')
	if open < 0 || closing < open {
		return "", nil, false
	}
	fields = strings.Fields(string(raw[closing+1:]))
	return string(raw[open+1 : closing]), fields, len(fields) >= 13
}

// statCPU is the user and system CPU seconds of procStat's fields.
func statCPU(f []string) float64 {
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// download saves what url answers into path.
func download(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o600)
}

// scrape sums the samples of metric whose labels contain labels (every label set when
// labels is "") at a Prometheus endpoint.
func scrape(url, metric, labels string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, line := range strings.Split(string(raw), "\n") {
		name, rest, ok := strings.Cut(line, " ")
		if base, _, labelled := strings.Cut(name, "{"); labelled {
			name = base
		}
		if !ok || name != metric || !strings.Contains(line, labels) {
			continue
		}
		fields := strings.Fields(rest)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			total += v
		}
	}
	return total, nil
}

// restPolling lets every device re-check its (unchanged) file every c.poll for c.idle,
// as devices do on their update timer, and returns the fetches and the writes meanwhile.
func (d *driver) restPolling(ctx context.Context, bases []*base, m *meter) (int, counts, error) {
	before, err := m.writes(ctx)
	if err != nil {
		return 0, nil, err
	}
	end := time.Now().Add(d.c.idle)
	fetches := 0
	for time.Now().Before(end) {
		round := time.Now()
		for _, b := range bases {
			if _, err := b.dev.Fetch(ctx, d.serverURL); err != nil {
				return 0, nil, fmt.Errorf("%s: re-check: %w", b.ns, err)
			}
			fetches++
		}
		time.Sleep(time.Until(round.Add(d.c.poll)))
	}
	after, err := m.writes(ctx)
	if err != nil {
		return 0, nil, err
	}
	return fetches, m.operatorWrites(before, after), nil
}

func isAlreadyExists(err error) bool {
	return err != nil && strings.Contains(err.Error(), "already exists")
}

// ---- counting API writes ----

// meter reads the API server's request counters. Every request that is not a read
// (GET, LIST, WATCH) is a write. The writes of this program are subtracted, and so are
// the API server's own (its leases); Events are shown apart.
type meter struct {
	stack *testenv.Stack
	cs    *kubernetes.Clientset

	mu  sync.Mutex
	own map[string]*atomic.Int64 // "VERB resource" -> this program's writes
}

func (m *meter) ownWrite(verb, resource string) {
	key := verb + " " + resource
	m.mu.Lock()
	c := m.own[key]
	if c == nil {
		c = &atomic.Int64{}
		m.own[key] = c
	}
	m.mu.Unlock()
	c.Add(1)
}

type counts map[string]float64 // "VERB resource[/subresource]" -> requests

var (
	requestLine = regexp.MustCompile(`^apiserver_request_total\{([^}]*)\} (\S+)$`)
	labelPair   = regexp.MustCompile(`(\w+)="([^"]*)"`)
)

// writes reads the API server's write counters, with this program's own writes as the
// entries "own VERB resource".
func (m *meter) writes(ctx context.Context) (counts, error) {
	raw, err := m.cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the API server's metrics: %w", err)
	}
	out := counts{}
	for _, line := range strings.Split(string(raw), "\n") {
		g := requestLine.FindStringSubmatch(line)
		if g == nil {
			continue
		}
		l := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(g[1], -1) {
			l[p[1]] = p[2]
		}
		switch l["verb"] {
		case "GET", "LIST", "WATCH", "":
			continue
		}
		v, err := strconv.ParseFloat(g[2], 64)
		if err != nil {
			continue
		}
		res := l["resource"]
		if l["subresource"] != "" {
			res += "/" + l["subresource"]
		}
		out[l["verb"]+" "+res] += v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, c := range m.own {
		out["own "+k] = float64(c.Load())
	}
	return out, nil
}

// operatorWrites is what the operator's processes wrote between two readings, by
// request kind; Events under their own key.
func (m *meter) operatorWrites(before, after counts) counts {
	out := counts{}
	for k, v := range after {
		if strings.HasPrefix(k, "own ") {
			continue
		}
		_, res, _ := strings.Cut(k, " ")
		if res == "leases" { // the API server's own heartbeat
			continue
		}
		d := v - before[k] - (after["own "+k] - before["own "+k])
		if d != 0 {
			out[k] = d
		}
	}
	return out
}

// waitQuiet waits until the write counters stay still for quiet, at most limit, and
// returns how long it took.
func (m *meter) waitQuiet(ctx context.Context, quiet, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	last, err := m.writes(ctx)
	if err != nil {
		return 0, err
	}
	stillSince := time.Now()
	for time.Since(start) < limit {
		time.Sleep(time.Second)
		now, err := m.writes(ctx)
		if err != nil {
			return 0, err
		}
		if sum(m.operatorWrites(last, now)) != 0 || m.statusesPending() > 0 {
			last, stillSince = now, time.Now()
			continue
		}
		if time.Since(stillSince) >= quiet {
			return time.Since(start) - quiet, nil
		}
	}
	logf("writes did not stop within %v", limit)
	return limit, nil
}

// statusesPending is how many handset statuses the managers hold, decided and not yet
// written: quiet API counters alone do not mean at rest while they wait out their hold.
func (m *meter) statusesPending() float64 {
	total := 0.0
	for _, r := range m.stack.Replicas {
		if r.Manager == nil {
			continue
		}
		n, err := scrape(r.ManagerMetricsURL, "dect_handset_statuses_pending", "")
		if err != nil {
			continue // a shard that is not leading, say
		}
		total += n
	}
	return total
}

func sum(c counts) float64 {
	t := 0.0
	for k, v := range c {
		if !strings.Contains(k, " events") {
			t += v
		}
	}
	return t
}

// ---- the report ----

type report struct {
	config
	bare, created, converged, settled        time.Duration
	servedWrites, convergeWrites, idleWrites counts // until every base served; until at rest; at rest
	windowWrites                             counts // as the windows armed by the changes opened
	polls                                    int
	pollWrites                               counts
	managerPeak, serverPeak                  int64    // VmHWM
	managerAnon, serverAnon                  int64    // RssAnon, sampled (anonPeaks)
	managerLimit                             int64    // bytes; 0: none (-manager-limit)
	managerCPU, serverCPU                    float64  // CPU seconds used until converged
	pairs                                    []pair   // with the bare creation: each pair (-pairs), the last one this run's
	runs, runsSettled                        float64  // DectBase reconciles until converged, and until settled (first manager)
	controlCPU, bareCPU                      cpuSplit // API server, etcd and this driver: until converged, and in the bare creation
	changes                                  []change
}

func (r *report) handsetCount() int { return r.bases * r.handsets }

// medianPair is the pair whose ratio is the median (of an even count, the lower of the
// two in the middle); with one pair, this run's.
func (r *report) medianPair() pair {
	if len(r.pairs) == 0 {
		return pair{bare: r.bare, apply: r.created, served: r.converged}
	}
	sorted := slices.SortedFunc(slices.Values(r.pairs), func(a, b pair) int { return cmp.Compare(a.ratio(), b.ratio()) })
	return sorted[(len(sorted)-1)/2]
}

// ratio is the convergence time over the bare creation time, the median pair's with
// -pairs; 0 without the bare creation.
func (r *report) ratio() float64 {
	if r.bare == 0 {
		return 0
	}
	return r.medianPair().ratio()
}

// pairRatios lists the pairs' ratios, in the order they ran.
func (r *report) pairRatios() string {
	var each []string
	for _, p := range r.pairs {
		each = append(each, fmt.Sprintf("%.2f", p.ratio()))
	}
	return strings.Join(each, ", ")
}

// served returns the served times of the changes of phase ("" for all), sorted.
func (r *report) served(phase string) []time.Duration {
	var out []time.Duration
	for _, c := range r.changes {
		if phase == "" || c.phase == phase {
			out = append(out, c.served)
		}
	}
	slices.Sort(out)
	return out
}

func (r *report) print(f *os.File) {
	n := r.handsetCount()
	w := tabwriter.NewWriter(f, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "scale: %d bases x %d handsets = %d handsets, real manager and server on envtest (%s)\n", r.bases, r.handsets, n, hostNote())
	if r.shards > 0 {
		fmt.Fprintf(w, "%d manager shards, each with its sidecar server; devices fetch from the first shard's server\n", r.shards)
	}
	fmt.Fprintf(w, "figure\tvalue\ttarget\n")
	if r.bare > 0 {
		fmt.Fprintf(w, "bare creation: the same objects, no operator (%d clients)\t%v\t\n", r.workers, r.bare.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "objects declared with the operator running\t%v\t\n", r.created.Round(time.Millisecond))
	fmt.Fprintf(w, "every base Ready and served\t%v\t\n", r.converged.Round(time.Millisecond))
	if r.bare > 0 {
		label := "ratio to the bare creation"
		if len(r.pairs) > 1 {
			label += fmt.Sprintf(", the median of %d pairs", len(r.pairs))
		}
		fmt.Fprintf(w, "  %s\t%.2f\t<= 1.3 at 10,000\n", label, r.ratio())
		if len(r.pairs) > 1 {
			fmt.Fprintf(w, "  each pair's ratio, in order (-pairs %d)\t%s\t\n", len(r.pairs), r.pairRatios())
			fmt.Fprintf(w, "  each pair's bare creation / Ready and served\t%s\t\n", r.pairTimes())
		}
	}
	fmt.Fprintf(w, "  CPU used until then: manager / server\t%.1f s / %.1f s\t\n", r.managerCPU, r.serverCPU)
	fmt.Fprintf(w, "  CPU used until then: API server / etcd / driver and devices\t%.1f s / %.1f s / %.1f s\t\n", r.controlCPU.apiserver, r.controlCPU.etcd, r.controlCPU.driver)
	if r.bare > 0 {
		fmt.Fprintf(w, "  CPU used by the bare creation: API server / etcd / driver\t%.1f s / %.1f s / %.1f s\t\n", r.bareCPU.apiserver, r.bareCPU.etcd, r.bareCPU.driver)
	}
	runs := func(n float64) { // counted by the first manager: one shard's only
		if r.shards == 0 {
			fmt.Fprintf(w, "  base reconciles until then (per base)\t%.0f (%.1f)\t\n", n, n/float64(r.bases))
		}
	}
	runs(r.runs)
	fmt.Fprintf(w, "  operator API writes until then\t%.0f\t\n", sum(r.servedWrites))
	breakdown(w, r.servedWrites)
	fmt.Fprintf(w, "writes stopped after that\t+%v\t\n", r.settled.Round(time.Second))
	runs(r.runsSettled)
	total := sum(r.convergeWrites)
	fmt.Fprintf(w, "API writes until at rest (incl. %d changes' own)\t%.0f (%.2f per handset)\t<= 1.2 per handset\n", len(r.served("while settling")), total, total/float64(n))
	breakdown(w, r.convergeWrites)
	managers := "manager peak memory: anonymous (RssAnon, sampled) / all resident (VmHWM)"
	if r.shards > 0 {
		managers += fmt.Sprintf(", the largest of %d shards", r.shards)
		fmt.Fprintf(w, "  CPU used until then: %d managers together\t%.1f s\t\n", r.shards, r.managerCPU)
	}
	if r.managerLimit > 0 {
		within := "anonymous within it"
		if r.managerAnon > r.managerLimit {
			within = "anonymous OVER it"
		}
		fmt.Fprintf(w, "%s, under a limit of %.0f MiB\t%.0f / %.0f MiB (%s)\t\n", managers, mib(r.managerLimit), mib(r.managerAnon), mib(r.managerPeak), within)
	} else {
		fmt.Fprintf(w, "%s\t%.0f / %.0f MiB\t\n", managers, mib(r.managerAnon), mib(r.managerPeak))
	}
	fmt.Fprintf(w, "server peak memory: anonymous (RssAnon, sampled) / all resident (VmHWM)\t%.0f / %.0f MiB\t\n", mib(r.serverAnon), mib(r.serverPeak))
	for _, phase := range []string{"while settling", "at rest", ""} {
		sorted := r.served(phase)
		if len(sorted) == 0 {
			continue
		}
		label := "one change served, " + cmp.Or(phase, "all")
		fmt.Fprintf(w, "%s: median / p90 / max of %d\t%v / %v / %v\tp90 < 1s, max < 2s\n", label, len(sorted),
			median(sorted).Round(time.Millisecond), p90(sorted).Round(time.Millisecond), sorted[len(sorted)-1].Round(time.Millisecond))
	}
	if len(r.changes) > 0 {
		slow := slices.MaxFunc(r.changes, func(a, b change) int { return cmp.Compare(a.served, b.served) })
		fmt.Fprintf(w, "  slowest: file stored after / served after / rate limiter wait / bases queued before it\t%v / %v / %.0f ms / %.0f (%s)\t\n",
			slow.file.Round(time.Millisecond), slow.served.Round(time.Millisecond), slow.limiterWaitMs, slow.queued, slow.phase)
	}
	fmt.Fprintf(w, "API writes as the windows armed by the %d changes opened\t%.0f\tO(1) per base\n", len(r.changes), sum(r.windowWrites))
	breakdown(w, r.windowWrites)
	fmt.Fprintf(w, "API writes in %v at rest\t%.0f\t0\n", r.idle, sum(r.idleWrites))
	breakdown(w, r.idleWrites)
	if r.poll > 0 {
		fmt.Fprintf(w, "API writes in %v at rest, devices re-checking every %v (%d fetches)\t%.0f\t\n", r.idle, r.poll, r.polls, sum(r.pollWrites))
		breakdown(w, r.pollWrites)
	}
	_ = w.Flush()
}

// printTable prints one line per run: the growth curve.
func printTable(f *os.File, reports []*report) {
	w := tabwriter.NewWriter(f, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "scale table (%s)\n", hostNote())
	fmt.Fprintln(w, "handsets\tbases\tbare creation\tReady+served\tratio\tsettled after\truns/base\twrites/handset\thandset status\tmanager anon / RSS\tserver anon / RSS\tchange median / p90 / max\twindow writes\tat rest\t")
	for _, r := range reports {
		n := float64(r.handsetCount())
		all := r.served("")
		changes := "-"
		if len(all) > 0 {
			changes = fmt.Sprintf("%v / %v / %v", median(all).Round(time.Millisecond), p90(all).Round(time.Millisecond), all[len(all)-1].Round(time.Millisecond))
		}
		manager := fmt.Sprintf("%.0f / %.0f MiB", mib(r.managerAnon), mib(r.managerPeak))
		if r.managerLimit > 0 {
			manager += fmt.Sprintf(" (limit %.0f)", mib(r.managerLimit))
		}
		median := r.medianPair()
		fmt.Fprintf(w, "%d\t%d\t%v\t%v\t%.2f\t+%v\t%.1f\t%.2f\t%.2f\t%s\t%.0f / %.0f MiB\t%s\t%.0f\t%.0f\t\n",
			r.handsetCount(), r.bases, median.bare.Round(time.Second), median.served.Round(time.Second), r.ratio(), r.settled.Round(time.Second),
			r.runsSettled/float64(r.bases), sum(r.convergeWrites)/n, r.convergeWrites["PATCH handsets/status"]/n,
			manager, mib(r.serverAnon), mib(r.serverPeak), changes, sum(r.windowWrites), sum(r.idleWrites))
	}
	_ = w.Flush()
	for _, r := range reports {
		if len(r.pairs) > 1 {
			fmt.Fprintf(f, "ratio at %d handsets: the median of %d pairs, whose times the table gives: %s (bare creation / Ready and served: %s)\n", r.handsetCount(), len(r.pairs), r.pairRatios(), r.pairTimes())
		}
	}
	if len(reports) >= 2 {
		first, last := reports[0], reports[len(reports)-1]
		per := float64(last.handsetCount()-first.handsetCount()) / 1000
		fmt.Fprintf(f, "growth from %d to %d handsets, per 1,000 handsets: manager %.1f MiB anonymous (%.1f MiB resident), server %.1f MiB anonymous (%.1f MiB resident), Ready+served %.1f s\n",
			first.handsetCount(), last.handsetCount(), mib(last.managerAnon-first.managerAnon)/per, mib(last.managerPeak-first.managerPeak)/per,
			mib(last.serverAnon-first.serverAnon)/per, mib(last.serverPeak-first.serverPeak)/per,
			(last.medianPair().served-first.medianPair().served).Seconds()/per)
	}
}

// pairTimes lists each pair's bare creation and convergence times, in order.
func (r *report) pairTimes() string {
	var each []string
	for _, p := range r.pairs {
		each = append(each, fmt.Sprintf("%v / %v", p.bare.Round(100*time.Millisecond), p.served.Round(100*time.Millisecond)))
	}
	return strings.Join(each, ", ")
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func p90(sorted []time.Duration) time.Duration { return sorted[(len(sorted)*9+9)/10-1] }

func breakdown(w *tabwriter.Writer, c counts) {
	for _, k := range slices.Sorted(maps.Keys(c)) {
		note := ""
		if strings.Contains(k, " events") {
			note = " (Events: not counted above)"
		}
		fmt.Fprintf(w, "  %s%s\t%.0f\t\n", k, note, c[k])
	}
}

func median(sorted []time.Duration) time.Duration {
	m := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[m]
	}
	return (sorted[m-1] + sorted[m]) / 2
}

func hostNote() string {
	return fmt.Sprintf("%d CPUs, shared by the API server, etcd, both processes and this driver", runtime.NumCPU())
}
