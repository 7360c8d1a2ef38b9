package gigaset

// Param is the logical name of one setting of the model. Params are the stable
// vocabulary between the Document, the device profile (which maps each to a
// SYMB_ITEM ID and an encoding) and the users who correct that profile.
type Param string

// The parameters of the model, in the order in which they are rendered.
const (
	ParamProviderName              Param = "provider.name"
	ParamProviderDomain            Param = "provider.domain"
	ParamProviderServer            Param = "provider.server"
	ParamProviderServerPort        Param = "provider.serverPort"
	ParamProviderRegistrar         Param = "provider.registrar"
	ParamProviderRegistrarPort     Param = "provider.registrarPort"
	ParamProviderOutboundProxy     Param = "provider.outboundProxy"
	ParamProviderOutboundProxyPort Param = "provider.outboundProxyPort"
	ParamProviderReRegistration    Param = "provider.reRegistrationSeconds"
	ParamProviderTransport         Param = "provider.transport"

	ParamTimeNTPServer    Param = "time.ntpServer"
	ParamTimeAutomaticNTP Param = "time.automaticNTP" // derived: 1 exactly when an NTP server is set
	ParamTimeTimezoneCode Param = "time.timezoneCode"
	ParamTimeAutomaticDST Param = "time.automaticDST"

	ParamDataServer Param = "dataServer"

	ParamRegistrationRandomPIN     Param = "registration.randomPIN"
	ParamRegistrationPIN           Param = "registration.pin"
	ParamRegistrationWindowStart   Param = "registration.windowStart"
	ParamRegistrationWindowSeconds Param = "registration.windowSeconds"

	ParamWebPassword Param = "webPassword"

	ParamSlotActive         Param = "slot.active"
	ParamSlotUserID         Param = "slot.userID"
	ParamSlotLoginID        Param = "slot.loginID"
	ParamSlotPassword       Param = "slot.password"
	ParamSlotDisplayName    Param = "slot.displayName"
	ParamSlotAccountName    Param = "slot.accountName"
	ParamSlotProviderIndex  Param = "slot.providerIndex" // always 0: only provider 0 is modelled
	ParamSlotMailboxEnabled Param = "slot.mailboxEnabled"
	ParamSlotMailboxNumber  Param = "slot.mailboxNumber"
	ParamSlotIPUI           Param = "slot.ipui"
)

// kind is what a parameter holds; it decides which encodings may represent it and
// which values are valid.
type kind int

const (
	kindText       kind = iota // a string value
	kindFlag                   // a bool
	kindUint16                 // 0..65535
	kindPositive16             // 1..65535 (ports, timers: 0 would be written, not "unset")
	kindUint32                 // 0..4294967295 (durations)
	kindUnixTime               // 0..4294967295 Unix seconds: a point in time
	kindTransport              // a transport name, written as its table value 0..255
	kindZero                   // the constant 0
	kindIPUI                   // canonical IPUI or "" (no reservation)
	kindPIN                    // 4 digits
)

var kindNames = [...]string{"text", "flag", "uint16", "positive16", "uint32", "unix time", "transport", "zero", "ipui", "pin"}

func (k kind) String() string { return kindNames[k] }

// encodings lists the encodings that can represent the kind, the default first.
func (k kind) encodings() []Encoding {
	switch k {
	case kindText:
		return []Encoding{EncodingString}
	case kindFlag:
		return []Encoding{EncodingBoolean}
	case kindUint16, kindPositive16, kindTransport, kindZero:
		return []Encoding{EncodingInteger, EncodingHex16}
	case kindUint32:
		return []Encoding{EncodingInteger, EncodingQuotedDecimal, EncodingUint32BE, EncodingUint32LE}
	case kindUnixTime:
		return []Encoding{EncodingInteger, EncodingQuotedDecimal, EncodingDDMMYYHHMM, EncodingUint32BE, EncodingUint32LE}
	case kindIPUI:
		return []Encoding{EncodingIPUI}
	default:
		return []Encoding{EncodingBCDPIN}
	}
}

func (k kind) allows(e Encoding) bool {
	for _, x := range k.encodings() {
		if x == e {
			return true
		}
	}
	return false
}

// bounds is the valid range of a numeric kind.
func (k kind) bounds() (lo, hi int64) {
	switch k {
	case kindFlag:
		return 0, 1
	case kindUint16:
		return 0, 0xFFFF
	case kindPositive16:
		return 1, 0xFFFF
	case kindUint32, kindUnixTime:
		return 0, 0xFFFFFFFF
	case kindTransport:
		return 0, 0xFF
	default:
		return 0, 0
	}
}

