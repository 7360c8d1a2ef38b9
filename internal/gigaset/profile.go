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
	// EncodingQuotedDecimal: a decimal number as a string, value='"1767225600"'. The
	// registration window start, whose member (acIPUIRegistrationTimestamp, "ac" =
	// character array) the production template writes as a quoted string holding,
	// per Gigaset's FAQ, Unix seconds.
	EncodingQuotedDecimal Encoding = "quotedDecimal"
	// EncodingDDMMYYHHMM: a point in time as the string DDMMYYHHMM in UTC,
	// value='"0101261200"', as the production template wrote the window start. Years
	// 70..99 are 1970..1999, 00..68 are 2000..2068. It holds whole minutes only, so
	// it is the one lossy encoding: Render writes the start rounded up to the next
	// minute (the window never opens before its declared start), and Parse returns
	// that minute. Whether the device reads it as UTC or as its local time is
	// unconfirmed.
	EncodingDDMMYYHHMM Encoding = "ddmmyyhhmm"
	// EncodingUint32BE and EncodingUint32LE: a 32-bit number as a 4-byte list, most
	// or least significant byte first: the byte-array readings of the window items
	// under the IDs of the first release (BS_CUSTOM.auc..., "auc" = byte array).
	EncodingUint32BE Encoding = "uint32be"
	EncodingUint32LE Encoding = "uint32le"
)

// quoted reports whether values of e are written as a string in double quotes.
func (e Encoding) quoted() bool {
	return e == EncodingString || e == EncodingQuotedDecimal || e == EncodingDDMMYYHHMM
}

// Entry maps one parameter to its SYMB_ITEM.
type Entry struct {
	Param Param
	// ID is the SYMB_ITEM ID; per-slot entries use the index placeholder {slot},
	// replaced by the slot number 0..99.
	ID       string
	Encoding Encoding
	// Confirmed is false where the evidence leaves the ID or the encoding open; Note
	// says what exactly. docs/device.md explains how to check each on a real device.
	Confirmed bool
	Secret    bool // rendered into the credentials fragment only
	MaxLen    int  // text parameters: at most this many characters; 0 otherwise
	Note      string
	// Evidence names the sources (Sources) that support the ID and encoding. An
	// entry changed by WithOverrides has the single source SourceOverride instead:
	// the default's evidence no longer speaks for it.
	Evidence []string
	// Alternatives are the other IDs or encodings the evidence leaves possible, or
	// that earlier releases used; Alternative.Override turns one into an override.
	Alternatives []Alternative
}

// Alternative is another way to write an entry that a user may switch to.
type Alternative struct {
	ID       string // "" keeps the entry's ID
	Encoding Encoding
	Evidence []string
	Note     string
}

// Override returns the override that makes alt the entry of param: ID and encoding
// both, so that an alternative is reproduced exactly whatever the default is.
func (alt Alternative) Override(param Param) Override {
	return Override{Param: param, ID: alt.ID, Encoding: alt.Encoding}
}

// SourceKind says what kind of document a Source is, and so how much it proves: a
// production template was sent to real devices; a Gigaset page or sample says what
// the manufacturer documents, not what a device was seen to do.
type SourceKind string

const (
	SourceGigasetPage        SourceKind = "Gigaset page"
	SourceSampleTemplate     SourceKind = "sample template"
	SourceProductionTemplate SourceKind = "production template"
	SourceUser               SourceKind = "user"
)

// Source is one piece of evidence behind the profile. docs/device.md gives the
// details of each and how to check the unconfirmed items on a device.
type Source struct {
	ID    string // short identifier, printed in the EVIDENCE column of dect-operator profile
	Kind  SourceKind
	Where string // where to read it
	Shows string // what it shows, in one sentence
}

