// Package assemble is the engine: it turns one DectBase, its Handsets and the values of
// the Secrets they reference into the file the device is to be given (Build), and
// decides what the status of every object involved says about it (Status). It needs no
// API server, so that every rule (slots, last good settings, conflicts, the window) is
// tested as plain Go, and the reconciler and the offline `render` command make the same
// bytes through the same call.
package assemble

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dectv1alpha1 "github.com/dect-operator/dect-operator/api/v1alpha1"
	"github.com/dect-operator/dect-operator/internal/gigaset"
	"github.com/dect-operator/dect-operator/internal/provfile"
	"github.com/dect-operator/dect-operator/internal/slots"
	"github.com/dect-operator/dect-operator/internal/window"
)

// Secrets holds the data of the Secrets a base and its handsets reference, by Secret
// name. A Secret that does not exist is absent.
type Secrets map[string]map[string][]byte

// Input is everything one Build reads.
type Input struct {
	Base *dectv1alpha1.DectBase
	// MAC is the base's canonical MAC (gigaset.ParseMAC of spec.macAddress). The caller
	// parses it, since it needs it first to check that the base holds the MAC.
	MAC      string
	Handsets []dectv1alpha1.Handset
	Secrets  Secrets
	// Refused are the referenced Secrets that exist but may not be used (Consumable).
	// Each is reported (SecretNotConsumable) where it is referenced, and treated like a
	// missing Secret: the last good values stay served.
	Refused Refused
	// Stored is the file as last stored, or nil for a new base. Its document is the
	// durable record of the slots and of each slot's last good settings.
	Stored *provfile.File
	// PreviousOwners is the slot table to use when Stored is nil or unreadable but an
	// older record (the base's status) survived, e.g. after a hand-edit destroyed the
	// stored document.
	PreviousOwners []string
	// HashKey is the base's key for the file's hash (see provfile.Hash).
	HashKey []byte
	// ServerURL is where devices reach the provisioning server; firmware files it serves
	// are at ServerURL/firmware/<file>. "" when unknown.
	ServerURL string
	// HoldAbsent is how long a retained record, once a DectBase takes it back, keeps the
	// slots of handsets that are not there yet: a GitOps tool applying a site again may
	// create the base before its handsets.
	HoldAbsent time.Duration
	Now        time.Time
}

// Problem is why an object's current settings are not what the device is given.
type Problem struct {
	Reason  string // an API condition reason, e.g. dectv1alpha1.ReasonSecretNotFound
	Message string // for the person who declared the object; never holds a secret
}

// Error is a problem of the base itself that leaves no file to serve.
type Error Problem

func (e *Error) Error() string { return e.Message }

// Handset is the outcome for one Handset.
type Handset struct {
	// Slot held, or nil.
	Slot *int
	// IPUI reserved for the handset in the file, canonical; "" when none.
	IPUI string
	// Problem, when the handset's current settings could not be rendered. The slot then
	// keeps its last good settings, if it had any.
	Problem *Problem
	// SettingsHash identifies the handset's current settings as rendered in its slot;
	// "" while it has a Problem.
	SettingsHash string
	// Moved is set when the handset did not get back the slot its status reported.
	Moved *slots.Move
}

// Result is what one Build decided.
type Result struct {
	// Document is the file's model; File holds it rendered, ready to store.
	Document gigaset.Document
	File     provfile.File
	// Changed tells whether File is a new generation.
	Changed bool
	Window  window.Window
	// Reserved tells whether any slot reserves an IPUI (without one the device opens no
	// window).
	Reserved bool
	// ReopenedAt is when the reopen-window annotation's current value was first acted
	// on, or zero.
	ReopenedAt time.Time
	// Handsets by name.
	Handsets map[string]Handset
	// BaseProblem is set when the base's own settings could not all be used. The file is
	// still built, with the base's last good values where they were missing.
	BaseProblem *Problem
	// StoredUnreadable says why the stored document could not be read ("" when it could,
	// or there was none); the slots then come from PreviousOwners. Safe to log: it never
	// quotes a credential.
	StoredUnreadable string
}

