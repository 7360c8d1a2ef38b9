package gigaset

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Encoding is how a parameter's value is written in a SYMB_ITEM value attribute.
type Encoding string

// The encodings. Which ones a parameter accepts depends on what it holds (its kind);
// WithOverrides refuses the others.
const (
	// EncodingString: text in double quotes inside a single-quoted attribute,
	// value='"1013"'. Text parameters only.
	EncodingString Encoding = "string"
	// EncodingInteger: a decimal number, value="17". Numeric parameters. Parse also
	// reads 0x hex here, as the device does.
	EncodingInteger Encoding = "integer"
	// EncodingHex16: 0x and 4 upper-case hex digits, value="0x13C4", the notation of
	// Gigaset's templates for 16-bit fields. Parameters up to 0xFFFF. Parse also
	// reads decimal and shorter hex.
	EncodingHex16 Encoding = "hex16"
	// EncodingBoolean: 0 or 1. Flags. Parse also reads 0x0 and 0x1.
	EncodingBoolean Encoding = "boolean"
	// EncodingIPUI: the 5 IPUI bytes as a byte list, 0x00,0xAB,0xC5,0x08,0x71;
	// 0xFF,0xFF,0xFF,0xFF,0xFF for no reservation. Slot reservations only.
	EncodingIPUI Encoding = "ipui"
	// EncodingBCDPIN: 4 digits as 2 BCD bytes, PIN 0001 = 0x00,0x01. PINs only.
	EncodingBCDPIN Encoding = "bcdPIN"
	// EncodingUint32BE and EncodingUint32LE: a 32-bit number as a 4-byte list, most
	// or least significant byte first. The alternative encodings of the registration
	// window, whose byte encoding is unconfirmed (the IDs start with "auc", the
	// prefix of byte arrays, while Gigaset's page speaks of plain Unix seconds).
	EncodingUint32BE Encoding = "uint32be"
	EncodingUint32LE Encoding = "uint32le"
)

// Entry maps one parameter to its SYMB_ITEM.
type Entry struct {
	Param Param
	// ID is the SYMB_ITEM ID; per-slot entries use the index placeholder {slot},
	// replaced by the slot number 0..99.
	ID       string
	Encoding Encoding
	// Confirmed is false where n720-reference.md marks the ID or the encoding as
	// unconfirmed; Note says what exactly.
	Confirmed bool
	Secret    bool // rendered into the credentials fragment only
	MaxLen    int  // text parameters: at most this many characters; 0 otherwise
	Note      string
}

// maxTextLen bounds MaxLen overrides: the device stores strings in byte arrays of
// unknown but small size, and Parse's size limits assume short values.
const maxTextLen = 255

// The string limits of the default profile. The device's field sizes are not
// published; these are the operator's conservative choices, adjustable by override.
const (
	lenName = 32 // SIP names, passwords, display names, mailbox numbers
	lenHost = 74 // host names and URLs: the device's 74-character URL limit
)

