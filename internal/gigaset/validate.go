package gigaset

import (
	"errors"
	"fmt"
)

// Limits that keep every valid Document renderable within Parse's caps.
const (
	maxProfileName = maxTextLen
	maxOwnerLen    = 253 // a Kubernetes object name
	// MaxExtraItems bounds Document.Extra.
	MaxExtraItems = 2048
)

// Validate reports every problem that would stop Render, as FieldErrors joined with
// errors.Join (nil when the document is valid). Messages never contain secrets.
func (d *Document) Validate(p *Profile) error {
	if d == nil {
		return errors.New("no document")
	}
	if p == nil {
		return errors.New("no device profile")
	}
	v := validator{d: d, p: p}
	v.base()
	v.slots()
	v.extras()
	return errors.Join(v.errs...)
}

type validator struct {
	d    *Document
	p    *Profile
	errs []error
}

func (v *validator) add(slot int, field, format string, args ...any) {
	owner := ""
	if slot >= 0 {
		owner = v.d.Slots[slot].Owner
		if checkOwner(owner) != "" {
			owner = "" // never repeat a malformed owner in every message of its slot
		}
	}
	v.errs = append(v.errs, &FieldError{Slot: slot, Owner: owner, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) base() {
	d := v.d
	if c, err := ParseMAC(d.MAC); err != nil {
		v.add(-1, "mac", "%v", err)
	} else if c != d.MAC {
		v.add(-1, "mac", "MAC address %s is not canonical: expected %s (use ParseMAC)", quoteInput(d.MAC), c)
	}
	if msg := checkText(d.ProfileName, maxProfileName, false); msg != "" {
		v.add(-1, "profileName", "%s", msg)
	}
	for field, url := range map[string]string{"firmware.manager": d.Firmware.Manager, "firmware.bases": d.Firmware.Bases} {
		if url == "" {
			continue
		}
		if msg := checkFirmwareURL(url); msg != "" {
			v.add(-1, field, "%s", msg)
		}
	}
	for i, e := range v.p.entries {
		spec := v.p.specs[i]
		if spec.perSlot() || !spec.group.present(d) {
			continue
		}
		if err := v.p.checkValue(&v.p.entries[i], spec.kind, spec.get(d, -1)); err != nil {
			v.add(-1, string(e.Param), "%v", err)
		}
	}
}

func (v *validator) slots() {
	ipuis := make(map[string]int)
	owners := make(map[string]int)
	for s := range v.d.Slots {
		slot := &v.d.Slots[s]
		if slot.Owner == "" {
			if *slot != (Slot{}) {
				v.add(s, "slot.owner", "the slot has settings but no owner; a free slot must be empty (Document.Free), an owned one must name its Handset")
			}
			continue
		}
		if msg := checkOwner(slot.Owner); msg != "" {
			v.add(s, "slot.owner", "%s", msg)
		} else if prev, dup := owners[slot.Owner]; dup {
			v.add(s, "slot.owner", "%s already holds slot %d; a handset holds one slot", slot.Owner, prev)
		} else {
			owners[slot.Owner] = s
		}
		for i, e := range v.p.entries {
			spec := v.p.specs[i]
			if !spec.perSlot() {
				continue
			}
			if err := v.p.checkValue(&v.p.entries[i], spec.kind, spec.get(v.d, s)); err != nil {
				v.add(s, string(e.Param), "%v", err)
			}
		}
		if slot.IPUI != "" {
			if prev, dup := ipuis[slot.IPUI]; dup {
				v.add(s, string(ParamSlotIPUI), "IPUI %s is already reserved by slot %d (handset %s); a handset can be reserved in one slot only",
					slot.IPUI, prev, v.d.Slots[prev].Owner)
			} else {
				ipuis[slot.IPUI] = s
			}
		}
	}
}

// checkOwner returns "" for a valid owner: a Kubernetes name. Only its character set
// and length matter here; they are what keeps the owner comment unambiguous.
func checkOwner(o string) string {
	if len(o) > maxOwnerLen {
		return fmt.Sprintf("owner is %d characters long; a Kubernetes name has at most %d", len(o), maxOwnerLen)
	}
	for i := 0; i < len(o); i++ {
		c := o[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return fmt.Sprintf("owner %s: character %d is not allowed; a Kubernetes name has only a-z, 0-9, '.' and '-'", quoteInput(o), i+1)
		}
	}
	return ""
}

func (v *validator) extras() {
	if len(v.d.Extra) > MaxExtraItems {
		v.add(-1, "extra", "%d extra items; at most %d are allowed", len(v.d.Extra), MaxExtraItems)
		return
	}
	// Extras are compared with each other only within groups of equal names, so that
	// a long list of unrelated items costs linear time.
	type seen struct {
		n    int
		path itemPath
	}
	groups := make(map[string][]seen)
	for n, it := range v.d.Extra {
		field := fmt.Sprintf("extra[%d]", n)
		path, err := parseItemID(it.ID, false)
		if err != nil {
			v.add(-1, field, "%v", err)
			continue
		}
		field += " " + it.ID
		if t, modelled, err := v.p.classify(path, it.ID); err != nil {
			v.add(-1, field, "%v", err)
			continue
		} else if modelled {
			v.add(-1, field, "addresses the modelled parameter %s; set it through the model, not as an extra item", v.p.entries[t.entry].Param)
			continue
		}
		if msg := checkExtraValue(it.Value, it.Secret); msg != "" {
			v.add(-1, field, "%s", msg)
		}
		key := groupKey(path)
		for _, prev := range groups[key] {
			if overlaps(path, prev.path) {
				v.add(-1, field, "addresses the same setting as extra[%d] %s; the device reads items in no defined order", prev.n, v.d.Extra[prev.n].ID)
				break
			}
		}
		groups[key] = append(groups[key], seen{n, path})
	}
}

// groupKey is the case-folded sequence of names of a path: paths with different
// keys never overlap.
func groupKey(p itemPath) string {
	b := make([]byte, 0, 64)
	for _, s := range p {
		for i := 0; i < len(s.name); i++ {
			c := s.name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		b = append(b, '.')
	}
	return string(b)
}
