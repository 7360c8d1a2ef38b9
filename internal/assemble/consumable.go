package assemble

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
)

// Consumable tells, from a Secret's metadata alone, whether a DectBase or Handset may use
// it; when not, why is the message for the object that references it: what is wrong and
// how to fix it. It never needs the Secret's data, so that a Secret that did not opt in
// is refused without being read. The rules, in order:
//
//  1. A Secret a DectBase controls is the operator's own (a base's credentials Secret):
//     never an input. It carries the label only so that the manager's one
//     label-filtered cache holds it; a Handset that names it would otherwise have
//     another base's Digest credentials and hash key copied into its own file.
//  2. Any other Secret may be used when it carries dectv1alpha1.LabelConsumable="true":
//     the namespace's owner opted it in. Whoever may create a Handset must not be able
//     to have an arbitrary Secret of the namespace served to a device.
func Consumable(secret metav1.Object) (ok bool, why string) {
	if owner := metav1.GetControllerOfNoCopy(secret); owner != nil && owner.Kind == "DectBase" && groupOf(owner.APIVersion) == dectv1alpha1.GroupVersion.Group {
		return false, fmt.Sprintf("Secret %s is the operator's own (the rendered credentials of DectBase %s) and cannot be referenced: "+
			"name a Secret of your own, labelled %s=true", secret.GetName(), owner.Name, dectv1alpha1.LabelConsumable)
	}
	if secret.GetLabels()[dectv1alpha1.LabelConsumable] != "true" {
		return false, fmt.Sprintf("Secret %s exists but is not labelled %s=true, so the operator does not read it: "+
			"kubectl label secret -n %s %s %s=true", secret.GetName(), dectv1alpha1.LabelConsumable,
			secret.GetNamespace(), secret.GetName(), dectv1alpha1.LabelConsumable)
	}
	return true, ""
}

func groupOf(apiVersion string) string {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return ""
	}
	return gv.Group
}

// Refused holds the referenced Secrets that exist but may not be used (Consumable), by
// name, with the message why. They are absent from Secrets: their data is never read.
type Refused map[string]string

// problem is the problem of using Secret name, when it is refused; nil otherwise.
func (r Refused) problem(name string) *Problem {
	why, refused := r[name]
	if !refused {
		return nil
	}
	return &Problem{Reason: dectv1alpha1.ReasonSecretNotConsumable, Message: why}
}

// secretProblem is why the value ref names is not available: the Secret was refused, or
// it (or its key) does not exist.
func (r Refused) secretProblem(ref *dectv1alpha1.SecretKeyRef) *Problem {
	if p := r.problem(ref.Name); p != nil {
		return p
	}
	return &Problem{Reason: dectv1alpha1.ReasonSecretNotFound, Message: missing(ref)}
}
