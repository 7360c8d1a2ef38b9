package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DectBaseSpec declares one Gigaset DECT Manager (the N720 DM PRO) and the settings the
// operator provisions on it. The handsets that belong to the base are separate Handset
// objects that name it in spec.baseRef.
type DectBaseSpec struct {
	// MACAddress of the DECT Manager, as printed on its label. Any common notation is
	// accepted (7C:2F:80:CA:21:E4, 7c-2f-80-ca-21-e4, 7C2F80CA21E4, 7c2f.80ca.21e4); the
	// operator writes it as 12 upper-case hex digits. The device ignores a file whose MAC
	// is not its own, and the provisioning server serves the file at /<MAC>.xml. Two
	// DectBases may not declare the same MAC: the older one keeps it.
	// +kubebuilder:validation:MaxLength=17
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9A-Fa-f]{12}|[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}[.][0-9A-Fa-f]{4}[.][0-9A-Fa-f]{4})$')",message="macAddress must be 12 hex digits, e.g. 7C:2F:80:CA:21:E4, 7c-2f-80-ca-21-e4 or 7C2F80CA21E4"
	MACAddress string `json:"macAddress"`

	// Model of the DECT Manager. Only N720 is supported today; the field exists so that
	// other models can follow without a new API version.
	// +kubebuilder:default=N720
	// +kubebuilder:validation:Enum=N720
	// +optional
	Model string `json:"model,omitempty"`

	// ProfileName is the free text the device shows as the name of its provisioning
	// profile. Defaults to the DectBase's name.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	ProfileName Text `json:"profileName,omitempty"`

	// SIP is the PBX or SIP provider every handset of this base registers with. When it
	// is omitted, the device keeps the provider settings it has.
	// +optional
	SIP *SIPProvider `json:"sip,omitempty"`

	// Time sets the device's clock source. When it is omitted, the device keeps its own.
	// +optional
	Time *TimeSettings `json:"time,omitempty"`

	// Registration controls how handsets register to the base by their IPUI.
	// +kubebuilder:default={}
	// +optional
	Registration Registration `json:"registration,omitempty"`

	// Provisioning controls how the provisioning server lets this device fetch its file.
	// +optional
	Provisioning Provisioning `json:"provisioning,omitempty"`

	// WebPasswordSecretRef names the Secret key that holds the password of the device's
	// web administration UI. When it is omitted, the device keeps its password.
	// +optional
	WebPasswordSecretRef *SecretKeyRef `json:"webPasswordSecretRef,omitempty"`

	// ExtraItems are raw SYMB_ITEM settings for anything this API does not model. They
	// are checked for form (a well-formed ID, a quoted string, an integer or a byte list)
	// but not for meaning; an ID the operator already writes is refused.
	// +kubebuilder:validation:MaxItems=256
	// +listType=map
	// +listMapKey=id
	// +optional
	ExtraItems []ExtraItem `json:"extraItems,omitempty"`

	// ParameterOverrides correct the device profile (the table that maps each setting to
	// the device's parameter ID and value encoding) without a new operator release. Several
	// of its entries are not confirmed by Gigaset's documentation; `dect-operator profile`
	// lists them.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=parameter
	// +optional
	ParameterOverrides []ParameterOverride `json:"parameterOverrides,omitempty"`

	// Firmware pins the firmware images the device runs: after each fetch of its file, a
	// device that runs another image downloads the pinned one and installs it. Unset:
	// the device keeps what it runs (Gigaset's own update service, if configured on it,
	// still applies).
	// +optional
	Firmware *Firmware `json:"firmware,omitempty"`

	// Push asks the device to fetch its file as soon as it changes (a SIP NOTIFY with
	// Event: check-sync), instead of at its next periodic check. Unset or method None:
	// the device fetches on its own timer only.
	// +optional
	Push *Push `json:"push,omitempty"`

	// DeletionPolicy says what becomes of the base's slot record, the ConfigMap
	// <name>-provisioning that holds the rendered file (no secrets), when the DectBase is
	// deleted. Delete (the default): it goes with the base. Retain: it stays in the
	// namespace, no longer served and without its credentials, and a DectBase of the same
	// name created again takes it back, with every slot as it was: for GitOps tools that
	// delete and re-create objects (Argo CD's Replace=true, moving an object between
	// Applications) and for restores. Handsets that survive the base keep their slots
	// either way (their status.slot); see docs/gitops.md.
	// +kubebuilder:validation:Enum=Delete;Retain
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// SIPProvider is the PBX (provider profile 0 on the device) that the base's accounts use.
type SIPProvider struct {
	// Name of the provider profile, shown in the web UI.
	// +kubebuilder:default=PBX
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Name Text `json:"name,omitempty"`

	// Domain is the SIP domain (the host part of each account's address of record).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=74
	Domain Text `json:"domain"`

	// Server is the SIP proxy the base sends requests to. Defaults to the domain.
	// +kubebuilder:validation:MaxLength=74
	// +optional
	Server Text `json:"server,omitempty"`

	// Port of the SIP server.
	// +kubebuilder:default=5060
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// Registrar that accounts register with. Defaults to the server.
	// +kubebuilder:validation:MaxLength=74
	// +optional
	Registrar Text `json:"registrar,omitempty"`

	// RegistrarPort defaults to the server's port.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	RegistrarPort int32 `json:"registrarPort,omitempty"`

	// OutboundProxy, when set, receives all of the base's SIP traffic.
	// +kubebuilder:validation:MaxLength=74
	// +optional
	OutboundProxy Text `json:"outboundProxy,omitempty"`

	// OutboundProxyPort of the outbound proxy.
	// +kubebuilder:default=5060
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	OutboundProxyPort int32 `json:"outboundProxyPort,omitempty"`

	// Transport is the preferred SIP transport. TLS is not offered because its value in
	// the device's parameter table is not confirmed; add it with a parameter override.
	// +kubebuilder:default=UDP
	// +kubebuilder:validation:Enum=UDP;TCP
	// +optional
	Transport string `json:"transport,omitempty"`

	// ReRegistrationInterval is how often each account renews its SIP registration.
	// +kubebuilder:default="180s"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s') && duration(self) <= duration('24h')",message="reRegistrationInterval must be between 10s and 24h"
	// +optional
	ReRegistrationInterval *metav1.Duration `json:"reRegistrationInterval,omitempty"`
}