// Profile is the device profile of base: the built-in N720 table with the base's
// parameter overrides applied.
func Profile(base *dectv1alpha1.DectBase) (*gigaset.Profile, error) {
	o := make([]gigaset.Override, 0, len(base.Spec.ParameterOverrides))
	for _, po := range base.Spec.ParameterOverrides {
		o = append(o, gigaset.Override{Param: gigaset.Param(po.Parameter), ID: po.ID, Encoding: gigaset.Encoding(po.Encoding)})
	}
	return gigaset.N720().WithOverrides(o)
}

// Build decides and renders the file of in.Base. It fails, with an *Error, only for
// problems of the base itself that leave no file to serve (a profile override that does
// not apply, a base setting the device cannot take); every handset problem is reported
// in Result.Handsets instead.
func Build(in Input) (*Result, error) {
	profile, err := Profile(in.Base)
	if err != nil {
		return nil, &Error{Reason: dectv1alpha1.ReasonInvalidProfile, Message: err.Error()}
	}
	res := &Result{Handsets: map[string]Handset{}, ReopenedAt: reopenTime(in.Base, in.Now)}
	previous := res.readStored(in.Stored, profile)

	if err := res.decide(in, previous, profile); err != nil {
		return nil, &Error{Reason: dectv1alpha1.ReasonInvalidSettings, Message: err.Error()}
	}
	rendered, err := gigaset.Render(&res.Document, profile)
	if err != nil {
		return nil, &Error{Reason: dectv1alpha1.ReasonInvalidSettings, Message: err.Error()}
	}
	auth, authProblem := authFor(in.Base, in.Secrets, in.Refused, in.Stored)
	holdUntil := holdUntil(in)
	if res.BaseProblem == nil {
		res.BaseProblem = authProblem
	}
	res.File = provfile.File{
		Namespace: in.Base.Namespace, Base: in.Base.Name, MAC: res.Document.MAC,
		Document: rendered.Document, Credentials: rendered.Credentials,
		HashKey:        in.HashKey,
		Hash:           provfile.Hash(in.HashKey, gigaset.Join(rendered.Document, rendered.Credentials)),
		BaseCreated:    in.Base.CreationTimestamp.UTC(),
		AllowedSources: in.Base.Spec.Provisioning.AllowedSourceCIDRs,
		Auth:           auth,
		HoldUntil:      holdUntil,
	}
	if st := in.Stored; st != nil && st.Hash == res.File.Hash && st.Generation > 0 {
		res.File.Generation, res.File.RenderedAt = st.Generation, st.RenderedAt
	} else {
		res.File.Generation = 1
		if st != nil {
			res.File.Generation = st.Generation + 1
		}
		res.File.RenderedAt = in.Now.UTC().Truncate(time.Second)
		res.Changed = true
	}
	return res, nil
}

// holdUntil is until when the record keeps absent handsets' slots: from when a DectBase
// takes a retained record back, for HoldAbsent; zero once that has passed.
func holdUntil(in Input) time.Time {
	st := in.Stored
	if st == nil {
		return time.Time{}
	}
	until := st.HoldUntil
	if st.Retained && until.IsZero() {
		until = in.Now.Add(in.HoldAbsent).UTC().Truncate(time.Second)
	}
	if !in.Now.Before(until) {
		return time.Time{}
	}
	return until
}

// readStored parses the stored file (document and credentials joined), or returns nil
// when there is none or it cannot be read.
func (res *Result) readStored(stored *provfile.File, profile *gigaset.Profile) *gigaset.Document {
	if stored == nil || stored.Document == nil {
		return nil
	}
	doc, err := gigaset.Parse(gigaset.Join(stored.Document, stored.Credentials), profile)
	if err == nil {
		return doc
	}
	// Only the public document's error may be shown: an error about the joined file
	// could quote a credential.
	res.StoredUnreadable = "the credentials in the Secret do not fit the document"
	if _, perr := gigaset.Parse(stored.Document, profile); perr != nil {
		res.StoredUnreadable = perr.Error()
	}
	return nil
}

