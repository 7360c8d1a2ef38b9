package handsetstatus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/scheme"
	"github.com/dect-operator/dect-operator/internal/shard"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

var office = types.NamespacedName{Namespace: "ns", Name: "office"}

func handset(name string) *dectv1alpha1.Handset {
	return &dectv1alpha1.Handset{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name)},
		Spec:       dectv1alpha1.HandsetSpec{BaseRef: dectv1alpha1.LocalObjectReference{Name: "office"}},
	}
}

func status(gen int64, delivered bool) dectv1alpha1.HandsetStatus {
	st := dectv1alpha1.HandsetStatus{ObservedGeneration: 1, SettingsGeneration: gen, SettingsHash: fmt.Sprintf("h%d", gen)}
	cond := metav1.ConditionUnknown
	if delivered {
		cond = metav1.ConditionTrue
	}
	st.Conditions = []metav1.Condition{{Type: dectv1alpha1.ConditionDelivered, Status: cond, Reason: "R", LastTransitionTime: metav1.Now()}}
	return st
}

// rig is a Writer on a fake API that counts the status patches per handset.
type rig struct {
	w       *Writer
	c       client.Client
	mu      sync.Mutex
	patches map[string]int
	fail    int   // fail this many patches first
	failErr error // with this error; nil: the API server is away
	// patched, when set, is called with the handset as stored after each patch, before
	// the patch returns to the Writer.
	patched func(h *dectv1alpha1.Handset)
	cancel  context.CancelFunc
	stopped chan struct{}
}

func newRig(t *testing.T, hold, maxHold time.Duration, objs ...client.Object) *rig {
	r := &rig{patches: map[string]int{}}
	r.c = fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(objs...).
		WithStatusSubresource(&dectv1alpha1.Handset{}).
		WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, o client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			r.mu.Lock()
			if r.fail > 0 {
				r.fail--
				err := r.failErr
				r.mu.Unlock()
				if err == nil {
					err = errors.New("the API server is away")
				}
				return err
			}
			r.patches[o.GetName()]++
			patched := r.patched
			r.mu.Unlock()
			if err := c.SubResource(sub).Patch(ctx, o, p, opts...); err != nil {
				return err
			}
			if patched != nil {
				var h dectv1alpha1.Handset
				if err := c.Get(ctx, client.ObjectKeyFromObject(o), &h); err != nil {
					return err
				}
				patched(&h)
			}
			return nil
		}}).Build()
	r.w = &Writer{Client: r.c, Reader: r.c, Hold: hold, MaxHold: maxHold, Retry: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.stopped = cancel, make(chan struct{})
	go func() {
		defer close(r.stopped)
		_ = r.w.Start(ctx)
	}()
	t.Cleanup(func() {
		r.cancel()
		<-r.stopped
	})
	return r
}

func (r *rig) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.patches[name]
}

func (r *rig) snapshot() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.patches)
}

// read returns the handset as the API has it, after Newest.
func (r *rig) read(t *testing.T, name string) *dectv1alpha1.Handset {
	t.Helper()
	var h dectv1alpha1.Handset
	if err := r.c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: name}, &h); err != nil {
		t.Fatal(err)
	}
	return &h
}

func stored(t *testing.T, r *rig, name string) dectv1alpha1.HandsetStatus {
	return r.read(t, name).Status
}

func waitFor(t *testing.T, what string, check func() error) {
	t.Helper()
	testenv.EventuallyEvery(t, what, 10*time.Second, 5*time.Millisecond, check)
}

