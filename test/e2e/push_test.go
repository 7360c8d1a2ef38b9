package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/simulator"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// The push scenarios: the device's own timer is 6 hours, so every delivery within the
// test's deadlines is a push's doing (or a fetch the test makes itself, before pushes
// are switched on).

// deviceTimer is the simulated device's periodic check in push tests.
const deviceTimer = 6 * time.Hour

// pushedDevice is a simulated device with its SIP side listening on loopback and its
// periodic timer running.
type pushedDevice struct {
	*device
	sip *simulator.SIPListener
}

// bootstrapPushed declares the base "office" with one handset (user 1013, no IPUI), has
// the device fetch its file once (so it has an account a NOTIFY can name, and the
// operator learns its address), then switches on the push that push returns (given the
// device's SIP port) and waits until the scheduler reports the device up to date.
func (sc *scenario) bootstrapPushed(adjust func(*dectv1alpha1.DectBase), pushSpec func(port int) *dectv1alpha1.Push) *pushedDevice {
	sc.t.Helper()
	return sc.bootstrapPushedBase("office", adjust, pushSpec)
}

// bootstrapPushedBase is bootstrapPushed for a base of another name.
func (sc *scenario) bootstrapPushedBase(name string, adjust func(*dectv1alpha1.DectBase), pushSpec func(port int) *dectv1alpha1.Push) *pushedDevice {
	sc.t.Helper()
	return sc.bootstrapPushedDevice(name, adjust, pushSpec, simulator.SIPConfig{})
}