// decide fills the document, the handsets' outcomes and the window.
func (res *Result) decide(in Input, previous *gigaset.Document, profile *gigaset.Profile) error {
	base := in.Base
	doc := &res.Document
	doc.MAC = in.MAC
	doc.ProfileName = cmp.Or(string(base.Spec.ProfileName), base.Name)
	doc.Provider = provider(base.Spec.SIP)
	doc.Time = timeSettings(base.Spec.Time)
	doc.Registration.PIN = cmp.Or(base.Spec.Registration.PIN, "0000")
	doc.Registration.RandomPIN = base.Spec.Registration.RandomPIN

	var baseProblems []*Problem
	if ref := base.Spec.WebPasswordSecretRef; ref != nil {
		if pw, ok := in.Secrets.value(ref); ok {
			doc.WebPassword = pw
		} else {
			baseProblems = append(baseProblems, in.Refused.secretProblem(ref))
			if previous != nil {
				doc.WebPassword = previous.WebPassword
			}
		}
	}
	for _, item := range base.Spec.ExtraItems {
		switch {
		case item.Value != nil:
			doc.Extra = append(doc.Extra, gigaset.Item{ID: item.ID, Value: *item.Value})
		case item.ValueFrom != nil:
			v, ok := in.Secrets.value(item.ValueFrom)
			if !ok {
				baseProblems = append(baseProblems, in.Refused.secretProblem(item.ValueFrom))
				v, ok = previousExtra(previous, item.ID)
				if !ok {
					continue
				}
			}
			doc.Extra = append(doc.Extra, gigaset.Item{ID: item.ID, Value: v, Secret: true})
		}
	}
	if len(baseProblems) > 0 {
		res.BaseProblem = joinProblems(baseProblems)
	}
	if fw := base.Spec.Firmware; fw != nil {
		var problems []string
		for _, img := range []struct {
			field string
			spec  *dectv1alpha1.FirmwareImage
			dst   *string
		}{{"spec.firmware.manager", fw.Manager, &doc.Firmware.Manager}, {"spec.firmware.bases", fw.Bases, &doc.Firmware.Bases}} {
			url, problem := firmwareURL(img.field, img.spec, in.ServerURL)
			if problem != "" {
				problems = append(problems, problem)
			}
			*img.dst = url
		}
		if len(problems) > 0 && res.BaseProblem == nil {
			res.BaseProblem = &Problem{Reason: dectv1alpha1.ReasonInvalidSettings, Message: strings.Join(problems, "; ")}
		}
	}

	assignSlots(in, previous, !holdUntil(in).IsZero(), res)
	if err := validate(previous, profile, res); err != nil {
		return err
	}

	res.Window = window.Plan(window.Request{
		Mode:                window.Mode(cmp.Or(base.Spec.Registration.Window.Mode, dectv1alpha1.WindowAlways)),
		Start:               timeOrZero(base.Spec.Registration.Window.Start),
		Duration:            durationOrZero(base.Spec.Registration.Window.Duration),
		Previous:            previousWindow(previous),
		ReservationsChanged: previous == nil || !slices.Equal(reservations(doc), reservations(previous)),
		ReopenedAt:          res.ReopenedAt,
		Now:                 in.Now,
	})
	doc.Registration.WindowStart = res.Window.Start
	doc.Registration.WindowSeconds = res.Window.Duration
	res.Reserved = len(reservations(doc)) > 0
	return nil
}

// firmwareURL is where the device downloads an image: its URL, or the file's address
// on the provisioning server.
func firmwareURL(field string, img *dectv1alpha1.FirmwareImage, serverURL string) (string, string) {
	switch {
	case img == nil:
		return "", ""
	case img.URL != "":
		return img.URL, ""
	case serverURL == "":
		return "", fmt.Sprintf("%s.file: the provisioning server's URL is not known (the manager's --server-url), so the device cannot be told where %s is", field, img.File)
	}
	return strings.TrimSuffix(serverURL, "/") + "/firmware/" + img.File, ""
}