// TimeSettings set the device's clock source.
type TimeSettings struct {
	// NTPServer the device synchronises its clock with. Empty turns automatic
	// synchronisation off.
	// +kubebuilder:validation:MaxLength=74
	// +optional
	NTPServer Text `json:"ntpServer,omitempty"`

	// TimezoneCode is the entry of Gigaset's time zone table, as listed in the device's
	// web UI; for example 27 (0x1B) is UTC+1 (Amsterdam, Berlin, Paris).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=255
	TimezoneCode int32 `json:"timezoneCode"`

	// AutomaticDST switches daylight saving time automatically.
	// +kubebuilder:default=true
	// +optional
	AutomaticDST *bool `json:"automaticDST,omitempty"`
}

// WindowMode selects when the base accepts handsets that register by their IPUI.
// +kubebuilder:validation:Enum=Always;Scheduled;OnChange
type WindowMode string

const (
	// WindowAlways keeps registration open (the device's own default): a reserved handset
	// registers whenever it is switched on. Only reserved IPUIs can register.
	WindowAlways WindowMode = "Always"
	// WindowScheduled opens one window at a fixed start, for a fixed duration.
	WindowScheduled WindowMode = "Scheduled"
	// WindowOnChange opens a window whenever the set of reserved IPUIs changes (a handset
	// added or replaced). The device must fetch its file while the window is open, or the
	// window is missed: see status.registrationWindow.
	WindowOnChange WindowMode = "OnChange"
)

// Registration controls how handsets register to the base by their IPUI.
// +kubebuilder:validation:XValidation:rule="!(has(self.pin) && self.pin != '0000' && has(self.randomPIN) && self.randomPIN)",message="set either pin or randomPIN, not both"
type Registration struct {
	// PIN a handset's user types to register: 4 digits. 0000, the default, means the user
	// is not asked for a PIN. Only digits can be typed on a handset.
	// +kubebuilder:default="0000"
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{4}$')",message="pin must be exactly 4 digits"
	// +optional
	PIN string `json:"pin,omitempty"`

	// RandomPIN makes the device choose the registration PIN itself; it shows it in its
	// web UI.
	// +optional
	RandomPIN bool `json:"randomPIN,omitempty"`

	// Window is when the base accepts handsets that register by their IPUI.
	// +kubebuilder:default={mode: Always}
	// +optional
	Window RegistrationWindow `json:"window,omitempty"`
}

