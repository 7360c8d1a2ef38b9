package controller

import (
	"context"
	"crypto/rand"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dect-operator/dect-operator/internal/provserver"
)

// NonceKeyBytes is the size of the key that signs the provisioning servers' Digest
// nonces, and the least a key read back may have: what the provisioning server and the
// feed to its sidecar accept.
const NonceKeyBytes = provserver.MinNonceKeyLen

// nonceKeyField is the Secret's data key holding the nonce key.
const nonceKeyField = "key"

// EnsureNonceKey returns the key in the Secret key, creating the Secret with a random
// key when there is none. Every replica calls it at start and gets the same key, the
// first to create the Secret deciding it, so that each replica's server accepts the
// nonces the others issued: a device challenged by one pod may answer another.
//
// r must read from the API server (the manager's APIReader), not the manager's cache,
// which holds only the Secrets that DectBases and Handsets may consume.
func EnsureNonceKey(ctx context.Context, r client.Reader, w client.Writer, key types.NamespacedName) ([]byte, error) {
	for range 2 {
		var s corev1.Secret
		err := r.Get(ctx, key, &s)
		if err == nil {
			k := s.Data[nonceKeyField]
			if len(k) < NonceKeyBytes {
				return nil, fmt.Errorf("Secret %s: %q holds %d bytes, want at least %d", key, nonceKeyField, len(k), NonceKeyBytes)
			}
			return k, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("reading the nonce key Secret %s: %w", key, err)
		}
		s = corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: map[string]string{
				"app.kubernetes.io/name":      "dect-operator",
				"app.kubernetes.io/component": "nonce-key",
			}},
			Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{nonceKeyField: []byte(rand.Text() + rand.Text())},
		}
		switch err := w.Create(ctx, &s); {
		case err == nil:
			return s.Data[nonceKeyField], nil
		case apierrors.IsAlreadyExists(err):
			continue // another replica was first: read its key
		default:
			return nil, fmt.Errorf("creating the nonce key Secret %s: %w", key, err)
		}
	}
	return nil, fmt.Errorf("the nonce key Secret %s was created and then disappeared", key)
}
