package simulator

import (
	"fmt"
	"strings"
)

// plan is what applying a parsed file will do. It is built completely before anything
// changes, so that a file with a malformed item changes nothing at all.
type plan struct {
	changes  []func(*database)
	errors   problemList
	warnings problemList
	regSet   map[regSetting]Item // the item that last set each registration setting
}

// planFile decodes every item of f against the device's parameter table.
func planFile(f *File) *plan {
	p := &plan{regSet: map[regSetting]Item{}}
	firstLine := make(map[string]int, len(f.Items))
	for _, it := range f.Items {
		if line, dup := firstLine[it.ID]; dup {
			p.warn(it, fmt.Sprintf("also set on line %d; the later value wins (the device's behaviour is unconfirmed)", line))
		} else {
			firstLine[it.ID] = it.Line
		}
		p.item(it)
	}
	if f.hasProfileName {
		profile := f.ProfileName
		p.change(func(db *database) { db.profileName = profile })
	}
	if f.hasFirmware {
		u := f.FirmwareURL
		p.change(func(db *database) { db.firmwareURL = u })
	}
	if f.hasSATFirmware {
		u := f.SATFirmwareURL
		p.change(func(db *database) { db.satFirmwareURL = u })
	}
	return p
}

func (p *plan) item(it Item) {
	v, err := parseValue(it.Value)
	if err != nil { // the parser already checked; kept so plan never trusts its input
		p.fail(it, err.Error())
		return
	}
	if m, ok := lookupRegMember(it.ID); ok {
		p.registration(it, m, v)
		return
	}
	if index, inArray, ok := handsetCodeSlot(it.ID); inArray {
		if !ok {
			p.fail(it, "a reservation is written <array>[x] with one slot index x = 0..99 or %")
			return
		}
		p.reservation(it, index, v)
		return
	}
	if rest, ok := strings.CutPrefix(it.ID, slotPrefix); ok {
		p.account(it, rest, v)
		return
	}
	p.raw(it)
}

// registration decodes one spelling of a registration setting in the form its type
// prescribes.
func (p *plan) registration(it Item, m regMember, v value) {
	if prev, dup := p.regSet[m.setting]; dup && wholeField(prev.ID) != wholeField(it.ID) {
		p.warn(it, fmt.Sprintf("sets the %s again, also set by %s on line %d; the later value wins", m.setting, prev.ID, prev.Line))
	}
	p.regSet[m.setting] = it
	switch m.form {
	case formBool:
		on, err := v.asBool()
		if err != nil {
			p.fail(it, err.Error())
			return
		}
		p.change(func(db *database) { db.reg.RandomPIN = on })
		return
	case formBCDPIN:
		pin, err := v.asBCDPIN()
		if err != nil {
			p.fail(it, err.Error())
			return
		}
		p.change(func(db *database) { db.reg.PIN = pin })
		return
	}
	var (
		n   uint32
		enc IntEncoding
		err error
	)
	switch m.form {
	case formDecimalString:
		n, err = v.asDecimalString()
		enc = EncodingDecimalString
	case formInteger:
		n, err = v.asInteger32()
		enc = EncodingInteger
	default:
		n, enc, err = v.asUint32()
	}
	if err != nil {
		p.fail(it, err.Error())
		return
	}
	if m.setting == regStart && m.form == formDecimalString && n != 0 && n < 1e9 {
		p.warn(it, fmt.Sprintf("start %d is Unix seconds before September 2001; a DDMMYYHHMM date in this field would be read this way", n))
	}
	p.change(func(db *database) {
		if m.setting == regStart {
			db.reg.Start, db.reg.StartEncoding = n, enc
		} else {
			db.reg.Duration, db.reg.DurationEncoding = n, enc
		}
	})
}

func (p *plan) reservation(it Item, index string, v value) {
	slots, err := slotIndexes(index)
	if err != nil {
		p.fail(it, err.Error())
		return
	}
	id, err := v.asIPUI()
	if err != nil {
		p.fail(it, err.Error())
		return
	}
	p.change(func(db *database) {
		for _, i := range slots {
			db.slots[i].Reserved = id
		}
	})
}

// account decodes BS_VOIP_Data.astVoipAccounts[x].<member>; rest is what follows the
// opening bracket.
func (p *plan) account(it Item, rest string, v value) {
	index, member, ok := strings.Cut(rest, "].")
	if !ok {
		p.warn(it, "account item not modelled by the simulator; stored as a base setting")
		p.raw(it)
		return
	}
	slots, err := slotIndexes(index)
	if err != nil {
		p.fail(it, err.Error())
		return
	}
	m, ok := lookupSlotMember(member)
	if !ok {
		p.warn(it, fmt.Sprintf("account member %s not modelled by the simulator; stored as a base setting", member))
		p.raw(it)
		return
	}

	var set func(*SlotState)
	switch {
	case m.text != nil:
		s, err := v.asString()
		if err != nil {
			p.fail(it, err.Error())
			return
		}
		set = func(st *SlotState) { *m.text(st) = s }
	case m.flag != nil:
		b, err := v.asBool()
		if err != nil {
			p.fail(it, err.Error())
			return
		}
		set = func(st *SlotState) { *m.flag(st) = b }
	default:
		n, err := v.asUint8()
		if err != nil {
			p.fail(it, err.Error())
			return
		}
		set = func(st *SlotState) { *m.small(st) = n }
	}
	p.change(func(db *database) {
		for _, i := range slots {
			set(&db.slots[i])
		}
	})
}

// raw stores an item the simulator does not model, exactly as written, so that tests
// can still check it arrived.
func (p *plan) raw(it Item) {
	id, val := it.ID, it.Value
	p.change(func(db *database) { db.base[id] = val })
}

func (p *plan) change(c func(*database)) { p.changes = append(p.changes, c) }

func (p *plan) fail(it Item, msg string) {
	p.errors.add(Problem{Line: it.Line, ID: it.ID, Message: msg})
}

func (p *plan) warn(it Item, msg string) {
	p.warnings.add(Problem{Line: it.Line, ID: it.ID, Message: msg})
}

// reservationWarnings reports an IPUI reserved in more than one slot: the device's
// behaviour is unknown (the simulator registers it in the first), and the operator
// must never produce it.
func reservationWarnings(db *database) []Problem {
	var out []Problem
	first := map[IPUI]int{}
	for i, s := range db.slots {
		if s.Reserved.IsNone() {
			continue
		}
		if j, dup := first[s.Reserved]; dup {
			out = append(out, Problem{Message: fmt.Sprintf(
				"IPUI %s is reserved in slots %d and %d; it can register only in slot %d", s.Reserved, j, i, j)})
			continue
		}
		first[s.Reserved] = i
	}
	return out
}
