//go:build linux

package provserver

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

const (
	// minFileBody is the smallest body served from a file: below it, copying
	// the body costs less than the file's seek and the separate header write.
	minFileBody = 32 << 10
	// maxFileBytes bounds the memory of all files: a body with a file is held
	// twice, in Body and in the file. Entries past it are written from Body.
	maxFileBytes = 64 << 20
	// maxPooledReaders bounds the open files kept per entry for reuse; it is
	// about the number of requests for one entry sending at the same time.
	maxPooledReaders = 8
)

// fileBytes is the size of all bodies held in files now.
var fileBytes atomic.Int64

// bodyFile is an entry's body in a sealed memfd, so that a GET is answered
// with sendfile(2): given an *os.File, net/http hands it to the connection's
// ReadFrom, and the kernel sends the file's pages instead of first copying
// the body from user memory into the socket.
//
// The memfd is made on the first GET of the entry, from the entry's Body, and
// sealed against any change: it belongs to the immutable served value like
// Body itself, so a request still sees one whole version, never a mix.
// sendfile reads at the file offset, so each request needs an open file of
// its own: they are opened again through /proc/self/fd and kept in a small
// pool. Everything is closed by the garbage collector once the entry has been
// replaced and no request uses it.
//
// When anything is unavailable (no memfd, no /proc, the budget spent), the
// handler writes Body.
type bodyFile struct {
	once  sync.Once
	memfd *os.File // nil: write Body
	path  string   // /proc/self/fd/N of memfd
	made  atomic.Bool

	mu   sync.Mutex
	free []*bodyReader
}

// bodyReader is an open file of the body, positioned for one response.
type bodyReader struct {
	f *os.File
	// LimitedReader: sendfile(2) then asks for the exact length. Asked for
	// more than the file holds, it sends the tail with MSG_MORE, which then
	// waits (Go issue 41513).
	io.LimitedReader
}

// open returns a reader of body from offset to its end, or nil when the body
// is to be written from memory. The caller gives it back with release.
func (b *bodyFile) open(body []byte, offset int) *bodyReader {
	if len(body) < minFileBody {
		return nil
	}
	b.once.Do(func() {
		b.memfd, b.path = newMemfd(body)
		b.made.Store(true)
	})
	if b.memfd == nil {
		return nil
	}
	var r *bodyReader
	b.mu.Lock()
	if n := len(b.free); n > 0 {
		r = b.free[n-1]
		b.free[n-1] = nil
		b.free = b.free[:n-1]
	}
	b.mu.Unlock()
	if r == nil {
		f, err := os.Open(b.path)
		if err != nil {
			return nil
		}
		r = &bodyReader{f: f}
	}
	if _, err := r.f.Seek(int64(offset), io.SeekStart); err != nil {
		r.f.Close()
		return nil
	}
	r.R, r.N = r.f, int64(len(body)-offset)
	return r
}

// release gives back a reader from open.
func (b *bodyFile) release(r *bodyReader) {
	b.mu.Lock()
	if len(b.free) < maxPooledReaders {
		b.free = append(b.free, r)
		r = nil
	}
	b.mu.Unlock()
	if r != nil {
		r.f.Close()
	}
}

// newMemfd returns a sealed memfd holding body and the /proc path that opens
// it again, or nil.
func newMemfd(body []byte) (*os.File, string) {
	size := int64(len(body))
	if fileBytes.Add(size) > maxFileBytes {
		fileBytes.Add(-size)
		return nil, ""
	}
	f, path := fillMemfd(body)
	if f == nil {
		fileBytes.Add(-size)
		return nil, ""
	}
	runtime.AddCleanup(f, func(size int64) { fileBytes.Add(-size) }, size)
	return f, path
}

func fillMemfd(body []byte) (*os.File, string) {
	fd, err := unix.MemfdCreate("provserver-body", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, ""
	}
	f := os.NewFile(uintptr(fd), "provserver-body")
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := f.Write(body); err != nil {
		f.Close()
		return nil, ""
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, ""
	}
	// The path must open this very file: /proc could be missing or another mount.
	path := "/proc/self/fd/" + strconv.Itoa(fd)
	check, err := os.Open(path)
	if err != nil {
		f.Close()
		return nil, ""
	}
	defer check.Close()
	var st1, st2 unix.Stat_t
	if unix.Fstat(fd, &st1) != nil || unix.Fstat(int(check.Fd()), &st2) != nil ||
		st1.Dev != st2.Dev || st1.Ino != st2.Ino || st2.Size != int64(len(body)) {
		f.Close()
		return nil, ""
	}
	return f, path
}

// hasFile reports whether the body is served from a file; for tests.
func (b *bodyFile) hasFile() bool { return b.made.Load() && b.memfd != nil }
