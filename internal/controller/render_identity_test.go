package controller_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/offline"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

// TestOfflineRenderIsByteIdentical applies the manifests the offline renderer reads and
// compares the ConfigMap and Secret the operator writes with the renderer's output, byte
// for byte, for every registration window mode. An OnChange window opens when the
// operator renders, so the offline render is given that instant (render --now).
func TestOfflineRenderIsByteIdentical(t *testing.T) {
	for _, mode := range []struct {
		name   string
		window dectv1alpha1.RegistrationWindow
	}{
		{"Always", dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowAlways}},
		{"Scheduled", dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowScheduled,
			Start: &metav1.Time{Time: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)}, Duration: &metav1.Duration{Duration: 2 * time.Hour}}},
		{"OnChange", dectv1alpha1.RegistrationWindow{Mode: dectv1alpha1.WindowOnChange, Duration: &metav1.Duration{Duration: time.Hour}}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			set, err := offline.Load([]string{"../offline/testdata/office.yaml"}, "default")
			if err != nil {
				t.Fatal(err)
			}
			// A MAC belongs to one base cluster-wide: give this run's base one of its own.
			set.Bases[0].Spec.MACAddress = uniqueMAC()
			set.Bases[0].Spec.Registration.Window = mode.window

			ns := namespace(t)
			for _, s := range set.Secrets {
				s.Namespace = ns
				create(t, &s)
			}
			base := set.Bases[0]
			base.Namespace = ns
			create(t, &base)
			// The renderer takes handsets in the order it read them; give them that age order.
			for _, h := range set.Handsets {
				h.Namespace = ns
				create(t, &h)
				time.Sleep(1100 * time.Millisecond)
			}
			waitBase(t, ns, base.Name, dectv1alpha1.ConditionReady, "True/Rendered")

			eventually(t, "operator's file equals the offline render", func() error {
				ctx := context.Background()
				var b dectv1alpha1.DectBase
				if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: base.Name}, &b); err != nil {
					return err
				}
				now := time.Now()
				if w := b.Status.RegistrationWindow; w != nil && w.Start != nil && mode.window.Mode == dectv1alpha1.WindowOnChange {
					now = w.Start.Time
				}
				files, err := offline.Render(set, now)
				if err != nil {
					return err
				}
				key := provfile.FileKey(files[0].MAC)
				var cm corev1.ConfigMap
				var sec corev1.Secret
				if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: provfile.ConfigMapName(base.Name)}, &cm); err != nil {
					return err
				}
				if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: provfile.SecretName(base.Name)}, &sec); err != nil {
					return err
				}
				if !bytes.Equal(cm.BinaryData[key], files[0].Document) {
					return fmt.Errorf("ConfigMap document differs from the offline render at %s (%d vs %d bytes)", now.Format(time.RFC3339), len(cm.BinaryData[key]), len(files[0].Document))
				}
				if !bytes.Equal(sec.Data[key], files[0].Credentials) {
					return fmt.Errorf("Secret credentials differ from the offline render")
				}
				return nil
			})
		})
	}
}
