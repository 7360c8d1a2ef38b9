package memlimit

import (
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestFromCgroup(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name  string
		files fstest.MapFS
		want  int64
		from  string
		err   bool
	}{
		{"v2 namespaced", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("268435456\n"),
		}, 256 * mib * 9 / 10, "/sys/fs/cgroup/memory.max", false},
		{"v2 own path", fstest.MapFS{
			"proc/self/cgroup":                          file("0::/kubepods/pod1/c1\n"),
			"sys/fs/cgroup/kubepods/pod1/c1/memory.max": file("104857600\n"),
			"sys/fs/cgroup/memory.max":                  file("max\n"),
		}, 100 * mib * 9 / 10, "/sys/fs/cgroup/kubepods/pod1/c1/memory.max", false},
		{"v2 no limit", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("max\n"),
		}, 0, "/sys/fs/cgroup/memory.max", false},
		{"v1", fstest.MapFS{
			"proc/self/cgroup":                           file("12:pids:/x\n4:memory:/\n1:name=systemd:/\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": file("268435456\n"),
		}, 256 * mib * 9 / 10, "/sys/fs/cgroup/memory/memory.limit_in_bytes", false},
		{"v1 no limit", fstest.MapFS{
			"proc/self/cgroup":                           file("4:memory:/\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": file("9223372036854771712\n"),
		}, 0, "/sys/fs/cgroup/memory/memory.limit_in_bytes", false},
		{"no cgroup fs", fstest.MapFS{}, 0, "", false},
		{"garbage", fstest.MapFS{"sys/fs/cgroup/memory.max": file("lots")}, 0, "/sys/fs/cgroup/memory.max", true},
		{"escape refused", fstest.MapFS{
			"proc/self/cgroup":         file("0::/../../etc\n"),
			"sys/fs/cgroup/memory.max": file("1048576\n"),
		}, 1 << 20 * 9 / 10, "/sys/fs/cgroup/memory.max", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, from, err := FromCgroup(tc.files, DefaultFraction)
			if (err != nil) != tc.err || got != tc.want || from != tc.from {
				t.Errorf("FromCgroup = %d, %q, %v; want %d, %q, error %v", got, from, err, tc.want, tc.from, tc.err)
			}
		})
	}
	for _, f := range []float64{0, -1, 1.5} {
		if _, _, err := FromCgroup(fstest.MapFS{}, f); err == nil {
			t.Errorf("fraction %v accepted", f)
		}
	}
}

// An explicit GOMEMLIMIT wins: Set leaves the runtime's limit alone.
func TestSetRespectsEnv(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "123MiB")
	before := debug.SetMemoryLimit(-1)
	if limit, _, err := Set(DefaultFraction); limit != 0 || err != nil {
		t.Errorf("Set with GOMEMLIMIT = %d, %v; want 0, nil", limit, err)
	}
	if after := debug.SetMemoryLimit(-1); after != before {
		t.Errorf("limit changed from %d to %d", before, after)
	}
}

// On this machine: whatever the cgroup says, Set either sets that or nothing.
func TestSetHere(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "") // restored after the test
	os.Unsetenv("GOMEMLIMIT")
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	limit, from, err := Set(DefaultFraction)
	t.Logf("limit %d from %q, err %v", limit, from, err)
	if err == nil && limit > 0 && debug.SetMemoryLimit(-1) != limit {
		t.Errorf("runtime limit %d, want %d", debug.SetMemoryLimit(-1), limit)
	}
}

// The two files it parses, whatever they hold: no panic, a limit between 0
// and the file's figure, a path that stays under /sys/fs/cgroup.
func FuzzFromCgroup(f *testing.F) {
	f.Add("0::/\n", "268435456\n", "")
	f.Add("4:memory:/a/b\n", "", "9223372036854771712")
	f.Add("0::/../x\n1:cpu,memory:/\n", "max", "12")
	f.Fuzz(func(t *testing.T, cgroup, v2, v1 string) {
		files := fstest.MapFS{"proc/self/cgroup": file(cgroup)}
		if v2 != "" {
			files["sys/fs/cgroup/memory.max"] = file(v2)
		}
		if v1 != "" {
			files["sys/fs/cgroup/memory/memory.limit_in_bytes"] = file(v1)
		}
		got, from, err := FromCgroup(files, DefaultFraction)
		if got < 0 || err != nil && got != 0 {
			t.Fatalf("FromCgroup = %d, %v", got, err)
		}
		if from != "" && !strings.HasPrefix(from, "/sys/fs/cgroup/") {
			t.Fatalf("read %q", from)
		}
	})
}
