// Command benchserver serves one real 100-handset provisioning file through the
// devices' handler (provserver) and the production http.Server configuration
// (provserver.HTTPServer) on a loopback port, without authentication, for
// hack/bench-http.sh to load with wrk. It prints the file's URL on stdout once
// it listens, and serves until SIGINT or SIGTERM.
//
//	go run ./hack/benchserver -doc /tmp/x/7C2F80CA21E4.xml
//
// -doc writes the served file, byte for byte, so that nginx can serve the same
// document as a static file. -pprof serves net/http/pprof on a second,
// separate listener, for a CPU profile taken during the wrk run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address of the devices' port (loopback)")
	docPath := flag.String("doc", "", "also write the served file to this path")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address; empty for none")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("benchserver: ")

	body, mac, err := document()
	if err != nil {
		log.Fatal(err)
	}
	if *docPath != "" {
		if err := os.WriteFile(*docPath, body, 0o644); err != nil {
			log.Fatal(err)
		}
	}

	store := provserver.NewStore()
	if err := store.Set(provserver.Entry{Namespace: "bench", Base: "n720", MAC: mac, Body: body}); err != nil {
		log.Fatal(err)
	}
	// Like production, deliveries go to a bounded queue that a goroutine drains
	// (serving.Recorder.Record); the queue is never allowed to block a request.
	deliveries := make(chan provserver.Delivery, 1024)
	go func() {
		for range deliveries {
		}
	}()
	h, err := provserver.NewHandler(store, provserver.Options{
		Registry: prometheus.NewRegistry(),
		OnDelivery: func(d provserver.Delivery) {
			select {
			case deliveries <- d:
			default:
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	if *pprofAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pln, err := net.Listen("tcp", *pprofAddr)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("pprof on http://%s/debug/pprof/", pln.Addr())
		go func() { _ = http.Serve(pln, mux) }()
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := provserver.HTTPServer(h)
	fmt.Printf("http://%s/%s.xml\n", ln.Addr(), mac)
	log.Printf("serving a %d-byte file", len(body))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}
}

// document renders a N720 document with all 100 slots in use, and returns the
// file a device reads (document joined with credentials) and its MAC.
func document() ([]byte, string, error) {
	d := &gigaset.Document{
		MAC:         "7C2F80CA21E4",
		ProfileName: "bench-office",
		Provider: &gigaset.Provider{
			Name: "Office PBX", Domain: "pbx.example.com", Server: "pbx.example.com", ServerPort: 5060,
			Registrar: "pbx.example.com", RegistrarPort: 5060, OutboundProxyPort: 5060,
			ReRegistrationSeconds: 180, Transport: "UDP",
		},
		Time:         &gigaset.Time{NTPServer: "pool.ntp.org", TimezoneCode: 0x1B, AutomaticDST: true},
		DataServer:   "http://prov.example.com:8088",
		WebPassword:  "admin-Secret-1",
		Registration: gigaset.Registration{PIN: "4711", WindowStart: 1767225600, WindowSeconds: 3600},
	}
	for i := range d.Slots {
		account := fmt.Sprint(2000 + i)
		d.Slots[i] = gigaset.Slot{
			Owner: fmt.Sprintf("handset-%03d", i), Active: true,
			UserID: account, LoginID: "auth" + account, Password: fmt.Sprintf("pw-%03d-Xy!", i),
			DisplayName: fmt.Sprintf("Phone %03d", i), AccountName: account,
			MailboxEnabled: true, MailboxNumber: "*2", IPUI: fmt.Sprintf("00AB%06X", 0x100000+i*7919),
		}
	}
	r, err := gigaset.Render(d, gigaset.N720())
	if err != nil {
		return nil, "", err
	}
	return gigaset.Join(r.Document, r.Credentials), d.MAC, nil
}
