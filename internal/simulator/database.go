package simulator

import "maps"

// NumSlots is the size of the N720's account table: entry i is SIP account i+1 and DECT
// handset i+1.
const NumSlots = 100

// FactoryPIN is the registration PIN of a new device; with it no PIN is asked.
const FactoryPIN = "0000"

// SlotState is one entry of the account table, with the handset registered in it.
type SlotState struct {
	Index          int
	Active         bool
	UserID         string
	LoginID        string
	Password       string
	DisplayName    string
	AccountName    string
	ProviderIndex  uint8
	MailboxEnabled bool
	MailboxNumber  string
	// Reserved is the IPUI provisioned for this slot, or NoIPUI.
	Reserved IPUI
	// Registered is the IPUI of the handset registered in this slot, or NoIPUI. It is
	// the device's runtime state, never written by a file.
	Registered IPUI
}

// Waiting reports whether the slot's reserved handset has yet to register in it.
func (s SlotState) Waiting() bool {
	return !s.Reserved.IsNone() && s.Registered != s.Reserved
}

// IntEncoding records how a file wrote an integer whose encoding is unconfirmed, which
// also tells which spelling of the member the file used.
type IntEncoding int

const (
	// EncodingUnset: no file has set the value; it has its factory default.
	EncodingUnset IntEncoding = iota
	// EncodingInteger: a decimal or 0x integer, e.g. 1767225600 or 0x69557F00.
	EncodingInteger
	// EncodingBigEndianBytes: a 4-byte list, most significant byte first.
	EncodingBigEndianBytes
	// EncodingDecimalString: a decimal number in a quoted string, e.g. "1767225600".
	EncodingDecimalString
)

func (e IntEncoding) String() string {
	switch e {
	case EncodingUnset:
		return "unset"
	case EncodingInteger:
		return "integer"
	case EncodingBigEndianBytes:
		return "4-byte big-endian list"
	case EncodingDecimalString:
		return "quoted decimal string"
	}
	return "unknown"
}

// RegistrationSettings are the provisioned parameters of IPUI pre-registration.
type RegistrationSettings struct {
	Start            uint32 // window start, Unix seconds; 0 (factory) = already started
	StartEncoding    IntEncoding
	Duration         uint32 // window length in seconds; 0 (factory) = permanently open
	DurationEncoding IntEncoding
	RandomPIN        bool   // the device draws the PIN itself
	PIN              string // user-defined PIN, 4 digits; "0000" = none asked
}

// database is what a provisioning file writes: everything the device keeps across
// files. Registered handsets live in the slots too, but only the registration logic
// changes them.
type database struct {
	profileName string
	base        map[string]string // raw values of every item that is not modelled
	slots       [NumSlots]SlotState
	reg         RegistrationSettings
	// firmwareURL and satFirmwareURL are the images the file pins for the DECT
	// Manager (S_SPECIAL_DATA_SRV_IWU) and the base stations (S_SPECIAL_DATA_SRV_SAT);
	// "" = none. Base stations are not simulated: theirs is only kept.
	firmwareURL, satFirmwareURL string
}

func factoryDatabase() database {
	db := database{
		base: map[string]string{},
		reg:  RegistrationSettings{PIN: FactoryPIN},
	}
	for i := range db.slots {
		db.slots[i] = SlotState{Index: i, Reserved: NoIPUI, Registered: NoIPUI}
	}
	return db
}

func (db *database) clone() database {
	c := *db
	c.base = maps.Clone(db.base)
	return c
}

// waitingCount is the number of reserved handsets that have yet to register.
func (db *database) waitingCount() int {
	n := 0
	for _, s := range db.slots {
		if s.Waiting() {
			n++
		}
	}
	return n
}

// reservedSlot returns the first slot that reserves id, or -1.
func (db *database) reservedSlot(id IPUI) int {
	for i, s := range db.slots {
		if s.Reserved == id {
			return i
		}
	}
	return -1
}

// registeredSlot returns the slot in which id is registered, or -1.
func (db *database) registeredSlot(id IPUI) int {
	for i, s := range db.slots {
		if s.Registered == id {
			return i
		}
	}
	return -1
}
