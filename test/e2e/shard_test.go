package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/server"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// shardLabel is the namespace label the shards' selectors read.
const shardLabel = "provisioning.dect-operator.dev/shard"

// TestShardsOwnTheirNamespacesAndHandOver runs two manager shards against one API
// server, a stack of its own: shard a selects the namespaces labelled a, shard b those
// labelled b, each with its own lease, user and sidecar. The API server's audit log
// tells who wrote what. Each shard writes only in its namespaces; both servers serve
// every base. Then a namespace is relabelled from a to b while its handsets change:
// no slot moves, a's writes there end before b's begin, and b reconciles what follows.
func TestShardsOwnTheirNamespacesAndHandOver(t *testing.T) {
	t.Parallel()
	shards := ownStack(t, "shards", testenv.Options{
		DeliveryRecordInterval: time.Second, AuditLog: true,
		Shards: []string{shardLabel + "=a", shardLabel + "=b"},
	})
	a, b := shards.Replicas[0], shards.Replicas[1]
	ctx := context.Background()

	// Three namespaces: one stays a's, one stays b's, one moves from a to b. Each has
	// Gigaset's example: a base and three handsets with their IPUIs.
	type office struct {
		sc    *scenario
		mac   string
		macID string
	}
	offices := map[string]*office{}
	for _, o := range []struct{ ns, shard string }{{"shard-a-office", "a"}, {"shard-b-office", "b"}, {"shard-moving", "a"}} {
		sc := &scenario{t: t, ctx: ctx, c: shards.Client, ns: o.ns}
		sc.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.ns, Labels: map[string]string{shardLabel: o.shard}}})
		dev := sc.declareExample(nil)
		offices[o.ns] = &office{sc: sc, mac: dev.MAC(), macID: dev.MACID()}
	}
	moving := offices["shard-moving"]
	for ns, o := range offices {
		o.sc.waitBase("office", "three handsets rendered in "+ns, settle, func(b *dectv1alpha1.DectBase) error {
			if c := b.Status.Handsets; c.Assigned != 3 {
				return fmt.Errorf("handset counts %+v", c)
			}
			return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
		})
	}

	// Every shard's server serves every base: a device of each namespace gets the
	// example from either.
	for ns, o := range offices {
		for _, r := range shards.Replicas {
			dev := o.sc.newDevice(o.mac, o.macID)
			o.sc.eventually(fmt.Sprintf("%s's server serves the base of %s", r.Shard, ns), settle, func() error {
				res, err := dev.fetchFrom(r.ServerURL)
				if err != nil {
					return err
				}
				if res.StatusCode != http.StatusOK {
					return fmt.Errorf("answered %d", res.StatusCode)
				}
				return dev.hasExample()
			})
		}
	}

	// Each shard wrote only in its namespaces.
	events := auditEvents(t, shards)
	checkShardNamespaces(t, events, a.User, "shard-a-office", "shard-moving")
	checkShardNamespaces(t, events, b.User, "shard-b-office")
	slotsBefore := slotTable(moving.sc.base("office"))
	t.Logf("slots in shard-moving before the handover: %v", slotsBefore)

	// The relabelling, while the handsets change: one is renamed (its display name)
	// again and again from a second before until a second after, so that a's
	// reconciles are under way when its cache sees the new label; a handset is added
	// just before and another renamed just after, neither waited for.
	churned := make(chan string)
	go func() {
		var last string
		defer func() { churned <- last }()
		for i, end := 0, time.Now().Add(2*time.Second); time.Now().Before(end); i++ {
			name := fmt.Sprintf("Churn %d", i)
			h := &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Name: "hs-1022"}}
			if err := moving.sc.tryUpdate(h, func() { h.Spec.SIP.DisplayName = dectv1alpha1.Text(name) }); err != nil {
				t.Errorf("renaming hs-1022: %v", err)
				return
			}
			last = name
			time.Sleep(50 * time.Millisecond)
		}
	}()
	time.Sleep(time.Second)
	lobby := handsetDef{Name: "hs-lobby", User: "1030", IPUI: "00 AB 11 22 33"}
	moving.sc.declareHandset("office", lobby)
	relabelled := time.Now()
	relabel(t, shards.Client, "shard-moving", "b")
	renameHandset(t, moving.sc, "hs-1014", "Front desk")
	lastChurn := <-churned

	// Both changes land, the slots of the three stay: the lobby takes the first free
	// slot, whoever rendered it.
	moving.sc.waitBase("office", "the lobby's handset and the renaming rendered", settle, func(b *dectv1alpha1.DectBase) error {
		if c := b.Status.Handsets; c.Assigned != 4 {
			return fmt.Errorf("handset counts %+v", c)
		}
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
	})
	moving.sc.waitHandset("hs-1014", "renamed", settle, func(h *dectv1alpha1.Handset) error {
		return hasCondition(h.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
	})
	slotsAfter := slotTable(moving.sc.base("office"))
	t.Logf("slots in shard-moving after the handover: %v", slotsAfter)
	for name, slot := range slotsBefore {
		if slotsAfter[name] != slot {
			t.Errorf("handset %s moved from slot %d to %d across the handover", name, slot, slotsAfter[name])
		}
	}
	if slotsAfter[lobby.Name] != 3 {
		t.Errorf("the lobby's handset got slot %d, want 3 (the first free one)", slotsAfter[lobby.Name])
	}
	// What the servers serve says the same.
	for _, r := range shards.Replicas {
		dev := moving.sc.newDevice(moving.mac, moving.macID)
		moving.sc.eventually(fmt.Sprintf("%s's server serves the moved base as it is now", r.Shard), settle, func() error {
			if _, err := dev.fetchFrom(r.ServerURL); err != nil {
				return err
			}
			for i, h := range append(slices.Clone(example), lobby) {
				s := dev.Slot(i)
				if s.Reserved != ipui(h.IPUI) || s.UserID != h.User {
					return fmt.Errorf("slot %d holds %s (%s), want %s (%s)", i, s.UserID, s.Reserved, h.User, h.IPUI)
				}
			}
			if s := dev.Slot(1); s.DisplayName != "Front desk" {
				return fmt.Errorf("slot 1 is named %q", s.DisplayName)
			}
			if s := dev.Slot(2); s.DisplayName != lastChurn {
				return fmt.Errorf("slot 2 is named %q, want %q", s.DisplayName, lastChurn)
			}
			return nil
		})
	}

	// A later change is b's to reconcile.
	late := handsetDef{Name: "hs-late", User: "1031", IPUI: "00 AB 44 55 66"}
	moving.sc.declareHandset("office", late)
	moving.sc.waitHandset(late.Name, "rendered in slot 4", settle, func(h *dectv1alpha1.Handset) error {
		if h.Status.Slot == nil || *h.Status.Slot != 4 {
			return fmt.Errorf("slot %s", ptrText(h.Status.Slot))
		}
		return nil
	})
	// And a's own namespace is still a's.
	stays := offices["shard-a-office"]
	stays.sc.declareHandset("office", late)
	stays.sc.waitHandset(late.Name, "rendered in slot 3", settle, func(h *dectv1alpha1.Handset) error {
		if h.Status.Slot == nil || *h.Status.Slot != 3 {
			return fmt.Errorf("slot %s", ptrText(h.Status.Slot))
		}
		return nil
	})

	// The audit log: who wrote where, and when.
	events = auditEvents(t, shards)
	checkShardNamespaces(t, events, a.User, "shard-a-office", "shard-moving")
	checkShardNamespaces(t, events, b.User, "shard-b-office", "shard-moving")
	relabelAt, ok := relabelTime(events, "shard-moving")
	if !ok {
		t.Fatal("the audit log holds no relabelling of shard-moving")
	}
	t.Logf("relabelled shard-moving at %s (%v after the test asked)", relabelAt.Format(time.RFC3339Nano), relabelAt.Sub(relabelled).Round(time.Millisecond))
	aWrites, bWrites := reconcilerWrites(events, a.User, "shard-moving"), reconcilerWrites(events, b.User, "shard-moving")
	if len(aWrites) == 0 || len(bWrites) == 0 {
		t.Fatalf("shard-moving: %d writes by a, %d by b; want both to have written there", len(aWrites), len(bWrites))
	}
	lastA, firstB := aWrites[len(aWrites)-1], bWrites[0]
	for _, e := range aWrites {
		if e.Answered.After(lastA.Answered.Time) {
			lastA = e
		}
	}
	for _, e := range bWrites {
		if e.RequestReceived.Before(&firstB.RequestReceived) {
			firstB = e
		}
	}
	// No period where both write: a's last write was answered before b's first was
	// received.
	if !lastA.Answered.Before(&firstB.RequestReceived) {
		t.Errorf("both shards wrote in shard-moving at once: a's last write (%s %s, answered %s) after b's first (%s %s, received %s)",
			lastA.Verb, lastA.Resource(), lastA.Answered.Format(time.RFC3339Nano), firstB.Verb, firstB.Resource(), firstB.RequestReceived.Format(time.RFC3339Nano))
	}
	var aAfterRelabel int
	for _, e := range aWrites {
		if e.RequestReceived.After(relabelAt) {
			aAfterRelabel++
		}
		if !e.RequestReceived.Before(&firstB.RequestReceived) {
			t.Errorf("a wrote in shard-moving after b took over: %s %s %s", e.Verb, e.Resource(), e.RequestURI)
		}
	}
	// The late handset is b's work alone.
	for _, e := range aWrites {
		if e.ObjectRef.Name == late.Name {
			t.Errorf("a wrote %s of the late handset: %s", e.Resource(), e.RequestURI)
		}
	}

	t.Logf("handover of shard-moving: a's last write %v after the relabelling (%s %s), b's first %v after it (%s %s); %d writes by a received after the relabelling",
		lastA.Answered.Sub(relabelAt).Round(time.Millisecond), lastA.Verb, lastA.Resource(),
		firstB.RequestReceived.Sub(relabelAt).Round(time.Millisecond), firstB.Verb, firstB.Resource(), aAfterRelabel)
	for _, r := range shards.Replicas {
		t.Logf("writes by shard %s (%s): %s", r.Shard, r.User, summarize(events, r.User))
	}
	// A handover that falls between a's two writes of the file (its Secret, then its
	// ConfigMap: file.go) leaves b a record whose halves do not fit; b then keeps the
	// slots from status, as after a crash there. Reported, not failed: the slots were
	// checked above either way.
	torn := b.Manager.LogSince(0, func(l string) bool {
		return strings.Contains(l, "stored file unreadable") && strings.Contains(l, "shard-moving")
	}, 5)
	t.Logf("b found the record of shard-moving torn by the handover %d time(s)", len(torn))
	refused := a.Manager.LogSince(0, func(l string) bool {
		return strings.Contains(l, "write refused") && strings.Contains(l, "shard-moving")
	}, 5)
	t.Logf("a refused %d write(s) of its own in shard-moving (decided before it saw the relabelling)", len(refused))
}

