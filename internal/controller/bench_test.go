package controller_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

// BenchmarkHundredHandsetsAtOnce creates one base and 100 handsets as fast as the API
// server takes them, and reports the seconds until the stored file holds all 100 and the
// base is Ready, and the manager's API writes per handset.
func BenchmarkHundredHandsetsAtOnce(b *testing.B) {
	for range b.N {
		t := b
		ns := fmt.Sprintf("bench-%d", nsSeq.Add(1))
		create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		create(t, newBase(ns, "office", uniqueMAC()))
		create(t, newSecret(ns, "sip-shared", "pw"))
		waitBase(t, ns, "office", dectv1alpha1.ConditionReady, "True/Rendered")
		time.Sleep(time.Second)

		writesBefore := managerWrites.Load()
		start := time.Now()
		var wg sync.WaitGroup
		jobs := make(chan int)
		for range 8 {
			wg.Go(func() {
				for i := range jobs {
					h := newHandset(ns, fmt.Sprintf("h%03d", i), "office", fmt.Sprintf("%d", 1000+i), fmt.Sprintf("00AB%06X", i))
					h.Spec.SIP.PasswordSecretRef.Name = "sip-shared"
					if err := k8s.Create(context.Background(), h); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for i := range 100 {
			jobs <- i
		}
		close(jobs)
		wg.Wait()

		for {
			base := get(t, ns, "office", &dectv1alpha1.DectBase{})
			d, err := storedFile(ns, "office")
			active := 0
			if err == nil {
				for _, s := range d.Slots {
					if s.Active {
						active++
					}
				}
			}
			if active == 100 && base.Status.Handsets.Ready == 100 && condition(base.Status.Conditions, dectv1alpha1.ConditionReady) == "True/Rendered" {
				break
			}
			if time.Since(start) > time.Minute {
				b.Fatalf("not converged after a minute: %d active slots, counts %+v", active, base.Status.Handsets)
			}
			time.Sleep(20 * time.Millisecond)
		}
		converged := time.Since(start)
		// Let the last status writes land before counting.
		time.Sleep(3 * time.Second)
		writes := managerWrites.Load() - writesBefore
		b.ReportMetric(converged.Seconds(), "s-to-converge")
		b.ReportMetric(float64(writes)/100, "writes/handset")
	}
}
