package cluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/simulator"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// repoRoot is the repository's top folder (this package lives in test/cluster).
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// command runs name with args in dir and returns its standard output. Standard error
// goes to the test's log only when the command fails, or is returned with the error.
func command(ctx context.Context, dir string, env []string, stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// keyValues parses the KEY=VALUE lines a script prints.
func keyValues(out string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			m[k] = v
		}
	}
	return m
}

// kubectl runs the cluster's kubectl as its admin.
type kubectl struct {
	t    testing.TB
	ctx  context.Context
	bin  string
	env  []string
	root string
}

func (k *kubectl) try(args ...string) (string, error) {
	return command(k.ctx, k.root, k.env, nil, k.bin, args...)
}

func (k *kubectl) run(args ...string) string {
	k.t.Helper()
	out, err := k.try(args...)
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// stdin runs kubectl with data on its standard input (for manifests that hold a
// password, which must not appear in a command line or a log).
func (k *kubectl) stdin(data []byte, args ...string) string {
	k.t.Helper()
	out, err := command(k.ctx, k.root, k.env, data, k.bin, args...)
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// object returns an object as generic JSON.
func (k *kubectl) object(args ...string) map[string]any {
	k.t.Helper()
	var m map[string]any
	out := k.run(append([]string{"get", "-o", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		k.t.Fatalf("kubectl get %v: %v", args, err)
	}
	return m
}

// eventually retries check every second (each check calls kubectl or goes through the
// cluster's Service) until it passes or timeout passes.
func eventually(t testing.TB, what string, timeout time.Duration, check func() error) {
	t.Helper()
	testenv.EventuallyEvery(t, what, timeout, time.Second, check)
}

// field walks a generic JSON object along path ("status", "conditions", ...).
func field(obj any, path ...string) any {
	for _, p := range path {
		m, ok := obj.(map[string]any)
		if !ok {
			return nil
		}
		obj = m[p]
	}
	return obj
}

// conditions returns "Type=Status/Reason@lastTransitionTime" for the given types, the
// part of a status that a restart must not change when nothing else did.
func conditions(obj map[string]any, types ...string) string {
	var parts []string
	list, _ := field(obj, "status", "conditions").([]any)
	for _, typ := range types {
		for _, c := range list {
			if field(c, "type") == typ {
				parts = append(parts, fmt.Sprintf("%s=%v/%v@%v", typ, field(c, "status"), field(c, "reason"), field(c, "lastTransitionTime")))
			}
		}
	}
	return strings.Join(parts, " ")
}

// timings records the wall time of each phase, for the report at the end.
type timings struct {
	mu     sync.Mutex
	start  time.Time
	last   time.Time
	phases []string
}

func newTimings() *timings { now := time.Now(); return &timings{start: now, last: now} }

func (tm *timings) done(phase string) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	now := time.Now()
	tm.phases = append(tm.phases, fmt.Sprintf("%-58s %6.1fs", phase, now.Sub(tm.last).Seconds()))
	tm.last = now
}

func (tm *timings) report(t *recorder) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	t.Logf("timings (wall):\n  %s\n  %-58s %6.1fs", strings.Join(tm.phases, "\n  "), "total", time.Since(tm.start).Seconds())
	if failed := t.failures(); len(failed) > 0 {
		t.Logf("failed checks (in full above):\n  %s", strings.Join(failed, "\n  "))
	}
}

// recorder is the test's testing.TB, keeping each failure's message as well (cut short),
// so that the report at the end repeats them below the timings: a CI log that keeps
// only its tail still tells which check failed.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *recorder) note(msg string) {
	const most = 1500 // a snapshot diff fits; a whole log does not
	if len(msg) > most {
		msg = msg[:most] + " [...]"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, strings.ReplaceAll(msg, "\n", "\n    "))
}

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.failed)
}

func (r *recorder) Error(args ...any) {
	r.TB.Helper()
	r.note(fmt.Sprint(args...))
	r.TB.Error(args...)
}

func (r *recorder) Errorf(format string, args ...any) {
	r.TB.Helper()
	r.note(fmt.Sprintf(format, args...))
	r.TB.Errorf(format, args...)
}

func (r *recorder) Fatal(args ...any) {
	r.TB.Helper()
	r.note(fmt.Sprint(args...))
	r.TB.Fatal(args...)
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.TB.Helper()
	r.note(fmt.Sprintf(format, args...))
	r.TB.Fatalf(format, args...)
}