// The identifiers of the sources.
const (
	SourceGigasetN720Doc = "gigaset-n720-doc"
	SourceGigasetIPUIFAQ = "gigaset-ipui-faq"
	SourceGigasetN510    = "gigaset-n510-sample"
	SourceGigasetSample  = "gigaset-sample"
	SourceWazoN720       = "wazo-n720"
	SourceWazo2e19847e   = "wazo-2e19847e"
	SourceWazoEbc32d40   = "wazo-ebc32d40"
	SourceOverride       = "override"
)

var sources = []Source{
	{SourceGigasetN720Doc, SourceGigasetPage,
		"Gigaset's N720 DM PRO provisioning documentation (XML file format and parameter list), as recorded in the project's first domain reference",
		"the document structure, the value notations and the IDs of the provider, time, data server, web password and account items"},
	{SourceGigasetIPUIFAQ, SourceGigasetPage,
		"Gigaset FAQ on IPUI pre-registration of handsets (N720, firmware 108 or newer)",
		"the member names aucHandsetCode, IPUIRegistrationTimestamp (Unix time), IPUIRegistrationDuration (0 = always open) and UseRandomRegistrationPIN, but not their records; that manual registration is blocked while the window is open"},
	{SourceGigasetN510, SourceSampleTemplate,
		"Gigaset's N510 IP PRO provisioning sample",
		"PINs as BCD byte lists (\"PIN='1234' please enter '0x12,0x34'\"); per-handset data in BS_AE_Subscriber (stMtDat[i].aucTlnName)"},
	{SourceGigasetSample, SourceSampleTemplate,
		"Gigaset's own provisioning sample",
		"BS_IP_Data.aucS_DATA_SERVER[%] written without a scheme (\"profile.gigaset.net/device\")"},
	{SourceWazoN720, SourceProductionTemplate,
		"wazo-provd-plugins, plugins/wazo-gigaset/N720/templates/base.tpl (https://github.com/wazo-platform/wazo-provd-plugins)",
		"the same IDs and notations for provider 0, the accounts, NTP and time zone, the data server and the registration PIN items, sent to N720s in production"},
	{SourceWazo2e19847e, SourceProductionTemplate,
		"wazo-provd-plugins commit 2e19847e (2018-09-27, N720 plugin 0.1.4), N720/templates/base.tpl",
		"BS_AE_Subscriber.acIPUIRegistrationTimestamp[0] as a quoted string (DDMMYYHHMM), BS_AE_Subscriber.ulIPUIRegistrationDuration as decimal seconds (72000), BS_CUSTOM.aucKdsPin[%] = 0x00,0x00"},
	{SourceWazoEbc32d40, SourceProductionTemplate,
		"wazo-provd-plugins commit ebc32d40 (2018-10-02), N720/templates/base.tpl",
		"removed exactly the two window items: \"Removed option that rendered handset registration impossible\", so the device acted on them"},
	{SourceOverride, SourceUser,
		"a DectBase's spec.parameterOverrides",
		"the user's correction; the default's evidence no longer applies"},
}

// Sources returns every source the default profile cites, in a stable order.
func Sources() []Source { return slices.Clone(sources) }

// maxTextLen bounds MaxLen overrides: the device stores strings in byte arrays of
// unknown but small size, and Parse's size limits assume short values.
const maxTextLen = 255

// The string limits of the default profile. The device's field sizes are not
// published; these are the operator's conservative choices, adjustable by override.
const (
	lenName = 32 // SIP names, passwords, display names, mailbox numbers
	lenHost = 74 // host names and URLs: the device's 74-character URL limit
)

// Evidence lists shared by several entries.
var (
	evDoc      = []string{SourceGigasetN720Doc}
	evDocWazo  = []string{SourceGigasetN720Doc, SourceWazoN720}
	evWindow   = []string{SourceWazo2e19847e, SourceWazoEbc32d40, SourceGigasetIPUIFAQ}
	evFAQ      = []string{SourceGigasetIPUIFAQ}
	evWazoPINs = []string{SourceWazoN720, SourceWazo2e19847e}
)

