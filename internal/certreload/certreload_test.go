package certreload

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dect-operator/dect-operator/internal/fakeclock"
)

// pair is a self-signed certificate and its key, PEM.
type pair struct {
	cert, key []byte
	der       []byte
}

func newPair(t *testing.T, name string) pair {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pair{
		cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}),
		der:  der,
	}
}

// secretDir lays files out as the kubelet mounts a Secret: tls.crt and tls.key
// are symbolic links through ..data to a timestamped directory, and an update
// swaps ..data atomically.
type secretDir struct {
	t   *testing.T
	dir string
	n   int
}

func (s *secretDir) write(cert, key []byte) {
	s.t.Helper()
	s.n++
	ts := filepath.Join(s.dir, "..v"+strings.Repeat("x", s.n))
	if err := os.Mkdir(ts, 0o700); err != nil {
		s.t.Fatal(err)
	}
	for name, b := range map[string][]byte{"tls.crt": cert, "tls.key": key} {
		if err := os.WriteFile(filepath.Join(ts, name), b, 0o600); err != nil {
			s.t.Fatal(err)
		}
	}
	tmp := filepath.Join(s.dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "..data")); err != nil {
		s.t.Fatal(err)
	}
	for _, name := range []string{"tls.crt", "tls.key"} {
		link := filepath.Join(s.dir, name)
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				s.t.Fatal(err)
			}
		}
	}
}

func (s *secretDir) config(clk *fakeclock.Clock) Config {
	return Config{CertFile: filepath.Join(s.dir, "tls.crt"), KeyFile: filepath.Join(s.dir, "tls.key"), Now: clk.Now, Interval: time.Minute}
}

func TestReloadOnSwap(t *testing.T) {
	a, b, c := newPair(t, "a.test"), newPair(t, "b.test"), newPair(t, "c.test")
	sd := &secretDir{t: t, dir: t.TempDir()}
	sd.write(a.cert, a.key)
	clk := fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	r, err := New(sd.config(clk))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		write   *[2][]byte
		advance time.Duration
		want    []byte
		wantErr bool
	}{
		{"initial", nil, 0, a.der, false},
		{"swapped, before the interval", &[2][]byte{b.cert, b.key}, 30 * time.Second, a.der, false},
		{"after the interval", nil, 30 * time.Second, b.der, false},
		{"key of another certificate: previous kept", &[2][]byte{c.cert, a.key}, time.Minute, b.der, true},
		{"half-written certificate: previous kept", &[2][]byte{c.cert[:len(c.cert)/2], c.key}, time.Minute, b.der, true},
		{"missing files: previous kept", &[2][]byte{}, time.Minute, b.der, true},
		{"fixed", &[2][]byte{c.cert, c.key}, time.Minute, c.der, false},
		{"unchanged", nil, time.Hour, c.der, false},
	}
	for _, st := range steps {
		if st.write != nil {
			if st.write[0] == nil {
				os.Remove(filepath.Join(sd.dir, "tls.crt"))
			} else {
				sd.write(st.write[0], st.write[1])
			}
		}
		clk.Advance(st.advance)
		got, err := r.GetCertificate(&tls.ClientHelloInfo{})
		if err != nil || !bytes.Equal(got.Certificate[0], st.want) {
			t.Errorf("%s: got another certificate (err %v)", st.name, err)
		}
		if (r.Err() != nil) != st.wantErr {
			t.Errorf("%s: Err() = %v, want error %v", st.name, r.Err(), st.wantErr)
		}
		if e := r.Err(); e != nil && (strings.Contains(e.Error(), "PRIVATE") || strings.Contains(e.Error(), "BEGIN")) {
			t.Errorf("%s: error shows file content: %v", st.name, e)
		}
		if st.write != nil && st.write[0] == nil {
			sd.write(b.cert, b.key) // restores the link for the next step
		}
	}
}

// A real TLS server on loopback hands out the new certificate after a swap.
func TestTLSHandshakeAfterSwap(t *testing.T) {
	a, b := newPair(t, "a.test"), newPair(t, "b.test")
	sd := &secretDir{t: t, dir: t.TempDir()}
	sd.write(a.cert, a.key)
	clk := fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	r, err := New(sd.config(clk))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: r.GetCertificate})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	leaf := func() []byte {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Raw
	}
	if !bytes.Equal(leaf(), a.der) {
		t.Error("first handshake: not certificate a")
	}
	sd.write(b.cert, b.key)
	clk.Advance(time.Minute)
	if !bytes.Equal(leaf(), b.der) {
		t.Error("after the swap: not certificate b")
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []Config{
		{},
		{CertFile: filepath.Join(dir, "missing.crt"), KeyFile: filepath.Join(dir, "missing.key")},
		{CertFile: "x", KeyFile: "y", Interval: -1},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}
