package simulator

import (
	"context"
	"testing"
	"time"
)

func TestFetchEvery(t *testing.T) {
	d, _ := newTestDevice(t)
	files := &fileServer{}
	files.set(doc(account(0, "1013", "Anna")...))
	url := files.start(t)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.FetchEvery(ctx, url, 20*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(eventsOf(d, EventFetched)) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the timer did not fetch twice")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done

	// A long timer does not fetch on its own within the test.
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	before := len(eventsOf(d, EventFetched))
	d.FetchEvery(ctx, url, 6*time.Hour)
	if after := len(eventsOf(d, EventFetched)); after != before {
		t.Errorf("a 6 h timer fetched %d times in 100 ms", after-before)
	}
}