// reopenTime is when the reopen-window annotation's current value was first acted on.
func reopenTime(base *dectv1alpha1.DectBase, now time.Time) time.Time {
	req := base.Annotations[dectv1alpha1.AnnotationReopenWindow]
	w := base.Status.RegistrationWindow
	switch {
	case req == "":
		if w != nil && w.ReopenedAt != nil {
			return w.ReopenedAt.Time
		}
		return time.Time{}
	case w != nil && w.ReopenRequest == req && w.ReopenedAt != nil:
		return w.ReopenedAt.Time
	default:
		return now
	}
}

// authFor returns the Digest authentication of base. A missing or refused Secret keeps
// the authentication stored before, so that a deleted Secret never opens a base to
// anyone.
func authFor(base *dectv1alpha1.DectBase, secrets Secrets, refused Refused, stored *provfile.File) (provfile.Auth, *Problem) {
	ref := base.Spec.Provisioning.AuthSecretRef
	if ref == nil {
		return provfile.Auth{}, nil
	}
	var kept provfile.Auth
	if stored != nil {
		kept = stored.Auth
	}
	if p := refused.problem(ref.Name); p != nil {
		return kept, p
	}
	if data, ok := secrets[ref.Name]; ok {
		a := provfile.Auth{Username: string(data["username"]), Password: string(data["password"]), MACID: string(data["macID"])}
		if a.MACID != "" {
			mid, err := gigaset.ParseMACID(a.MACID)
			if err != nil {
				return a, &Problem{Reason: dectv1alpha1.ReasonInvalidSettings, Message: fmt.Sprintf("Secret %s: key macID: %v", ref.Name, err)}
			}
			a.MACID = mid
		}
		if a.Enabled() {
			return a, nil
		}
	}
	return kept, &Problem{Reason: dectv1alpha1.ReasonAuthSecretNotFound,
		Message: fmt.Sprintf("Secret %s is missing or holds neither username and password nor macID", ref.Name)}
}

// assignSlots gives every handset its slot and fills the slots of the document.
func assignSlots(in Input, previous *gigaset.Document, holdAbsent bool, out *Result) {
	doc := &out.Document
	owners := in.PreviousOwners
	if previous != nil {
		owners = make([]string, gigaset.NumSlots)
		for i, s := range previous.Slots {
			owners[i] = s.Owner
		}
	}

	claims := make([]slots.Claim, 0, len(in.Handsets))
	byName := map[string]*dectv1alpha1.Handset{}
	ipuis := map[string]string{}
	for i := range in.Handsets {
		h := &in.Handsets[i]
		byName[h.Name] = h
		c := slots.Claim{Name: h.Name, Created: h.CreationTimestamp.Time}
		if r := h.Status.Slot; r != nil {
			reported := int(*r)
			c.Reported = &reported
		}
		if h.Spec.Slot != nil {
			s := int(*h.Spec.Slot)
			c.Pinned = &s
		}
		if h.Spec.IPUI != "" && enabled(h) {
			if ipui, err := gigaset.ParseIPUI(h.Spec.IPUI); err == nil {
				c.IPUI = ipui
				ipuis[h.Name] = ipui
			}
		}
		claims = append(claims, c)
	}
	// A record being taken back holds the slots of the handsets that are not there yet
	// as claims of their own, the oldest of all, and keeps serving what they had.
	var absent []string
	if holdAbsent {
		for _, name := range owners {
			if _, there := byName[name]; name != "" && !there {
				absent = append(absent, name)
				claims = append(claims, slots.Claim{Name: name})
			}
		}
	}
	result := slots.Assign(claims, owners, gigaset.NumSlots)
	for _, name := range absent {
		if slot, holds := result.Slot[name]; holds {
			doc.Slots[slot] = lastGood(previous, slot, name)
		}
	}

	for _, name := range slices.Sorted(maps.Keys(byName)) {
		h := byName[name]
		outcome := Handset{}
		if p, lost := result.Problems[name]; lost {
			outcome.Problem = &Problem{Reason: string(p.Reason), Message: p.Message}
		}
		if m, moved := result.Moved[name]; moved {
			outcome.Moved = &m
		}
		slot, holds := result.Slot[name]
		if !holds {
			out.Handsets[name] = outcome
			continue
		}
		outcome.Slot = &slot

		settings, problem := slotSettings(h, ipuis[name], in.Secrets, in.Refused)
		if outcome.Problem == nil && problem != nil {
			outcome.Problem = problem
		}
		if outcome.Problem == nil {
			doc.Slots[slot] = settings
			outcome.SettingsHash = settingsHash(in.HashKey, slot, settings)
		} else {
			// Keep serving the slot's last good settings: a missing Secret or a conflict
			// must never take a working phone off the air.
			doc.Slots[slot] = lastGood(previous, slot, name)
		}
		outcome.IPUI = doc.Slots[slot].IPUI
		out.Handsets[name] = outcome
	}
	dropDuplicateReservations(doc, out)
}

