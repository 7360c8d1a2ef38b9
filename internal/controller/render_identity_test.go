package controller_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/offline"
	"github.com/dect-operator/dect-operator/internal/provfile"
)

// TestOfflineRenderIsByteIdentical applies the same manifests the offline renderer reads
// and compares the ConfigMap and Secret the operator writes with its output, byte for byte.
func TestOfflineRenderIsByteIdentical(t *testing.T) {
	set, err := offline.Load([]string{"../internal/offline/testdata/office.yaml"}, "default")
	if err != nil {
		t.Fatal(err)
	}
	// A MAC belongs to one base cluster-wide: give this run's base one of its own.
	set.Bases[0].Spec.MACAddress = uniqueMAC()
	files, err := offline.Render(set)
	if err != nil {
		t.Fatal(err)
	}

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

	key := provfile.FileKey(files[0].MAC)
	eventually(t, "operator's file equals the offline render", func() error {
		var cm corev1.ConfigMap
		var sec corev1.Secret
		ctx := context.Background()
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: provfile.ConfigMapName(base.Name)}, &cm); err != nil {
			return err
		}
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: provfile.SecretName(base.Name)}, &sec); err != nil {
			return err
		}
		if !bytes.Equal(cm.BinaryData[key], files[0].Document) {
			return fmt.Errorf("ConfigMap document differs from the offline render (%d vs %d bytes)", len(cm.BinaryData[key]), len(files[0].Document))
		}
		if !bytes.Equal(sec.Data[key], files[0].Credentials) {
			return fmt.Errorf("Secret credentials differ from the offline render")
		}
		return nil
	})
}
