package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Condition types. Ready, Reconciling and Stalled follow kstatus, so that `kubectl wait
// --for=condition=Ready`, Flux health checks and Argo CD's health assessment all work.
// Reconciling and Stalled are present only while true.
const (
	// ConditionReady is True when the object's settings are rendered and served.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the operator is still working towards Ready.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the operator cannot make progress without a person.
	ConditionStalled = "Stalled"
	// ConditionDelivered is True once the device has fetched a document that holds the
	// object's current settings. Unknown until the device has fetched at all.
	ConditionDelivered = "Delivered"
	// ConditionFirmware (DectBase) tells whether the device runs the firmware it should:
	// the pinned image, and one that can do what the base asks of it (IPUI
	// pre-registration needs firmware 108). Absent while the device has not reported a
	// version and nothing is pinned.
	ConditionFirmware = "Firmware"
	// ConditionProtected tells whether the provisioning server asks the device to
	// authenticate. False means anyone who can reach the server can read the base's
	// file, SIP passwords included.
	ConditionProtected = "Protected"
	// ConditionPushed (DectBase, with spec.push) tells whether the last push asking the
	// device to fetch was accepted. It is about the push only: Ready stays about the
	// file, and a failing push never makes the base Stalled.
	ConditionPushed = "Pushed"
)

// Condition reasons, in CamelCase, shared by both kinds where the meaning is the same.
const (
	ReasonRendered           = "Rendered"
	ReasonProgressing        = "Progressing"
	ReasonDuplicateMAC       = "DuplicateMAC"
	ReasonInvalidProfile     = "InvalidProfileOverride"
	ReasonInvalidSettings    = "InvalidSettings"
	ReasonSecretNotFound     = "SecretNotFound"
	ReasonBaseNotFound       = "BaseNotFound"
	ReasonBaseNotReady       = "BaseNotReady"
	ReasonDuplicateIPUI      = "DuplicateIPUI"
	ReasonSlotTaken          = "SlotTaken"
	ReasonNoFreeSlot         = "NoFreeSlot"
	ReasonDelivered          = "Delivered"
	ReasonAwaitingFetch      = "AwaitingFetch"
	ReasonNeverFetched       = "NeverFetched"
	ReasonDigestConfigured   = "DigestAuthentication"
	ReasonUnprotected        = "NoAuthentication"
	ReasonAuthSecretNotFound = "AuthSecretNotFound"
	// ReasonSecretNotConsumable: a referenced Secret exists but did not opt in with
	// LabelConsumable, so the operator does not read it.
	ReasonSecretNotConsumable = "SecretNotConsumable"
	// ReasonMACNotAllowed (DectBase): the cluster admin's MAC policy does not let the
	// base's namespace declare its MAC: another namespace's annotation
	// provisioning.dect-operator.dev/allowed-macs reserves it, the namespace's own does
	// not list it, or (manager flag --mac-policy=allow-list) the namespace has none.
	ReasonMACNotAllowed = "MACNotAllowed"
	// ReasonMACPolicyInvalid (DectBase): the annotation
	// provisioning.dect-operator.dev/allowed-macs on the base's namespace does not parse;
	// no base of the namespace is served until a cluster admin corrects it.
	ReasonMACPolicyInvalid = "MACPolicyInvalid"
	// ReasonSlotMoved: the handset is rendered, but not in the slot its status reported
	// before its base was re-created, because another handset holds that one.
	ReasonSlotMoved = "SlotMoved"
	// Firmware condition reasons.
	ReasonFirmwareAsPinned   = "AsPinned"
	ReasonFirmwareNotPinned  = "NotPinned"
	ReasonFirmwareUpdating   = "UpdatePending"
	ReasonFirmwareTooOld     = "FirmwareTooOld"
	ReasonFirmwareURLTooLong = "URLLongerThanKnown"
	// Pushed condition reasons: the last push was accepted, or it was not (the device
	// or the PBX refused it, or nothing answered); the message holds the answer.
	ReasonPushAccepted = "PushAccepted"
	ReasonPushFailed   = "PushFailed"
)

// Labels understood by the operator.
const (
	// LabelConsumable, set to "true" on a Secret, lets the DectBases and Handsets of its
	// namespace use it (SIP passwords, Digest credentials, ...). The operator reads no
	// other Secret: whoever may create a Handset must not be able to have any Secret of
	// the namespace copied into a file that a device, or whoever knows the base's Digest
	// credentials, can download. Only the manager's cache of labelled Secrets holds
	// Secret data; RBAC cannot grant by label, so this label, not RBAC, is the rule.
	LabelConsumable = "provisioning.dect-operator.dev/consumable"
)

// Annotations understood by the operator.
const (
	// AnnotationReopenWindow on a DectBase opens a new registration window now, for a
	// base whose window mode is Scheduled or OnChange. Any new value (a timestamp is
	// customary) opens one more window; the operator records the last value it acted on
	// in status.registrationWindow.reopenRequest.
	AnnotationReopenWindow = "provisioning.dect-operator.dev/reopen-window"

	// AnnotationReconcileRequest on a DectBase or Handset asks for a reconcile now: any
	// new value (a timestamp is customary) does, and the operator acknowledges it in
	// status.lastHandledReconcileAt. The name and the acknowledgement are Flux's, so
	// `flux reconcile`-style tooling and scripts that wait for the acknowledgement work.
	AnnotationReconcileRequest = "reconcile.fluxcd.io/requestedAt"
	// AnnotationResync on a DectBase with spec.push asks for one push now: any new
	// value (e.g. the date) does, even when the device has its current file.
	AnnotationResync = "provisioning.dect-operator.dev/resync"
)

// GetConditions returns the status conditions, for code that handles both kinds alike.
func (in *DectBase) GetConditions() []metav1.Condition { return in.Status.Conditions }

// GetObservedGeneration returns the generation the status describes.
func (in *DectBase) GetObservedGeneration() int64 { return in.Status.ObservedGeneration }

// GetConditions returns the status conditions, for code that handles both kinds alike.
func (in *Handset) GetConditions() []metav1.Condition { return in.Status.Conditions }

// GetObservedGeneration returns the generation the status describes.
func (in *Handset) GetObservedGeneration() int64 { return in.Status.ObservedGeneration }