// relabel moves namespace ns to shard.
func relabel(t *testing.T, c client.Client, ns, shard string) {
	t.Helper()
	patch := []byte(fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, shardLabel, shard))
	if err := c.Patch(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatalf("relabelling namespace %s: %v", ns, err)
	}
}

func renameHandset(t *testing.T, sc *scenario, name, display string) {
	t.Helper()
	h := &dectv1alpha1.Handset{ObjectMeta: metav1.ObjectMeta{Name: name}}
	sc.update(h, func() { h.Spec.SIP.DisplayName = dectv1alpha1.Text(display) })
}

// slotTable is the base's slots by handset, as its status reports them.
func slotTable(b *dectv1alpha1.DectBase) map[string]int32 {
	m := map[string]int32{}
	for _, s := range b.Status.Slots {
		m[s.Handset] = s.Slot
	}
	return m
}

func auditEvents(t *testing.T, s *testenv.Stack) []testenv.AuditEvent {
	t.Helper()
	events, err := s.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// deliveryRecord tells whether e is a server's delivery record: the server-side apply
// of a DectBase's status under the provisioning server's field manager. Every shard's
// manager records what its own sidecar served, for every base: those writes are meant
// to cross shards.
func deliveryRecord(e testenv.AuditEvent) bool {
	return e.Verb == "patch" && e.Resource() == "dectbases/status" && strings.Contains(e.RequestURI, "fieldManager="+server.FieldManager)
}

// reconcilerWrites are user's writes in namespace ns, but for delivery records, in the
// order the API server received them. In the lease namespace a manager also writes its
// lease, the nonce key and the leader election's Events: the operator's own
// namespace, no tenant's.
func reconcilerWrites(events []testenv.AuditEvent, user, ns string) []testenv.AuditEvent {
	var out []testenv.AuditEvent
	for _, e := range events {
		if e.User.Username == user && e.Namespace() == ns && !deliveryRecord(e) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].RequestReceived.Before(&out[j].RequestReceived) })
	return out
}