// bootstrapPushedDevice is bootstrapPushedBase with the device's SIP side configured by
// sipCfg (its address and server URL are set here).
func (sc *scenario) bootstrapPushedDevice(name string, adjust func(*dectv1alpha1.DectBase), pushSpec func(port int) *dectv1alpha1.Push, sipCfg simulator.SIPConfig) *pushedDevice {
	sc.t.Helper()
	mac, macID := sc.declareBase(name, adjust)
	first := handsetDef{Name: "hs-1013", User: "1013"}
	if name != "office" {
		first.Name = name + "-hs-1013"
	}
	if err := sc.c.Create(sc.ctx, first.Secret(sc.ns)); err != nil && !apierrors.IsAlreadyExists(err) {
		sc.t.Fatal(err)
	}
	sc.create(first.Handset(sc.ns, name))
	dev := sc.newDevice(mac, macID)
	sipCfg.Addr, sipCfg.ServerURL = "127.0.0.1:0", stack.ServerURL
	l, err := dev.ListenSIP(sipCfg)
	if err != nil {
		sc.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go dev.FetchEvery(ctx, stack.ServerURL, deviceTimer)
	sc.t.Cleanup(func() { cancel(); _ = l.Close() })

	dev.fetchUntil("account 1013", settle, func() error {
		if s := dev.Slot(0); !s.Active || s.UserID != "1013" {
			return fmt.Errorf("slot 0: %+v", s)
		}
		return nil
	})
	sc.waitBase(name, "the delivery recorded", settle, delivered)
	b := &dectv1alpha1.DectBase{ObjectMeta: metav1.ObjectMeta{Name: name}}
	sc.update(b, func() { b.Spec.Push = pushSpec(l.Port()) })
	sc.waitBase(name, "the push scheduler sees the device up to date", settle, func(b *dectv1alpha1.DectBase) error {
		if p := b.Status.Push; p == nil || p.State != "UpToDate" {
			return fmt.Errorf("status.push %+v", p)
		}
		return nil
	})
	return &pushedDevice{device: dev, sip: l}
}

func directPush(port int) *dectv1alpha1.Push {
	// No address: the operator sends to the one the device fetched from (127.0.0.1).
	return &dectv1alpha1.Push{Method: dectv1alpha1.PushDirect, Direct: &dectv1alpha1.DirectPush{Port: int32(port), Transport: "UDP"}}
}

// pushFetches is how many fetches the device made because of a check-sync.
func (d *pushedDevice) pushFetches() int { return len(d.sip.Fetches()) }

// Scenario P1: a handset added with an IPUI reaches the device within seconds, not at
// its next periodic check. 20 runs; the timings are logged, never judged: the assertion
// is only that each arrives before a generous deadline. The runs rotate over four bases
// (each with its device): pushes to one base are at least 10 s apart and at most 12 an
// hour (push.Policy's defaults), so one base could not take 20 in a row.
func TestPushDeliversNewHandsetWithinSeconds(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	const runs, bases = 20, 4
	var devs []*pushedDevice
	for i := range bases {
		devs = append(devs, sc.bootstrapPushedBase(fmt.Sprintf("office-%d", i), nil, directPush))
	}

	var took, pushToFetch []time.Duration
	for i := range runs {
		base, dev := fmt.Sprintf("office-%d", i%bases), devs[i%bases]
		// Wait out the 10 s between pushes to one base (push.DefaultMinInterval), so
		// that every run measures the debounced push, not the rate limit.
		if p := sc.base(base).Status.Push; p != nil && p.LastPushTime != nil {
			time.Sleep(time.Until(p.LastPushTime.Add(11 * time.Second)))
		}
		h := handsetDef{Name: fmt.Sprintf("hs-%d", 3000+i), User: fmt.Sprint(3000 + i), IPUI: fmt.Sprintf("00AD%06X", i)}
		sc.create(h.Secret(sc.ns))
		fetchesBefore := dev.pushFetches()
		start := time.Now()
		sc.create(h.Handset(sc.ns, base))
		sc.eventually(fmt.Sprintf("run %d: the device of %s has account %s", i+1, base, h.User), settle, func() error {
			if dev.pushFetches() == fetchesBefore {
				return errors.New("no fetch after a check-sync yet")
			}
			for _, s := range dev.Snapshot().Slots {
				if s.Active && s.UserID == h.User && s.Reserved == ipui(h.IPUI) {
					return nil
				}
			}
			return errors.New("the device's file lacks the new account")
		})
		took = append(took, time.Since(start))
		b := sc.waitBase(base, "the push's fetch in status", settle, func(b *dectv1alpha1.DectBase) error {
			p := b.Status.Push
			if p == nil || p.LastPushTime == nil || p.LastPushTime.Before(&metav1.Time{Time: start.Truncate(time.Second)}) || p.FetchedAfter == nil || !p.Accepted {
				return fmt.Errorf("status.push %+v", p)
			}
			return nil
		})
		pushToFetch = append(pushToFetch, b.Status.Push.FetchedAfter.Duration)
	}
	median, most := medianMax(took)
	t.Logf("handset create -> device fetched the new file, %d runs: median %v, max %v (all: %v)", runs, median, most, roundAll(took))
	m2, x2 := medianMax(pushToFetch)
	t.Logf("status.push.fetchedAfter (push -> recorded fetch, whole seconds), %d runs: median %v, max %v", runs, m2, x2)
	for i, dev := range devs {
		c := dev.sip.Counts()
		t.Logf("office-%d: NOTIFYs received %d, answered %v", i, c.Notifies, c.Answers)
		if want := runs / bases; c.Notifies != want || c.Answers[200] != want {
			t.Errorf("office-%d's device received %d NOTIFYs (answers %v), want %d answered 200: one per added handset", i, c.Notifies, c.Answers, want)
		}
	}
}

// Scenario P2: an OnChange registration window is hit because of the push: the device's
// timer is 6 h, and the reserved handset registers in the window the pushed file gave.
func TestPushHitsOnChangeWindow(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev := sc.bootstrapPushed(func(b *dectv1alpha1.DectBase) {
		b.Spec.Registration.Window = dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowOnChange, Duration: &metav1.Duration{Duration: 10 * time.Minute}}
	}, directPush)

	newcomer := example[1]
	before := dev.pushFetches()
	sc.declareHandset("office", newcomer)
	sc.eventually("a fetch after a check-sync", settle, func() error {
		if dev.pushFetches() == before {
			return errors.New("none yet")
		}
		return nil
	})
	// The test itself fetched nothing since bootstrapPushed: the device's only fetches
	// are its timer's (6 h) and the pushes'.
	w := dev.Window()
	if w.Phase != simulator.WindowWaiting && w.Phase != simulator.WindowOpen {
		t.Fatalf("the pushed file gave the device no registration window to come: %+v", w)
	}
	dev.registerAll(newcomer.IPUI)
	if s := dev.Slot(1); s.Registered != ipui(newcomer.IPUI) {
		t.Fatalf("slot 1: registered %s, want %s", s.Registered, canonical(newcomer.IPUI))
	}
	t.Logf("window %v..%v on the device; %s registered in slot 1 after %d pushed fetch(es)", w.OpensAt.Format(time.RFC3339), w.ClosesAt.Format(time.RFC3339),
		canonical(newcomer.IPUI), dev.pushFetches()-before)
}

