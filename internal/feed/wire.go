package feed

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/dect-operator/dect-operator/internal/provserver"
	"github.com/dect-operator/dect-operator/internal/useragent"
)

// Update is one answer to the sidecar's poll.
type Update struct {
	// Epoch names the Publisher (one manager process); Version counts its changes.
	Epoch   string
	Version uint64
	// Full: Entries is the whole set, and whatever else the sidecar holds goes.
	// Otherwise Entries are set or replaced and Deleted are removed.
	Full    bool
	Entries []provserver.Entry
	Deleted []string // canonical MACs
	// NonceKey, only in a Full update, is the key that signs the Digest nonces, shared
	// by every replica (the manager reads it from a Secret the sidecar cannot read); nil
	// when the manager has none. It is never logged.
	NonceKey []byte
}

// MaxDeliveries is the most delivery records one POST carries.
const MaxDeliveries = 256

// maxDeliveriesBody bounds a POST's body: MaxDeliveries records of at most about 600
// bytes each.
const maxDeliveriesBody = 1 << 20

// maxEpoch bounds an epoch's length; the Publisher's are 32 hex digits.
const maxEpoch = 64

// maxName bounds a namespace or object name (a DNS subdomain).
const maxName = 253

// maxFirmware bounds the firmware version taken from a User-Agent.
const maxFirmware = 64

// The wire's JSON shapes. Field names are short and stable; unknown fields are refused,
// so that a manager and a sidecar of different versions in one Pod (which a Deployment
// never runs) fail loudly instead of dropping a field.
type wireUpdate struct {
	Epoch   string      `json:"epoch"`
	Version uint64      `json:"version"`
	Full    bool        `json:"full"`
	Entries []wireEntry `json:"entries"`
	Deleted []string    `json:"deleted"`
	// NonceKey is base64, as []byte always is in encoding/json.
	NonceKey []byte `json:"nonceKey,omitempty"`
}

type wireEntry struct {
	Namespace      string         `json:"namespace"`
	Base           string         `json:"base"`
	MAC            string         `json:"mac"`
	Body           []byte         `json:"body"` // base64
	Hash           string         `json:"hash"`
	Username       string         `json:"username,omitempty"`
	Password       string         `json:"password,omitempty"`
	MACID          string         `json:"macID,omitempty"`
	AllowedSources []netip.Prefix `json:"allowedSources,omitempty"`
}

type wireDeliveries struct {
	Deliveries []wireDelivery `json:"deliveries"`
}

type wireDelivery struct {
	Namespace string     `json:"namespace"`
	Base      string     `json:"base"`
	MAC       string     `json:"mac"`
	Time      time.Time  `json:"time"`
	Source    netip.Addr `json:"source"`
	UserAgent string     `json:"userAgent,omitempty"`
	Firmware  string     `json:"firmware,omitempty"`
	Hash      string     `json:"hash"`
}

// EncodeUpdate writes u, one entry at a time: a full set of a thousand bases is a
// hundred megabytes, which the manager never holds twice.
func EncodeUpdate(w io.Writer, u Update) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := json.Marshal(struct {
		Epoch    string   `json:"epoch"`
		Version  uint64   `json:"version"`
		Full     bool     `json:"full"`
		Deleted  []string `json:"deleted"`
		NonceKey []byte   `json:"nonceKey,omitempty"`
	}{u.Epoch, u.Version, u.Full, nonNil(u.Deleted), u.NonceKey})
	if err != nil {
		return err
	}
	// {"epoch":...,"deleted":[...],"entries":[ ... ]}
	bw.Write(head[:len(head)-1])
	bw.WriteString(`,"entries":[`)
	for i, e := range u.Entries {
		if i > 0 {
			bw.WriteByte(',')
		}
		b, err := json.Marshal(wireEntry{
			Namespace: e.Namespace, Base: e.Base, MAC: e.MAC, Body: e.Body, Hash: e.Hash,
			Username: e.Auth.Username, Password: e.Auth.Password, MACID: e.Auth.MACID,
			AllowedSources: e.AllowedSources,
		})
		if err != nil {
			return fmt.Errorf("feed: encoding the entry of %s/%s", e.Namespace, e.Base)
		}
		bw.Write(b)
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// DecodeUpdate reads one Update and checks it whole: a valid epoch and version, every
// entry as provserver.Check wants it with its Hash given (so a body cut or changed on
// the way is refused), a namespace and base on each, no MAC twice, deletions only of
// valid MACs and only in an Update that is not Full, a nonce key only in a Full one and
// of at least provserver.MinNonceKeyLen bytes. The MACs come back canonical. Its errors
// never contain a body, a credential or the key.
func DecodeUpdate(r io.Reader) (Update, error) {
	var w wireUpdate
	if err := decodeOne(r, &w); err != nil {
		return Update{}, fmt.Errorf("feed: decoding the files: %w", err)
	}
	if err := checkEpoch(w.Epoch); err != nil {
		return Update{}, err
	}
	if w.Version == 0 {
		return Update{}, errors.New("feed: version 0 in an update")
	}
	if w.Full && len(w.Deleted) > 0 {
		return Update{}, errors.New("feed: a full update with deletions")
	}
	if err := checkNonceKey(w.Full, w.NonceKey); err != nil {
		return Update{}, err
	}
	u := Update{Epoch: w.Epoch, Version: w.Version, Full: w.Full, NonceKey: w.NonceKey}
	seen := make(map[string]bool, len(w.Entries)+len(w.Deleted))
	for i, we := range w.Entries {
		if we.Hash == "" {
			return Update{}, fmt.Errorf("feed: entry %d has no hash", i)
		}
		if err := checkName(we.Namespace, we.Base); err != nil {
			return Update{}, fmt.Errorf("feed: entry %d: %w", i, err)
		}
		e, err := provserver.Check(provserver.Entry{
			Namespace: we.Namespace, Base: we.Base, MAC: we.MAC, Body: we.Body, Hash: we.Hash,
			Auth:           provserver.Auth{Username: we.Username, Password: we.Password, MACID: we.MACID},
			AllowedSources: we.AllowedSources,
		})
		if err != nil {
			return Update{}, fmt.Errorf("feed: entry %d: %w", i, err)
		}
		if seen[e.MAC] {
			return Update{}, fmt.Errorf("feed: MAC %s twice in an update", e.MAC)
		}
		seen[e.MAC] = true
		u.Entries = append(u.Entries, e)
	}
	for i, m := range w.Deleted {
		mac, ok := canonicalMAC(m)
		if !ok {
			return Update{}, fmt.Errorf("feed: deletion %d is not a MAC", i)
		}
		if seen[mac] {
			return Update{}, fmt.Errorf("feed: MAC %s twice in an update", mac)
		}
		seen[mac] = true
		u.Deleted = append(u.Deleted, mac)
	}
	return u, nil
}

// EncodeDeliveries writes a batch of delivery records.
func EncodeDeliveries(w io.Writer, ds []provserver.Delivery) error {
	out := wireDeliveries{Deliveries: make([]wireDelivery, 0, len(ds))}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, wireDelivery{
			Namespace: d.Namespace, Base: d.Base, MAC: d.MAC, Time: d.Time, Source: d.Source,
			UserAgent: d.UserAgent, Firmware: d.Firmware, Hash: d.Hash,
		})
	}
	return json.NewEncoder(w).Encode(out)
}