// Rules 1 and 2: a status decided while an older one waits replaces it; a base's
// statuses are written once, after the last change.
func TestNewestStatusWrittenOnceAfterTheBaseSettles(t *testing.T) {
	a, b := handset("a"), handset("b")
	r := newRig(t, 150*time.Millisecond, time.Minute, a, b)
	r.w.Set(office, a, status(1, false))
	r.w.Set(office, b, status(1, false))
	r.w.Set(office, a, status(2, false))
	r.w.Set(office, a, status(2, true)) // delivered before the hold ended
	if n := r.w.Pending(); n != 2 {
		t.Fatalf("%d statuses waiting, want 2", n)
	}
	waitFor(t, "both written", func() error {
		if r.w.Pending() != 0 {
			return fmt.Errorf("%d waiting", r.w.Pending())
		}
		return nil
	})
	if got := stored(t, r, "a"); got.SettingsGeneration != 2 || got.Conditions[0].Status != metav1.ConditionTrue {
		t.Errorf("a's status %+v, want generation 2 delivered", got)
	}
	if got := stored(t, r, "b"); got.SettingsGeneration != 1 {
		t.Errorf("b's status %+v", got)
	}
	if r.count("a") != 1 || r.count("b") != 1 {
		t.Errorf("patches %v, want one per handset", r.snapshot())
	}
}

// Rule 2: while a base keeps changing, nothing is written before MaxHold; then every
// waiting status of it is.
func TestMaxHoldBoundsTheWaitOfABusyBase(t *testing.T) {
	a, b := handset("a"), handset("b")
	r := newRig(t, time.Hour, 300*time.Millisecond, a, b)
	r.w.Set(office, a, status(1, false))
	start := time.Now()
	for i := int64(2); time.Since(start) < 200*time.Millisecond; i++ {
		r.w.Set(office, b, status(i, false))
		time.Sleep(20 * time.Millisecond)
	}
	if r.count("a")+r.count("b") != 0 {
		t.Fatalf("written before MaxHold: %v", r.snapshot())
	}
	waitFor(t, "both written after MaxHold", func() error {
		if r.count("a") != 1 || r.count("b") != 1 {
			return fmt.Errorf("patches %v", r.snapshot())
		}
		return nil
	})
}

// Rule 3: a status the handset has is not written; nor is one of a handset deleted, or
// deleted and created again, meanwhile.
func TestUnchangedDeletedOrReplacedHandsetsAreNotWritten(t *testing.T) {
	same, gone, replaced := handset("same"), handset("gone"), handset("replaced")
	same.Status = status(1, true)
	r := newRig(t, 10*time.Millisecond, time.Minute, same, replaced)
	r.w.Set(office, same, *same.Status.DeepCopy())
	r.w.Set(office, gone, status(1, false))
	r.w.Set(office, replaced, status(1, false))
	if n := r.w.Pending(); n != 2 {
		t.Fatalf("%d waiting, want 2: an unchanged status does not wait", n)
	}
	// replaced is deleted and created again before the write.
	if err := r.c.Delete(context.Background(), replaced); err != nil {
		t.Fatal(err)
	}
	again := handset("replaced")
	again.UID = "uid-new"
	if err := r.c.Create(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "nothing waits", func() error {
		if r.w.Pending() != 0 {
			return fmt.Errorf("%d waiting", r.w.Pending())
		}
		return nil
	})
	if len(r.snapshot()) != 0 {
		t.Errorf("patches %v, want none", r.snapshot())
	}
	if got := stored(t, r, "replaced"); got.SettingsGeneration != 0 {
		t.Errorf("the new handset got the old one's status: %+v", got)
	}
}

// Rule 4: a failed write is retried, with the newest status.
func TestFailedWriteRetriedWithTheNewestStatus(t *testing.T) {
	a := handset("a")
	r := newRig(t, 10*time.Millisecond, time.Minute, a)
	r.mu.Lock()
	r.fail = 3
	r.mu.Unlock()
	r.w.Set(office, a, status(1, false))
	waitFor(t, "written", func() error {
		if got := stored(t, r, "a"); got.SettingsGeneration != 1 {
			return fmt.Errorf("status %+v", got)
		}
		return nil
	})
	r.mu.Lock()
	left := r.fail
	r.mu.Unlock()
	if left != 0 || r.count("a") != 1 {
		t.Errorf("failures left %d, patches %v", left, r.snapshot())
	}
}