// slotSettings is the slot a Handset asks for, or the problem that prevents it.
func slotSettings(h *dectv1alpha1.Handset, ipui string, secrets Secrets, refused Refused) (gigaset.Slot, *Problem) {
	sip := h.Spec.SIP
	s := gigaset.Slot{
		Owner:          h.Name,
		Active:         enabled(h),
		UserID:         string(sip.UserID),
		LoginID:        cmp.Or(string(sip.LoginID), string(sip.UserID)),
		DisplayName:    string(sip.DisplayName),
		AccountName:    cmp.Or(string(sip.AccountName), string(sip.UserID)),
		MailboxEnabled: sip.Mailbox != "",
		MailboxNumber:  string(sip.Mailbox),
		IPUI:           ipui,
	}
	pw, ok := secrets.value(&sip.PasswordSecretRef)
	if !ok {
		return s, refused.secretProblem(&sip.PasswordSecretRef)
	}
	s.Password = pw
	return s, nil
}

// validate checks the document against the device profile. A slot that fails takes the
// problem to its handset and falls back to its last good settings (or, should those fail
// too, to an empty claimed slot); a problem of the base's own settings is returned.
func validate(previous *gigaset.Document, profile *gigaset.Profile, out *Result) error {
	doc := &out.Document
	for pass := 0; ; pass++ {
		err := doc.Validate(profile)
		if err == nil {
			return nil
		}
		var baseErrs []string
		for _, fe := range gigaset.FieldErrors(err) {
			if fe.Slot < 0 || doc.Slots[fe.Slot].Owner == "" {
				baseErrs = append(baseErrs, fe.Error())
				continue
			}
			name := doc.Slots[fe.Slot].Owner
			h := out.Handsets[name]
			if h.Problem == nil {
				h.Problem = &Problem{Reason: dectv1alpha1.ReasonInvalidSettings, Message: fe.Field + ": " + fe.Msg}
				h.SettingsHash = ""
			}
			if pass == 0 {
				doc.Slots[fe.Slot] = lastGood(previous, fe.Slot, name)
			} else {
				doc.Slots[fe.Slot] = gigaset.Slot{Owner: name}
			}
			h.IPUI = doc.Slots[fe.Slot].IPUI
			out.Handsets[name] = h
		}
		if len(baseErrs) > 0 {
			return errors.New(strings.Join(baseErrs, "; "))
		}
		if pass == 2 {
			return err
		}
	}
}

// lastGood is what slot held before, if it was this handset's; otherwise a placeholder
// that keeps the slot claimed for it without activating anything.
func lastGood(previous *gigaset.Document, slot int, owner string) gigaset.Slot {
	if previous != nil && previous.Slots[slot].Owner == owner {
		return previous.Slots[slot]
	}
	return gigaset.Slot{Owner: owner}
}

// dropDuplicateReservations lifts a reservation that a kept (last good) slot still holds
// when a handset that won the IPUI has it now: the device accepts each IPUI in one slot.
func dropDuplicateReservations(doc *gigaset.Document, out *Result) {
	winners := map[string]bool{}
	for _, h := range out.Handsets {
		if h.Problem == nil && h.IPUI != "" {
			winners[h.IPUI] = true
		}
	}
	seen := map[string]bool{}
	for name, h := range out.Handsets {
		if h.Slot == nil || h.IPUI == "" || h.Problem == nil {
			continue
		}
		if winners[h.IPUI] || seen[h.IPUI] {
			doc.Slots[*h.Slot].IPUI = ""
			h.IPUI = ""
			out.Handsets[name] = h
			continue
		}
		seen[h.IPUI] = true
	}
}

