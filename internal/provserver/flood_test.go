package provserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/digest"
)

// The connection flood of issue 11, measured rather than asserted:
//
//	go test -run '^$' -bench ConnectionFlood -benchtime 1x ./internal/provserver
//
// A server process (this test binary, re-run as TestFloodServerProcess) serves
// the device's file on 127.0.0.1 and ::1 with GOMEMLIMIT=230MiB (90 % of a
// 256 MiB container), the http.Server settings of serve (floodServer) and, in the "limited" case, a ConnLimiter. From 127.0.0.1 the
// benchmark makes 50,000 connection attempts, each sending an unfinished
// request and staying open (up to 15,000 at a time, oldest closed first),
// while a device on ::1 fetches its file with Digest every 100 ms. It reports
// the server's peak RSS (VmHWM) and the device's fetches.

const (
	floodAttempts   = 50000
	floodWindow     = 15000 // client connections held open at once
	floodServerEnv  = "DECT_FLOOD_SERVER"
	floodGoMemLimit = "230MiB"
)

// TestFloodServerProcess is the server side of BenchmarkConnectionFlood; it
// runs only when that benchmark starts it.
func TestFloodServerProcess(t *testing.T) {
	caps := os.Getenv(floodServerEnv)
	if caps == "" {
		t.Skip("run by BenchmarkConnectionFlood")
	}
	var total, perSource int
	if _, err := fmt.Sscanf(caps, "%d,%d", &total, &perSource); err != nil {
		t.Fatal(err)
	}
	store := NewStore()
	if err := store.Set(entry(configuredAuth)); err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(store, Options{})
	if err != nil {
		t.Fatal(err)
	}
	limiter, err := NewConnLimiter(total, perSource)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, a := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		srv := HTTPServer(h)
		go srv.Serve(limiter.Listener(ln))
	}
	fmt.Println("ADDRS", strings.Join(addrs, " "))
	io.Copy(io.Discard, os.Stdin) // until the benchmark closes it
	fmt.Println("REFUSED", limiter.Refused())
}

func BenchmarkConnectionFlood(b *testing.B) {
	for _, tc := range []struct {
		name             string
		total, perSource int
	}{
		{"limited", 2048, 256},
		{"unlimited", 0, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				floodOnce(b, tc.total, tc.perSource)
			}
		})
	}
}

func floodOnce(b *testing.B, total, perSource int) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFloodServerProcess$", "-test.v")
	cmd.Env = append(os.Environ(), floodServerEnv+"="+strconv.Itoa(total)+","+strconv.Itoa(perSource), "GOMEMLIMIT="+floodGoMemLimit)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	out := bufio.NewScanner(stdout)
	var addr4, addr6 string
	for out.Scan() {
		if f := strings.Fields(out.Text()); len(f) == 3 && f[0] == "ADDRS" {
			addr4, addr6 = f[1], f[2]
			break
		}
	}
	if addr6 == "" {
		stdin.Close()
		b.Fatal("server did not start")
	}
	pid := cmd.Process.Pid
	rssStart := procStatus(pid, "VmRSS")

	// The device: a full Digest fetch over a new connection every 100 ms.
	ctx, stop := context.WithCancel(context.Background())
	var ok, failed atomic.Int64
	var worst atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for ctx.Err() == nil {
			start := time.Now()
			if deviceFetch(client, "http://"+addr6) {
				ok.Add(1)
			} else {
				failed.Add(1)
			}
			if d := int64(time.Since(start)); d > worst.Load() {
				worst.Store(d)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	// The flood, from 127.0.0.1.
	start := time.Now()
	open := make([]net.Conn, 0, floodWindow)
	var dialErrs int
	partial := []byte("GET /" + testMAC + ".xml HTTP/1.1\r\nHost: flood\r\n")
	for i := range floodAttempts {
		c, err := net.DialTimeout("tcp", addr4, 5*time.Second)
		if err != nil {
			dialErrs++
			continue
		}
		c.Write(partial)
		if len(open) == floodWindow {
			open[i%floodWindow].Close()
			open[i%floodWindow] = c
		} else {
			open = append(open, c)
		}
	}
	floodTime := time.Since(start)
	time.Sleep(2 * time.Second) // let the server settle with the window open
	rssFlood := procStatus(pid, "VmRSS")
	for _, c := range open {
		c.Close()
	}
	stop()
	wg.Wait()
	// One more fetch after the flood.
	after := deviceFetch(&http.Client{Timeout: 30 * time.Second}, "http://"+addr6)
	hwm := procStatus(pid, "VmHWM")
	stdin.Close()
	for out.Scan() {
		if strings.HasPrefix(out.Text(), "REFUSED") {
			b.Logf("server: %s", out.Text())
		}
	}
	b.Logf("caps total=%d perSource=%d: %d attempts in %v (%d dial errors), %d held open by the client; server RSS %d KiB at start, %d KiB with the window open, peak %d KiB (GOMEMLIMIT %s); device fetches during the flood: %d ok, %d failed, slowest %v; after: %v",
		total, perSource, floodAttempts, floodTime.Round(time.Millisecond), dialErrs, len(open), rssStart, rssFlood, hwm, floodGoMemLimit,
		ok.Load(), failed.Load(), time.Duration(worst.Load()).Round(time.Millisecond), after)
	b.ReportMetric(float64(hwm)/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(failed.Load()), "device-failures")
	b.ReportMetric(float64(ok.Load()), "device-fetches")
}

// deviceFetch makes the device's fetch: a 401, then configured credentials.
func deviceFetch(client *http.Client, base string) bool {
	uri := "/" + testMAC + ".xml"
	resp, err := client.Get(base + uri)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	authz, err := digest.Respond(resp.Header.Values("WWW-Authenticate")[0], "GET", uri, testUser, testPassword)
	if err != nil {
		return false
	}
	req, _ := http.NewRequest("GET", base+uri, nil)
	req.Header.Set("Authorization", authz)
	resp, err = client.Do(req)
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && string(body) == string(testBody)
}

// procStatus returns a "kB" field of /proc/<pid>/status, in KiB.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}
