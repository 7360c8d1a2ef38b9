// Package provfile is the contract between the manager, which writes a base's
// provisioning file into a ConfigMap and a Secret, and the provisioning server, which
// reads them back and serves them. It is the only place that knows their format: object
// names, labels, keys and annotations (Encode, Decode), which of two claims of one MAC
// wins (OlderClaim), and the hash that identifies one file (Hash).
package provfile

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

const (
	// LabelFile marks the ConfigMaps and Secrets the provisioning server loads. The server
	// watches only objects with this label (least privilege, small cache).
	LabelFile = "provisioning.dect-operator.dev/file"
	// LabelBase names the DectBase a file belongs to.
	LabelBase = "provisioning.dect-operator.dev/base"
	// LabelRetained marks a ConfigMap that a DectBase with deletionPolicy Retain left
	// behind: no longer served (it lost LabelFile and its owner), kept for a DectBase of
	// the same name to take back.
	LabelRetained = "provisioning.dect-operator.dev/retained"
	// FinalizerRetain holds a DectBase with deletionPolicy Retain until its record is
	// released from it.
	FinalizerRetain = "provisioning.dect-operator.dev/retain-record"
	// LabelManagedBy is the common Kubernetes label for the operator's objects.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is LabelManagedBy's value.
	ManagedBy = "dect-operator"

	// AnnotationGeneration counts the distinct files rendered for a base (on the ConfigMap).
	AnnotationGeneration = "provisioning.dect-operator.dev/generation"
	// AnnotationHash is the file's Hash (on the ConfigMap).
	AnnotationHash = "provisioning.dect-operator.dev/hash"
	// AnnotationRenderedAt is when this generation was rendered, RFC 3339 (on the ConfigMap).
	AnnotationRenderedAt = "provisioning.dect-operator.dev/rendered-at"
	// AnnotationBaseCreated is the DectBase's creation time, RFC 3339. When two bases
	// claim one MAC the older one wins; the server applies the same rule as a last guard.
	AnnotationBaseCreated = "provisioning.dect-operator.dev/base-created"
	// AnnotationHoldUntil (on a retained record taken back) is until when the slots of
	// handsets that are not there (yet) stay theirs, RFC 3339.
	AnnotationHoldUntil = "provisioning.dect-operator.dev/hold-absent-until"
	// AnnotationAllowedSources lists the allowed source CIDRs, comma-separated.
	AnnotationAllowedSources = "provisioning.dect-operator.dev/allowed-sources"

	// KeyHashKey (Secret) is the per-base random key of Hash. Without a key, a hash of a
	// file could be used to guess a weak SIP password offline, since status is readable
	// by roles that may not read Secrets.
	KeyHashKey = "hash-key"
	// KeyDigestUsername and KeyDigestPassword (Secret) are the Digest credentials
	// configured on the device.
	KeyDigestUsername = "digest-username"
	KeyDigestPassword = "digest-password"
	// KeyMACID (Secret) is the device's built-in Digest password, printed on its label.
	KeyMACID = "mac-id"
)

// ConfigMapName is the name of the ConfigMap that holds base's public document.
func ConfigMapName(base string) string { return base + configMapSuffix }

const configMapSuffix = "-provisioning"

// SecretName is the name of the Secret that holds base's credential items.
func SecretName(base string) string { return base + "-provisioning-credentials" }

// FileKey is the key, in both objects, of the file of the device with that canonical MAC:
// also the path the device requests.
func FileKey(mac string) string { return mac + ".xml" }

// Hash identifies a full file (document joined with credentials): hex HMAC-SHA256 under
// the base's hash key.
func Hash(key, full []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(full)
	return hex.EncodeToString(m.Sum(nil))
}
