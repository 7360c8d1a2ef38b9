package feed

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/dect-operator/dect-operator/internal/provserver"
)

const (
	macA = "7C2F80000001"
	macB = "7C2F80000002"
	macC = "7C2F80000003"
)

// summary is an Update in one line: "full v3: A:x B:y" or "changes v4: A:z -C".
func summary(u Update) string {
	kind := "changes"
	if u.Full {
		kind = "full"
	}
	parts := []string{fmt.Sprintf("%s v%d:", kind, u.Version)}
	for _, e := range u.Entries {
		body := strings.TrimPrefix(string(e.Body), "<Provider>")
		parts = append(parts, e.MAC[11:]+":"+strings.Fields(body)[0])
	}
	for _, m := range u.Deleted {
		parts = append(parts, "-"+m[11:])
	}
	return strings.Join(parts, " ")
}

// The Publisher's versions: one per Commit that changes something, the changes since
// any version it can tell, the full set for the rest.
func TestPublisherVersions(t *testing.T) {
	p := NewPublisher(logr.Discard())
	if _, _, ok := p.since("", 0); ok {
		t.Fatal("answers before the first Commit")
	}
	type ask struct {
		epoch   string // "" for another epoch
		version uint64
		want    string // summary, or "" for nothing new
	}
	steps := []struct {
		name   string
		change func()
		asks   []ask
	}{
		{"the first load, empty", func() {}, []ask{
			{"", 0, "full v1:"},
			{"mine", 1, ""},
		}},
		{"two bases", func() { _ = p.Set(entry(macA, "a1")); _ = p.Set(entry(macB, "b1")) }, []ask{
			{"", 0, "full v2: 1:a1 2:b1"},
			{"mine", 1, "changes v2: 1:a1 2:b1"},
			{"mine", 2, ""},
			{"", 2, "full v2: 1:a1 2:b1"}, // another epoch's version 2 is not this one
		}},
		{"nothing changed", func() { _ = p.Set(entry(macA, "a1")) }, []ask{
			{"mine", 2, ""},
		}},
		{"one changed, one new", func() { _ = p.Set(entry(macA, "a2")); _ = p.Set(entry(macC, "c1")) }, []ask{
			{"mine", 2, "changes v3: 1:a2 3:c1"},
			{"mine", 1, "changes v3: 1:a2 2:b1 3:c1"},
		}},
		{"one deleted", func() { p.Delete(strings.ToLower(macB)) }, []ask{
			{"mine", 3, "changes v4: -2"},
			{"mine", 2, "changes v4: 1:a2 3:c1 -2"},
			{"mine", 9, "full v4: 1:a2 3:c1"}, // a version it never had
			{"", 0, "full v4: 1:a2 3:c1"},
		}},
		{"deleted and set again", func() { p.Delete(macC); _ = p.Set(entry(macB, "b2")) }, []ask{
			{"mine", 4, "changes v5: 2:b2 -3"},
			{"mine", 3, "changes v5: 2:b2 -3"},
		}},
		{"set and deleted in one rebuild", func() { _ = p.Set(entry(macC, "c2")); p.Delete(macC) }, []ask{
			{"mine", 5, ""},
		}},
		{"deleting what is not there", func() { p.Delete(macC); p.Delete("not-a-mac") }, []ask{
			{"mine", 5, ""},
		}},
	}
	for _, step := range steps {
		step.change()
		p.Commit()
		for _, a := range step.asks {
			epoch := "another"
			if a.epoch == "mine" {
				epoch = p.Epoch()
			}
			u, news, ok := p.since(epoch, a.version)
			got := ""
			if news {
				got = summary(u)
			}
			if !ok || got != a.want || u.Epoch != p.Epoch() {
				t.Errorf("%s: since(%s, %d) = %q (epoch %s, ok %t), want %q", step.name, a.epoch, a.version, got, u.Epoch, ok, a.want)
			}
		}
	}
	if err := p.Set(provserver.Entry{MAC: "nope"}); err == nil {
		t.Error("Set took an entry the Store would refuse")
	}
}