// n720Entries is the default profile, IDs verbatim from n720-reference.md.
var n720Entries = []Entry{
	{ParamProviderName, "BS_VOIP_Data.astVoipProviders[0].aucSIP_PROVIDER_NAME[%]", EncodingString, true, false, lenName, "name of SIP provider profile 0"},
	{ParamProviderDomain, "BS_VOIP_Data.astVoipProviders[0].aucSIP_DOMAIN[%]", EncodingString, true, false, lenHost, "SIP domain"},
	{ParamProviderServer, "BS_VOIP_Data.astVoipProviders[0].aucSIP_SERVER[%]", EncodingString, true, false, lenHost, "SIP server (proxy)"},
	{ParamProviderServerPort, "BS_VOIP_Data.astVoipProviders[0].uiSIP_SERVER_PORT", EncodingHex16, true, false, 0, "SIP server port"},
	{ParamProviderRegistrar, "BS_VOIP_Data.astVoipProviders[0].aucSIP_REGISTRAR[%]", EncodingString, true, false, lenHost, "SIP registrar"},
	{ParamProviderRegistrarPort, "BS_VOIP_Data.astVoipProviders[0].uiSIP_REGISTRAR_PORT", EncodingHex16, true, false, 0, "SIP registrar port"},
	{ParamProviderOutboundProxy, "BS_VOIP_Data.astVoipProviders[0].aucOUTBOUND_PROXY[%]", EncodingString, true, false, lenHost,
		"outbound proxy; its mode (ucOUTBOUND_PROXY_MODE) is not modelled because the enum values are unconfirmed: set it as an extra item"},
	{ParamProviderOutboundProxyPort, "BS_VOIP_Data.astVoipProviders[0].uiOUTBOUND_PROXY_PORT", EncodingHex16, true, false, 0, "outbound proxy port"},
	{ParamProviderReRegistration, "BS_VOIP_Data.astVoipProviders[0].uiRE_REGISTRATION_TIMER", EncodingHex16, true, false, 0, "re-registration timer in seconds"},
	{ParamProviderTransport, "BS_VOIP_Data.astVoipProviders[0].ucSIP_PREFERRED_TRANSPORT_LAYER", EncodingInteger, false, false, 0,
		"UNCONFIRMED in part: the ID and UDP=17 are confirmed; TCP=6 is likely but unconfirmed; the TLS value is unknown and not in the transport table"},

	{ParamTimeNTPServer, "BS_IP_Data.aucS_TIME_NTP_SERVER[%]", EncodingString, true, false, lenHost, "NTP server"},
	{ParamTimeAutomaticNTP, "BS_IP_Data.ucB_TIME_USE_AUTOMATIC_NTP_SYN", EncodingBoolean, true, false, 0, "automatic NTP synchronisation, 1 exactly when an NTP server is set"},
	{ParamTimeTimezoneCode, "BS_IP_Data.uiI_TIME_TIMEZONE", EncodingHex16, true, false, 0, "time zone, Gigaset's code table (0x1B = UTC+1)"},
	{ParamTimeAutomaticDST, "BS_IP_Data.ucB_TIME_USE_AUTOMATIC_DST", EncodingBoolean, true, false, 0, "automatic daylight saving time"},

	{ParamDataServer, "BS_IP_Data.aucS_DATA_SERVER[%]", EncodingString, true, false, lenHost, "provisioning server the device uses from now on"},

	{ParamRegistrationRandomPIN, "BS_CUSTOM.bit.UseRandomRegistrationPIN", EncodingBoolean, true, false, 0, "random registration PIN"},
	{ParamRegistrationPIN, "BS_CUSTOM.aucKdsPin[%]", EncodingBCDPIN, false, false, 0,
		"UNCONFIRMED: the ID is confirmed as the system PIN; that the device uses it as the handset registration PIN is likely, not confirmed"},
	{ParamRegistrationWindowStart, "BS_CUSTOM.aucIPUIRegistrationTimestamp[%]", EncodingInteger, false, false, 0,
		"UNCONFIRMED: member name confirmed; the record BS_CUSTOM and the encoding (decimal Unix seconds, or a byte list: override to uint32be/uint32le) are unconfirmed"},
	{ParamRegistrationWindowSeconds, "BS_CUSTOM.aucIPUIRegistrationDuration[%]", EncodingInteger, false, false, 0,
		"UNCONFIRMED: member name confirmed; the record BS_CUSTOM and the encoding (decimal seconds, or a byte list: override to uint32be/uint32le) are unconfirmed; 0 = permanently open"},

	{ParamWebPassword, "BS_CUSTOM.WebUIPassword", EncodingString, true, true, lenName, "web UI admin password"},

	{ParamSlotActive, "BS_VOIP_Data.astVoipAccounts[{slot}].ucB_SIP_ACCOUNT_IS_ACTIVE_1", EncodingBoolean, true, false, 0, "account active; an inactive handset is not listed in the web UI"},
	{ParamSlotUserID, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_USER_ID[0]", EncodingString, true, false, lenName, "SIP user name"},
	{ParamSlotLoginID, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_LOGIN_ID[0]", EncodingString, true, false, lenName, "SIP authentication name"},
	{ParamSlotPassword, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_PASSWORD[0]", EncodingString, true, true, lenName, "SIP authentication password"},
	{ParamSlotDisplayName, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_DISPLAYNAME[0]", EncodingString, true, false, lenName, "display name"},
	{ParamSlotAccountName, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_ACCOUNT_NAME_1[0]", EncodingString, true, false, lenName, "account name shown in the web UI"},
	{ParamSlotProviderIndex, "BS_VOIP_Data.astVoipAccounts[{slot}].ucVoipProviderIndex", EncodingInteger, true, false, 0, "provider profile of the account, always 0"},
	{ParamSlotMailboxEnabled, "BS_VOIP_Data.astVoipAccounts[{slot}].ucB_VOIP_NET_AM_ENABLED_1", EncodingBoolean, true, false, 0, "network mailbox on/off"},
	{ParamSlotMailboxNumber, "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_VOIP_NET_AM_NUMBER_1[%]", EncodingString, true, false, lenName, "network mailbox number, e.g. *2"},
	{ParamSlotIPUI, "BS_CUSTOM.aucHandsetCode[{slot}]", EncodingIPUI, false, false, 0,
		"UNCONFIRMED in part: member name and byte encoding confirmed (N720 firmware 108+); the containing record BS_CUSTOM is unconfirmed"},
}

// defaultTransports is the transport table of the default profile. TLS is absent:
// its value is unknown, and guessing would send a wrong number to the device.
var defaultTransports = []transport{{"TCP", 6}, {"UDP", 17}}

type transport struct {
	name  string
	value int
}

// Profile is a device profile: the table that maps every parameter to its SYMB_ITEM
// ID and encoding, plus the transport table. It exists because part of the N720's
// format is unconfirmed: a user corrects the profile (WithOverrides, WithTransport)
// instead of waiting for a release. A Profile is immutable; all methods are safe for
// concurrent use.
type Profile struct {
	entries    []Entry
	specs      []*paramSpec // parallel to entries
	paths      []itemPath   // parallel to entries
	byParam    map[Param]int
	slotIDs    [][]string            // per entry: the NumSlots expanded IDs; nil for base entries
	lookup     map[string]itemTarget // every spelling of every concrete modelled ID
	transports []transport           // sorted by name
}

// itemTarget is what a concrete modelled ID addresses.
type itemTarget struct {
	entry int
	slot  int // -1 for base entries
}

var n720 = sync.OnceValue(func() *Profile {
	p, err := newProfile(n720Entries, defaultTransports)
	if err != nil {
		panic("gigaset: the built-in N720 profile is invalid: " + err.Error())
	}
	return p
})

// N720 returns the default profile of the N720 DECT Manager, with the entries of
// n720-reference.md. The returned profile is shared and immutable.
func N720() *Profile { return n720() }

// Entries returns the profile's entries in rendering order.
func (p *Profile) Entries() []Entry { return slices.Clone(p.entries) }

// Entry returns the entry of one parameter.
func (p *Profile) Entry(param Param) (Entry, bool) {
	i, ok := p.byParam[param]
	if !ok {
		return Entry{}, false
	}
	return p.entries[i], true
}

// Transport returns the value the device uses for a transport name ("UDP" -> 17,
// "TCP" -> 6). Names are case-sensitive.
func (p *Profile) Transport(name string) (int, bool) {
	for _, t := range p.transports {
		if t.name == name {
			return t.value, true
		}
	}
	return 0, false
}

func (p *Profile) transportName(v int64) (string, bool) {
	for _, t := range p.transports {
		if int64(t.value) == v {
			return t.name, true
		}
	}
	return "", false
}

func (p *Profile) transportNames() string {
	names := make([]string, len(p.transports))
	for i, t := range p.transports {
		names[i] = t.name
	}
	return strings.Join(names, ", ")
}

// WithTransport returns a copy of p whose transport table maps name to value
// (adding or replacing it), e.g. to add TLS once its value is known. Names are
// letters and digits; values 0..255 (the field is one byte); two names may not
// share a value, or Parse could not tell them apart.
func (p *Profile) WithTransport(name string, value int) (*Profile, error) {
	if name == "" || len(name) > 16 || strings.IndexFunc(name, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) >= 0 {
		return nil, fmt.Errorf("transport name %s: expected 1 to 16 letters or digits, e.g. TLS", quoteInput(name))
	}
	if value < 0 || value > 0xFF {
		return nil, fmt.Errorf("transport %s: value %d is outside 0..255", name, value)
	}
	ts := make([]transport, 0, len(p.transports)+1)
	for _, t := range p.transports {
		if t.name == name {
			continue
		}
		if t.value == value {
			return nil, fmt.Errorf("transport %s: value %d is already used by %s", name, value, t.name)
		}
		ts = append(ts, t)
	}
	ts = append(ts, transport{name, value})
	return newProfile(p.entries, ts)
}

// Override corrects one entry of a profile. Empty fields keep the current value.
type Override struct {
	Param    Param
	ID       string   // a SYMB_ITEM ID; per-slot parameters must contain {slot}
	Encoding Encoding // must suit what the parameter holds
	MaxLen   int      // text parameters only: 1..255
}

// WithOverrides returns a copy of p with the overrides applied. Every override is
// checked (known parameter, well-formed ID, {slot} exactly where needed, an encoding
// valid for the parameter, a sane MaxLen), and so is the result: no two entries may
// address the same device setting. Errors name the entry.
func (p *Profile) WithOverrides(o []Override) (*Profile, error) {
	entries := slices.Clone(p.entries)
	seen := make(map[Param]bool, len(o))
	var errs []error
	for n, ov := range o {
		i, ok := p.byParam[ov.Param]
		if !ok {
			errs = append(errs, fmt.Errorf("override %d: unknown parameter %s; known parameters: %s",
				n, quoteInput(string(ov.Param)), p.paramNames()))
			continue
		}
		if seen[ov.Param] {
			errs = append(errs, fmt.Errorf("override %d: parameter %s is overridden twice", n, ov.Param))
			continue
		}
		seen[ov.Param] = true
		e := entries[i]
		if ov.ID != "" {
			e.ID = ov.ID
		}
		if ov.Encoding != "" {
			e.Encoding = ov.Encoding
		}
		if ov.MaxLen != 0 {
			e.MaxLen = ov.MaxLen
		}
		if _, err := checkEntry(e, p.specs[i]); err != nil {
			errs = append(errs, fmt.Errorf("override %d: %w", n, err))
			continue
		}
		entries[i] = e
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newProfile(entries, p.transports)
}

func (p *Profile) paramNames() string {
	names := make([]string, len(p.entries))
	for i, e := range p.entries {
		names[i] = string(e.Param)
	}
	return strings.Join(names, ", ")
}

// checkEntry validates one entry against its parameter and returns its parsed ID.
func checkEntry(e Entry, spec *paramSpec) (itemPath, error) {
	path, err := parseItemID(e.ID, spec.perSlot())
	if err != nil {
		return nil, fmt.Errorf("entry %s: %w", e.Param, err)
	}
	if n := path.slotCount(); spec.perSlot() && n != 1 {
		return nil, fmt.Errorf("entry %s: ID %s must contain the index {slot} exactly once (it has %d), "+
			"e.g. BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_USER_ID[0]", e.Param, quoteInput(e.ID), n)
	}
	if !spec.kind.allows(e.Encoding) {
		return nil, fmt.Errorf("entry %s: encoding %s cannot represent a %s value; expected one of %s",
			e.Param, quoteInput(string(e.Encoding)), spec.kind, encodingList(spec.kind.encodings()))
	}
	if spec.kind == kindText {
		if e.MaxLen < 1 || e.MaxLen > maxTextLen {
			return nil, fmt.Errorf("entry %s: maximum length %d is outside 1..%d", e.Param, e.MaxLen, maxTextLen)
		}
	} else if e.MaxLen != 0 {
		return nil, fmt.Errorf("entry %s: a maximum length applies to text parameters only, not to a %s value", e.Param, spec.kind)
	}
	return path, nil
}

func encodingList(es []Encoding) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}

// newProfile validates a complete table and precomputes what Render and Parse need.
func newProfile(entries []Entry, transports []transport) (*Profile, error) {
	p := &Profile{
		entries:    slices.Clone(entries),
		specs:      make([]*paramSpec, len(entries)),
		paths:      make([]itemPath, len(entries)),
		byParam:    make(map[Param]int, len(entries)),
		slotIDs:    make([][]string, len(entries)),
		lookup:     make(map[string]itemTarget, 3*NumSlots*len(entries)),
		transports: slices.Clone(transports),
	}
	slices.SortFunc(p.transports, func(a, b transport) int { return strings.Compare(a.name, b.name) })
	for i, e := range p.entries {
		spec := specByParam[e.Param]
		if spec == nil {
			return nil, fmt.Errorf("entry %s: unknown parameter", quoteInput(string(e.Param)))
		}
		if _, dup := p.byParam[e.Param]; dup {
			return nil, fmt.Errorf("entry %s: listed twice", e.Param)
		}
		path, err := checkEntry(e, spec)
		if err != nil {
			return nil, err
		}
		p.byParam[e.Param] = i
		p.specs[i] = spec
		p.paths[i] = path
		for j := 0; j < i; j++ {
			if overlaps(path, p.paths[j]) {
				return nil, fmt.Errorf("entries %s and %s both address %s: every parameter needs its own setting",
					p.entries[j].Param, e.Param, e.ID)
			}
		}
		if !spec.perSlot() {
			for _, alias := range aliases(path) {
				p.lookup[alias] = itemTarget{i, -1}
			}
			continue
		}
		p.slotIDs[i] = make([]string, NumSlots)
		for s := 0; s < NumSlots; s++ {
			concrete := path.expand(s)
			p.slotIDs[i][s] = concrete
			cp, _ := parseItemID(concrete, false)
			for _, alias := range aliases(cp) {
				p.lookup[alias] = itemTarget{i, s}
			}
		}
	}
	if len(p.entries) != len(paramSpecs) {
		for _, s := range paramSpecs {
			if _, ok := p.byParam[s.param]; !ok {
				return nil, fmt.Errorf("parameter %s has no entry", s.param)
			}
		}
	}
	return p, nil
}

// classify tells what a concrete SYMB_ITEM ID addresses: a modelled parameter
// (target), nothing modelled (ok=false, err=nil: an extra item), or a modelled
// setting in a form the model cannot hold, such as a slot number out of range or a
// wildcard over all accounts (err).
func (p *Profile) classify(id itemPath, raw string) (t itemTarget, ok bool, err error) {
	if t, ok := p.lookup[raw]; ok {
		return t, true, nil
	}
	for i, tmpl := range p.paths {
		if !p.specs[i].perSlot() {
			continue
		}
		if slot, ok := matchSlotTemplate(id, tmpl); ok {
			return itemTarget{}, false, fmt.Errorf("slot index %d is outside 0..%d (parameter %s)", slot, NumSlots-1, p.entries[i].Param)
		}
	}
	for i, tmpl := range p.paths {
		if overlaps(id, tmpl) {
			return itemTarget{}, false, fmt.Errorf("addresses the modelled parameter %s (%s) in another form; "+
				"set it through the model, not as an extra item", p.entries[i].Param, p.entries[i].ID)
		}
	}
	return itemTarget{}, false, nil
}

// itemID returns the concrete ID of entry i for a slot (ignored for base entries).
func (p *Profile) itemID(i, slot int) string {
	if p.slotIDs[i] != nil {
		return p.slotIDs[i][slot]
	}
	return p.entries[i].ID
}
