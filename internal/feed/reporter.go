package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/go-logr/logr"

	"github.com/dect-operator/dect-operator/internal/provserver"
)

// queueLen is how many deliveries the Reporter holds while the manager does not take
// them (the newest; older ones are dropped), and how many more Record queues meanwhile.
// The manager writes one record per base and interval anyway, and the device's next
// fetch records the same fact.
const queueLen = 1024

// Reporter is the sidecar's end for the deliveries: Record (the handler's OnDelivery)
// queues without blocking, Run sends them to the manager in batches, and keeps them
// for another try while the manager does not take them.
type Reporter struct {
	URL *url.URL // the Publisher, from ParseURL
	Log logr.Logger
	// Retry is the pause after a failed send; 0 means DefaultRetry.
	Retry time.Duration
	// Client is the HTTP client; nil means one without proxy.
	Client *http.Client

	queue chan provserver.Delivery
}

// NewReporter returns a Reporter to the Publisher at u.
func NewReporter(u *url.URL, log logr.Logger) *Reporter {
	return &Reporter{URL: u, Log: log, queue: make(chan provserver.Delivery, queueLen)}
}

// Record queues d; when the queue is full, d is dropped.
func (r *Reporter) Record(d provserver.Delivery) {
	select {
	case r.queue <- d:
	default:
	}
}

// Run sends the queued deliveries until ctx is done.
func (r *Reporter) Run(ctx context.Context) error {
	client := r.Client
	if client == nil {
		client = newClient(0)
	}
	retry := cmpOr(r.Retry, DefaultRetry)
	var pending []provserver.Delivery
	failing := false
	for {
		if len(pending) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case d := <-r.queue:
				pending = append(pending, d)
			}
		}
		// Whatever else is queued goes along; of what is held, the newest queueLen.
	drain:
		for {
			select {
			case d := <-r.queue:
				pending = append(pending, d)
			default:
				break drain
			}
		}
		if n := len(pending) - queueLen; n > 0 {
			pending = pending[n:]
		}
		batch := pending[:min(len(pending), MaxDeliveries)]
		err := r.send(ctx, client, batch)
		switch {
		case err == nil:
			pending = pending[len(batch):]
			if failing {
				r.Log.Info("the manager takes the deliveries again")
				failing = false
			}
			continue
		case errors.Is(err, errRefused):
			pending = pending[len(batch):] // another try would be refused too
			r.Log.Info("the manager refused a batch of deliveries; dropped", "deliveries", len(batch))
			continue
		case ctx.Err() != nil:
			return nil
		case !failing:
			r.Log.Info("cannot report deliveries to the manager; keeping them, retrying", "reason", err.Error())
			failing = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
	}
}

var errRefused = errors.New("the manager refused the deliveries")

func (r *Reporter) send(ctx context.Context, client *http.Client, ds []provserver.Delivery) error {
	var body bytes.Buffer
	if err := EncodeDeliveries(&body, ds); err != nil {
		return err
	}
	u := *r.URL
	u.Path, u.RawQuery = PathDeliveries, ""
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNoContent:
		return nil
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusRequestEntityTooLarge:
		return errRefused
	}
	return fmt.Errorf("the manager's feed answered %s", resp.Status)
}
