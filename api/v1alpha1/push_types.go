package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PushMethod is how the operator asks the device to fetch its file now.
// +kubebuilder:validation:Enum=None;Direct;AsteriskAMI;FreeSWITCH
type PushMethod string

const (
	// PushNone sends nothing: the device fetches on reboot and on its own timer only.
	PushNone PushMethod = "None"
	// PushDirect: the operator sends the SIP NOTIFY (Event: check-sync) to the device.
	PushDirect PushMethod = "Direct"
	// PushAsteriskAMI: Asterisk sends it, asked through its manager interface.
	PushAsteriskAMI PushMethod = "AsteriskAMI"
	// PushFreeSWITCH: FreeSWITCH sends it, asked through its event socket.
	PushFreeSWITCH PushMethod = "FreeSWITCH"
)

// Push declares how the device is asked to fetch its file as soon as it changes,
// instead of at its next periodic check: a SIP NOTIFY with "Event: check-sync" for one
// of the base's accounts, sent by the operator itself or by the PBX. The push is sent
// once the file has settled (a burst of changes is one push), retried with backoff
// while the device does not fetch, and brought forward shortly before a registration
// window opens. See docs/push.md.
// +kubebuilder:validation:XValidation:rule="self.method == 'AsteriskAMI' || !has(self.asteriskAMI)",message="asteriskAMI applies only to method AsteriskAMI"
// +kubebuilder:validation:XValidation:rule="self.method == 'FreeSWITCH' || !has(self.freeSWITCH)",message="freeSWITCH applies only to method FreeSWITCH"
// +kubebuilder:validation:XValidation:rule="self.method == 'Direct' || !has(self.direct)",message="direct applies only to method Direct"
// +kubebuilder:validation:XValidation:rule="self.method != 'AsteriskAMI' || has(self.asteriskAMI)",message="method AsteriskAMI needs asteriskAMI (address and credentials)"
// +kubebuilder:validation:XValidation:rule="self.method != 'FreeSWITCH' || has(self.freeSWITCH)",message="method FreeSWITCH needs freeSWITCH (address and password)"
type Push struct {
	// Method is None (the default: no push), Direct (the operator sends the NOTIFY to
	// the device), AsteriskAMI or FreeSWITCH (the PBX the accounts register with sends
	// it).
	// +kubebuilder:default=None
	// +optional
	Method PushMethod `json:"method,omitempty"`

	// Direct overrides where a Direct push goes. By default it goes to the address the
	// device last fetched its file from (status.lastDelivery.source), port 5060, UDP: a
	// device that never fetched cannot be pushed directly unless an address is set here.
	// +optional
	Direct *DirectPush `json:"direct,omitempty"`

	// AsteriskAMI is the Asterisk manager interface that sends the NOTIFY (PJSIPNotify,
	// or SIPnotify for chan_sip).
	// +optional
	AsteriskAMI *AsteriskAMIPush `json:"asteriskAMI,omitempty"`

	// FreeSWITCH is the FreeSWITCH event socket that sends the NOTIFY
	// (sofia profile <profile> check_sync <user>@<domain>).
	// +optional
	FreeSWITCH *FreeSWITCHPush `json:"freeSWITCH,omitempty"`
}

// DirectPush is where the operator sends a Direct push.
type DirectPush struct {
	// Address of the device (IP address or host name). Defaults to the address it last
	// fetched its file from; set it when that address is a NAT's or a proxy's.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Address string `json:"address,omitempty"`

	// Port is the device's SIP port.
	// +kubebuilder:default=5060
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// Transport of the NOTIFY: UDP (the default, what the N720 listens on) or TCP.
	// +kubebuilder:default=UDP
	// +kubebuilder:validation:Enum=UDP;TCP
	// +optional
	Transport string `json:"transport,omitempty"`
}

// AMIVariant is the Asterisk SIP channel driver whose notify action is used.
// +kubebuilder:validation:Enum=PJSIP;chan_sip
type AMIVariant string

// AsteriskAMIPush is the Asterisk manager interface that sends the push.
type AsteriskAMIPush struct {
	// Address of the manager interface, host:port (Asterisk listens on port 5038).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=260
	Address string `json:"address"`

	// CredentialsSecretRef names a Secret with the keys `username` and `secret` of an
	// AMI user (manager.conf) that may send notifications (write=system or originate).
	// The Secret must carry the label `provisioning.dect-operator.dev/consumable: "true"`.
	CredentialsSecretRef LocalObjectReference `json:"credentialsSecretRef"`

	// Variant is PJSIP (the default: the PJSIPNotify action to the account's endpoint)
	// or chan_sip (the SIPnotify action to the account's peer).
	// +kubebuilder:default=PJSIP
	// +optional
	Variant AMIVariant `json:"variant,omitempty"`
}

// FreeSWITCHPush is the FreeSWITCH event socket that sends the push.
type FreeSWITCHPush struct {
	// Address of the event socket, host:port (FreeSWITCH listens on port 8021).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=260
	Address string `json:"address"`

	// Profile is the sofia profile the accounts register with.
	// +kubebuilder:default=internal
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_.-]+$`
	// +optional
	Profile string `json:"profile,omitempty"`

	// PasswordSecretRef names the Secret key holding the event socket's password
	// (event_socket.conf.xml).
	PasswordSecretRef SecretKeyRef `json:"passwordSecretRef"`
}

// PushStatus is what the operator last did to make the device fetch its file now.
type PushStatus struct {
	// Method of the last push.
	// +optional
	Method PushMethod `json:"method,omitempty"`
	// LastPushTime is when the last push was sent.
	// +optional
	LastPushTime *metav1.Time `json:"lastPushTime,omitempty"`
	// Result of the last push as the device or the PBX answered it, e.g. "200 OK",
	// "489 Bad Event (the device does not take check-sync)" or
	// "Asterisk manager at 192.0.2.5:5038: connection refused".
	// +optional
	Result string `json:"result,omitempty"`
	// Accepted tells whether the last push was accepted (the device answered 2xx, or
	// the PBX said it sent the NOTIFY). It does not mean the device fetched.
	// +optional
	Accepted bool `json:"accepted,omitempty"`
	// ConsecutiveFailures counts the pushes in a row that were not accepted.
	// +optional
	ConsecutiveFailures int32 `json:"consecutiveFailures,omitempty"`
	// FetchedAt is when the device fetched its file after the last push; absent while
	// it has not.
	// +optional
	FetchedAt *metav1.Time `json:"fetchedAt,omitempty"`
	// FetchedAfter is how long after the push the device fetched (push-to-fetch).
	// +optional
	FetchedAfter *metav1.Duration `json:"fetchedAfter,omitempty"`
	// State says what the push scheduler waits for: UpToDate, Debouncing, BackingOff,
	// RateLimited, HourlyLimit, NoFile, NoAccount (no account of the device to address),
	// or why it sent the last push (FileChanged, Retry, WindowOpening, ResyncRequested).
	// +optional
	State string `json:"state,omitempty"`
	// Message explains State.
	// +optional
	Message string `json:"message,omitempty"`
	// NextPushTime is when the next push is due if the device does not fetch before.
	// +optional
	NextPushTime *metav1.Time `json:"nextPushTime,omitempty"`
	// LastHandledResync is the value of the provisioning.dect-operator.dev/resync
	// annotation the operator last pushed for.
	// +optional
	LastHandledResync string `json:"lastHandledResync,omitempty"`
}
