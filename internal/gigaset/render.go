package gigaset

import (
	"bytes"
	"errors"
	"strconv"
)

// Rendered is a rendered document split by audience.
type Rendered struct {
	// Document is the public part, safe to store in a ConfigMap: ISO-8859-1 bytes
	// without any secret item. Served alone it never blanks a password on the device,
	// because an item that the file does not mention keeps its value.
	Document []byte
	// Credentials holds the secret SYMB_ITEM lines only (SIP passwords, the web
	// password, secret extra items), to be stored in a Secret and joined at serving
	// time with Join.
	Credentials []byte
}

const (
	xmlHeader = `<?xml version="1.0" encoding="ISO-8859-1"?>` + "\n" +
		`<ProviderFrame xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="N720_general.xsd">` + "\n" +
		"  <Provider>\n"
	xmlFooter   = "  </Provider>\n</ProviderFrame>\n"
	closeMarker = "</Provider>"
	itemIndent  = "    "
)

// Render validates d against p and renders it. Validation comes first and is
// complete: nothing is rendered from a document with any problem, and the error
// lists every problem as FieldErrors (see FieldErrors).
//
// The output is deterministic: base items in profile order (provider, time, data
// server, registration), then for each slot 0..99 its owner comment and all of its
// items, then the extra items in their order.
func Render(d *Document, p *Profile) (Rendered, error) {
	if err := d.Validate(p); err != nil {
		return Rendered{}, err
	}
	pub := writer{buf: make([]byte, 0, 1024+NumSlots*1100+len(d.Extra)*160)}
	sec := writer{buf: make([]byte, 0, 128+NumSlots*110)}
	pub.raw(xmlHeader)
	pub.raw(itemIndent + `<MAC_ADDRESS value="`)
	pub.raw(d.MAC)
	pub.raw("\"/>\n" + itemIndent + `<PROFILE_NAME class="string" value="`)
	pub.text(d.ProfileName, '"')
	pub.raw("\"/>\n")
	for _, fw := range []struct{ element, url string }{{ElementFirmwareManager, d.Firmware.Manager}, {ElementFirmwareBases, d.Firmware.Bases}} {
		if fw.url == "" {
			continue
		}
		pub.raw(itemIndent + "<" + fw.element + ` class="string" value='"`)
		pub.text(fw.url, '\'')
		pub.raw("\"'/>\n")
	}

	for i := range p.entries {
		spec := p.specs[i]
		if spec.perSlot() || !spec.group.present(d) {
			continue
		}
		w := &pub
		if p.entries[i].Secret {
			w = &sec
		}
		w.entry(p, i, -1, spec.get(d, -1))
	}
	for s := range d.Slots {
		pub.raw(itemIndent + "<!-- slot ")
		pub.buf = strconv.AppendInt(pub.buf, int64(s), 10)
		pub.raw(": ")
		pub.raw(ownerLabel(d.Slots[s].Owner))
		pub.raw(" -->\n")
		for i := range p.entries {
			spec := p.specs[i]
			if !spec.perSlot() {
				continue
			}
			w := &pub
			if p.entries[i].Secret {
				w = &sec
			}
			w.entry(p, i, s, spec.get(d, s))
		}
	}
	for _, it := range d.Extra {
		if it.Secret {
			pub.raw(itemIndent + "<!-- " + secretComment)
			pub.raw(it.ID)
			pub.raw(" -->\n")
			sec.item(it.ID, it.Value)
			continue
		}
		pub.item(it.ID, it.Value)
	}
	pub.raw(xmlFooter)
	if pub.err != nil || sec.err != nil {
		return Rendered{}, errors.Join(pub.err, sec.err)
	}
	return Rendered{Document: pub.buf, Credentials: sec.buf}, nil
}

// Join returns the full file the device reads: the credential lines inserted just
// before the document's closing </Provider> line. With no </Provider> (not a
// document from Render) the credentials are appended, so that Parse fails loudly
// rather than the credentials being dropped without a trace.
func Join(document, credentials []byte) []byte {
	if len(credentials) == 0 {
		return bytes.Clone(document)
	}
	at := bytes.LastIndex(document, []byte(closeMarker))
	if at < 0 {
		return append(bytes.Clone(document), credentials...)
	}
	// Insert at the start of the </Provider> line when only indentation precedes it.
	lineStart := at
	for lineStart > 0 && (document[lineStart-1] == ' ' || document[lineStart-1] == '\t') {
		lineStart--
	}
	if lineStart > 0 && document[lineStart-1] != '\n' {
		lineStart = at
	}
	out := make([]byte, 0, len(document)+len(credentials)+1)
	out = append(out, document[:lineStart]...)
	out = append(out, credentials...)
	if credentials[len(credentials)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, document[lineStart:]...)
}

// writer builds one output in ISO-8859-1.
type writer struct {
	buf     []byte
	scratch []byte
	err     error
}

func (w *writer) raw(s string) { w.buf = append(w.buf, s...) }

// entry writes the item of entry i (for a slot, or -1) with value v.
func (w *writer) entry(p *Profile, i, slot int, v value) {
	e := &p.entries[i]
	w.scratch = p.appendValue(w.scratch[:0], e, p.specs[i].kind, v)
	w.raw(itemIndent + `<SYMB_ITEM ID="`)
	w.raw(p.itemID(i, slot))
	if e.Encoding.quoted() {
		w.raw(`" class="symb_item" value='"`)
		w.textBytes(w.scratch, '\'')
		w.raw("\"'/>\n")
		return
	}
	w.raw(`" class="symb_item" value="`)
	w.textBytes(w.scratch, '"')
	w.raw("\"/>\n")
}

// item writes a raw item; a value in double quotes is a string and goes into a
// single-quoted attribute, as the device expects.
func (w *writer) item(id, val string) {
	w.raw(itemIndent + `<SYMB_ITEM ID="`)
	w.raw(id)
	if len(val) >= 2 && val[0] == '"' {
		w.raw(`" class="symb_item" value='"`)
		w.text(val[1:len(val)-1], '\'')
		w.raw("\"'/>\n")
		return
	}
	w.raw(`" class="symb_item" value="`)
	w.text(val, '"')
	w.raw("\"/>\n")
}

func (w *writer) text(s string, quote byte) {
	for _, r := range s {
		w.rune(r, quote)
	}
}

func (w *writer) textBytes(s []byte, quote byte) {
	for _, r := range string(s) {
		w.rune(r, quote)
	}
}

// rune writes r as one ISO-8859-1 byte, XML-escaped for an attribute delimited by
// quote. Validation has refused everything outside Latin-1 and both quotes; the
// checks here only make a violated invariant an error instead of wrong bytes.
func (w *writer) rune(r rune, quote byte) {
	switch {
	case r == '&':
		w.raw("&amp;")
	case r == '<':
		w.raw("&lt;")
	case r == '>':
		w.raw("&gt;")
	case r == rune(quote):
		if quote == '"' {
			w.raw("&quot;")
		} else {
			w.raw("&apos;")
		}
	case r > 0xFF:
		if w.err == nil {
			w.err = errors.New("internal error: a character outside ISO-8859-1 passed validation")
		}
	default:
		w.buf = append(w.buf, byte(r))
	}
}
