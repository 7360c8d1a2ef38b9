// Package slotexport writes the slot table the cluster holds back as `spec.slot` pins,
// for Git: a namespace rebuilt from Git (a restore, a new cluster) has no record of which
// handset held which slot, and applied at once, its handsets would take slots by name.
// Pinned in Git, every handset keeps its slot whatever happens to the cluster.
package slotexport

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

// Pin is one handset's slot as a patch of its spec.
type Pin struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Metadata   pinMeta `json:"metadata"`
	Spec       pinSpec `json:"spec"`
	base       string
}

type pinMeta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type pinSpec struct {
	Slot int32 `json:"slot"`
}

// Pins returns a pin for every handset that holds a slot its spec does not pin (yet),
// ordered by namespace, base and slot.
func Pins(handsets []dectv1alpha1.Handset) []Pin {
	var pins []Pin
	for _, h := range handsets {
		held := h.Status.Slot
		if held == nil || (h.Spec.Slot != nil && *h.Spec.Slot == *held) {
			continue
		}
		pins = append(pins, Pin{
			APIVersion: dectv1alpha1.GroupVersion.String(), Kind: "Handset",
			Metadata: pinMeta{Name: h.Name, Namespace: h.Namespace},
			Spec:     pinSpec{Slot: *held},
			base:     h.Spec.BaseRef.Name,
		})
	}
	slices.SortFunc(pins, func(a, b Pin) int {
		return cmp.Or(cmp.Compare(a.Metadata.Namespace, b.Metadata.Namespace), cmp.Compare(a.base, b.base), cmp.Compare(a.Spec.Slot, b.Spec.Slot))
	})
	return pins
}

// Write lists the Handsets of namespace (all when "") on base (all when "") and writes
// their pins to w as YAML documents, each usable as a kustomize patch or merged into the
// Handset's manifest.
func Write(ctx context.Context, c client.Reader, namespace, base string, w io.Writer) error {
	var list dectv1alpha1.HandsetList
	if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return fmt.Errorf("listing Handsets: %w", err)
	}
	handsets := slices.DeleteFunc(list.Items, func(h dectv1alpha1.Handset) bool { return base != "" && h.Spec.BaseRef.Name != base })
	pins := Pins(handsets)
	if len(pins) == 0 {
		_, err := fmt.Fprintln(w, "# every Handset that holds a slot is pinned to it already")
		return err
	}
	for i, p := range pins {
		raw, err := yaml.Marshal(p)
		if err != nil {
			return err
		}
		sep := "---\n"
		if i == 0 {
			sep = ""
		}
		if _, err := fmt.Fprintf(w, "%s# DectBase %s/%s, slot %d (SIP account and handset %d)\n%s", sep, p.Metadata.Namespace, p.base, p.Spec.Slot, p.Spec.Slot+1, raw); err != nil {
			return err
		}
	}
	return nil
}