// Rule 3: a status the client refuses because the handset's namespace left this manager
// shard is dropped after that one attempt, not retried.
func TestStatusOfANamespaceLeavingTheShardIsDropped(t *testing.T) {
	a := handset("a")
	r := newRig(t, 10*time.Millisecond, time.Minute, a)
	r.mu.Lock()
	r.fail, r.failErr = 100, fmt.Errorf("writing in namespace ns: %w", shard.ErrNotOwned)
	r.mu.Unlock()
	r.w.Set(office, a, status(1, false))
	waitFor(t, "dropped", func() error {
		if n := r.w.Pending(); n != 0 {
			return fmt.Errorf("%d waiting", n)
		}
		return nil
	})
	r.mu.Lock()
	attempts := 100 - r.fail
	r.mu.Unlock()
	if attempts != 1 || stored(t, r, "a").SettingsGeneration != 0 {
		t.Errorf("%d attempts, status %+v; want one refused attempt and no status", attempts, stored(t, r, "a"))
	}
}

// Rule 5: until the cache shows a write, Newest gives the written status; once it shows
// it (same resourceVersion), the cache's.
func TestNewestStandsInForALaggingCache(t *testing.T) {
	a := handset("a")
	r := newRig(t, 10*time.Millisecond, time.Minute, a)
	stale := r.read(t, "a") // as a lagging cache would still have it
	r.w.Set(office, stale, status(1, false))

	// While it waits, Newest gives the waiting status.
	hs := []dectv1alpha1.Handset{*stale.DeepCopy()}
	r.w.Newest(hs)
	if hs[0].Status.SettingsGeneration != 1 {
		t.Fatalf("Newest while waiting: %+v", hs[0].Status)
	}
	waitFor(t, "written", func() error {
		if r.w.Pending() != 0 || r.count("a") != 1 {
			return fmt.Errorf("%d waiting, patches %v", r.w.Pending(), r.snapshot())
		}
		return nil
	})
	hs = []dectv1alpha1.Handset{*stale.DeepCopy()}
	r.w.Newest(hs)
	if hs[0].Status.SettingsGeneration != 1 {
		t.Errorf("Newest over a stale copy after the write: %+v, want the written status", hs[0].Status)
	}
	// Deciding again from that gives the same status: nothing more to write.
	r.w.Set(office, &hs[0], *hs[0].Status.DeepCopy())
	if n := r.w.Pending(); n != 0 {
		t.Errorf("%d waiting after deciding the written status again", n)
	}

	// The cache catches up: its object is trusted from then on.
	fresh := r.read(t, "a")
	fresh.Status.SettingsHash = "as the cache has it"
	hs = []dectv1alpha1.Handset{*fresh}
	r.w.Newest(hs)
	if hs[0].Status.SettingsHash != "as the cache has it" {
		t.Errorf("Newest over a fresh copy: %+v, want the cache's", hs[0].Status)
	}
}

// Rule 2: a reconcile of the base scheduled later holds its waiting statuses until Hold
// after it, still within MaxHold.
func TestHoldUntilAScheduledReconcile(t *testing.T) {
	a := handset("a")
	r := newRig(t, 50*time.Millisecond, time.Minute, a)
	r.w.Set(office, a, status(1, false))
	scheduled := time.Now().Add(2 * time.Second)
	r.w.HoldUntil(office, scheduled)
	time.Sleep(300 * time.Millisecond) // past Hold, well before the scheduled reconcile
	if n := r.count("a"); n != 0 {
		t.Fatalf("written %d times while a reconcile of its base is scheduled", n)
	}
	waitFor(t, "written after the scheduled reconcile", func() error {
		if r.count("a") != 1 {
			return fmt.Errorf("patches %v", r.snapshot())
		}
		return nil
	})
	if time.Now().Before(scheduled) {
		t.Errorf("written before the scheduled reconcile")
	}
}