// group is a set of parameters that is written together or not at all.
type group int

const (
	groupProvider     group = iota // when Document.Provider != nil
	groupTime                      // when Document.Time != nil
	groupDataServer                // when Document.DataServer != ""
	groupRegistration              // always
	groupWebPassword               // when Document.WebPassword != ""
	groupSlot                      // always, once per slot
)

func (g group) present(d *Document) bool {
	switch g {
	case groupProvider:
		return d.Provider != nil
	case groupTime:
		return d.Time != nil
	case groupDataServer:
		return d.DataServer != ""
	case groupWebPassword:
		return d.WebPassword != ""
	default:
		return true
	}
}

// value is a parameter's value in the model: s for text, IPUI, PIN and transport
// names, n for numbers and flags.
type value struct {
	s string
	n int64
}

func boolValue(b bool) value {
	if b {
		return value{n: 1}
	}
	return value{}
}

// paramSpec binds a parameter to its place in the Document. get reads the value; set
// writes it during Parse (set may assume the group's struct exists: Parse creates it).
// A derived parameter has no set: Parse checks that its value agrees with get.
type paramSpec struct {
	param Param
	kind  kind
	group group
	get   func(d *Document, slot int) value
	set   func(d *Document, slot int, v value)
}

func (s *paramSpec) perSlot() bool { return s.group == groupSlot }