// checkShardNamespaces checks that user wrote, delivery records and the lease
// namespace aside, only in the namespaces given.
func checkShardNamespaces(t *testing.T, events []testenv.AuditEvent, user string, namespaces ...string) {
	t.Helper()
	for _, e := range events {
		if e.User.Username != user || deliveryRecord(e) || e.Namespace() == testenv.LeaseNamespace || slices.Contains(namespaces, e.Namespace()) {
			continue
		}
		t.Errorf("%s wrote outside its namespaces %v: %s %s (%s)", user, namespaces, e.Verb, e.RequestURI, e.Resource())
	}
}

// relabelTime is when the API server answered the last write to namespace ns itself.
func relabelTime(events []testenv.AuditEvent, ns string) (time.Time, bool) {
	var at time.Time
	for _, e := range events {
		if e.Resource() == "namespaces" && e.ObjectRef.Name == ns && (e.Verb == "patch" || e.Verb == "update") {
			at = e.Answered.Time
		}
	}
	return at, !at.IsZero()
}

// summarize counts user's writes by namespace and resource; delivery records apart.
func summarize(events []testenv.AuditEvent, user string) string {
	counts := map[string]int{}
	for _, e := range events {
		if e.User.Username != user {
			continue
		}
		key := e.Namespace() + " " + e.Resource()
		if deliveryRecord(e) {
			key += " (delivery records)"
		}
		counts[key]++
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}