func TestHoldUntilStaysWithinMaxHold(t *testing.T) {
	a := handset("a")
	r := newRig(t, 50*time.Millisecond, 500*time.Millisecond, a)
	start := time.Now()
	r.w.Set(office, a, status(1, false))
	r.w.HoldUntil(office, start.Add(time.Hour))
	waitFor(t, "written at MaxHold", func() error {
		if r.count("a") != 1 {
			return fmt.Errorf("patches %v", r.snapshot())
		}
		return nil
	})
	if time.Since(start) < 500*time.Millisecond {
		t.Errorf("written before MaxHold and the scheduled reconcile")
	}
}

// Rule 5's memory is bounded: a written status is forgotten once kept for writtenKeep,
// whether or not anything read it again.
func TestWrittenStatusesAreForgotten(t *testing.T) {
	a := handset("a")
	r := newRig(t, 10*time.Millisecond, time.Minute, a)
	r.w.Set(office, a, status(1, false))
	kept := 0
	waitFor(t, "written and kept", func() error {
		r.w.mu.Lock()
		kept = len(r.w.written)
		r.w.mu.Unlock()
		if r.count("a") != 1 || kept != 1 {
			return fmt.Errorf("patches %v, %d kept", r.snapshot(), kept)
		}
		return nil
	})
	r.w.forgetWritten(time.Now().Add(writtenKeep + time.Second))
	r.w.mu.Lock()
	kept = len(r.w.written)
	r.w.mu.Unlock()
	if kept != 0 {
		t.Errorf("%d written statuses kept past writtenKeep, want 0", kept)
	}
}

// Rule 5: a change somebody else makes after a write (a restore that strips status) is
// trusted, not covered by the written status; and only the write itself is its echo.
func TestAnotherWriterAfterAWriteIsTrusted(t *testing.T) {
	a := handset("a")
	r := newRig(t, 10*time.Millisecond, time.Minute, a)
	r.w.Set(office, r.read(t, "a"), status(1, false))
	waitFor(t, "written", func() error {
		if r.w.Pending() != 0 || r.count("a") != 1 {
			return fmt.Errorf("%d waiting, patches %v", r.w.Pending(), r.snapshot())
		}
		return nil
	})
	echo := r.read(t, "a")
	if !r.w.Wrote(echo) {
		t.Errorf("the write's own result is not told as its echo")
	}
	stripped := echo.DeepCopy()
	stripped.Status = dectv1alpha1.HandsetStatus{}
	if err := r.c.Status().Update(context.Background(), stripped); err != nil {
		t.Fatal(err)
	}
	restored := r.read(t, "a")
	if r.w.Wrote(restored) {
		t.Errorf("another writer's change is told as the Writer's echo")
	}
	hs := []dectv1alpha1.Handset{*restored}
	r.w.Newest(hs)
	if hs[0].Status.SettingsGeneration != 0 {
		t.Errorf("Newest covered the stripped status with the written one: %+v", hs[0].Status)
	}
	// Deciding from it writes the status again.
	r.w.Set(office, &hs[0], status(1, false))
	waitFor(t, "written again", func() error {
		if got := stored(t, r, "a"); got.SettingsGeneration != 1 {
			return fmt.Errorf("status %+v", got)
		}
		return nil
	})
}

// Rule 2: the newest schedule wins; a reconcile brought forward (a flush once the bulk
// apply is over) releases the statuses held for the later one it replaced.
func TestHoldUntilBroughtForward(t *testing.T) {
	a := handset("a")
	r := newRig(t, 50*time.Millisecond, time.Hour, a)
	r.w.Set(office, a, status(1, false))
	r.w.HoldUntil(office, time.Now().Add(time.Hour))
	time.Sleep(300 * time.Millisecond) // past Hold: held for the scheduled reconcile
	if n := r.count("a"); n != 0 {
		t.Fatalf("written %d times while a reconcile of its base is scheduled", n)
	}
	r.w.HoldUntil(office, time.Now())
	waitFor(t, "written Hold after the reconcile brought forward", func() error {
		if r.count("a") != 1 {
			return fmt.Errorf("patches %v", r.snapshot())
		}
		return nil
	})
}

