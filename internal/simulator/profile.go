package simulator

import "strings"

// The simulated device has one data model, like a real one: it takes no configuration
// of parameter IDs. Where the evidence has not yet settled which record holds an IPUI
// registration member (docs/device.md), its table lists every candidate spelling of
// the member as an alias of one setting, so that files written with the operator's
// defaults and files written with its documented alternatives both reach the same
// setting. How a spelling's value is read follows the member's type prefix, as the
// device's own firmware would: "ac" is a character array (a quoted string), "ul" an
// unsigned long (an integer), "auc" a byte array (an integer or a 4-byte list, the
// reading of the first release).

// regSetting is one setting of IPUI pre-registration.
type regSetting int

const (
	regStart regSetting = iota
	regDuration
	regRandomPIN
	regPIN
)

var regSettingNames = [...]string{"registration start", "registration duration", "random PIN switch", "registration PIN"}

func (s regSetting) String() string { return regSettingNames[s] }

// valueForm is how a member's value is written, by its type.
type valueForm int

const (
	formDecimalString  valueForm = iota // "ac": Unix seconds as a quoted decimal string
	formInteger                         // "ul": a decimal or 0x integer
	formIntegerOrBytes                  // "auc": an integer or a 4-byte big-endian list
	formBool                            // "bit": 0 or 1
	formBCDPIN                          // "auc" PIN: 2 BCD bytes
)

// regMember is one spelling of a registration setting; id is the whole-field form,
// without a [0] or [%] suffix.
type regMember struct {
	id      string
	setting regSetting
	form    valueForm
}

// regMembers is the simulator's table of the registration members. The BS_AE_Subscriber
// window members are the ones a production template sent and the device acted on; the
// BS_CUSTOM window members are those of the operator's first release, kept as aliases
// because no device has yet confirmed or refuted them.
var regMembers = []regMember{
	{"BS_AE_Subscriber.acIPUIRegistrationTimestamp", regStart, formDecimalString},
	{"BS_CUSTOM.aucIPUIRegistrationTimestamp", regStart, formIntegerOrBytes},
	{"BS_AE_Subscriber.ulIPUIRegistrationDuration", regDuration, formInteger},
	{"BS_CUSTOM.aucIPUIRegistrationDuration", regDuration, formIntegerOrBytes},
	{"BS_CUSTOM.bit.UseRandomRegistrationPIN", regRandomPIN, formBool},
	{"BS_CUSTOM.aucKdsPin", regPIN, formBCDPIN},
}

// handsetCodeArrays are the candidate spellings of the per-slot IPUI reservation
// array, written <array>[x] with x = 0..99 or %: the record of aucHandsetCode is
// unconfirmed, and BS_AE_Subscriber holds other per-handset data.
var handsetCodeArrays = []string{"BS_CUSTOM.aucHandsetCode", "BS_AE_Subscriber.aucHandsetCode"}

// lookupRegMember finds the registration member an ID addresses.
func lookupRegMember(id string) (regMember, bool) {
	whole := wholeField(id)
	for _, m := range regMembers {
		if whole == m.id {
			return m, true
		}
	}
	return regMember{}, false
}

// handsetCodeSlot reports whether id addresses a reservation array at all and, if it
// has the form of one reservation, the text of its slot index.
func handsetCodeSlot(id string) (index string, inArray, ok bool) {
	for _, array := range handsetCodeArrays {
		rest, found := strings.CutPrefix(id, array+"[")
		if !found {
			continue
		}
		index, ok = strings.CutSuffix(rest, "]")
		if !ok || index == "" || strings.ContainsAny(index, ".[]") {
			return "", true, false
		}
		return index, true, true
	}
	return "", false, false
}

// slotPrefix begins every per-slot account item: slotPrefix + x + "]." + member.
const slotPrefix = "BS_VOIP_Data.astVoipAccounts["

// slotMember is one modelled member of an account record (docs/device.md).
// Exactly one of text, flag and small is set; it points at the SlotState field the
// member fills.
type slotMember struct {
	name       string
	wholeField bool // a string (byte array): bare, [0] and [%] address the whole field
	text       func(*SlotState) *string
	flag       func(*SlotState) *bool
	small      func(*SlotState) *uint8
}

var slotMembers = []slotMember{
	{name: "ucB_SIP_ACCOUNT_IS_ACTIVE_1", flag: func(s *SlotState) *bool { return &s.Active }},
	{name: "aucS_SIP_USER_ID", wholeField: true, text: func(s *SlotState) *string { return &s.UserID }},
	{name: "aucS_SIP_LOGIN_ID", wholeField: true, text: func(s *SlotState) *string { return &s.LoginID }},
	{name: "aucS_SIP_PASSWORD", wholeField: true, text: func(s *SlotState) *string { return &s.Password }},
	{name: "aucS_SIP_DISPLAYNAME", wholeField: true, text: func(s *SlotState) *string { return &s.DisplayName }},
	{name: "aucS_SIP_ACCOUNT_NAME_1", wholeField: true, text: func(s *SlotState) *string { return &s.AccountName }},
	{name: "ucVoipProviderIndex", small: func(s *SlotState) *uint8 { return &s.ProviderIndex }},
	{name: "ucB_VOIP_NET_AM_ENABLED_1", flag: func(s *SlotState) *bool { return &s.MailboxEnabled }},
	{name: "aucS_VOIP_NET_AM_NUMBER_1", wholeField: true, text: func(s *SlotState) *string { return &s.MailboxNumber }},
}

// lookupSlotMember finds the member that the part of an ID after "astVoipAccounts[x]."
// addresses.
func lookupSlotMember(rest string) (slotMember, bool) {
	for _, m := range slotMembers {
		if rest == m.name || (m.wholeField && wholeField(rest) == m.name) {
			return m, true
		}
	}
	return slotMember{}, false
}
