package controller_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/scheme"
)

// kstatusLog watches the Handsets and DectBases of a namespace and records kstatus for
// every event, as Flux and kubectl wait see them.
type kstatusLog struct {
	mu    sync.Mutex
	lines []string
	seen  map[string][]status.Status
}

func watchKstatus(t *testing.T, ctx context.Context, ns string) *kstatusLog {
	t.Helper()
	wc, err := client.NewWithWatch(restCfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	l := &kstatusLog{seen: map[string][]status.Status{}}
	start := time.Now()
	for _, list := range []client.ObjectList{&dectv1alpha1.HandsetList{}, &dectv1alpha1.DectBaseList{}} {
		w, err := wc.Watch(ctx, list, client.InNamespace(ns))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer w.Stop()
			for ev := range w.ResultChan() {
				obj, ok := ev.Object.(client.Object)
				if !ok {
					continue
				}
				raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
				if err != nil {
					continue
				}
				res, err := status.Compute(&unstructured.Unstructured{Object: raw})
				if err != nil {
					continue
				}
				kind := strings.TrimPrefix(fmt.Sprintf("%T", obj), "*v1alpha1.")
				l.mu.Lock()
				key := kind + "/" + obj.GetName()
				l.seen[key] = append(l.seen[key], res.Status)
				l.lines = append(l.lines, fmt.Sprintf("%6.2fs %-8s %-18s %-10s %s", time.Since(start).Seconds(), ev.Type, key, res.Status, res.Message))
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *kstatusLog) statuses(key string) []status.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]status.Status(nil), l.seen[key]...)
}

// Applied in one go, GitOps tools may create Handsets before their DectBase (Argo CD
// orders kinds it does not know by name), and a secrets operator delivers a Secret a few
// seconds later. Neither is a failure: kstatus goes InProgress, then Current, never
// Failed, so that Flux's wait and Argo CD's health do not fail fast.
func TestApplyInAnyOrderIsNeverFailed(t *testing.T) {
	ns := namespace(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := watchKstatus(t, ctx, ns)

	// The handsets first, as Argo CD orders them; hs-1014's Secret is late.
	create(t, newSecret(ns, "sip-1013", "pw-1013"))
	create(t, newHandset(ns, "hs-1013", "office", "1013", "00ABC50871"))
	create(t, newHandset(ns, "hs-1014", "office", "1014", "00ABB84A08"))
	waitHandset(t, ns, "hs-1013", dectv1alpha1.ConditionReady, "False/BaseNotFound")
	create(t, newBase(ns, "office", uniqueMAC()))
	waitHandset(t, ns, "hs-1013", dectv1alpha1.ConditionReady, "True/Rendered")
	waitHandset(t, ns, "hs-1014", dectv1alpha1.ConditionReady, "False/SecretNotFound")
	time.Sleep(4 * time.Second) // the Secret arrives 4 s late, as SealedSecrets may deliver it
	create(t, newSecret(ns, "sip-1014", "pw-1014"))
	waitHandset(t, ns, "hs-1014", dectv1alpha1.ConditionReady, "True/Rendered")
	waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
	waitKstatus(t, ns, "hs-1014", &dectv1alpha1.Handset{}, status.CurrentStatus)
	time.Sleep(500 * time.Millisecond) // lets the watch deliver the last events

	log.mu.Lock()
	t.Logf("kstatus per watch event:\n%s", strings.Join(log.lines, "\n"))
	log.mu.Unlock()
	for _, key := range []string{"Handset/hs-1013", "Handset/hs-1014", "DectBase/office"} {
		seen := log.statuses(key)
		if len(seen) == 0 {
			t.Errorf("%s: no event watched", key)
		}
		for _, s := range seen {
			if s == status.FailedStatus {
				t.Errorf("%s was Failed on the way: %v", key, seen)
				break
			}
		}
		if seen[len(seen)-1] != status.CurrentStatus {
			t.Errorf("%s ended %s, want Current: %v", key, seen[len(seen)-1], seen)
		}
	}
	if s := log.statuses("Handset/hs-1014"); !slices.Contains(s, status.InProgressStatus) {
		t.Errorf("hs-1014 never InProgress while it waited: %v", s)
	}
}