// The watch can bring a write's echo before the write has returned (the event and the
// response travel on separate connections): it is told as the echo all the same, by the
// status being written, and a different status is not.
func TestEchoBeforeTheWriteReturnsIsTold(t *testing.T) {
	a := handset("a")
	r := newRig(t, 10*time.Millisecond, time.Minute, a)
	var echo, other []bool
	r.mu.Lock()
	r.patched = func(h *dectv1alpha1.Handset) {
		echo = append(echo, r.w.Wrote(h))
		changed := h.DeepCopy()
		changed.Status.SettingsHash = "somebody else's"
		other = append(other, r.w.Wrote(changed))
	}
	r.mu.Unlock()
	r.w.Set(office, r.read(t, "a"), status(1, false))
	waitFor(t, "written", func() error {
		if r.w.Pending() != 0 || r.count("a") != 1 {
			return fmt.Errorf("%d waiting, patches %v", r.w.Pending(), r.snapshot())
		}
		return nil
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Equal(echo, []bool{true}) {
		t.Errorf("the echo seen before the write returned told as %v, want [true]", echo)
	}
	if !slices.Equal(other, []bool{false}) {
		t.Errorf("another status seen while the write was under way told as %v, want [false]", other)
	}
}

// A handset that names another base while its status waits is written with that base's
// statuses, once, and the base it left holds nothing of it: when that base falls due,
// only its own handsets are written.
func TestAHandsetMovedToAnotherBaseIsWrittenWithIt(t *testing.T) {
	a, b := handset("a"), handset("b")
	r := newRig(t, 50*time.Millisecond, time.Minute, a, b)
	lab := types.NamespacedName{Namespace: "ns", Name: "lab"}
	r.w.Set(office, a, status(1, false))
	r.w.Set(office, b, status(1, false))
	r.w.HoldUntil(office, time.Now().Add(time.Hour))
	r.w.Set(lab, a, status(2, false)) // a now names lab
	waitFor(t, "a written with lab", func() error {
		if r.count("a") != 1 || stored(t, r, "a").SettingsGeneration != 2 {
			return fmt.Errorf("patches %v", r.snapshot())
		}
		return nil
	})
	if n := r.count("b"); n != 0 {
		t.Fatalf("b written %d times while office is held", n)
	}
	r.w.HoldUntil(office, time.Now()) // office's reconcile ran: its statuses are due
	waitFor(t, "b written with office", func() error {
		if r.count("b") != 1 {
			return fmt.Errorf("patches %v", r.snapshot())
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond) // past Hold again: nothing else may follow
	if got := r.snapshot(); got["a"] != 1 || got["b"] != 1 || r.w.Pending() != 0 {
		t.Errorf("patches %v, pending %d; want a and b once, none pending", got, r.w.Pending())
	}
}

// BenchmarkDueInAFleet is the Writer's wake-up in the middle of a bulk apply of 100,000
// handsets in 1,000 bases: every status waits, held for its base's next reconcile, and
// one base falls due.
func BenchmarkDueInAFleet(b *testing.B) {
	w := &Writer{}
	until := time.Now().Add(time.Hour)
	for i := range 1000 {
		base := types.NamespacedName{Namespace: fmt.Sprintf("site-%04d", i), Name: "dm"}
		for j := range 100 {
			h := &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Namespace: base.Namespace, Name: fmt.Sprintf("hs-%03d", j), UID: types.UID(fmt.Sprintf("%d-%d", i, j))}}
			w.Set(base, h, status(1, false))
		}
		w.HoldUntil(base, until)
	}
	due := types.NamespacedName{Namespace: "site-0000", Name: "dm"}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		w.HoldUntil(due, time.Now().Add(-time.Hour)) // due now
		w.groups[due].first = time.Now().Add(-time.Hour)
		b.StartTimer()
		keys, _ := w.due(time.Now())
		b.StopTimer()
		if len(keys) != 100 {
			b.Fatalf("%d statuses due, want the base's 100", len(keys))
		}
		for _, k := range keys { // as if written with another status: due again later
			delete(w.inFlight, k)
		}
		w.groups[due] = &group{first: time.Now(), last: time.Now(), until: until}
		b.StartTimer()
	}
}
