// Package slots assigns the handsets of one base to the device's fixed table of slots.
//
// A slot is SIP account and DECT handset number slot+1 on the device. Moving a handset to
// another slot would silently give one person's phone another person's extension, so the
// rules are built around one promise: a handset that holds a slot keeps it. Everything else
// (pins, new handsets, conflicts) is resolved around the existing holders, and conflicts
// are reported rather than guessed: the older claim keeps working, the newer one is told
// who is in its way.
package slots

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Claim is one handset asking for a slot.
type Claim struct {
	// Name identifies the handset (its Kubernetes name; unique within the base).
	Name string
	// Created orders claims: the older claim wins every conflict. Name breaks ties.
	Created time.Time
	// Pinned is the slot the handset asks for explicitly, or nil.
	Pinned *int
	// IPUI is the handset's canonical IPUI, or "" when it has none.
	IPUI string
	// Reported is the slot the handset's own status says it holds, or nil. It outlives
	// the base's record when the DectBase is deleted and created again (a GitOps tool
	// replacing it, a restore), so that the handsets get their slots back.
	Reported *int
}

// Reason says why a claim got no slot, or a slot without its current settings.
type Reason string

const (
	// DuplicateIPUI: an older handset of the base declares the same IPUI.
	DuplicateIPUI Reason = "DuplicateIPUI"
	// SlotTaken: the pinned slot is held by, or pinned by, an older handset.
	SlotTaken Reason = "SlotTaken"
	// NoFreeSlot: every slot of the device is in use.
	NoFreeSlot Reason = "NoFreeSlot"
)

// Problem is a conflict one claim lost.
type Problem struct {
	Reason Reason
	// Other names the handset that keeps what this claim wanted ("" for NoFreeSlot).
	Other string
	// Message is written for the person who declared the handset.
	Message string
}

// Result is the outcome of one assignment.
type Result struct {
	// Slot maps a handset name to the slot it holds. A handset with a Problem may still
	// hold a slot (the one it held before the conflict); its previous settings stay there.
	Slot map[string]int
	// Problems maps a handset name to the conflict it lost.
	Problems map[string]Problem
	// Moved maps a handset name to why it did not get back the slot it reported.
	Moved map[string]Move
}

// Move says why a handset holds another slot than the one its status reported.
type Move struct {
	From int
	// Other holds From now.
	Other string
	// Message is written for the person who declared the handset.
	Message string
}

// Assign gives each claim a slot of a table of n slots. previous is the table as the
// device was last told (the handset name per slot, "" when free), as recovered from the
// stored document; it is what makes slots durable across restarts and lost status. A
// claim's Reported slot is what makes them durable across the loss of that record.
//
// The order of the rules is the order of precedence:
//  1. Among claims with the same IPUI, the oldest is the only one that may reserve it.
//  2. A handset that held a slot keeps it, unless it is now pinned to another one.
//  3. A handset the record does not place gets back the slot its status reports, when
//     the record gives it to nobody else, unless it is now pinned to another one; the
//     oldest report wins.
//  4. A pinned handset gets its slot when nobody holds it; otherwise the oldest pin wins
//     and later ones report SlotTaken.
//  5. Every other handset takes the first free slot, oldest first. One whose reported
//     slot was held by another is told so (Moved): it is never moved in silence.
func Assign(claims []Claim, previous []string, n int) Result {
	res := Result{Slot: map[string]int{}, Problems: map[string]Problem{}, Moved: map[string]Move{}}
	ordered := slices.Clone(claims)
	slices.SortFunc(ordered, func(a, b Claim) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})

	ipuiOwner := map[string]string{}
	for _, c := range ordered {
		if c.IPUI == "" {
			continue
		}
		if first, taken := ipuiOwner[c.IPUI]; taken {
			res.Problems[c.Name] = Problem{
				Reason:  DuplicateIPUI,
				Other:   first,
				Message: fmt.Sprintf("IPUI %s is already declared by Handset %s", c.IPUI, first),
			}
			continue
		}
		ipuiOwner[c.IPUI] = c.Name
	}

	holder := make([]string, n)
	held := map[string]int{}
	for slot, name := range previous {
		if slot < n && name != "" {
			held[name] = slot
		}
	}

	// Rule 2: holders keep their slots. A holder that lost an IPUI conflict keeps its slot
	// too, so that the device goes on serving its last good settings.
	for _, c := range ordered {
		slot, ok := held[c.Name]
		if !ok || (c.Pinned != nil && *c.Pinned != slot) {
			continue
		}
		holder[slot] = c.Name
		res.Slot[c.Name] = slot
	}

	// Rule 3: what the handsets' own status reports, for those the record lost.
	for _, c := range ordered {
		if c.Reported == nil || hasSlot(res, c.Name) || (c.Pinned != nil && *c.Pinned != *c.Reported) {
			continue
		}
		slot := *c.Reported
		if slot < 0 || slot >= n {
			continue
		}
		if other := holder[slot]; other != "" {
			res.Moved[c.Name] = Move{From: slot, Other: other,
				Message: fmt.Sprintf("its status said slot %d, which Handset %s holds", slot, other)}
			continue
		}
		holder[slot] = c.Name
		res.Slot[c.Name] = slot
	}

	// Rule 4: pins, oldest first.
	for _, c := range ordered {
		if c.Pinned == nil || hasSlot(res, c.Name) || lostIPUI(res, c.Name) {
			continue
		}
		slot := *c.Pinned
		if slot < 0 || slot >= n {
			res.Problems[c.Name] = Problem{Reason: SlotTaken, Message: fmt.Sprintf("slot %d does not exist: the device has slots 0 to %d", slot, n-1)}
			continue
		}
		if other := holder[slot]; other != "" {
			res.Problems[c.Name] = Problem{
				Reason:  SlotTaken,
				Other:   other,
				Message: fmt.Sprintf("slot %d is held by Handset %s", slot, other),
			}
			continue
		}
		holder[slot] = c.Name
		res.Slot[c.Name] = slot
	}

	// Rule 5: everyone else, oldest first, into the first free slot.
	next := 0
	for _, c := range ordered {
		if c.Pinned != nil || hasSlot(res, c.Name) || lostIPUI(res, c.Name) {
			continue
		}
		for next < n && holder[next] != "" {
			next++
		}
		if next == n {
			res.Problems[c.Name] = Problem{
				Reason:  NoFreeSlot,
				Message: fmt.Sprintf("all %d slots of the base are in use", n),
			}
			continue
		}
		holder[next] = c.Name
		res.Slot[c.Name] = next
	}
	return res
}

func hasSlot(r Result, name string) bool {
	_, ok := r.Slot[name]
	return ok
}

func lostIPUI(r Result, name string) bool {
	p, ok := r.Problems[name]
	return ok && p.Reason == DuplicateIPUI
}
