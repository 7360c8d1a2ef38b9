// Package macpolicy decides which DectBase may speak for a device MAC, across
// namespaces. The provisioning server serves files by MAC, so one base per MAC: by
// default the oldest base that declares it (first-come, fine for a single team). On a
// cluster shared by tenants, first-come would let any tenant claim a device it does
// not own by declaring its MAC before the real owner does; a cluster admin, who (unlike
// the tenants) may edit Namespace objects, can therefore list on a Namespace the MACs and
// MAC prefixes its bases may declare, and those MACs are then reserved for it.
//
// The manager (who renders a file) and the provisioning server (who serves one) decide
// with the same function, Policy.Decide, so that the server never serves a file for a
// base the manager refuses, even a file forged by a tenant in that base's namespace.
//
// No Kubernetes imports: the callers hand in the annotations and the claims.
package macpolicy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dect-operator/dect-operator/internal/gigaset"
)

// Annotation on a Namespace lists the MACs its DectBases may declare, and reserves them
// for it. See ParseList for the notation.
const Annotation = "provisioning.dect-operator.dev/allowed-macs"

// List is a parsed Annotation: MACs and MAC prefixes, each kept as its canonical
// upper-case hex digits (12 for a whole MAC, 0 to 11 for a prefix).
type List struct {
	entries []string // sorted, unique
}

// maxProblems caps the problems one error names: the message is read by a person, and
// an annotation can be long.
const maxProblems = 3

// ParseList reads an Annotation's value: entries separated by commas and/or white space
// (so that a YAML block scalar with one entry per line works too), each
//
//   - a whole MAC in any notation DectBase.spec.macAddress accepts: 7C2F80CA21E4,
//     7C:2F:80:CA:21:E4, 7C-2F-80-CA-21-E4, 7C2F.80CA.21E4 (any case); or
//   - a prefix: 0 to 11 hex digits followed by "*", with ":", "-" or "." allowed between
//     digits and before the "*": 7C2F80* and 7C:2F:80:* are the same prefix, the
//     24-bit block 7C2F80000000-7C2F80FFFFFF; a lone * is every MAC.
//
// Prefixes are whole hex digits because the IEEE assigns MAC blocks of 24, 28 and 36
// bits (MA-L, MA-M, MA-S), all whole digits, and because the closing "*" cannot be
// misread: "7C2F80CA21E" is an error (a MAC missing a digit), never a prefix.
//
// An empty value lists nothing: the namespace may declare no MAC. On an error, the List
// still holds every entry that did parse (a caller reserves them, so that one typo never
// hands the other entries' devices to another namespace).
func ParseList(s string) (List, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	var l List
	var problems []string
	for i, f := range fields {
		e, err := parseEntry(f)
		if err != nil {
			problems = append(problems, fmt.Sprintf("entry %d %s: %v", i+1, quote(f), err))
			continue
		}
		l.entries = append(l.entries, e)
	}
	slices.Sort(l.entries)
	l.entries = slices.Compact(l.entries)
	if len(problems) == 0 {
		return l, nil
	}
	msg := strings.Join(problems[:min(len(problems), maxProblems)], "; ")
	if len(problems) > maxProblems {
		msg += fmt.Sprintf("; and %d more", len(problems)-maxProblems)
	}
	return l, fmt.Errorf("%s (expected MACs such as 7C:2F:80:CA:21:E4 and prefixes such as 7C2F80*, separated by commas)", msg)
}

// parseEntry returns an entry's canonical digits.
func parseEntry(f string) (string, error) {
	body, prefix := strings.CutSuffix(f, "*")
	if !prefix {
		mac, err := gigaset.ParseMAC(f)
		if err != nil {
			return "", fmt.Errorf("neither a MAC (12 hex digits) nor a prefix ending in *")
		}
		return mac, nil
	}
	digits := make([]byte, 0, len(body))
	lastSep := true // no separator before the first digit
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case isHex(c):
			digits = append(digits, upper(c))
			lastSep = false
		case c == ':' || c == '-' || c == '.':
			if lastSep {
				return "", fmt.Errorf("a separator must follow a hex digit")
			}
			lastSep = true
		default:
			return "", fmt.Errorf("character %d is not a hex digit (0-9, A-F) or a separator (: - .)", i+1)
		}
	}
	if len(digits) > 11 {
		return "", fmt.Errorf("a prefix has at most 11 hex digits; write a whole MAC without *")
	}
	return string(digits), nil
}

// Match returns the length in hex digits of the longest entry that mac (canonical)
// starts with: 12 for the MAC itself, 0 for "*"; -1 when no entry matches.
func (l List) Match(mac string) int {
	best := -1
	for _, e := range l.entries {
		if len(e) > best && strings.HasPrefix(mac, e) {
			best = len(e)
		}
	}
	return best
}

// Len is the number of entries.
func (l List) Len() int { return len(l.entries) }

// String is the canonical notation, which ParseList reads back to the same List:
// entries sorted, prefixes as digits followed by "*".
func (l List) String() string {
	out := make([]string, len(l.entries))
	for i, e := range l.entries {
		if len(e) < 12 {
			e += "*"
		}
		out[i] = e
	}
	return strings.Join(out, ",")
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func upper(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - ('a' - 'A')
	}
	return c
}

// quote quotes an entry for a message, shortened: it comes from outside.
func quote(s string) string {
	const max = 32
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