// Scenario P3: 99 handsets applied at once to a base that has one (100 in all) make
// one NOTIFY, not 99.
func TestPushDebouncesABurst(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev := sc.bootstrapPushed(nil, directPush)
	notifiesBefore := dev.sip.Counts().Notifies

	sc.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: "sip-shared", Labels: testenv.Consumable()}, StringData: map[string]string{"password": "pw-shared"}})
	const n = 99
	handsets := make([]handsetDef, n)
	for i := range handsets {
		handsets[i] = handsetDef{Name: fmt.Sprintf("hs-%03d", i), User: fmt.Sprint(2000 + i), IPUI: fmt.Sprintf("00AE%06X", i)}
	}
	start := time.Now()
	if err := sc.createConcurrently(handsets, "sip-shared", 16); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d handsets created in %v", n, time.Since(start).Round(time.Millisecond))
	sc.eventually("the device has all 100 accounts, by a push", catchingUp, func() error {
		active := 0
		for _, s := range dev.Snapshot().Slots {
			if s.Active {
				active++
			}
		}
		if active != n+1 {
			return fmt.Errorf("%d active accounts", active)
		}
		return nil
	})
	took := time.Since(start)
	b := sc.waitBase("office", "the device up to date", settle, func(b *dectv1alpha1.DectBase) error {
		if err := delivered(b); err != nil {
			return err
		}
		if p := b.Status.Push; p == nil || p.State != "UpToDate" {
			return fmt.Errorf("status.push %+v", p)
		}
		return nil
	})
	// Anything still to come would come within the debounce's bound (10 s).
	time.Sleep(11 * time.Second)
	c := dev.sip.Counts()
	t.Logf("%d handsets applied at once: %d NOTIFY(s) to the base (answers %v); the device had every account %v after the first create; status.push %+v",
		n, c.Notifies-notifiesBefore, c.Answers, took.Round(time.Millisecond), *b.Status.Push)
	if got := c.Notifies - notifiesBefore; got != 1 {
		t.Errorf("%d NOTIFYs for one burst, want exactly 1", got)
	}
}