// Past maxTombstones deletions the Publisher forgets them: a client from before gets
// the full set, a client from after still gets changes.
func TestPublisherForgetsOldDeletions(t *testing.T) {
	p := NewPublisher(logr.Discard())
	_ = p.Set(entry(macA, "a"))
	p.Commit() // v1
	for i := range maxTombstones + 1 {
		mac := fmt.Sprintf("7C2F81%06X", i)
		_ = p.Set(entry(mac, "x"))
		p.Commit()
		p.Delete(mac)
		p.Commit()
	}
	last := p.version
	if u, _, _ := p.since(p.Epoch(), 1); !u.Full || summary(u) != fmt.Sprintf("full v%d: 1:a", last) {
		t.Errorf("since v1 after the deletions were forgotten: %s, want the full set", summary(u))
	}
	_ = p.Set(entry(macB, "b"))
	p.Commit()
	if u, _, _ := p.since(p.Epoch(), last); u.Full || summary(u) != fmt.Sprintf("changes v%d: 2:b", last+1) {
		t.Errorf("since v%d: %s, want the change", last, summary(u))
	}
}

// The nonce key goes with each full set, whichever way a client comes to need one,
// and never with changes.
func TestPublisherSendsTheNonceKeyWithFullSets(t *testing.T) {
	p := NewPublisher(logr.Discard())
	p.NonceKey = nonceKey
	_ = p.Set(entry(macA, "a"))
	p.Commit() // v1
	_ = p.Set(entry(macB, "b"))
	p.Commit() // v2
	for _, a := range []struct {
		epoch   string
		version uint64
		full    bool
	}{{"", 0, true}, {"another", 2, true}, {p.Epoch(), 0, true}, {p.Epoch(), 1, false}} {
		var want []byte
		if a.full {
			want = nonceKey
		}
		u, news, _ := p.since(a.epoch, a.version)
		if !news || u.Full != a.full || !bytes.Equal(u.NonceKey, want) {
			t.Errorf("since(%q, %d): full %t with a key of %d bytes, want full %t with the key only then", a.epoch, a.version, u.Full, len(u.NonceKey), a.full)
		}
	}
}

func TestPublisherHTTP(t *testing.T) {
	p := NewPublisher(logr.Discard())
	var got []provserver.Delivery
	p.Deliver = func(d provserver.Delivery) { got = append(got, d) }
	do := func(method, target, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest(method, target, strings.NewReader(body)))
		return w
	}
	// Before the first load: 503, also after a wait.
	if w := do("GET", PathFiles, ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("before the load: %d, want 503", w.Code)
	}
	if w := do("GET", PathFiles+"?wait=1ms", ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("before the load, waiting: %d, want 503", w.Code)
	}
	_ = p.Set(entry(macA, "a"))
	p.Commit()

	var deliveries bytes.Buffer
	_ = EncodeDeliveries(&deliveries, []provserver.Delivery{delivery(0), delivery(1)})
	tests := []struct {
		name, method, target, body string
		code                       int
		want                       string // in the body
	}{
		{"the full set", "GET", PathFiles, "", 200, `"full":true`},
		{"up to date", "GET", PathFiles + "?epoch=" + p.Epoch() + "&version=1", "", 200, `"version":1,"full":false,"deleted":[],"entries":[]`},
		{"a bad version", "GET", PathFiles + "?version=x", "", 400, "version"},
		{"a bad wait", "GET", PathFiles + "?wait=-1s", "", 400, "wait"},
		{"POST files", "POST", PathFiles, "", 405, ""},
		{"GET deliveries", "GET", PathDeliveries, "", 405, ""},
		{"another path", "GET", "/", "", 404, ""},
		{"deliveries", "POST", PathDeliveries, deliveries.String(), 204, ""},
		{"bad deliveries", "POST", PathDeliveries, `{"deliveries":[{}]}`, 400, "delivery 0"},
		{"too much", "POST", PathDeliveries, `{"deliveries":[],"x":"` + strings.Repeat("x", maxDeliveriesBody) + `"}`, 413, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(tc.method, tc.target, tc.body)
			if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("%d %.200q, want %d with %q", w.Code, w.Body.String(), tc.code, tc.want)
			}
		})
	}
	if want := []provserver.Delivery{delivery(0), delivery(1)}; !slices.Equal(got, want) {
		t.Errorf("delivered %+v, want %+v", got, want)
	}
}