// n720Entries is the default profile; docs/device.md lists the same facts for people.
var n720Entries = []Entry{
	{Param: ParamProviderName, ID: "BS_VOIP_Data.astVoipProviders[0].aucSIP_PROVIDER_NAME[%]", Encoding: EncodingString, Confirmed: true, MaxLen: lenName,
		Note: "name of SIP provider profile 0", Evidence: evDocWazo},
	{Param: ParamProviderDomain, ID: "BS_VOIP_Data.astVoipProviders[0].aucSIP_DOMAIN[%]", Encoding: EncodingString, Confirmed: true, MaxLen: lenHost,
		Note: "SIP domain", Evidence: evDocWazo},
	{Param: ParamProviderServer, ID: "BS_VOIP_Data.astVoipProviders[0].aucSIP_SERVER[%]", Encoding: EncodingString, Confirmed: true, MaxLen: lenHost,
		Note: "SIP server (proxy)", Evidence: evDocWazo},
	{Param: ParamProviderServerPort, ID: "BS_VOIP_Data.astVoipProviders[0].uiSIP_SERVER_PORT", Encoding: EncodingHex16, Confirmed: true,
		Note: "SIP server port", Evidence: evDocWazo},
	{Param: ParamProviderRegistrar, ID: "BS_VOIP_Data.astVoipProviders[0].aucSIP_REGISTRAR[%]", Encoding: EncodingString, Confirmed: true, MaxLen: lenHost,
		Note: "SIP registrar", Evidence: evDocWazo},
	{Param: ParamProviderRegistrarPort, ID: "BS_VOIP_Data.astVoipProviders[0].uiSIP_REGISTRAR_PORT", Encoding: EncodingHex16, Confirmed: true,
		Note: "SIP registrar port", Evidence: evDocWazo},
	{Param: ParamProviderOutboundProxy, ID: "BS_VOIP_Data.astVoipProviders[0].aucOUTBOUND_PROXY[%]", Encoding: EncodingString, Confirmed: true, MaxLen: lenHost,
		Note: "outbound proxy; its mode (ucOUTBOUND_PROXY_MODE) is not modelled because the enum values are unconfirmed: set it as an extra item", Evidence: evDocWazo},
	{Param: ParamProviderOutboundProxyPort, ID: "BS_VOIP_Data.astVoipProviders[0].uiOUTBOUND_PROXY_PORT", Encoding: EncodingHex16, Confirmed: true,
		Note: "outbound proxy port", Evidence: evDocWazo},
	{Param: ParamProviderReRegistration, ID: "BS_VOIP_Data.astVoipProviders[0].uiRE_REGISTRATION_TIMER", Encoding: EncodingHex16, Confirmed: true,
		Note: "re-registration timer in seconds", Evidence: evDocWazo},
	{Param: ParamProviderTransport, ID: "BS_VOIP_Data.astVoipProviders[0].ucSIP_PREFERRED_TRANSPORT_LAYER", Encoding: EncodingInteger,
		Note:     "UNCONFIRMED in part: the ID and UDP=17 are confirmed; TCP=6 is likely but unconfirmed; the TLS value is unknown and not in the transport table",
		Evidence: evDocWazo},

	{Param: ParamTimeNTPServer, ID: "BS_IP_Data.aucS_TIME_NTP_SERVER[%]", Encoding: EncodingString, Confirmed: true, MaxLen: lenHost,
		Note: "NTP server", Evidence: evDocWazo},
	{Param: ParamTimeAutomaticNTP, ID: "BS_IP_Data.ucB_TIME_USE_AUTOMATIC_NTP_SYN", Encoding: EncodingBoolean, Confirmed: true,
		Note: "automatic NTP synchronisation, 1 exactly when an NTP server is set", Evidence: evDocWazo},
	{Param: ParamTimeTimezoneCode, ID: "BS_IP_Data.uiI_TIME_TIMEZONE", Encoding: EncodingHex16, Confirmed: true,
		Note: "time zone, Gigaset's code table (0x1B = UTC+1)", Evidence: evDocWazo},
	{Param: ParamTimeAutomaticDST, ID: "BS_IP_Data.ucB_TIME_USE_AUTOMATIC_DST", Encoding: EncodingBoolean, Confirmed: true,
		Note: "automatic daylight saving time", Evidence: evDocWazo},

	{Param: ParamDataServer, ID: "BS_IP_Data.aucS_DATA_SERVER[%]", Encoding: EncodingString, Confirmed: true, MaxLen: lenHost,
		Note:     "provisioning server the device uses from now on; Gigaset's sample writes it without a scheme",
		Evidence: []string{SourceGigasetN720Doc, SourceWazoN720, SourceGigasetSample}},

	{Param: ParamRegistrationRandomPIN, ID: "BS_CUSTOM.bit.UseRandomRegistrationPIN", Encoding: EncodingBoolean, Confirmed: true,
		Note: "random registration PIN", Evidence: []string{SourceGigasetIPUIFAQ, SourceWazoN720, SourceWazo2e19847e}},
	{Param: ParamRegistrationPIN, ID: "BS_CUSTOM.aucKdsPin[%]", Encoding: EncodingBCDPIN,
		Note:     "UNCONFIRMED in part: ID and BCD encoding confirmed as the system PIN; that the device uses it as the handset registration PIN is likely, not confirmed",
		Evidence: append(slices.Clone(evWazoPINs), SourceGigasetN510)},
	{Param: ParamRegistrationWindowStart, ID: "BS_AE_Subscriber.acIPUIRegistrationTimestamp[0]", Encoding: EncodingQuotedDecimal,
		Note: "UNCONFIRMED in part: the ID and that it is a quoted string are production-proven; whether the string holds Unix seconds (Gigaset's FAQ) " +
			"or DDMMYYHHMM (the production template) is not: override the encoding to ddmmyyhhmm for the latter",
		Evidence: evWindow,
		Alternatives: []Alternative{
			{Encoding: EncodingDDMMYYHHMM, Evidence: []string{SourceWazo2e19847e},
				Note: "the production template's content; UTC here, the template wrote its server's local time"},
			{ID: "BS_CUSTOM.aucIPUIRegistrationTimestamp[%]", Encoding: EncodingInteger, Evidence: evFAQ,
				Note: "the first release's default: the FAQ's member name in a guessed record; no production source"},
		}},
	{Param: ParamRegistrationWindowSeconds, ID: "BS_AE_Subscriber.ulIPUIRegistrationDuration", Encoding: EncodingInteger,
		Note: "UNCONFIRMED in part: the ID and decimal notation are production-proven; that the unit is seconds and 0 means permanently open " +
			"comes from Gigaset's FAQ and has not been observed",
		Evidence: evWindow,
		Alternatives: []Alternative{
			{ID: "BS_CUSTOM.aucIPUIRegistrationDuration[%]", Encoding: EncodingInteger, Evidence: evFAQ,
				Note: "the first release's default: the FAQ's member name in a guessed record; no production source"},
		}},

	{Param: ParamWebPassword, ID: "BS_CUSTOM.WebUIPassword", Encoding: EncodingString, Confirmed: true, Secret: true, MaxLen: lenName,
		Note: "web UI admin password", Evidence: evDoc},

	{Param: ParamSlotActive, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].ucB_SIP_ACCOUNT_IS_ACTIVE_1", Encoding: EncodingBoolean, Confirmed: true,
		Note: "account active; an inactive handset is not listed in the web UI", Evidence: evDocWazo},
	{Param: ParamSlotUserID, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_USER_ID[0]", Encoding: EncodingString, Confirmed: true, MaxLen: lenName,
		Note: "SIP user name", Evidence: evDocWazo},
	{Param: ParamSlotLoginID, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_LOGIN_ID[0]", Encoding: EncodingString, Confirmed: true, MaxLen: lenName,
		Note: "SIP authentication name", Evidence: evDocWazo},
	{Param: ParamSlotPassword, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_PASSWORD[0]", Encoding: EncodingString, Confirmed: true, Secret: true, MaxLen: lenName,
		Note: "SIP authentication password", Evidence: evDocWazo},
	{Param: ParamSlotDisplayName, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_DISPLAYNAME[0]", Encoding: EncodingString, Confirmed: true, MaxLen: lenName,
		Note: "display name", Evidence: evDocWazo},
	{Param: ParamSlotAccountName, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_SIP_ACCOUNT_NAME_1[0]", Encoding: EncodingString, Confirmed: true, MaxLen: lenName,
		Note: "account name shown in the web UI", Evidence: evDoc},
	{Param: ParamSlotProviderIndex, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].ucVoipProviderIndex", Encoding: EncodingInteger, Confirmed: true,
		Note: "provider profile of the account, always 0", Evidence: evDocWazo},
	{Param: ParamSlotMailboxEnabled, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].ucB_VOIP_NET_AM_ENABLED_1", Encoding: EncodingBoolean, Confirmed: true,
		Note: "network mailbox on/off", Evidence: evDocWazo},
	{Param: ParamSlotMailboxNumber, ID: "BS_VOIP_Data.astVoipAccounts[{slot}].aucS_VOIP_NET_AM_NUMBER_1[%]", Encoding: EncodingString, Confirmed: true, MaxLen: lenName,
		Note: "network mailbox number, e.g. *2", Evidence: evDocWazo},
	{Param: ParamSlotIPUI, ID: "BS_CUSTOM.aucHandsetCode[{slot}]", Encoding: EncodingIPUI,
		Note:     "UNCONFIRMED in part: member name and byte encoding confirmed (N720 firmware 108+); the containing record BS_CUSTOM is not: BS_AE_Subscriber is as likely",
		Evidence: evFAQ,
		Alternatives: []Alternative{
			{ID: "BS_AE_Subscriber.aucHandsetCode[{slot}]", Encoding: EncodingIPUI, Evidence: []string{SourceGigasetIPUIFAQ, SourceGigasetN510},
				Note: "the record that holds per-handset data in Gigaset's N510 sample and the window items in production"},
		}},
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

