package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one subprocess of the operator's binary. Its output (stdout and stderr) is
// appended to LogPath, across restarts, each start marked with a line of its own.
type Process struct {
	Name    string
	Path    string
	Args    []string
	Env     []string
	LogPath string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
}

func (p *Process) String() string { return p.Name + " (" + strings.Join(p.Args, " ") + ")" }

// Start starts the process. It fails if the process is already running.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.exited) {
		return fmt.Errorf("%s is already running as pid %d", p.Name, p.cmd.Process.Pid)
	}
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Env = p.Env
	cmd.Stdout, cmd.Stderr = log, log
	// Killed with the harness, even when the harness dies without cleaning up (a test
	// binary that times out): no operator keeps running against a dead API server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	fmt.Fprintf(log, "=== testenv: %s started as pid %d at %s\n", p.Name, cmd.Process.Pid, time.Now().Format(time.RFC3339Nano))
	exited := make(chan struct{})
	p.cmd, p.exited, p.exitErr = cmd, exited, nil
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(log, "=== testenv: %s pid %d ended at %s: %v\n", p.Name, cmd.Process.Pid, time.Now().Format(time.RFC3339Nano), err)
		_ = log.Close()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(exited)
	}()
	return nil
}

// Kill sends SIGKILL and waits until the process is gone.
func (p *Process) Kill() error {
	return p.signal(syscall.SIGKILL, time.Minute)
}

// Stop sends SIGTERM, waits up to timeout for a clean exit, then kills. A process that is
// not running is left alone.
func (p *Process) Stop(timeout time.Duration) error {
	if err := p.signal(syscall.SIGTERM, timeout); err == nil {
		return nil
	}
	return p.Kill()
}

func (p *Process) signal(sig syscall.Signal, timeout time.Duration) error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil || isClosed(exited) {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !isClosed(exited) {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s pid %d still running %v after %v", p.Name, cmd.Process.Pid, timeout, sig)
	}
}

// Pid is the process id of the current or last run; 0 before the first start.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Exited is closed when the current run ends.
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// Running tells whether the current run is still alive.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isClosed(p.exited)
}

// ExitErr is how the last run ended (nil while running or after a clean exit).
func (p *Process) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

// PeakRSS is the process's peak resident set size so far (VmHWM), in bytes.
func (p *Process) PeakRSS() (int64, error) {
	return procStatusBytes(p.Pid(), "VmHWM")
}

// AnonRSS is the process's anonymous resident memory now (RssAnon), in bytes: its heap,
// stacks and runtime data, which GOMEMLIMIT governs. RSS also counts the pages of the
// executable file (RssFile), which the kernel drops and reads again under memory
// pressure, so that a memory limit need not hold them all.
func (p *Process) AnonRSS() (int64, error) {
	return procStatusBytes(p.Pid(), "RssAnon")
}

// RSS is the process's resident set size now (VmRSS), in bytes.
func (p *Process) RSS() (int64, error) {
	return procStatusBytes(p.Pid(), "VmRSS")
}

func procStatusBytes(pid int, field string) (int64, error) {
	if pid == 0 {
		return 0, fmt.Errorf("no process")
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("/proc/%d/status: %s: unexpected %q", pid, field, rest)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		return kb << 10, err
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// LogSize is the current size of the log, to print only what a test added later.
func (p *Process) LogSize() int64 {
	fi, err := os.Stat(p.LogPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// LogSince returns the log's lines from byte offset on, keeping those for which keep
// returns true (nil keeps all), at most the last max of them.
func (p *Process) LogSince(offset int64, keep func(string) bool, max int) []string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil || offset > int64(len(data)) {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(string(data[offset:]), "\n") {
		if l != "" && (keep == nil || keep(l)) {
			lines = append(lines, l)
		}
	}
	if len(lines) > max {
		lines = append([]string{fmt.Sprintf("... %d earlier lines in %s", len(lines)-max, p.LogPath)}, lines[len(lines)-max:]...)
	}
	return lines
}

func isClosed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}
