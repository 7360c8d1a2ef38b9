package gigaset

import (
	"fmt"
	"strconv"
	"strings"
)

// The rendered document carries two kinds of comments that Parse reads back:
//
//	<!-- slot 7: alice -->              slot 7 is owned by Handset "alice"
//	<!-- slot 8: free -->               slot 8 is free
//	<!-- secret item: BS_X.aucY[%] -->  an extra item whose value is in the credentials
//
// The owner comment makes the document the durable record of slot ownership (the
// slot table is rebuilt from it). The secret-item comment keeps the position of a
// secret extra item, so that Parse restores Extra in its original order.
//
// "--" may not appear inside an XML comment, yet Kubernetes names may contain it, so
// owners are escaped reversibly: a '-' that follows a '-' becomes "%2D", and the
// owner "free" becomes "%66ree" (so that it cannot read as a free slot). Owners
// never contain '%', so the escape is unambiguous; Parse also requires the label to
// be in exactly this canonical form.

const (
	freeLabel     = "free"
	secretComment = "secret item: "
)

func ownerLabel(owner string) string {
	switch owner {
	case "":
		return freeLabel
	case freeLabel:
		return "%66ree"
	}
	if !strings.Contains(owner, "--") {
		return owner
	}
	var b strings.Builder
	for i := 0; i < len(owner); i++ {
		if owner[i] == '-' && i > 0 && owner[i-1] == '-' {
			b.WriteString("%2D")
			continue
		}
		b.WriteByte(owner[i])
	}
	return b.String()
}

// parseOwnerLabel reverses ownerLabel.
func parseOwnerLabel(label string) (string, error) {
	if label == freeLabel {
		return "", nil
	}
	var b strings.Builder
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(label) || !isHex(label[i+1]) || !isHex(label[i+2]) {
			return "", fmt.Errorf("owner %s: %% must start an escape such as %%2D", quoteInput(label))
		}
		b.WriteByte(hexValue(label[i+1])<<4 | hexValue(label[i+2]))
		i += 2
	}
	owner := b.String()
	if owner == "" {
		return "", fmt.Errorf("empty owner; a free slot is labelled %q", freeLabel)
	}
	if msg := checkOwner(owner); msg != "" {
		return "", fmt.Errorf("%s", msg)
	}
	if ownerLabel(owner) != label {
		return "", fmt.Errorf("owner label %s is not in canonical form %s", quoteInput(label), quoteInput(ownerLabel(owner)))
	}
	return owner, nil
}

// comment is a comment Parse understands.
type comment struct {
	slot     int    // owner comment: the slot; -1 otherwise
	owner    string // owner comment: the owner ("" = free)
	secretID string // secret-item comment: the item's ID
}

// parseComment reads a comment's text. Comments that are neither kind (ok=false)
// are ignored; comments that look like one of them but are malformed are errors,
// because a mistyped owner comment would silently free a slot.
func parseComment(text string) (c comment, ok bool, err error) {
	t := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(t, secretComment):
		id := strings.TrimSpace(t[len(secretComment):])
		if _, err := parseItemID(id, false); err != nil {
			return c, false, fmt.Errorf("secret item comment: %w", err)
		}
		return comment{slot: -1, secretID: id}, true, nil
	case strings.HasPrefix(t, "slot ") && len(t) > 5 && '0' <= t[5] && t[5] <= '9':
		num, label, found := strings.Cut(t[5:], ": ")
		if !found || strings.ContainsAny(label, " \t\r\n") {
			return c, false, fmt.Errorf("slot comment %s: expected \"slot N: OWNER\" or \"slot N: free\"", quoteInput(t))
		}
		n, convErr := strconv.Atoi(num)
		if convErr != nil || len(num) > 1 && num[0] == '0' {
			return c, false, fmt.Errorf("slot comment %s: slot number %s is not a decimal number", quoteInput(t), quoteInput(num))
		}
		if n >= NumSlots {
			return c, false, fmt.Errorf("slot comment %s: slot index %d is outside 0..%d", quoteInput(t), n, NumSlots-1)
		}
		owner, err := parseOwnerLabel(label)
		if err != nil {
			return c, false, fmt.Errorf("slot comment for slot %d: %w", n, err)
		}
		return comment{slot: n, owner: owner}, true, nil
	}
	return c, false, nil
}
