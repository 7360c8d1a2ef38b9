// Package memlimit sets the Go runtime's soft memory limit (GOMEMLIMIT) from
// the container's memory limit, so that the garbage collector works harder
// before the kernel's OOM killer steps in.
//
// No module in the Go proxy list this project may use does it
// (github.com/KimMachineGun/automemlimit is not among them), and it is small:
// read cgroup v2 memory.max or cgroup v1 memory.limit_in_bytes for the
// process's own cgroup, take a fraction, call debug.SetMemoryLimit. An explicit
// GOMEMLIMIT in the environment always wins.
package memlimit

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultFraction of the container limit is given to the Go runtime; the rest
// is left for what the runtime does not count (thread stacks outside the heap
// accounting, the kernel's page cache charged to the cgroup).
const DefaultFraction = 0.9

// unlimited: cgroup v1 reports "no limit" as a huge number (close to 2^63,
// rounded to pages); anything from 2^60 up means none.
const unlimited = 1 << 60

// Set sets the Go memory limit to fraction (0 < fraction <= 1) of the
// container's memory limit and returns the limit it set and the file it read.
// It does nothing and returns 0 when GOMEMLIMIT is set in the environment or
// when the container has no memory limit (or none can be read: not Linux, no
// cgroup file system), which is not an error.
func Set(fraction float64) (limit int64, from string, err error) {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return 0, "", nil
	}
	limit, from, err = FromCgroup(os.DirFS("/"), fraction)
	if err != nil || limit == 0 {
		return 0, from, err
	}
	debug.SetMemoryLimit(limit)
	return limit, from, nil
}

// FromCgroup returns fraction of the memory limit of the process's cgroup as
// seen in fsys (the root file system: /proc/self/cgroup, /sys/fs/cgroup), and
// the file it came from; 0 when there is none.
func FromCgroup(fsys fs.FS, fraction float64) (int64, string, error) {
	if !(fraction > 0 && fraction <= 1) {
		return 0, "", fmt.Errorf("memlimit: fraction %v, expected a number in (0, 1]", fraction)
	}
	v2, v1 := ownCgroups(fsys)
	var candidates []string
	if v2 != "" {
		candidates = append(candidates, path.Join("sys/fs/cgroup", v2, "memory.max"))
	}
	candidates = append(candidates, "sys/fs/cgroup/memory.max")
	if v1 != "" {
		candidates = append(candidates, path.Join("sys/fs/cgroup/memory", v1, "memory.limit_in_bytes"))
	}
	candidates = append(candidates, "sys/fs/cgroup/memory/memory.limit_in_bytes")
	for _, name := range candidates {
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, "/" + name, fmt.Errorf("memlimit: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0, "/" + name, nil
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, "/" + name, fmt.Errorf("memlimit: /%s: %q is not a byte count", name, truncate(s, 32))
		}
		if n == 0 || n >= unlimited {
			return 0, "/" + name, nil
		}
		return int64(math.Floor(float64(n) * fraction)), "/" + name, nil
	}
	return 0, "", nil
}

// ownCgroups reads /proc/self/cgroup: the v2 path ("0::/path") and the v1
// memory controller's path ("N:memory:/path" or a list containing memory).
// Inside a container with its own cgroup namespace both are "/".
func ownCgroups(fsys fs.FS) (v2, v1 string) {
	f, err := fsys.Open("proc/self/cgroup")
	if err != nil {
		return "", ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") || strings.Contains(parts[2], "..") {
			continue
		}
		p := strings.TrimPrefix(parts[2], "/")
		if parts[0] == "0" && parts[1] == "" {
			v2 = p
			continue
		}
		for c := range strings.SplitSeq(parts[1], ",") {
			if c == "memory" {
				v1 = p
			}
		}
	}
	return v2, v1
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
