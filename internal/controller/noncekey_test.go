package controller_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dect-operator/dect-operator/internal/controller"
)

// TestEnsureNonceKeyOneKeyForAllReplicas starts four replicas at once against no
// Secret: one creates it, and all four come back with its key.
func TestEnsureNonceKeyOneKeyForAllReplicas(t *testing.T) {
	key := types.NamespacedName{Namespace: namespace(t), Name: "dect-operator-nonce-key"}
	keys := make([][]byte, 4)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = controller.EnsureNonceKey(context.Background(), k8s, k8s, key) })
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if len(keys[i]) < controller.NonceKeyBytes || !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("replica %d got a key of %d bytes that is not replica 0's", i, len(keys[i]))
		}
	}
	// A restart reads the same key back.
	again, err := controller.EnsureNonceKey(context.Background(), k8s, k8s, key)
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Errorf("after a restart: a different key (%v)", err)
	}
}

// TestEnsureNonceKeyRefusesAShortKey: a Secret someone filled with a weak key is
// refused, and the error does not show it.
func TestEnsureNonceKeyRefusesAShortKey(t *testing.T) {
	ns := namespace(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "weak"}, Data: map[string][]byte{"key": []byte("hunter2")}})
	_, err := controller.EnsureNonceKey(context.Background(), k8s, k8s, types.NamespacedName{Namespace: ns, Name: "weak"})
	if err == nil {
		t.Fatal("a 7-byte key was accepted")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the key: %v", err)
	}
}
