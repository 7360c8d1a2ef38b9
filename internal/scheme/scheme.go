// Package scheme is the one runtime.Scheme of the operator's processes and tools: the
// built-in kinds and this operator's own.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

// New returns a scheme that knows the built-in kinds and DectBase and Handset.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := dectv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}
