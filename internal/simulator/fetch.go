package simulator

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Identity is who the device said it was when a request succeeded.
type Identity int

const (
	// IdentityNone: the request carried no credentials.
	IdentityNone Identity = iota
	// IdentityBuiltIn: user = the MAC, password = the MAC-ID.
	IdentityBuiltIn
	// IdentityConfigured: the credentials configured on the device.
	IdentityConfigured
)

func (i Identity) String() string {
	switch i {
	case IdentityNone:
		return "none"
	case IdentityBuiltIn:
		return "built-in (MAC/MAC-ID)"
	case IdentityConfigured:
		return "configured"
	}
	return fmt.Sprintf("Identity(%d)", int(i))
}

// Errors returned by Fetch when the device gets no file.
var (
	ErrUnauthorized      = errors.New("simulator: the server rejected every identity")
	ErrNoDigestChallenge = errors.New("simulator: 401 without a Digest challenge the device can answer")
	ErrUnexpectedStatus  = errors.New("simulator: unexpected HTTP status")
)

// maxStaleRetries bounds how often one identity is retried after stale=true, so that a
// server that always answers stale cannot keep the device busy.
const maxStaleRetries = 2

// FetchResult is the outcome of one download. The embedded ApplyResult is set for a
// 200 answer.
type FetchResult struct {
	URL         string
	StatusCode  int      // of the last answer; 0 if none came
	Identity    Identity // of the last request sent
	Algorithm   string   // Digest algorithm of the last request; "" without credentials
	Requests    int      // HTTP requests sent
	NotModified bool     // 304: the file is the one last applied
	NotFound    bool     // 404: the server has no file for this MAC; settings are kept
	ETag        string   // of the answer
	ApplyResult
	// Firmware is set when the applied file names a DECT Manager image other than
	// the running one: the device then downloads it after applying the file.
	Firmware *FirmwareUpdate
}

// Fetch downloads and applies <baseURL>/<MAC>.xml as the device does: first without
// credentials, then on 401 with its built-in identity, then with its configured
// credentials, retrying an identity whose nonce was stale; with If-None-Match set to
// the ETag of the last applied file. When the applied file names a DECT Manager image
// (S_SPECIAL_DATA_SRV_IWU) other than the running one, Fetch then downloads it without
// credentials and, if the whole image arrives, reports its version from then on. The error is nil whenever the server answered 200,
// 404, or 304 to a conditional request: whether the file was applied or ignored is in
// the result, as on the device, which carries on either way.
func (d *Device) Fetch(ctx context.Context, baseURL string) (FetchResult, error) {
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()

	res := FetchResult{}
	target, err := fileURL(baseURL, d.mac)
	if err != nil {
		return res, err
	}
	res.URL = target

	d.mu.Lock()
	etag := d.etag
	d.mu.Unlock()

	resp, err := d.download(ctx, target, etag, &res)
	if err != nil {
		d.logFetch(newEvent(d.clock.Now(), EventFetchFailed, "%s: %v", target, err))
		return res, err
	}
	defer resp.Body.Close()
	res.ETag = resp.Header.Get("ETag")

	switch {
	case resp.StatusCode == http.StatusOK:
		// One byte more than the limit tells a file at the limit from a larger one.
		body, err := io.ReadAll(io.LimitReader(resp.Body, int64(d.maxFileSize)+1))
		if err != nil {
			err = fmt.Errorf("reading %s: %w", target, err)
			d.logFetch(newEvent(d.clock.Now(), EventFetchFailed, "%v", err))
			return res, err
		}
		d.mu.Lock()
		now := d.clock.Now()
		d.advance(now)
		d.events.add(d.fetchedEvent(now, &res, len(body)))
		res.ApplyResult = d.apply(body, now)
		var firmware string
		if res.Applied {
			d.etag = res.ETag
			firmware = d.pendingFirmware()
		}
		d.mu.Unlock()
		if firmware != "" {
			res.Firmware = d.updateFirmware(ctx, firmware)
		}
		return res, nil
	case resp.StatusCode == http.StatusNotModified && etag != "":
		res.NotModified = true
	case resp.StatusCode == http.StatusNotFound:
		res.NotFound = true
	default:
		err := fmt.Errorf("%w %s from %s", ErrUnexpectedStatus, resp.Status, target)
		d.logFetch(newEvent(d.clock.Now(), EventFetchFailed, "%v", err))
		return res, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.advance(now)
	d.events.add(d.fetchedEvent(now, &res, 0))
	return res, nil
}

func (d *Device) logFetch(e Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.advance(e.Time)
	d.events.add(e)
}

func (d *Device) fetchedEvent(now time.Time, res *FetchResult, n int) Event {
	detail := fmt.Sprintf("%s: %d, identity %s", res.URL, res.StatusCode, res.Identity)
	if res.Algorithm != "" {
		detail += " (" + res.Algorithm + ")"
	}
	switch {
	case res.NotModified:
		detail += ", not modified"
	case res.NotFound:
		detail += ", no file for this device; settings kept"
	default:
		detail += fmt.Sprintf(", %d bytes", n)
	}
	return newEvent(now, EventFetched, "%s", detail)
}

// fileURL is <baseURL>/<MAC>.xml.
func fileURL(baseURL, mac string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("provisioning server URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("provisioning server URL %q: want http://host[:port][/path]", baseURL)
	}
	return strings.TrimSuffix(baseURL, "/") + "/" + mac + ".xml", nil
}

type identity struct {
	kind               Identity
	username, password string
}

// download runs the device's authentication sequence and returns the first answer that
// is not a 401, with its body still to be read.
func (d *Device) download(ctx context.Context, target, etag string, res *FetchResult) (*http.Response, error) {
	ids := []identity{{kind: IdentityNone}, {IdentityBuiltIn, d.mac, d.macID}}
	if d.username != "" {
		ids = append(ids, identity{IdentityConfigured, d.username, d.password})
	}

	var (
		ch     challenge
		nc     = map[string]uint32{} // nonce count per nonce (RFC 7616 §3.4)
		stales int
	)
	for i := 0; i < len(ids); {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", d.UserAgent())
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res.Identity, res.Algorithm = ids[i].kind, ""
		if ids[i].kind != IdentityNone {
			nc[ch.nonce]++
			req.Header.Set("Authorization", ch.authorization(http.MethodGet, req.URL.RequestURI(),
				ids[i].username, ids[i].password, nc[ch.nonce], rand.Text()))
			res.Algorithm = ch.algorithmName()
		}

		resp, err := d.client.Do(req)
		if err != nil {
			return nil, err
		}
		res.Requests++
		res.StatusCode = resp.StatusCode
		if resp.StatusCode != http.StatusUnauthorized {
			return resp, nil
		}
		next, ok := pickChallenge(resp.Header.Values("WWW-Authenticate"))
		drain(resp)
		if !ok {
			return nil, ErrNoDigestChallenge
		}
		ch = next
		// stale=true means the credentials were right but the nonce had expired: the
		// same identity is tried again with the new nonce.
		if ids[i].kind != IdentityNone && next.stale && stales < maxStaleRetries {
			stales++
			continue
		}
		stales = 0
		i++
	}
	return nil, ErrUnauthorized
}

// drain reads a little of a body that is not used and closes it, so that the
// connection can be reused for the next attempt.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