// N720 returns the default profile of the N720 DECT Manager, the entries of
// docs/device.md. The returned profile is shared and immutable.
func N720() *Profile { return n720() }

// Entries returns the profile's entries in rendering order. The entries are deep
// copies: changing one does not change the profile.
func (p *Profile) Entries() []Entry {
	out := make([]Entry, len(p.entries))
	for i, e := range p.entries {
		out[i] = e.clone()
	}
	return out
}

func (e Entry) clone() Entry {
	e.Evidence = slices.Clone(e.Evidence)
	e.Alternatives = slices.Clone(e.Alternatives)
	for i := range e.Alternatives {
		e.Alternatives[i].Evidence = slices.Clone(e.Alternatives[i].Evidence)
	}
	return e
}

// Entry returns the entry of one parameter.
func (p *Profile) Entry(param Param) (Entry, bool) {
	i, ok := p.byParam[param]
	if !ok {
		return Entry{}, false
	}
	return p.entries[i].clone(), true
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
// address the same device setting. Errors name the entry. An entry that an override
// changes is unconfirmed and has the evidence SourceOverride: it is now the user's
// hypothesis, whatever the default's sources said.
func (p *Profile) WithOverrides(o []Override) (*Profile, error) {
	if len(o) == 0 {
		return p, nil // a Profile never changes: p is its own copy
	}
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
		if e.ID != entries[i].ID || e.Encoding != entries[i].Encoding || e.MaxLen != entries[i].MaxLen {
			e.Confirmed = false
			e.Evidence = []string{SourceOverride}
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