// DecodeDeliveries reads a batch of at most MaxDeliveries delivery records and checks
// each: a namespace and base, a MAC (returned canonical), a time, a source address, the
// hex SHA-256 of the file, and a User-Agent and firmware no longer than the server
// keeps.
func DecodeDeliveries(r io.Reader) ([]provserver.Delivery, error) {
	var w wireDeliveries
	if err := decodeOne(io.LimitReader(r, maxDeliveriesBody+1), &w); err != nil {
		return nil, fmt.Errorf("feed: decoding deliveries: %w", err)
	}
	if len(w.Deliveries) > MaxDeliveries {
		return nil, fmt.Errorf("feed: %d deliveries in one batch, at most %d", len(w.Deliveries), MaxDeliveries)
	}
	out := make([]provserver.Delivery, 0, len(w.Deliveries))
	for i, d := range w.Deliveries {
		mac, ok := canonicalMAC(d.MAC)
		switch {
		case !ok:
			return nil, fmt.Errorf("feed: delivery %d: not a MAC", i)
		case checkName(d.Namespace, d.Base) != nil:
			return nil, fmt.Errorf("feed: delivery %d: %w", i, checkName(d.Namespace, d.Base))
		case d.Time.IsZero():
			return nil, fmt.Errorf("feed: delivery %d: no time", i)
		case !d.Source.IsValid():
			return nil, fmt.Errorf("feed: delivery %d: no source address", i)
		case !isSHA256(d.Hash):
			return nil, fmt.Errorf("feed: delivery %d: the hash is not a hex SHA-256", i)
		case len(d.UserAgent) > useragent.MaxLen || len(d.Firmware) > maxFirmware:
			return nil, fmt.Errorf("feed: delivery %d: User-Agent or firmware too long", i)
		}
		out = append(out, provserver.Delivery{
			Namespace: d.Namespace, Base: d.Base, MAC: mac, Time: d.Time, Source: d.Source,
			UserAgent: d.UserAgent, Firmware: d.Firmware, Hash: d.Hash,
		})
	}
	return out, nil
}

// decodeOne decodes exactly one JSON value, with no unknown field and nothing after it
// but white space.
func decodeOne(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

func checkEpoch(e string) error {
	if e == "" || len(e) > maxEpoch {
		return errors.New("feed: an update without a valid epoch")
	}
	for _, c := range []byte(e) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			return errors.New("feed: an update without a valid epoch")
		}
	}
	return nil
}

// checkNonceKey refuses a key in a change (the sidecar takes the key with a full set,
// the one the manager answers first) and a key the Digest server would refuse, which
// would otherwise fail only later, when the sidecar builds its handler.
func checkNonceKey(full bool, key []byte) error {
	switch {
	case key == nil:
		return nil
	case !full:
		return errors.New("feed: a nonce key in an update that is not full")
	case len(key) < provserver.MinNonceKeyLen:
		return fmt.Errorf("feed: a nonce key of %d bytes, want at least %d", len(key), provserver.MinNonceKeyLen)
	}
	return nil
}

func checkName(namespace, base string) error {
	if namespace == "" || base == "" || len(namespace) > maxName || len(base) > maxName {
		return errors.New("no valid namespace and base")
	}
	return nil
}

// canonicalMAC returns mac as 12 upper-case hex digits, if it is 12 hex digits.
func canonicalMAC(mac string) (string, bool) {
	if len(mac) != 12 {
		return "", false
	}
	b := []byte(mac)
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9', 'A' <= c && c <= 'F':
		case 'a' <= c && c <= 'f':
			b[i] = c - 'a' + 'A'
		default:
			return "", false
		}
	}
	return string(b), true
}

func isSHA256(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range []byte(h) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
