package gigaset

// NumSlots is the size of the N720's fixed account table. Entry i is SIP account i+1
// and DECT handset i+1 on the device; the table never shrinks or reorders, which is
// why the model is an array and not a slice.
const NumSlots = 100

// Document is everything the operator declares for one N720 DECT Manager.
//
// The model holds canonical values only (upper-case MAC and IPUI, 4-digit PIN):
// callers normalise user input with ParseMAC, ParseIPUI and ParsePIN first, so that
// the same declaration always renders the same bytes.
type Document struct {
	MAC          string    // canonical: 12 upper-case hex digits
	ProfileName  string    // free text, shown by the device; written as PROFILE_NAME
	Provider     *Provider // nil: no provider item is written
	Time         *Time     // nil: no time item is written
	DataServer   string    // provisioning server the device keeps using; "" = not written
	Registration Registration
	// WebPassword is the device's web admin password (secret). "" means "not written":
	// an empty value would blank the password on the device, not keep it.
	WebPassword string
	Slots       [NumSlots]Slot
	// Extra holds raw SYMB_ITEMs the model does not cover, rendered in the given
	// order after the modelled items. None of them may address a modelled setting.
	Extra []Item
	// Firmware pins the images the device runs; empty URLs are not written.
	Firmware Firmware
}

// Firmware names the firmware images the device downloads and runs, as the top-level
// elements S_SPECIAL_DATA_SRV_IWU (the DECT Manager) and S_SPECIAL_DATA_SRV_SAT (the
// base stations) of a production template (wazo-provd-plugins' N720 plugin). Each URL
// must end with the image's file name (wazo-provd-plugins PR #141), e.g.
// http://host/path/einsteiniwu117_70.bin; URLs of about 95 characters were reported to
// work, the device's limit is unknown (docs/device.md).
type Firmware struct {
	Manager, Bases string
}

// Provider is SIP provider (PBX) profile 0, the only one every known template uses.
// When a Document has a Provider, all of its items are written: the file is
// declarative, so a setting left out would silently keep whatever the device had.
type Provider struct {
	Name, Domain, Server string
	// Ports must be 1..65535. The device has no "unset" port: writing 0 would set
	// port 0, so callers default unused ports to 5060.
	ServerPort        int
	Registrar         string
	RegistrarPort     int
	OutboundProxy     string
	OutboundProxyPort int
	// ReRegistrationSeconds is the SIP re-registration timer, 1..65535 seconds.
	ReRegistrationSeconds int
	// Transport is a name the profile's transport table knows: "UDP" or "TCP" by
	// default (case-sensitive). TLS is not in the default table: its value is unknown.
	Transport string
}

// Time is the device's clock configuration.
type Time struct {
	NTPServer    string // "" switches automatic NTP synchronisation off
	TimezoneCode int    // Gigaset's code table value, 0..0xFFFF, e.g. 0x1B = UTC+1
	AutomaticDST bool
}

// Registration is how handsets register to their reserved slots (IPUI registration).
// Its items are always written, so that a document fully determines the window.
type Registration struct {
	PIN       string // exactly 4 digits; callers default it to "0000" (no PIN asked)
	RandomPIN bool
	// WindowStart is Unix seconds, 0..4294967295. Start 0 with WindowSeconds 0 is the
	// device default: registration of reserved handsets always open.
	WindowStart int64
	// WindowSeconds is the window length, 0..4294967295; 0 = permanently open.
	WindowSeconds int64
}

// Slot is entry i of the device's fixed table: SIP account i+1 and DECT handset i+1.
//
// A slot is either free (the zero Slot) or owned: a slot with any setting must name
// its Owner, because the rendered document is the durable record from which the
// slot table is rebuilt, and a slot with settings but no owner could not be
// attributed to any Handset.
type Slot struct {
	// Owner is the name of the Kubernetes Handset that holds the slot ([a-z0-9.-],
	// at most 253 characters); "" for a free slot. It is rendered as an XML comment
	// before the slot's items and recovered by Parse.
	Owner  string
	Active bool
	// Password is secret: it is rendered into Rendered.Credentials only.
	UserID, LoginID, Password, DisplayName, AccountName string
	MailboxEnabled                                      bool
	MailboxNumber                                       string
	// IPUI is the reserved handset: 10 upper-case hex digits, or "" for no
	// reservation (written as 0xFF x5, the device's factory value).
	IPUI string
}

// Item is one raw SYMB_ITEM.
type Item struct {
	ID string // e.g. BS_IP_Data.ucB_DO_CHECK_FOR_PROFILE_UPDATES
	// Value is the attribute value exactly as the device reads it: a quoted string
	// `"abc"`, an integer (decimal or 0x hex), or a byte list `0x01,0x02`.
	Value string
	// Secret items go to the credentials fragment; the public document keeps only a
	// comment naming the ID, so that the item's place in Extra survives a round trip.
	Secret bool
}

// Free resets slot i to a free slot. Rendering a free slot clears the device's
// account explicitly, since an item left out keeps its old value.
func (d *Document) Free(i int) { d.Slots[i] = Slot{} }