// RegistrationWindow is when the base accepts handsets that register by their IPUI. The
// device opens a window no earlier than 30 seconds after it fetched the file, closes it
// early once every reserved handset has registered, and opens none while no reserved
// handset is waiting.
// +kubebuilder:validation:XValidation:rule="self.mode != 'Scheduled' || (has(self.start) && has(self.duration))",message="a Scheduled window needs start and duration"
// +kubebuilder:validation:XValidation:rule="self.mode != 'OnChange' || has(self.duration)",message="an OnChange window needs a duration"
// +kubebuilder:validation:XValidation:rule="self.mode != 'Always' || (!has(self.start) && !has(self.duration))",message="an Always window takes neither start nor duration"
// +kubebuilder:validation:XValidation:rule="self.mode == 'Scheduled' || !has(self.start)",message="start applies only to a Scheduled window"
type RegistrationWindow struct {
	// Mode is Always (the default), Scheduled or OnChange.
	// +kubebuilder:default=Always
	// +optional
	Mode WindowMode `json:"mode,omitempty"`

	// Start of a Scheduled window.
	// +optional
	Start *metav1.Time `json:"start,omitempty"`

	// Duration of a Scheduled or OnChange window, from one minute to 30 days.
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('720h')",message="duration must be between 1m and 720h"
	// +optional
	Duration *metav1.Duration `json:"duration,omitempty"`
}

// Provisioning controls how the provisioning server lets the device fetch its file.
type Provisioning struct {
	// AuthSecretRef names a Secret whose keys set HTTP Digest authentication for the
	// device's downloads: `username` and `password` for the credentials configured on the
	// device, and/or `macID` for the device's built-in identity (the code printed on its
	// label as XXXXXXXXXXXX-XXXX). Without it, anyone who can reach the server can read
	// this base's file, and the base's Protected condition says so. The Secret must carry
	// the label `provisioning.dect-operator.dev/consumable: "true"`.
	// +optional
	AuthSecretRef *LocalObjectReference `json:"authSecretRef,omitempty"`

	// AllowedSourceCIDRs, when set, limits downloads to these source networks.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=43
	// +kubebuilder:validation:items:XValidation:rule="isCIDR(self)",message="each allowed source must be a CIDR such as 192.0.2.0/24"
	// +optional
	AllowedSourceCIDRs []string `json:"allowedSourceCIDRs,omitempty"`
}

// ExtraItem is one raw SYMB_ITEM of the device's file.
// +kubebuilder:validation:XValidation:rule="has(self.value) != has(self.valueFrom)",message="set exactly one of value and valueFrom"
type ExtraItem struct {
	// ID is the device's parameter path, e.g. BS_IP_Data.ucB_DO_CHECK_FOR_PROFILE_UPDATES.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z_][A-Za-z0-9_]*(\\\\[([0-9]+|%)\\\\])?(\\\\.[A-Za-z_][A-Za-z0-9_]*(\\\\[([0-9]+|%)\\\\])?)+$')",message="id must be a parameter path such as BS_IP_Data.aucS_DATA_SERVER[%]"
	ID string `json:"id"`

	// Value exactly as the device reads it: a quoted string ("abc"), an integer (42 or
	// 0x2A) or a byte list (0x01,0x02).
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Value *string `json:"value,omitempty"`

	// ValueFrom takes the value from a Secret key; such an item is kept out of the
	// ConfigMap and served only from the credentials Secret.
	// +optional
	ValueFrom *SecretKeyRef `json:"valueFrom,omitempty"`
}

// Firmware names the images of the DECT Manager and of its base stations.
type Firmware struct {
	// Manager is the DECT Manager's image, a file Gigaset names einsteiniwu<build>_70.bin
	// (einsteiniwu117_70.bin is firmware 70.117). From its name the operator knows the
	// version to expect in the device's User-Agent.
	// +optional
	Manager *FirmwareImage `json:"manager,omitempty"`
	// Bases is the image of the N720 IP PRO base stations (sat….bin).
	// +optional
	Bases *FirmwareImage `json:"bases,omitempty"`
}

// FirmwareImage is where the device downloads one image: a URL, or a file the operator's
// provisioning server serves from its firmware folder (a volume mounted into the serve
// container, set with serve --firmware-dir), at <status.url>/firmware/<file>. URLs of
// about 95 characters are known to work; the device's limit is unknown (docs/device.md).
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.file)",message="set exactly one of url and file"
type FirmwareImage struct {
	// URL of the image; it must end with the image's file name, as the device requires.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^https?://[^ "']+[.]bin$`
	// +optional
	URL string `json:"url,omitempty"`
	// File is the image's file name in the provisioning server's firmware folder.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._-]*[.]bin$`
	// +optional
	File string `json:"file,omitempty"`
}