// Scenario P4: the PBX that should send the push is unreachable: status says so, one
// Warning Event, retries back off, and the base stays Ready (its file is served).
func TestPushFailureReportedWithBackoff(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	closed := closedPort(t)
	const amiSecret = "s3cret-never-shown"
	sc.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: "ami", Labels: testenv.Consumable()},
		StringData: map[string]string{"username": "provd", "secret": amiSecret}})
	dev := sc.bootstrapPushed(nil, func(int) *dectv1alpha1.Push {
		return &dectv1alpha1.Push{Method: dectv1alpha1.PushAsteriskAMI, AsteriskAMI: &dectv1alpha1.AsteriskAMIPush{
			Address: closed, CredentialsSecretRef: dectv1alpha1.LocalObjectReference{Name: "ami"}}}
	})

	sc.declareHandset("office", example[1])
	b := sc.waitBase("office", "the failed push in status", settle, func(b *dectv1alpha1.DectBase) error {
		p := b.Status.Push
		if p == nil || p.LastPushTime == nil || p.Accepted || p.ConsecutiveFailures != 1 {
			return fmt.Errorf("status.push %+v", p)
		}
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionPushed, metav1.ConditionFalse, dectv1alpha1.ReasonPushFailed, "connection refused")
	})
	first := *b.Status.Push
	if !strings.Contains(first.Result, "connection refused") || first.NextPushTime == nil {
		t.Errorf("status.push %+v: want the refusal and the next attempt", first)
	}
	if err := hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered); err != nil {
		t.Errorf("a failed push must leave Ready alone: %v", err)
	}
	if c := findCondition(b.Status.Conditions, dectv1alpha1.ConditionStalled); c != nil {
		t.Errorf("a failed push must not stall the base: %+v", c)
	}
	sc.waitWarning("office", dectv1alpha1.ReasonPushFailed, "connection refused")

	// The retry comes after the backoff (30 s), and fails alike: no second Event.
	b = sc.waitBase("office", "the retry", 30*time.Second+settle, func(b *dectv1alpha1.DectBase) error {
		if p := b.Status.Push; p == nil || p.ConsecutiveFailures < 2 {
			return fmt.Errorf("status.push %+v", p)
		}
		return nil
	})
	second := *b.Status.Push
	gap := second.LastPushTime.Sub(first.LastPushTime.Time)
	next := second.NextPushTime.Sub(second.LastPushTime.Time)
	t.Logf("status.push after the first failure: result %q, next %v; after the retry %v later: failures %d, next in %v",
		first.Result, first.NextPushTime.Time.Sub(first.LastPushTime.Time), gap, second.ConsecutiveFailures, next)
	t.Logf("Pushed condition: %+v", *findCondition(b.Status.Conditions, dectv1alpha1.ConditionPushed))
	if gap < 29*time.Second || next < 59*time.Second {
		t.Errorf("retry %v after the first push, next in %v: want at least 30 s, then 60 s", gap, next)
	}
	events := sc.pushFailedEvents()
	t.Logf("Warning events: %v", events)
	if len(events) != 1 {
		t.Errorf("%d PushFailed events after %d failed pushes, want 1", len(events), second.ConsecutiveFailures)
	}
	if all := fmt.Sprintf("%+v %v", *b, events); strings.Contains(all, amiSecret) {
		t.Errorf("the AMI secret shows in status or events")
	}
	if c := dev.sip.Counts(); c.Notifies != 0 {
		t.Errorf("the device received %d NOTIFYs directly; with AsteriskAMI the PBX sends them", c.Notifies)
	}
}

// A device whose firmware knows no check-sync answers 489: status says so, one Warning
// Event, the retries back off, and the base stays Ready.
func TestPushToADeviceAnswering489(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	dev := sc.bootstrapPushedDevice("office", nil, directPush, simulator.SIPConfig{NoCheckSync: true})
	sc.declareHandset("office", example[1])
	b := sc.waitBase("office", "the refused push in status", settle, func(b *dectv1alpha1.DectBase) error {
		p := b.Status.Push
		if p == nil || p.LastPushTime == nil || p.Accepted || p.ConsecutiveFailures < 1 {
			return fmt.Errorf("status.push %+v", p)
		}
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionPushed, metav1.ConditionFalse, dectv1alpha1.ReasonPushFailed, "489")
	})
	p := *b.Status.Push
	t.Logf("status.push: result %q, failures %d, next in %v; Pushed: %s", p.Result, p.ConsecutiveFailures,
		p.NextPushTime.Sub(p.LastPushTime.Time), findCondition(b.Status.Conditions, dectv1alpha1.ConditionPushed).Message)
	if p.NextPushTime == nil || p.NextPushTime.Sub(p.LastPushTime.Time) < 29*time.Second {
		t.Errorf("next push %v after a refusal: want the backoff of at least 30 s", p.NextPushTime)
	}
	if err := hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered); err != nil {
		t.Errorf("a refused push must leave Ready alone: %v", err)
	}
	sc.waitWarning("office", dectv1alpha1.ReasonPushFailed, "489")
	if events := sc.pushFailedEvents(); len(events) != 1 {
		t.Errorf("PushFailed events %v, want one", events)
	} else {
		t.Logf("Warning event: %s", events[0])
	}
	if c := dev.sip.Counts(); c.Answers[489] < 1 || c.CheckSyncs != 0 {
		t.Errorf("device SIP counts %+v: want 489 answers and no check-sync acted on", c)
	}
}

