package simulator

import (
	"fmt"
	"strings"
)

// IgnoreReason says why the device ignored a whole file.
type IgnoreReason string

// The reasons a file is ignored, from the earliest check to the last.
const (
	// ReasonTooLarge: the file exceeds the size the simulator reads.
	ReasonTooLarge IgnoreReason = "TooLarge"
	// ReasonEncoding: the XML declaration is missing or does not declare ISO-8859-1.
	ReasonEncoding IgnoreReason = "Encoding"
	// ReasonSyntax: the bytes are not well-formed XML.
	ReasonSyntax IgnoreReason = "Syntax"
	// ReasonStructure: the elements are not ProviderFrame/Provider/MAC_ADDRESS/SYMB_ITEM.
	ReasonStructure IgnoreReason = "Structure"
	// ReasonMACMismatch: the file's MAC_ADDRESS names another device.
	ReasonMACMismatch IgnoreReason = "MACMismatch"
	// ReasonMalformedItems: at least one SYMB_ITEM is malformed (see the package doc:
	// ignoring the whole file is an assumption).
	ReasonMalformedItems IgnoreReason = "MalformedItems"
)

// Problem is one finding about a file: an error that made the device ignore it, or a
// warning about something it accepted.
type Problem struct {
	Line    int    // 1-based line in the file; 0 when the problem has no single place
	ID      string // the SYMB_ITEM's ID, when the problem is about one item
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.ID != "" {
		fmt.Fprintf(&b, "%s: ", p.ID)
	}
	b.WriteString(p.Message)
	return b.String()
}

// FileError is returned for a file that the device ignores as a whole.
type FileError struct {
	Reason   IgnoreReason
	Problems []Problem // at least one
}

func (e *FileError) Error() string {
	msg := fmt.Sprintf("file ignored (%s)", e.Reason)
	if len(e.Problems) > 0 {
		msg += ": " + e.Problems[0].String()
	}
	if n := len(e.Problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return msg
}

// maxProblems bounds each list of problems, so that a hostile or broken file of half a
// megabyte cannot produce a report of the same size.
const maxProblems = 50

// problemList collects problems up to maxProblems and counts the rest.
type problemList struct {
	items   []Problem
	dropped int
}

func (l *problemList) add(p Problem) {
	if len(l.items) < maxProblems {
		l.items = append(l.items, p)
		return
	}
	l.dropped++
}

func (l *problemList) addAll(ps []Problem) {
	for _, p := range ps {
		l.add(p)
	}
}

func (l *problemList) empty() bool { return len(l.items) == 0 }

// list returns the problems, ending with a note of how many were not kept.
func (l *problemList) list() []Problem {
	if l.dropped == 0 {
		return l.items
	}
	return append(l.items[:len(l.items):len(l.items)],
		Problem{Message: fmt.Sprintf("%d more problems not listed", l.dropped)})
}