// DeletionPolicy is what becomes of a base's slot record when the base is deleted.
type DeletionPolicy string

const (
	// DeletionDelete: the record goes with the base.
	DeletionDelete DeletionPolicy = "Delete"
	// DeletionRetain: the record stays for a base of the same name to take back.
	DeletionRetain DeletionPolicy = "Retain"
)

// ParameterOverride replaces the device parameter ID and/or value encoding of one entry
// of the device profile.
// +kubebuilder:validation:XValidation:rule="has(self.id) || has(self.encoding)",message="an override needs id, encoding or both"
type ParameterOverride struct {
	// Parameter is the profile entry's logical name, e.g. registration.windowStart.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	Parameter string `json:"parameter"`

	// ID replaces the entry's parameter ID. Per-slot entries use {slot} for the slot
	// number, e.g. BS_CUSTOM.aucHandsetCode[{slot}].
	// +kubebuilder:validation:MaxLength=128
	// +optional
	ID string `json:"id,omitempty"`

	// Encoding replaces the entry's value encoding.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Encoding string `json:"encoding,omitempty"`
}

// DectBaseStatus is what the operator and the provisioning server last observed.
type DectBaseStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready, Reconciling and Stalled (kstatus), Delivered and Protected.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// MACAddress as written in the file: 12 upper-case hex digits.
	// +optional
	MACAddress string `json:"macAddress,omitempty"`

	// ConfigMapName is the ConfigMap that holds the rendered file (without secrets).
	// +optional
	ConfigMapName string `json:"configMapName,omitempty"`

	// URL is what the device should be told (by DHCP option 114 or its web UI) to fetch
	// its file from. Empty until the operator knows the server's address.
	// +optional
	URL string `json:"url,omitempty"`

	// Document describes the file the operator rendered last.
	// +optional
	Document *DocumentStatus `json:"document,omitempty"`

	// Handsets counts the Handsets that name this base.
	// +optional
	Handsets HandsetCounts `json:"handsets,omitempty"`

	// Slots lists the assigned slots, by slot number. The operator alone writes it, and
	// always whole (an atomic list): its managed fields are then one entry, not one per
	// slot, which the API server would otherwise merge at every status write.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Slots []SlotAssignment `json:"slots,omitempty"`

	// RegistrationWindow is the registration window the device was given, and where it
	// stands.
	// +optional
	RegistrationWindow *WindowStatus `json:"registrationWindow,omitempty"`

	// LastDelivery is the last time the device fetched its file. It is written by the
	// provisioning server, not by the reconciler.
	// +optional
	LastDelivery *Delivery `json:"lastDelivery,omitempty"`
	// LastHandledReconcileAt is the value of the reconcile.fluxcd.io/requestedAt
	// annotation the operator last acted on.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`

	// Push is what the operator last did to make the device fetch its file now
	// (spec.push), and what came of it.
	// +optional
	Push *PushStatus `json:"push,omitempty"`
}

// DocumentStatus identifies one rendered file.
type DocumentStatus struct {
	// Hash is the SHA-256 of the full file as served (document and credentials), in hex.
	Hash string `json:"hash"`
	// Generation counts the distinct files rendered for this base; it grows by one each
	// time the file changes.
	Generation int64 `json:"generation"`
	// RenderedAt is when this file was rendered.
	RenderedAt metav1.Time `json:"renderedAt"`
}

// HandsetCounts counts the Handsets that name a base.
type HandsetCounts struct {
	// Total Handsets that name this base.
	// +optional
	Total int32 `json:"total,omitempty"`
	// Assigned Handsets that hold a slot.
	// +optional
	Assigned int32 `json:"assigned,omitempty"`
	// Ready Handsets whose current settings are rendered.
	// +optional
	Ready int32 `json:"ready,omitempty"`
	// Delivered Handsets whose current settings the device has fetched.
	// +optional
	Delivered int32 `json:"delivered,omitempty"`
}

// SlotAssignment is one assigned slot: entry Slot of the device's table, SIP account
// and DECT handset Slot+1.
type SlotAssignment struct {
	// Slot number, 0..99.
	Slot int32 `json:"slot"`
	// Handset that holds the slot.
	Handset string `json:"handset"`
	// IPUI reserved in the slot, if any.
	// +optional
	IPUI string `json:"ipui,omitempty"`
}