var paramSpecs = []*paramSpec{
	{ParamProviderName, kindText, groupProvider,
		func(d *Document, _ int) value { return value{s: d.Provider.Name} },
		func(d *Document, _ int, v value) { d.Provider.Name = v.s }},
	{ParamProviderDomain, kindText, groupProvider,
		func(d *Document, _ int) value { return value{s: d.Provider.Domain} },
		func(d *Document, _ int, v value) { d.Provider.Domain = v.s }},
	{ParamProviderServer, kindText, groupProvider,
		func(d *Document, _ int) value { return value{s: d.Provider.Server} },
		func(d *Document, _ int, v value) { d.Provider.Server = v.s }},
	{ParamProviderServerPort, kindPositive16, groupProvider,
		func(d *Document, _ int) value { return value{n: int64(d.Provider.ServerPort)} },
		func(d *Document, _ int, v value) { d.Provider.ServerPort = int(v.n) }},
	{ParamProviderRegistrar, kindText, groupProvider,
		func(d *Document, _ int) value { return value{s: d.Provider.Registrar} },
		func(d *Document, _ int, v value) { d.Provider.Registrar = v.s }},
	{ParamProviderRegistrarPort, kindPositive16, groupProvider,
		func(d *Document, _ int) value { return value{n: int64(d.Provider.RegistrarPort)} },
		func(d *Document, _ int, v value) { d.Provider.RegistrarPort = int(v.n) }},
	{ParamProviderOutboundProxy, kindText, groupProvider,
		func(d *Document, _ int) value { return value{s: d.Provider.OutboundProxy} },
		func(d *Document, _ int, v value) { d.Provider.OutboundProxy = v.s }},
	{ParamProviderOutboundProxyPort, kindPositive16, groupProvider,
		func(d *Document, _ int) value { return value{n: int64(d.Provider.OutboundProxyPort)} },
		func(d *Document, _ int, v value) { d.Provider.OutboundProxyPort = int(v.n) }},
	{ParamProviderReRegistration, kindPositive16, groupProvider,
		func(d *Document, _ int) value { return value{n: int64(d.Provider.ReRegistrationSeconds)} },
		func(d *Document, _ int, v value) { d.Provider.ReRegistrationSeconds = int(v.n) }},
	{ParamProviderTransport, kindTransport, groupProvider,
		func(d *Document, _ int) value { return value{s: d.Provider.Transport} },
		func(d *Document, _ int, v value) { d.Provider.Transport = v.s }},

	{ParamTimeNTPServer, kindText, groupTime,
		func(d *Document, _ int) value { return value{s: d.Time.NTPServer} },
		func(d *Document, _ int, v value) { d.Time.NTPServer = v.s }},
	{ParamTimeAutomaticNTP, kindFlag, groupTime,
		func(d *Document, _ int) value { return boolValue(d.Time.NTPServer != "") },
		nil},
	{ParamTimeTimezoneCode, kindUint16, groupTime,
		func(d *Document, _ int) value { return value{n: int64(d.Time.TimezoneCode)} },
		func(d *Document, _ int, v value) { d.Time.TimezoneCode = int(v.n) }},
	{ParamTimeAutomaticDST, kindFlag, groupTime,
		func(d *Document, _ int) value { return boolValue(d.Time.AutomaticDST) },
		func(d *Document, _ int, v value) { d.Time.AutomaticDST = v.n == 1 }},

	{ParamDataServer, kindText, groupDataServer,
		func(d *Document, _ int) value { return value{s: d.DataServer} },
		func(d *Document, _ int, v value) { d.DataServer = v.s }},

	{ParamRegistrationRandomPIN, kindFlag, groupRegistration,
		func(d *Document, _ int) value { return boolValue(d.Registration.RandomPIN) },
		func(d *Document, _ int, v value) { d.Registration.RandomPIN = v.n == 1 }},
	{ParamRegistrationPIN, kindPIN, groupRegistration,
		func(d *Document, _ int) value { return value{s: d.Registration.PIN} },
		func(d *Document, _ int, v value) { d.Registration.PIN = v.s }},
	{ParamRegistrationWindowStart, kindUnixTime, groupRegistration,
		func(d *Document, _ int) value { return value{n: d.Registration.WindowStart} },
		func(d *Document, _ int, v value) { d.Registration.WindowStart = v.n }},
	{ParamRegistrationWindowSeconds, kindUint32, groupRegistration,
		func(d *Document, _ int) value { return value{n: d.Registration.WindowSeconds} },
		func(d *Document, _ int, v value) { d.Registration.WindowSeconds = v.n }},

	{ParamWebPassword, kindText, groupWebPassword,
		func(d *Document, _ int) value { return value{s: d.WebPassword} },
		func(d *Document, _ int, v value) { d.WebPassword = v.s }},

	{ParamSlotActive, kindFlag, groupSlot,
		func(d *Document, i int) value { return boolValue(d.Slots[i].Active) },
		func(d *Document, i int, v value) { d.Slots[i].Active = v.n == 1 }},
	{ParamSlotUserID, kindText, groupSlot,
		func(d *Document, i int) value { return value{s: d.Slots[i].UserID} },
		func(d *Document, i int, v value) { d.Slots[i].UserID = v.s }},
	{ParamSlotLoginID, kindText, groupSlot,
		func(d *Document, i int) value { return value{s: d.Slots[i].LoginID} },
		func(d *Document, i int, v value) { d.Slots[i].LoginID = v.s }},
	{ParamSlotPassword, kindText, groupSlot,
		func(d *Document, i int) value { return value{s: d.Slots[i].Password} },
		func(d *Document, i int, v value) { d.Slots[i].Password = v.s }},
	{ParamSlotDisplayName, kindText, groupSlot,
		func(d *Document, i int) value { return value{s: d.Slots[i].DisplayName} },
		func(d *Document, i int, v value) { d.Slots[i].DisplayName = v.s }},
	{ParamSlotAccountName, kindText, groupSlot,
		func(d *Document, i int) value { return value{s: d.Slots[i].AccountName} },
		func(d *Document, i int, v value) { d.Slots[i].AccountName = v.s }},
	{ParamSlotProviderIndex, kindZero, groupSlot,
		func(*Document, int) value { return value{} },
		nil},
	{ParamSlotMailboxEnabled, kindFlag, groupSlot,
		func(d *Document, i int) value { return boolValue(d.Slots[i].MailboxEnabled) },
		func(d *Document, i int, v value) { d.Slots[i].MailboxEnabled = v.n == 1 }},
	{ParamSlotMailboxNumber, kindText, groupSlot,
		func(d *Document, i int) value { return value{s: d.Slots[i].MailboxNumber} },
		func(d *Document, i int, v value) { d.Slots[i].MailboxNumber = v.s }},
	{ParamSlotIPUI, kindIPUI, groupSlot,
		func(d *Document, i int) value { return value{s: d.Slots[i].IPUI} },
		func(d *Document, i int, v value) { d.Slots[i].IPUI = v.s }},
}

var specByParam = func() map[Param]*paramSpec {
	m := make(map[Param]*paramSpec, len(paramSpecs))
	for _, s := range paramSpecs {
		m[s.param] = s
	}
	return m
}()
