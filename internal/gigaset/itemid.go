package gigaset

import (
	"fmt"
	"strconv"
	"strings"
)

// A SYMB_ITEM ID is a path into the device's data structures:
//
//	BS_VOIP_Data.astVoipAccounts[3].aucS_SIP_USER_ID[0]
//
// dot-separated names, each optionally followed by index suffixes: a decimal index
// or "%" (every element). Profile templates may also use the index "{slot}". The
// grammar is checked so that a typo in an override or an extra item is reported at
// once instead of being ignored by the device.

const (
	maxIDLen        = 256
	maxSegments     = 16
	maxIndexPerName = 4
	maxIndexDigits  = 6
	slotPlaceholder = "{slot}"
)

type segment struct {
	name  string
	index []string // "123", "%" or "{slot}"
}

type itemPath []segment

const idExample = "BS_VOIP_Data.astVoipAccounts[0].aucS_SIP_USER_ID[0]"

// parseItemID parses id; {slot} is accepted as an index only when allowSlot is set.
func parseItemID(id string, allowSlot bool) (itemPath, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("ID %s: %s; expected dot-separated names (letters, digits, _) each "+
			"optionally followed by [N] or [%%], e.g. %s", quoteInput(id), fmt.Sprintf(format, args...), idExample)
	}
	if id == "" {
		return nil, bad("is empty")
	}
	if len(id) > maxIDLen {
		return nil, bad("is %d characters long, at most %d are allowed", len(id), maxIDLen)
	}
	var p itemPath
	i := 0
	for {
		start := i
		for i < len(id) && isIdentByte(id[i], i == start) {
			i++
		}
		if i == start {
			return nil, bad("character %d: expected a name", i+1)
		}
		seg := segment{name: id[start:i]}
		for i < len(id) && id[i] == '[' {
			end := strings.IndexByte(id[i:], ']')
			if end < 0 {
				return nil, bad("character %d: [ is not closed", i+1)
			}
			idx := id[i+1 : i+end]
			if err := checkIndex(idx, allowSlot); err != "" {
				return nil, bad("index [%s]: %s", idx, err)
			}
			if len(seg.index) == maxIndexPerName {
				return nil, bad("more than %d indexes on %s", maxIndexPerName, seg.name)
			}
			seg.index = append(seg.index, idx)
			i += end + 1
		}
		if len(p) == maxSegments {
			return nil, bad("more than %d names", maxSegments)
		}
		p = append(p, seg)
		if i == len(id) {
			return p, nil
		}
		if id[i] != '.' {
			return nil, bad("character %d %s is not allowed here", i+1, quoteInput(id[i:i+1]))
		}
		i++
		if i == len(id) {
			return nil, bad("ends with a dot")
		}
	}
}

func isIdentByte(c byte, first bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || !first && '0' <= c && c <= '9'
}

// checkIndex returns "" for a valid index. Decimal indexes must be canonical (no
// leading zero) so that two spellings of one element cannot both appear in a file.
func checkIndex(idx string, allowSlot bool) string {
	switch {
	case idx == "%":
		return ""
	case idx == slotPlaceholder:
		if allowSlot {
			return ""
		}
		return "{slot} is only allowed in per-slot profile entries"
	case idx == "":
		return "empty index"
	case len(idx) > maxIndexDigits:
		return fmt.Sprintf("more than %d digits", maxIndexDigits)
	case len(idx) > 1 && idx[0] == '0':
		return "leading zero"
	}
	for i := 0; i < len(idx); i++ {
		if idx[i] < '0' || idx[i] > '9' {
			return "expected a decimal number or %"
		}
	}
	return ""
}

func (p itemPath) String() string {
	var b strings.Builder
	for k, s := range p {
		if k > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
		for _, idx := range s.index {
			b.WriteByte('[')
			b.WriteString(idx)
			b.WriteByte(']')
		}
	}
	return b.String()
}

// slotCount counts {slot} indexes in p.
func (p itemPath) slotCount() int {
	n := 0
	for _, s := range p {
		for _, idx := range s.index {
			if idx == slotPlaceholder {
				n++
			}
		}
	}
	return n
}

// expand replaces {slot} by the decimal slot number.
func (p itemPath) expand(slot int) string {
	return strings.ReplaceAll(p.String(), slotPlaceholder, strconv.Itoa(slot))
}

// overlaps reports whether two IDs may address the same device setting. It is
// deliberately generous, because two items for one setting make the file ambiguous
// (the device reads items in no defined order): names compare without case, "%"
// and {slot} match any index, and a missing index matches any index (on a string
// field "[0]", "[%]" and no suffix all mean the whole field).
func overlaps(a, b itemPath) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !strings.EqualFold(a[k].name, b[k].name) {
			return false
		}
		ai, bi := a[k].index, b[k].index
		for x := 0; x < len(ai) && x < len(bi); x++ {
			if ai[x] != bi[x] && !isWildIndex(ai[x]) && !isWildIndex(bi[x]) {
				return false
			}
		}
	}
	return true
}

func isWildIndex(idx string) bool { return idx == "%" || idx == slotPlaceholder }

func isWholeFieldIndex(idx string) bool { return idx == "0" || idx == "%" }

// aliases lists the spellings of a concrete ID that address exactly the same
// setting: when the ID ends with a whole-field suffix ([0] or [%]) or none at all,
// the other two spellings are equivalent (Gigaset's own examples mix them).
func aliases(p itemPath) []string {
	last := p[len(p)-1]
	n := len(last.index)
	if n > 0 && !isWholeFieldIndex(last.index[n-1]) {
		return []string{p.String()}
	}
	base := make(itemPath, len(p))
	copy(base, p)
	trimmed := last
	if n > 0 {
		trimmed.index = last.index[:n-1]
	}
	out := make([]string, 0, 3)
	for _, suffix := range []string{"", "0", "%"} {
		v := trimmed
		if suffix != "" {
			v.index = append(append([]string(nil), trimmed.index...), suffix)
		}
		base[len(base)-1] = v
		out = append(out, base.String())
	}
	return out
}

// matchSlotTemplate reports whether id is the per-slot template tmpl with a concrete
// slot number, in range or not (the caller reports an out-of-range number), allowing
// the whole-field spellings of aliases.
func matchSlotTemplate(id, tmpl itemPath) (slot int, ok bool) {
	if len(id) != len(tmpl) {
		return 0, false
	}
	slot = -2
	for k := range tmpl {
		ii, ti := id[k].index, tmpl[k].index
		if id[k].name != tmpl[k].name {
			return 0, false
		}
		if k == len(tmpl)-1 {
			if len(ti) == 0 || isWholeFieldIndex(ti[len(ti)-1]) {
				if len(ti) > 0 {
					ti = ti[:len(ti)-1]
				}
				if len(ii) > 0 && isWholeFieldIndex(ii[len(ii)-1]) {
					ii = ii[:len(ii)-1]
				}
			}
		}
		if len(ii) != len(ti) {
			return 0, false
		}
		for x := range ti {
			if ti[x] != slotPlaceholder {
				if ii[x] != ti[x] {
					return 0, false
				}
				continue
			}
			if ii[x] == "%" {
				return 0, false
			}
			n, _ := strconv.Atoi(ii[x]) // checkIndex allowed only short decimal numbers
			if slot != -2 && slot != n {
				return 0, false
			}
			slot = n
		}
	}
	return slot, slot != -2
}