// WindowState is where a registration window stands.
// +kubebuilder:validation:Enum=Scheduled;Open;Closed;Idle
type WindowState string

const (
	// WindowStateScheduled: the window will open at opensAt (or once the device fetches
	// the file that holds it).
	WindowStateScheduled WindowState = "Scheduled"
	// WindowStateOpen: reserved handsets can register now.
	WindowStateOpen WindowState = "Open"
	// WindowStateClosed: the window is over; handsets that did not register in it wait for
	// the next one.
	WindowStateClosed WindowState = "Closed"
	// WindowStateIdle: no handset is reserved, so the device opens no window.
	WindowStateIdle WindowState = "Idle"
)

// WindowStatus is the registration window the device was given, and where it stands.
type WindowStatus struct {
	// Mode the window was computed for.
	Mode WindowMode `json:"mode"`
	// State of the window now.
	State WindowState `json:"state"`
	// Start written in the file (Unix time on the device); absent when the window is
	// always open.
	// +optional
	Start *metav1.Time `json:"start,omitempty"`
	// Duration written in the file; absent when the window is always open.
	// +optional
	Duration *metav1.Duration `json:"duration,omitempty"`
	// OpensAt is when the device opens the window: no earlier than 30 seconds after it
	// fetched the file.
	// +optional
	OpensAt *metav1.Time `json:"opensAt,omitempty"`
	// ClosesAt is when the window ends at the latest.
	// +optional
	ClosesAt *metav1.Time `json:"closesAt,omitempty"`
	// Message says what the state means for the person waiting on a handset.
	// +optional
	Message string `json:"message,omitempty"`
	// Generation is the file generation that first carried this window: a fetch of that
	// generation or a later one gave the device this window.
	// +optional
	Generation int64 `json:"generation,omitempty"`
	// FetchedAt is when the device first fetched file generation FetchedGeneration: the
	// device arms the window when it applies a new file, and a re-check of the same file
	// does not move it.
	// +optional
	FetchedAt *metav1.Time `json:"fetchedAt,omitempty"`
	// FetchedGeneration is the file generation fetched at FetchedAt.
	// +optional
	FetchedGeneration int64 `json:"fetchedGeneration,omitempty"`
	// ReopenRequest is the last value of the reopen-window annotation the operator acted
	// on.
	// +optional
	ReopenRequest string `json:"reopenRequest,omitempty"`
	// ReopenedAt is when that request opened a window.
	// +optional
	ReopenedAt *metav1.Time `json:"reopenedAt,omitempty"`
}

// Delivery is one download of the file by the device.
type Delivery struct {
	// Time of the download.
	Time metav1.Time `json:"time"`
	// Source address of the request.
	// +optional
	Source string `json:"source,omitempty"`
	// UserAgent the device sent.
	// +optional
	UserAgent string `json:"userAgent,omitempty"`
	// Firmware version parsed from the User-Agent.
	// +optional
	Firmware string `json:"firmware,omitempty"`
	// Hash of the file served (see status.document.hash).
	Hash string `json:"hash"`
	// Generation of the file served (see status.document.generation).
	// +optional
	Generation int64 `json:"generation,omitempty"`
}

// DectBase is one Gigaset DECT Manager (N720 DM PRO) with up to 20 radio bases and 100
// handsets. The operator renders its provisioning file into the ConfigMap
// <name>-provisioning (secrets kept in the Secret <name>-provisioning-credentials), and the
// provisioning server serves it to the device at /<MAC>.xml.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dectbase;db,categories=dect
// +kubebuilder:printcolumn:name="MAC",type=string,JSONPath=`.status.macAddress`
// +kubebuilder:printcolumn:name="Handsets",type=integer,JSONPath=`.status.handsets.assigned`
// +kubebuilder:printcolumn:name="Window",type=string,JSONPath=`.status.registrationWindow.state`
// +kubebuilder:printcolumn:name="Last fetch",type=date,JSONPath=`.status.lastDelivery.time`
// +kubebuilder:printcolumn:name="Firmware",type=string,JSONPath=`.status.lastDelivery.firmware`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Message",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
type DectBase struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DectBaseSpec   `json:"spec,omitempty"`
	Status DectBaseStatus `json:"status,omitempty"`
}

// DectBaseList is a list of DectBases.
//
// +kubebuilder:object:root=true
type DectBaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DectBase `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DectBase{}, &DectBaseList{})
}
