// Package certreload serves a TLS certificate from a certificate and a key
// file and picks up new files without a restart: cert-manager renews a
// certificate into a Secret, the kubelet swaps the mounted files, and the next
// handshake after the check interval uses the new pair.
//
// Use Reloader.GetCertificate as tls.Config.GetCertificate. A change is seen
// by stat (modification time, size, inode, following the symbolic links a
// mounted Secret consists of), at most once per Interval, during a handshake;
// nothing runs in the background. A pair that does not load (a half-written
// file, a key that does not match the certificate) leaves the previous
// certificate in service and is retried at the next check; Err reports it.
// Errors name the files, never their content.
package certreload

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// DefaultInterval between two checks of the files.
const DefaultInterval = 10 * time.Second

// Config configures a Reloader.
type Config struct {
	CertFile, KeyFile string // PEM
	// Interval between two checks of the files; 0 means DefaultInterval.
	Interval time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Reloader holds the current certificate. It is safe for concurrent use.
type Reloader struct {
	cfg Config

	mu      sync.Mutex
	cert    *tls.Certificate
	stamps  [2]os.FileInfo // of the files the current certificate came from
	checked time.Time
	err     error // of the last attempt; nil when it loaded
}

// New loads the pair; it fails when the first load does.
func New(c Config) (*Reloader, error) {
	if c.CertFile == "" || c.KeyFile == "" {
		return nil, errors.New("certreload: CertFile and KeyFile are required")
	}
	if c.Interval < 0 {
		return nil, errors.New("certreload: Interval must not be negative")
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	r := &Reloader{cfg: c}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.load(); err != nil {
		return nil, err
	}
	r.checked = c.Now()
	return r, nil
}

// GetCertificate returns the current certificate, checking the files first
// when Interval has passed since the last check.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.cfg.Now(); now.Sub(r.checked) >= r.cfg.Interval {
		r.checked = now
		r.reloadIfChanged()
	}
	return r.cert, nil
}

// Reload checks the files now and loads them when they changed; it returns
// the error of that load (the previous certificate stays in service).
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checked = r.cfg.Now()
	r.reloadIfChanged()
	return r.err
}

// Err returns the error of the last load attempt, nil when it succeeded.
func (r *Reloader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Leaf returns the current certificate's first (leaf) certificate, DER.
func (r *Reloader) Leaf() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cert.Certificate[0]
}

func (r *Reloader) reloadIfChanged() {
	stamps, err := stat(r.cfg.CertFile, r.cfg.KeyFile)
	if err != nil {
		r.err = err
		return
	}
	if r.err == nil && same(stamps[0], r.stamps[0]) && same(stamps[1], r.stamps[1]) {
		return
	}
	r.err = r.load()
}

// load reads the pair; on success it replaces the certificate.
func (r *Reloader) load() error {
	before, err := stat(r.cfg.CertFile, r.cfg.KeyFile)
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(r.cfg.CertFile, r.cfg.KeyFile)
	if err != nil {
		// LoadX509KeyPair's errors describe the PEM blocks, not their bytes.
		return fmt.Errorf("certreload: loading %s and %s: %w", r.cfg.CertFile, r.cfg.KeyFile, err)
	}
	r.cert, r.stamps = &cert, before
	return nil
}

func stat(files ...string) ([2]os.FileInfo, error) {
	var out [2]os.FileInfo
	for i, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return out, fmt.Errorf("certreload: %w", err)
		}
		out[i] = fi
	}
	return out, nil
}

func same(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}
