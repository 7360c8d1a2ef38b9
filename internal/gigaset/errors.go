package gigaset

import (
	"errors"
	"fmt"
)

// FieldError is one problem in one field of a Document. Validate and Render return
// every problem they find, joined with errors.Join, so that a controller can put
// each on the Handset that owns the slot instead of failing the whole base with one
// message; FieldErrors unpacks them.
type FieldError struct {
	Slot  int    // 0..NumSlots-1, or -1 when the field is not part of a slot
	Owner string // the slot's owner, when known
	// Field is a Param name, or one of "mac", "profileName", "slot.owner",
	// "extra[N]" (N is the index in Document.Extra).
	Field string
	Msg   string // what is wrong and what was expected; never a secret value
}

func (e *FieldError) Error() string {
	switch {
	case e.Slot < 0:
		return e.Field + ": " + e.Msg
	case e.Owner != "":
		return fmt.Sprintf("slot %d (handset %s): %s: %s", e.Slot, e.Owner, e.Field, e.Msg)
	default:
		return fmt.Sprintf("slot %d: %s: %s", e.Slot, e.Field, e.Msg)
	}
}

// FieldErrors returns the FieldErrors in err (as returned by Validate, Render or
// Parse), in order.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *FieldError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			walk(errors.Unwrap(err))
		}
	}
	walk(err)
	return out
}
