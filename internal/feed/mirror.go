package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/dect-operator/dect-operator/internal/provserver"
)

// Defaults of Mirror and Reporter.
const (
	DefaultWait  = 30 * time.Second
	DefaultRetry = time.Second
)

// Mirror is the sidecar's end for the files: it polls the manager's Publisher and keeps
// Store equal to what the Publisher holds. Loaded is closed once it has applied a full
// set; from then on the Store is never emptied by the feed's failures: when the manager
// is gone (restarting, or its API server unreachable) the devices keep getting the last
// files, as they do from a server whose API server is down.
type Mirror struct {
	URL   *url.URL // the Publisher, from ParseURL
	Store *provserver.Store
	Log   logr.Logger
	// Wait is how long a poll asks the Publisher to wait for a change; 0 means
	// DefaultWait. Retry is the pause after a failed poll; 0 means DefaultRetry.
	Wait, Retry time.Duration
	// Client is the HTTP client; nil means one without proxy.
	Client *http.Client

	loaded     chan struct{}
	loadedOnce sync.Once
	// nonceKey is the first full set's; written before loaded is closed, never after.
	nonceKey []byte

	// Only the goroutine that runs Run touches these.
	epoch   string
	version uint64
	held    map[string]bool // MACs in Store
}

// NewMirror returns a Mirror of the Publisher at u into store.
func NewMirror(u *url.URL, store *provserver.Store, log logr.Logger) *Mirror {
	return &Mirror{URL: u, Store: store, Log: log, loaded: make(chan struct{}), held: map[string]bool{}}
}

// Loaded is closed once the Store holds a full set.
func (m *Mirror) Loaded() <-chan struct{} { return m.loaded }

// NonceKey is the nonce key the first full set brought, nil if it brought none; call it
// once Loaded is closed. A later full set with another key (a restarted manager that
// read a Secret deleted to rotate the key) does not change it: the sidecar's handler
// is built once with its key, and a new key takes effect when the Pod restarts, as it
// does for the other replicas.
func (m *Mirror) NonceKey() []byte { return m.nonceKey }

// Ready reports whether the Store holds a full set.
func (m *Mirror) Ready() bool {
	select {
	case <-m.loaded:
		return true
	default:
		return false
	}
}

// Run polls until ctx is done. It logs the first failure of a run of failures and the
// recovery, not each retry.
func (m *Mirror) Run(ctx context.Context) error {
	wait, retry := cmpOr(m.Wait, DefaultWait), cmpOr(m.Retry, DefaultRetry)
	client := m.Client
	if client == nil {
		client = newClient(wait)
	}
	failing := false
	for ctx.Err() == nil {
		err := m.poll(ctx, client, wait)
		switch {
		case err == nil && failing:
			m.Log.Info("reached the manager's feed", "version", m.version)
			failing = false
		case err != nil && ctx.Err() == nil:
			switch {
			case failing:
			case !m.Ready():
				m.Log.Info("waiting for the files from the manager", "reason", err.Error())
			default:
				m.Log.Info("cannot get the files from the manager; serving the last ones, retrying", "reason", err.Error())
			}
			failing = true
			select {
			case <-ctx.Done():
			case <-time.After(retry):
			}
		}
	}
	return nil
}

// poll makes one request and applies its answer.
func (m *Mirror) poll(ctx context.Context, client *http.Client, wait time.Duration) error {
	q := url.Values{"wait": {wait.String()}}
	if m.epoch != "" {
		q.Set("epoch", m.epoch)
		q.Set("version", strconv.FormatUint(m.version, 10))
	}
	u := *m.URL
	u.Path, u.RawQuery = PathFiles, q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the manager's feed answered %s", resp.Status)
	}
	upd, err := DecodeUpdate(resp.Body)
	if err != nil {
		return err
	}
	return m.apply(upd)
}

// apply makes the Store hold what u says. A change that does not follow the version
// held (another epoch; which the Publisher never sends) is refused, and the next poll
// asks for the full set.
func (m *Mirror) apply(u Update) error {
	if !u.Full && (u.Epoch != m.epoch || m.epoch == "") {
		m.epoch, m.version = "", 0
		return errors.New("the manager's feed sent changes to a set this sidecar does not hold")
	}
	var keep map[string]bool
	if u.Full {
		keep = make(map[string]bool, len(u.Entries))
	}
	for _, e := range u.Entries {
		if err := m.Store.Set(e); err != nil {
			// DecodeUpdate checked each entry as the Store does: not expected. Start
			// afresh with the full set.
			m.epoch, m.version = "", 0
			return err
		}
		m.held[e.MAC] = true
		if keep != nil {
			keep[e.MAC] = true
		}
	}
	for _, mac := range u.Deleted {
		m.Store.Delete(mac)
		delete(m.held, mac)
	}
	if u.Full {
		for mac := range m.held {
			if !keep[mac] {
				m.Store.Delete(mac)
				delete(m.held, mac)
			}
		}
	}
	changed := len(u.Entries) + len(u.Deleted)
	switch {
	case u.Full:
		m.Log.Info("files from the manager", "bases", len(m.held), "version", u.Version)
	case changed > 0:
		m.Log.V(1).Info("changes from the manager", "set", len(u.Entries), "deleted", len(u.Deleted), "version", u.Version)
	}
	m.epoch, m.version = u.Epoch, u.Version
	if u.Full {
		m.takeNonceKey(u.NonceKey)
	}
	return nil
}

// takeNonceKey keeps the first full set's key and marks the Store loaded; a later key
// that differs is logged (never shown) and ignored (see NonceKey).
func (m *Mirror) takeNonceKey(key []byte) {
	if !m.Ready() {
		m.nonceKey = key
		m.loadedOnce.Do(func() { close(m.loaded) })
		return
	}
	if !bytes.Equal(key, m.nonceKey) {
		m.Log.Info("the manager sent another nonce key; serving with the first until the Pod restarts")
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
