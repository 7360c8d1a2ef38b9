package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/macpolicy"
	"github.com/dect-operator/dect-operator/internal/testenv"
)

// annotate sets a namespace's MAC policy annotation, as a cluster admin would.
func (sc *scenario) annotate(ns, value string) {
	sc.t.Helper()
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{macpolicy.Annotation: value}}})
	if err != nil {
		sc.t.Fatal(err)
	}
	if err := sc.c.Patch(sc.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, client.RawPatch(types.MergePatchType, patch)); err != nil {
		sc.t.Fatalf("annotating namespace %s: %v", ns, err)
	}
}

// declareDevice creates, in sc's namespace, the base name for an existing device (its
// MAC and MAC-ID) with the example's handsets, when withExample.
func (sc *scenario) declareDevice(name, mac, macID string, withExample bool) {
	sc.t.Helper()
	sc.create(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: name + "-device-auth", Labels: testenv.Consumable()},
		StringData: map[string]string{"macID": macID},
	})
	sc.create(&dectv1alpha1.DectBase{
		ObjectMeta: metav1.ObjectMeta{Namespace: sc.ns, Name: name},
		Spec: dectv1alpha1.DectBaseSpec{
			MACAddress:   mac,
			SIP:          &dectv1alpha1.SIPProvider{Domain: "pbx.example.com"},
			Provisioning: dectv1alpha1.Provisioning{AuthSecretRef: &dectv1alpha1.LocalObjectReference{Name: name + "-device-auth"}},
		},
	})
	if withExample {
		for _, h := range example {
			sc.declareHandset(name, h)
		}
	}
}

func refused(reason string, hide ...string) func(*dectv1alpha1.DectBase) error {
	return func(b *dectv1alpha1.DectBase) error {
		if err := hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionFalse, reason); err != nil {
			return err
		}
		msg := conditionMessage(b.Status.Conditions, dectv1alpha1.ConditionReady)
		for _, h := range hide {
			if strings.Contains(msg, h) {
				return fmt.Errorf("the message names %q, another tenant's: %s", h, msg)
			}
		}
		return nil
	}
}

func conditionMessage(conds []metav1.Condition, typ string) string {
	for _, c := range conds {
		if c.Type == typ {
			return c.Message
		}
	}
	return ""
}

func rendered(b *dectv1alpha1.DectBase) error {
	return hasCondition(b.Status.Conditions, dectv1alpha1.ConditionReady, metav1.ConditionTrue, dectv1alpha1.ReasonRendered)
}

// TestReservedMACTakesTheDeviceBackFromASquatter is the multi-tenant takeover: a tenant
// declares another tenant's device (MAC and, at worst, MAC-ID) before its owner does, and
// under first-come the device fetches the squatter's file. Once a cluster admin reserves
// the MAC for the owner's namespace, the manager and the server both give the device to
// the owner, without a restart; neither tenant's messages name the other. (Had the
// server kept first-come, it would refuse the owner's file as not the holder's and the
// device would get nothing; a file the squatter forges is refused as the server's unit
// tests show, internal/server/source_policy_test.go.)
func TestReservedMACTakesTheDeviceBackFromASquatter(t *testing.T) {
	t.Parallel()
	owner := begin(t)
	squatter := *owner
	// Named so that neither namespace's name holds the other's.
	squatter.ns = fmt.Sprintf("e2e-%d-intruder", nsSeq.Add(1))
	squatter.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: squatter.ns}})

	n := macSeq.Add(1)
	mac, macID := fmt.Sprintf("7C2F80E2%04X", n), fmt.Sprintf("7C2F80E2%04X-E%03d", n, n)
	dev := owner.newDevice(mac, macID)

	squatter.declareDevice("intruder", mac, macID, false)
	squatter.waitBase("intruder", "rendered", settle, rendered)
	time.Sleep(1100 * time.Millisecond) // creationTimestamp has a resolution of one second
	owner.declareDevice("office", mac, macID, true)
	owner.waitBase("office", "refused as DuplicateMAC", settle, refused(dectv1alpha1.ReasonDuplicateMAC, squatter.ns, "intruder"))
	// The attack works while nothing reserves the MAC: the device is served the
	// squatter's file.
	owner.eventually("the device is served the squatter's file", settle, func() error {
		res, err := dev.fetch()
		if err == nil && res.NotFound {
			err = fmt.Errorf("404")
		}
		return err
	})
	squatter.waitBase("intruder", "delivered", settle, delivered)
	if err := dev.hasExample(); err == nil {
		t.Fatal("the device holds the owner's accounts before the reservation")
	}

	owner.annotate(owner.ns, mac)
	squatter.waitBase("intruder", "refused as MACNotAllowed", settle, refused(dectv1alpha1.ReasonMACNotAllowed, owner.ns, "office"))
	owner.waitBase("office", "rendered", settle, rendered)
	dev.fetchUntil("the owner's accounts", settle, dev.hasExample)
	owner.waitBase("office", "delivered", settle, delivered)
}

// TestAllowListServesOnlyListedMACs runs its own stack, the manager with
// --mac-policy=allow-list (its sidecar serves what the manager's checks pass, under the
// manager's policy), and beside it a server in the direct mode with the same flag: a
// namespace without the annotation gets nothing served by either, and the admin's
// annotation makes the device's file appear on both without a restart.
func TestAllowListServesOnlyListedMACs(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "dect-e2e-allowlist-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	strict, err := testenv.Start(ctx, testenv.Options{
		Dir: dir, Binary: stack.Binary, DeliveryRecordInterval: time.Second,
		ManagerArgs: []string{"--mac-policy=allow-list"},
	})
	if err != nil {
		t.Fatalf("starting a stack with --mac-policy=allow-list: %v (logs in %s)", err, dir)
	}
	t.Cleanup(func() {
		strict.Stop()
		if t.Failed() {
			t.Logf("the allow-list stack's logs are kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})

	direct, err := strict.StartDirectServer(ctx, "server-direct-allowlist", "", "--mac-policy=allow-list")
	if err != nil {
		t.Fatal(err)
	}
	servers := []struct{ name, url string }{{"the sidecar", strict.ServerURL}, {"the direct server", direct.ServerURL}}

	sc := &scenario{t: t, ctx: context.Background(), c: strict.Client, ns: "tenant"}
	sc.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: sc.ns}})
	mac, macID := "7C2F80CA21E4", "7C2F80CA21E4-ABCD"
	sc.declareDevice("office", mac, macID, true)
	sc.waitBase("office", "refused as MACNotAllowed", settle, refused(dectv1alpha1.ReasonMACNotAllowed))
	dev := sc.newDevice(mac, macID)
	for _, srv := range servers {
		res, err := dev.Fetch(sc.ctx, srv.url)
		if err != nil || !res.NotFound {
			t.Fatalf("%s: fetch of a MAC no namespace lists: %+v, %v; want 404", srv.name, res, err)
		}
	}

	sc.annotate(sc.ns, "7C:2F:80:CA:21:E4")
	sc.waitBase("office", "rendered", settle, rendered)
	for _, srv := range servers {
		fresh := sc.newDevice(mac, macID)
		sc.eventually(srv.name+": the device gets the example", settle, func() error {
			if _, err := fresh.Fetch(sc.ctx, srv.url); err != nil {
				return err
			}
			return fresh.hasExample()
		})
	}
}
