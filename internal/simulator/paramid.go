package simulator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// checkID checks that id is a parameter path: dot-separated identifiers, each followed
// by any number of indexes [n] or [%], e.g. BS_VOIP_Data.astVoipAccounts[3].ucVoipProviderIndex.
// Anything else (spaces, empty segments, a stray bracket) is a renderer bug.
func checkID(id string) error {
	if id == "" {
		return errors.New("empty ID")
	}
	for seg := range strings.SplitSeq(id, ".") {
		name, indexes, _ := strings.Cut(seg, "[")
		if !isIdentifier(name) {
			return fmt.Errorf("ID %q: %q is not an identifier", id, name)
		}
		if indexes == "" {
			if strings.Contains(seg, "[") {
				return fmt.Errorf("ID %q: unterminated index", id)
			}
			continue
		}
		// indexes is what follows the first "[": "n]", "n][m]", "%]".
		for part := range strings.SplitSeq(strings.TrimSuffix(indexes, "]"), "][") {
			if part != "%" && (part == "" || strings.Trim(part, "0123456789") != "") {
				return fmt.Errorf("ID %q: index [%s] is neither a number nor %%", id, part)
			}
		}
		if !strings.HasSuffix(indexes, "]") {
			return fmt.Errorf("ID %q: unterminated index", id)
		}
	}
	return nil
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// wholeField strips a whole-field suffix: on a string or byte field, [0] and [%] both
// mean the whole field, and the bare name is read the same way.
func wholeField(id string) string {
	if s, ok := strings.CutSuffix(id, "[%]"); ok {
		return s
	}
	return strings.TrimSuffix(id, "[0]")
}

// allSlots is what [%] on a per-slot array addresses.
var allSlots = func() []int {
	s := make([]int, NumSlots)
	for i := range s {
		s[i] = i
	}
	return s
}()

// slotIndexes resolves the index text of a per-slot array: one slot 0..99, or every
// slot for "%".
func slotIndexes(text string) ([]int, error) {
	if text == "%" {
		return allSlots, nil
	}
	if text == "" || strings.Trim(text, "0123456789") != "" {
		return nil, fmt.Errorf("slot index [%s] is neither a number nor %%", text)
	}
	n, err := strconv.Atoi(text)
	if err != nil || n >= NumSlots {
		return nil, fmt.Errorf("slot index [%s] is outside 0..%d", text, NumSlots-1)
	}
	return []int{n}, nil
}
