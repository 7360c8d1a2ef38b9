package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HandsetSpec declares one cordless handset and the SIP account it is bound to.
type HandsetSpec struct {
	// BaseRef names the DectBase, in the same namespace, that the handset belongs to.
	// It cannot be changed: to move a handset to another base, create a new Handset.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="baseRef is immutable: create a new Handset to move a handset to another base"
	BaseRef LocalObjectReference `json:"baseRef"`

	// IPUI of the handset, shown on it with *#06# and printed on its box. Any common
	// notation is accepted (00 AB C5 08 71, 00ABC50871, 00:ab:c5:08:71). With an IPUI, the
	// base reserves the handset's slot for it and the handset registers itself while the
	// registration window is open; nobody has to touch the base. Change it to replace a
	// broken handset: the new one takes the same slot and SIP account. Without an IPUI the
	// handset must be registered by hand in the device's web UI.
	// +kubebuilder:validation:MaxLength=14
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9A-Fa-f]{2}([ :-]?[0-9A-Fa-f]{2}){4}$')",message="ipui must be 10 hex digits, e.g. 00 AB C5 08 71 or 00ABC50871"
	// +optional
	IPUI string `json:"ipui,omitempty"`

	// Slot pins the handset to entry Slot of the device's table (SIP account and DECT
	// handset Slot+1). When it is omitted, the handset keeps the slot it was given, or
	// takes the first free one. A slot never moves once assigned.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=99
	// +optional
	Slot *int32 `json:"slot,omitempty"`

	// SIP is the account the handset uses on the base's PBX.
	SIP HandsetSIP `json:"sip"`

	// Enabled, when false, keeps the handset's slot and settings but deactivates its
	// account and lifts its IPUI reservation.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
}

// HandsetSIP is one SIP account on the base's PBX.
type HandsetSIP struct {
	// UserID is the user part of the account's SIP address, e.g. 1013.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32
	UserID Text `json:"userID"`

	// LoginID is the authentication name. Defaults to userID.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	LoginID Text `json:"loginID,omitempty"`

	// DisplayName is shown on the handset and sent to the PBX. DECT displays are short.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	DisplayName Text `json:"displayName,omitempty"`

	// AccountName is the name of the account in the device's web UI. Defaults to userID.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	AccountName Text `json:"accountName,omitempty"`

	// PasswordSecretRef names the Secret key that holds the account's SIP password. The
	// password never appears in the ConfigMap, in events or in logs.
	PasswordSecretRef SecretKeyRef `json:"passwordSecretRef"`

	// Mailbox is the number of the network mailbox, e.g. *2. Empty turns it off.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Mailbox Text `json:"mailbox,omitempty"`
}

// HandsetStatus is what the operator last observed of a handset.
type HandsetStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready, Reconciling and Stalled (kstatus), and Delivered.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Slot the handset holds on its base.
	// +optional
	Slot *int32 `json:"slot,omitempty"`

	// IPUI reserved for the handset, as written in the file: 10 upper-case hex digits.
	// The handset registers by it while its base's registration window is open: the
	// window is one per base and is reported on the DectBase
	// (status.registrationWindow, the WINDOW column of kubectl get dectbases), so that
	// its opening and closing rewrite one object, not every handset.
	// +optional
	IPUI string `json:"ipui,omitempty"`

	// SettingsGeneration is the base's document generation that first held the handset's
	// current settings; the handset is Delivered once the device fetched that one or a
	// later one.
	// +optional
	SettingsGeneration int64 `json:"settingsGeneration,omitempty"`

	// SettingsHash identifies the handset's current settings as rendered.
	// +optional
	SettingsHash string `json:"settingsHash,omitempty"`

	// LastHandledReconcileAt is the value of the reconcile.fluxcd.io/requestedAt
	// annotation the operator last acted on.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
}

// Handset is one cordless DECT handset bound to a SIP account on a DectBase.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=hs,categories=dect
// +kubebuilder:printcolumn:name="Base",type=string,JSONPath=`.spec.baseRef.name`
// +kubebuilder:printcolumn:name="Slot",type=integer,JSONPath=`.status.slot`
// +kubebuilder:printcolumn:name="IPUI",type=string,JSONPath=`.status.ipui`
// +kubebuilder:printcolumn:name="SIP user",type=string,JSONPath=`.spec.sip.userID`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Delivered",type=string,JSONPath=`.status.conditions[?(@.type=="Delivered")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
type Handset struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   HandsetSpec   `json:"spec,omitempty"`
	Status HandsetStatus `json:"status,omitempty"`
}

// HandsetList is a list of Handsets.
//
// +kubebuilder:object:root=true
type HandsetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Handset `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Handset{}, &HandsetList{})
}