// The PBX refuses the operator's manager login: status says so (never the secret), one
// Warning Event, the retries back off.
func TestPushWithAWrongAMISecret(t *testing.T) {
	t.Parallel()
	sc := begin(t)
	const amiSecret = "wrong-s3cret-never-shown"
	addr := refusingAMI(t)
	sc.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: "ami", Labels: testenv.Consumable()},
		StringData: map[string]string{"username": "provd", "secret": amiSecret}})
	sc.bootstrapPushed(nil, func(int) *dectv1alpha1.Push {
		return &dectv1alpha1.Push{Method: dectv1alpha1.PushAsteriskAMI, AsteriskAMI: &dectv1alpha1.AsteriskAMIPush{
			Address: addr, CredentialsSecretRef: dectv1alpha1.LocalObjectReference{Name: "ami"}}}
	})
	sc.declareHandset("office", example[1])
	b := sc.waitBase("office", "the refused login in status", settle, func(b *dectv1alpha1.DectBase) error {
		p := b.Status.Push
		if p == nil || p.LastPushTime == nil || p.Accepted {
			return fmt.Errorf("status.push %+v", p)
		}
		return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionPushed, metav1.ConditionFalse, dectv1alpha1.ReasonPushFailed, "Authentication failed")
	})
	p := *b.Status.Push
	t.Logf("status.push: result %q, next in %v", p.Result, p.NextPushTime.Sub(p.LastPushTime.Time))
	if p.NextPushTime == nil || p.NextPushTime.Sub(p.LastPushTime.Time) < 29*time.Second {
		t.Errorf("next push %v after a refused login: want the backoff of at least 30 s", p.NextPushTime)
	}
	sc.waitWarning("office", dectv1alpha1.ReasonPushFailed, "Authentication failed")
	events := sc.pushFailedEvents()
	t.Logf("Warning events: %v", events)
	if all := fmt.Sprintf("%+v %v", *b, events); strings.Contains(all, amiSecret) {
		t.Error("the AMI secret shows in status or events")
	}
}

// refusingAMI is an Asterisk manager interface on loopback, after Asterisk's protocol
// (a greeting line, then "Key: Value" lines ending in an empty line), that refuses every
// login as a manager with another secret does.
func refusingAMI(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				_, _ = conn.Write([]byte("Asterisk Call Manager/7.0.3\r\n"))
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if strings.TrimSpace(line) == "" {
						_, _ = conn.Write([]byte("Response: Error\r\nMessage: Authentication failed\r\n\r\n"))
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func (sc *scenario) pushFailedEvents() []string {
	sc.t.Helper()
	var list eventsv1.EventList
	if err := sc.c.List(sc.ctx, &list, client.InNamespace(sc.ns)); err != nil {
		sc.t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Reason == dectv1alpha1.ReasonPushFailed {
			n := int32(1)
			if e.Series != nil {
				n = e.Series.Count
			}
			out = append(out, fmt.Sprintf("%s %s %s (x%d): %s", e.Type, e.Reason, e.Regarding.Name, n, e.Note))
		}
	}
	return out
}

func findCondition(conds []metav1.Condition, typ string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

func medianMax(ds []time.Duration) (median, most time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)-1]
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
