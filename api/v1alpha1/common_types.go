package v1alpha1

// Text is a string the device stores verbatim: printable ISO-8859-1 (Latin-1) characters
// only. The N720 reads its file as ISO-8859-1, so a character outside Latin-1 cannot be
// sent, and how it parses a quote inside a value is unknown, so both quote characters are
// refused rather than guessed at.
//
// +kubebuilder:validation:XValidation:rule="self.matches('^[ -!#-&(-~\\u00a0-\\u00ff]*$')",message="may contain only printable Latin-1 (ISO-8859-1) characters, and neither \" nor '"
type Text string

// SecretKeyRef names one key of a Secret in the namespace of the object that refers to it.
type SecretKeyRef struct {
	// Name of the Secret. The Secret must carry the label
	// `provisioning.dect-operator.dev/consumable: "true"`: the operator reads no other
	// (the reason is SecretNotConsumable until it does).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be a valid Secret name: lower-case letters, digits, '-' and '.'"
	Name string `json:"name"`

	// Key within the Secret's data.
	// +kubebuilder:default=password
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$')",message="must be a valid Secret key: letters, digits, '-', '_' and '.'"
	// +optional
	Key string `json:"key,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// Name of the object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}