// poller makes the simulated device fetch its file from each URL in turn, over and
// over, and counts the outcomes: a fetch fails when no answer came, or an answer other
// than the file (200) or "not modified" (304), or a file the device ignored.
type poller struct {
	dev  *simulator.Device
	urls []string

	mu       sync.Mutex
	ok       map[string]int
	failed   map[string]int
	failures []string
	stop     context.CancelFunc
	done     chan struct{}
}

func startPoller(ctx context.Context, dev *simulator.Device, interval time.Duration, urls ...string) *poller {
	ctx, cancel := context.WithCancel(ctx)
	p := &poller{dev: dev, urls: urls, ok: map[string]int{}, failed: map[string]int{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			for _, u := range urls {
				if ctx.Err() != nil {
					return
				}
				res, err := dev.Fetch(ctx, u)
				if ctx.Err() != nil {
					return // a fetch cut short by the end of the test is no failure
				}
				p.count(u, res, err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
		}
	}()
	return p
}

func (p *poller) count(u string, res simulator.FetchResult, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil:
		p.failed[u]++
		p.failures = append(p.failures, fmt.Sprintf("%s %s: %v", time.Now().Format("15:04:05.000"), u, err))
	case res.StatusCode != 200 && res.StatusCode != 304, res.Ignored:
		p.failed[u]++
		p.failures = append(p.failures, fmt.Sprintf("%s %s: status %d, ignored=%v %v", time.Now().Format("15:04:05.000"), u, res.StatusCode, res.Ignored, res.Errors))
	default:
		p.ok[u]++
	}
}

// counts returns the successful and failed fetches so far, and the failures' texts.
func (p *poller) counts() (ok, failed int, failures []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range p.ok {
		ok += n
	}
	for _, n := range p.failed {
		failed += n
	}
	return ok, failed, append([]string(nil), p.failures...)
}

func (p *poller) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var parts []string
	for _, u := range p.urls {
		parts = append(parts, fmt.Sprintf("%s: %d ok, %d failed", u, p.ok[u], p.failed[u]))
	}
	return strings.Join(parts, "; ")
}

func (p *poller) halt() {
	p.stop()
	<-p.done
}

// checkMetricsNeedAToken scrapes the manager's metrics through their Service as a
// Prometheus would: refused without a token, served to a ServiceAccount bound to the
// ClusterRole config/rbac ships for scrapers. The manager asks the API server who the
// caller is and what it may do, with the RBAC config/default gives it: a missing verb
// there fails here. Either pod may answer, the leader or the standby (which runs no
// controller yet): both report their API requests, rest_client_requests_total.
func checkMetricsNeedAToken(t testing.TB, k *kubectl) {
	t.Helper()
	const sa = "metrics-scraper"
	k.run("-n", operatorNS, "create", "serviceaccount", sa)
	k.run("create", "clusterrolebinding", "dect-operator-metrics-scraper",
		"--clusterrole=dect-operator-metrics-reader", "--serviceaccount="+operatorNS+":"+sa)
	defer k.run("delete", "clusterrolebinding", "dect-operator-metrics-scraper")
	defer k.run("-n", operatorNS, "delete", "serviceaccount", sa)
	token := strings.TrimSpace(k.run("-n", operatorNS, "create", "token", sa))
	ip := strings.TrimSpace(k.run("-n", operatorNS, "get", "service", "dect-operator-metrics", "-o", "jsonpath={.spec.clusterIP}"))
	url := "https://" + ip + ":8443/metrics"

	// The certificate is the manager's own, self-signed; the token is what is checked.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // self-signed by design
	}}
	scrape := func(token string) (int, string, error) {
		req, err := http.NewRequestWithContext(k.ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, "", err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	var without, with int
	eventually(t, "metrics refused without a token and served with the scraper's", time.Minute, func() error {
		code, _, err := scrape("")
		if err != nil {
			return err
		}
		if without = code; code != http.StatusUnauthorized {
			return fmt.Errorf("without a token: %d", code)
		}
		code, body, err := scrape(token)
		if err != nil {
			return err
		}
		if with = code; code != http.StatusOK || !strings.Contains(body, "rest_client_requests_total") {
			return fmt.Errorf("with the scraper's token: %d", code)
		}
		return nil
	})
	t.Logf("manager metrics via %s: %d without a token, %d with a token bound to dect-operator-metrics-reader", url, without, with)
}