func settingsHash(key []byte, slot int, s gigaset.Slot) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%d\x00%t\x00%s\x00%s\x00%s\x00%s\x00%s\x00%t\x00%s\x00%s",
		slot, s.Active, s.UserID, s.LoginID, s.Password, s.DisplayName, s.AccountName,
		s.MailboxEnabled, s.MailboxNumber, s.IPUI)
	return hex.EncodeToString(m.Sum(nil))[:16]
}

func (s Secrets) value(ref *dectv1alpha1.SecretKeyRef) (string, bool) {
	data, ok := s[ref.Name]
	if !ok {
		return "", false
	}
	v, ok := data[cmp.Or(ref.Key, "password")]
	if !ok || len(v) == 0 {
		return "", false
	}
	return string(v), true
}

// joinProblems is one problem for several: SecretNotConsumable when any is (a person
// can fix that one now), else the first one's reason; the messages joined.
func joinProblems(ps []*Problem) *Problem {
	out := &Problem{Reason: ps[0].Reason}
	msgs := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.Reason == dectv1alpha1.ReasonSecretNotConsumable {
			out.Reason = p.Reason
		}
		msgs = append(msgs, p.Message)
	}
	out.Message = strings.Join(msgs, "; ")
	return out
}

func missing(ref *dectv1alpha1.SecretKeyRef) string {
	return fmt.Sprintf("Secret %s has no key %q (or does not exist)", ref.Name, cmp.Or(ref.Key, "password"))
}

func enabled(h *dectv1alpha1.Handset) bool { return h.Spec.Enabled == nil || *h.Spec.Enabled }

func reservations(d *gigaset.Document) []string {
	var r []string
	for _, s := range d.Slots {
		if s.IPUI != "" {
			r = append(r, s.IPUI)
		}
	}
	slices.Sort(r)
	return r
}

func previousWindow(d *gigaset.Document) *window.Window {
	if d == nil {
		return nil
	}
	return &window.Window{Start: d.Registration.WindowStart, Duration: d.Registration.WindowSeconds}
}

func previousExtra(d *gigaset.Document, id string) (string, bool) {
	if d == nil {
		return "", false
	}
	for _, it := range d.Extra {
		if it.ID == id {
			return it.Value, true
		}
	}
	return "", false
}

func provider(sip *dectv1alpha1.SIPProvider) *gigaset.Provider {
	if sip == nil {
		return nil
	}
	server := cmp.Or(string(sip.Server), string(sip.Domain))
	port := int(cmp.Or(sip.Port, 5060))
	reregister := 180
	if sip.ReRegistrationInterval != nil {
		reregister = int(sip.ReRegistrationInterval.Duration / time.Second)
	}
	p := &gigaset.Provider{
		Name:                  cmp.Or(string(sip.Name), "PBX"),
		Domain:                string(sip.Domain),
		Server:                server,
		ServerPort:            port,
		Registrar:             cmp.Or(string(sip.Registrar), server),
		RegistrarPort:         int(cmp.Or(sip.RegistrarPort, int32(port))),
		OutboundProxy:         string(sip.OutboundProxy),
		OutboundProxyPort:     int(cmp.Or(sip.OutboundProxyPort, 5060)),
		ReRegistrationSeconds: reregister,
		Transport:             cmp.Or(sip.Transport, "UDP"),
	}
	return p
}

func timeSettings(t *dectv1alpha1.TimeSettings) *gigaset.Time {
	if t == nil {
		return nil
	}
	return &gigaset.Time{
		NTPServer:    string(t.NTPServer),
		TimezoneCode: int(t.TimezoneCode),
		AutomaticDST: t.AutomaticDST == nil || *t.AutomaticDST,
	}
}

func timeOrZero(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func durationOrZero(d *metav1.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}
