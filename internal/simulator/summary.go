package simulator

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// Summary describes the device for a person: the registration window and every slot in
// use (active, reserved or with a handset registered).
func (d *Device) Summary() string {
	return d.Snapshot().Summary()
}

// Summary describes the snapshot for a person; see Device.Summary.
func (s Snapshot) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Gigaset N720 DM PRO %s, firmware %s", s.MAC, s.Firmware)
	if s.ProfileName != "" {
		fmt.Fprintf(&b, ", profile %q", s.ProfileName)
	}
	fmt.Fprintf(&b, "\nregistration window: %s; %s\n", windowText(s.Window), pinText(s.Registration, s.RandomPIN))

	active, reserved, registered := 0, 0, 0
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tUSER\tDISPLAY NAME\tIPUI\tHANDSET")
	for _, sl := range s.Slots {
		if !sl.Active && sl.Reserved.IsNone() && sl.Registered.IsNone() {
			continue
		}
		user := orDash(sl.UserID)
		if sl.Active {
			active++
		} else {
			user += " (inactive)"
		}
		ipui := "-"
		if !sl.Reserved.IsNone() {
			reserved++
			ipui = sl.Reserved.String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", sl.Index, user, orDash(sl.DisplayName), ipui, handsetText(sl))
		if !sl.Registered.IsNone() && sl.Registered == sl.Reserved {
			registered++
		}
	}
	tw.Flush()
	fmt.Fprintf(&b, "%d active accounts, %d of %d reserved handsets registered\n", active, registered, reserved)
	return b.String()
}

func handsetText(s SlotState) string {
	switch {
	case s.Registered.IsNone() && s.Reserved.IsNone():
		return "-"
	case s.Registered.IsNone():
		return "waiting"
	case s.Registered == s.Reserved:
		return "registered"
	default:
		return "registered " + s.Registered.String() + " (conflicts with the reservation)"
	}
}

func windowText(w WindowState) string {
	switch w.Phase {
	case WindowOpen:
		return "open since " + w.OpensAt.Format(time.DateTime) + ", " + endText(w.ClosesAt)
	case WindowWaiting:
		return "opens " + w.OpensAt.Format(time.DateTime) + ", " + endText(w.ClosesAt)
	default:
		return "closed (" + w.Reason + ")"
	}
}

func pinText(r RegistrationSettings, drawn string) string {
	switch {
	case r.RandomPIN && drawn != "":
		return "random PIN " + drawn
	case r.RandomPIN:
		return "random PIN, drawn when the window opens"
	case r.PIN == FactoryPIN:
		return "no PIN asked"
	default:
		return "PIN " + r.PIN
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
