package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/gigaset"
)

// Field indexes on the manager's cache, so that every lookup of a reconcile is an
// in-memory index read rather than a list of everything.
const (
	// indexHandsetBase indexes Handsets by spec.baseRef.name.
	indexHandsetBase = "spec.baseRef.name"
	// indexHandsetSecret indexes Handsets by the Secret that holds their SIP password.
	indexHandsetSecret = "spec.sip.passwordSecretRef.name"
	// indexBaseMAC indexes DectBases by canonical MAC, across namespaces.
	indexBaseMAC = "spec.macAddress.canonical"
	// indexBaseSecret indexes DectBases by every Secret they reference.
	indexBaseSecret = "spec.secretRefs"
)

// SetupIndexes registers the field indexes the reconcilers rely on.
func SetupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &dectv1alpha1.Handset{}, indexHandsetBase, func(o client.Object) []string {
		return []string{o.(*dectv1alpha1.Handset).Spec.BaseRef.Name}
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &dectv1alpha1.Handset{}, indexHandsetSecret, func(o client.Object) []string {
		return []string{o.(*dectv1alpha1.Handset).Spec.SIP.PasswordSecretRef.Name}
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &dectv1alpha1.DectBase{}, indexBaseMAC, func(o client.Object) []string {
		mac, err := gigaset.ParseMAC(o.(*dectv1alpha1.DectBase).Spec.MACAddress)
		if err != nil {
			return nil
		}
		return []string{mac}
	}); err != nil {
		return err
	}
	return indexer.IndexField(ctx, &dectv1alpha1.DectBase{}, indexBaseSecret, func(o client.Object) []string {
		return baseSecretNames(o.(*dectv1alpha1.DectBase))
	})
}

// baseSecretNames lists the Secrets a DectBase reads.
func baseSecretNames(b *dectv1alpha1.DectBase) []string {
	var names []string
	if r := b.Spec.WebPasswordSecretRef; r != nil {
		names = append(names, r.Name)
	}
	if r := b.Spec.Provisioning.AuthSecretRef; r != nil {
		names = append(names, r.Name)
	}
	for _, it := range b.Spec.ExtraItems {
		if it.ValueFrom != nil {
			names = append(names, it.ValueFrom.Name)
		}
	}
	if p := b.Spec.Push; p != nil {
		if p.AsteriskAMI != nil {
			names = append(names, p.AsteriskAMI.CredentialsSecretRef.Name)
		}
		if p.FreeSWITCH != nil {
			names = append(names, p.FreeSWITCH.PasswordSecretRef.Name)
		}
	}
	return names
}
