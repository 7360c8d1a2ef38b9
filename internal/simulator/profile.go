package simulator

import (
	"fmt"
	"strings"
)

// SlotPlaceholder stands for the slot number in a per-slot parameter ID, as in the
// operator's parameter overrides: BS_CUSTOM.aucHandsetCode[{slot}].
const SlotPlaceholder = "{slot}"

// ParamIDs names the SYMB_ITEM IDs of the IPUI pre-registration parameters. Gigaset
// documents their member names but not the records that contain them, nor the byte
// encoding of the window (n720-reference.md §3), so the operator lets its users
// correct them; the simulator takes the same correction so both sides stay in step.
// A field left empty takes its default (DefaultParamIDs).
type ParamIDs struct {
	// HandsetCode is the per-slot IPUI reservation; it must contain SlotPlaceholder.
	HandsetCode string
	// RegistrationStart is the window start, Unix time in seconds.
	RegistrationStart string
	// RegistrationDuration is the window length in seconds; 0 = permanently open.
	RegistrationDuration string
	// RandomPIN is the switch that makes the device draw the registration PIN itself.
	RandomPIN string
	// PIN is the user-defined registration PIN, 4 digits as 2 BCD bytes.
	PIN string
}

// DefaultParamIDs returns the IDs of n720-reference.md §3.
func DefaultParamIDs() ParamIDs {
	return ParamIDs{
		HandsetCode:          "BS_CUSTOM.aucHandsetCode[" + SlotPlaceholder + "]",
		RegistrationStart:    "BS_CUSTOM.aucIPUIRegistrationTimestamp[%]",
		RegistrationDuration: "BS_CUSTOM.aucIPUIRegistrationDuration[%]",
		RandomPIN:            "BS_CUSTOM.bit.UseRandomRegistrationPIN",
		PIN:                  "BS_CUSTOM.aucKdsPin[%]",
	}
}

func (p ParamIDs) withDefaults() ParamIDs {
	def := DefaultParamIDs()
	for _, f := range []struct{ v, d *string }{
		{&p.HandsetCode, &def.HandsetCode},
		{&p.RegistrationStart, &def.RegistrationStart},
		{&p.RegistrationDuration, &def.RegistrationDuration},
		{&p.RandomPIN, &def.RandomPIN},
		{&p.PIN, &def.PIN},
	} {
		if *f.v == "" {
			*f.v = *f.d
		}
	}
	return p
}

func (p ParamIDs) validate() error {
	if strings.Count(p.HandsetCode, SlotPlaceholder) != 1 {
		return fmt.Errorf("HandsetCode %q must contain %s exactly once", p.HandsetCode, SlotPlaceholder)
	}
	seen := map[string]string{}
	for _, f := range []struct{ name, id string }{
		{"HandsetCode", strings.Replace(p.HandsetCode, SlotPlaceholder, "0", 1)},
		{"RegistrationStart", p.RegistrationStart},
		{"RegistrationDuration", p.RegistrationDuration},
		{"RandomPIN", p.RandomPIN},
		{"PIN", p.PIN},
	} {
		if err := checkID(f.id); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if other, dup := seen[wholeField(f.id)]; dup {
			return fmt.Errorf("%s and %s name the same parameter %q", other, f.name, f.id)
		}
		seen[wholeField(f.id)] = f.name
	}
	return nil
}

// handsetCodeSlot reports whether id addresses the reservation array at all (its
// prefix matches) and, if it has the form of one reservation, the text of its slot
// index.
func (p ParamIDs) handsetCodeSlot(id string) (index string, inArray, ok bool) {
	prefix, suffix, _ := strings.Cut(p.HandsetCode, SlotPlaceholder)
	rest, inArray := strings.CutPrefix(id, prefix)
	if !inArray {
		return "", false, false
	}
	index, ok = strings.CutSuffix(rest, suffix)
	if !ok || index == "" || strings.ContainsAny(index, ".[]") {
		return "", true, false
	}
	return index, true, true
}

// slotPrefix begins every per-slot account item: slotPrefix + x + "]." + member.
const slotPrefix = "BS_VOIP_Data.astVoipAccounts["

// slotMember is one modelled member of an account record (n720-reference.md §2).
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
