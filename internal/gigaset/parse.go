package gigaset

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Limits of Parse. Documents come from ConfigMaps and from the network; the limits
// keep a hostile or broken input from costing more than a few milliseconds.
const (
	// MaxDocumentSize is the largest input Parse reads. A full document from Render
	// (100 slots and the maximum of extra items) stays well below it.
	MaxDocumentSize = 4 << 20
	// MaxItems is the largest number of SYMB_ITEMs Parse reads.
	MaxItems = 4096
	// maxTokens bounds all XML tokens (items, comments, whitespace).
	maxTokens = 8 * MaxItems
)

// Parse reads a document (the public part alone, or the joined file) back into the
// model; it is how the operator rebuilds the slot table from the stored document.
//
// Parse is strict, because a document it misreads would reassign or clear slots:
// the XML must be well-formed, the root <ProviderFrame> with one <Provider>, items
// empty elements with exactly their attributes; MAC_ADDRESS is required and
// canonical; every value must decode with its entry's encoding; the registration
// items and every non-secret item of every slot are required; provider and time
// items come all together or not at all; no setting may appear twice; slot numbers
// must be 0..99. Secret items are optional, so that the public part parses alone,
// giving the model without secrets. Unknown IDs become Extra items, Secret only
// when the document marks them with a secret-item comment. Finally the result must
// pass Validate, so a parsed Document always renders.
//
// Parse never panics, and caps input size (MaxDocumentSize) and item count
// (MaxItems).
func Parse(full []byte, p *Profile) (*Document, error) {
	if p == nil {
		return nil, errors.New("no device profile")
	}
	if len(full) > MaxDocumentSize {
		return nil, fmt.Errorf("document is %d bytes; at most %d are read", len(full), MaxDocumentSize)
	}
	ps := &parser{p: p, dec: xml.NewDecoder(bytes.NewReader(full))}
	ps.dec.CharsetReader = charsetReader
	if err := ps.read(); err != nil {
		return nil, err
	}
	return ps.build()
}

type rawItem struct {
	id, value string
	line, seq int
}

type rawComment struct {
	comment
	line, seq int
}

type parser struct {
	p        *Profile
	dec      *xml.Decoder
	mac      *rawItem
	profile  *rawItem
	firmware map[string]*rawItem // by element name
	items    []rawItem
	comments []rawComment
	seq      int
}

// States of read: where in the fixed document structure the decoder is.
const (
	stProlog   = iota // before the root
	stFrame           // in <ProviderFrame>, before <Provider>
	stProvider        // in <Provider>
	stLeaf            // in an item element
	stFrameEnd        // in <ProviderFrame>, after </Provider>
	stEpilog          // after </ProviderFrame>
)

func (ps *parser) line() int {
	line, _ := ps.dec.InputPos()
	return line
}

func (ps *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", ps.line(), fmt.Sprintf(format, args...))
}

func (ps *parser) read() error {
	state := stProlog
	for n := 0; ; n++ {
		if n == maxTokens {
			return ps.errorf("more than %d XML tokens", maxTokens)
		}
		tok, err := ps.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if n != 0 || t.Target != "xml" {
				return ps.errorf("unexpected processing instruction <?%s?>; only the XML declaration is allowed, first", quoteInput(t.Target))
			}
		case xml.Directive:
			return ps.errorf("directives such as <!DOCTYPE> are not allowed")
		case xml.CharData:
			if text := bytes.Trim(t, " \t\r\n"); len(text) > 0 {
				return ps.errorf("unexpected text %s; the document holds only elements and comments", quoteInput(string(text)))
			}
		case xml.Comment:
			if state != stProvider {
				continue
			}
			c, ok, err := parseComment(string(t))
			if err != nil {
				return ps.errorf("%v", err)
			}
			if ok {
				ps.comments = append(ps.comments, rawComment{c, ps.line(), ps.seq})
				ps.seq++
			}
		case xml.StartElement:
			if state, err = ps.start(state, t); err != nil {
				return err
			}
		case xml.EndElement:
			switch state {
			case stLeaf:
				state = stProvider
			case stProvider:
				state = stFrameEnd
			default:
				state = stEpilog
			}
		}
	}
	switch state {
	case stEpilog:
		return nil
	case stProlog:
		return errors.New("no root element; expected <ProviderFrame>")
	default:
		return errors.New("document ends before </ProviderFrame>")
	}
}

func (ps *parser) start(state int, t xml.StartElement) (int, error) {
	name := t.Name.Local
	if t.Name.Space != "" {
		name = t.Name.Space + ":" + name
	}
	if len(name) > maxQuoted {
		name = name[:maxQuoted] + "..."
	}
	switch state {
	case stProlog:
		if name != "ProviderFrame" {
			return 0, ps.errorf("root element is <%s>; expected <ProviderFrame>", name)
		}
		return stFrame, nil
	case stFrame:
		if name != "Provider" {
			return 0, ps.errorf("unexpected element <%s> in <ProviderFrame>; expected <Provider>", name)
		}
		return stProvider, nil
	case stProvider:
	case stLeaf:
		return 0, ps.errorf("element <%s> inside an item; items are empty elements", name)
	case stFrameEnd:
		return 0, ps.errorf("unexpected element <%s> after </Provider>; a document has one <Provider>", name)
	default:
		return 0, ps.errorf("element <%s> after </ProviderFrame>; a document has one root element", name)
	}
	var want []string
	switch name {
	case "SYMB_ITEM":
		want = []string{"ID", "class", "value"}
	case "MAC_ADDRESS":
		want = []string{"value"}
	case "PROFILE_NAME", ElementFirmwareManager, ElementFirmwareBases:
		want = []string{"class", "value"}
	default:
		return 0, ps.errorf("unexpected element <%s> in <Provider>; expected MAC_ADDRESS, PROFILE_NAME, %s, %s or SYMB_ITEM",
			name, ElementFirmwareManager, ElementFirmwareBases)
	}
	attrs := make(map[string]string, len(want))
	for _, a := range t.Attr {
		key := a.Name.Local
		if a.Name.Space != "" {
			key = a.Name.Space + ":" + key
		}
		if !slices.Contains(want, key) {
			return 0, ps.errorf("<%s> has the unexpected attribute %s; expected %s", name, quoteInput(key), strings.Join(want, ", "))
		}
		if _, dup := attrs[key]; dup {
			return 0, ps.errorf("<%s> has the attribute %s twice", name, key)
		}
		attrs[key] = a.Value
	}
	for _, key := range want {
		if _, ok := attrs[key]; !ok {
			return 0, ps.errorf("<%s> lacks the attribute %s", name, key)
		}
	}
	it := rawItem{id: attrs["ID"], value: attrs["value"], line: ps.line(), seq: ps.seq}
	ps.seq++
	switch name {
	case "SYMB_ITEM":
		if attrs["class"] != "symb_item" {
			return 0, ps.errorf("SYMB_ITEM %s: class is %s; expected \"symb_item\"", quoteInput(it.id), quoteInput(attrs["class"]))
		}
		if len(ps.items) == MaxItems {
			return 0, ps.errorf("more than %d SYMB_ITEMs", MaxItems)
		}
		ps.items = append(ps.items, it)
	case "MAC_ADDRESS":
		if ps.mac != nil {
			return 0, ps.errorf("second <MAC_ADDRESS> (the first is on line %d)", ps.mac.line)
		}
		ps.mac = &it
	case ElementFirmwareManager, ElementFirmwareBases:
		if attrs["class"] != "string" {
			return 0, ps.errorf("%s: class is %s; expected \"string\"", name, quoteInput(attrs["class"]))
		}
		if prev := ps.firmware[name]; prev != nil {
			return 0, ps.errorf("second <%s> (the first is on line %d)", name, prev.line)
		}
		if ps.firmware == nil {
			ps.firmware = map[string]*rawItem{}
		}
		ps.firmware[name] = &it
	default:
		if attrs["class"] != "string" {
			return 0, ps.errorf("PROFILE_NAME: class is %s; expected \"string\"", quoteInput(attrs["class"]))
		}
		if ps.profile != nil {
			return 0, ps.errorf("second <PROFILE_NAME> (the first is on line %d)", ps.profile.line)
		}
		ps.profile = &it
	}
	return stLeaf, nil
}

// decoded is one modelled item read from the document.
type decoded struct {
	v    value
	line int
	set  bool
}

// cells holds the decoded modelled items, indexed by entry and slot.
type cells []decoded

func (c cells) at(t itemTarget) *decoded { return &c[t.entry*NumSlots+max(t.slot, 0)] }

// build turns what read collected into a Document: header, modelled items, groups,
// derived values, owners, extras, and finally full validation.
func (ps *parser) build() (*Document, error) {
	if ps.mac == nil {
		return nil, errors.New("missing <MAC_ADDRESS>: a document without it is ignored by every device")
	}
	if c, err := ParseMAC(ps.mac.value); err != nil || c != ps.mac.value {
		return nil, fmt.Errorf("line %d: MAC_ADDRESS %s: expected 12 upper-case hex digits without separators, e.g. 7C2F80CA21E4",
			ps.mac.line, quoteInput(ps.mac.value))
	}
	d := &Document{MAC: ps.mac.value}
	if ps.profile != nil {
		d.ProfileName = ps.profile.value
	}
	for name, dst := range map[string]*string{ElementFirmwareManager: &d.Firmware.Manager, ElementFirmwareBases: &d.Firmware.Bases} {
		if it := ps.firmware[name]; it != nil {
			inner, opened := strings.CutPrefix(it.value, `"`)
			url, closed := strings.CutSuffix(inner, `"`)
			if !opened || !closed {
				return nil, fmt.Errorf("line %d: %s: expected a URL in double quotes", it.line, name)
			}
			*dst = url
		}
	}
	got, extras, err := ps.decodeItems()
	if err != nil {
		return nil, err
	}
	if err := ps.apply(d, got); err != nil {
		return nil, err
	}
	if err := ps.owners(d); err != nil {
		return nil, err
	}
	if err := ps.extras(d, extras); err != nil {
		return nil, err
	}
	if err := d.Validate(ps.p); err != nil {
		return nil, fmt.Errorf("document is not valid: %w", err)
	}
	return d, nil
}

// decodeItems sorts the items into modelled ones (decoded into cells) and extras.
func (ps *parser) decodeItems() (cells, []rawItem, error) {
	p := ps.p
	got := make(cells, len(p.entries)*NumSlots)
	var extras []rawItem
	extraLine := make(map[string]int)
	for _, it := range ps.items {
		path, err := parseItemID(it.id, false)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: SYMB_ITEM %w", it.line, err)
		}
		t, modelled, err := p.classify(path, it.id)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: SYMB_ITEM %s: %w", it.line, it.id, err)
		}
		if !modelled {
			if prev, dup := extraLine[it.id]; dup {
				return nil, nil, fmt.Errorf("line %d: SYMB_ITEM %s appears twice (also line %d)", it.line, it.id, prev)
			}
			extraLine[it.id] = it.line
			extras = append(extras, it)
			continue
		}
		what := func() string {
			if t.slot < 0 {
				return string(p.entries[t.entry].Param)
			}
			return fmt.Sprintf("%s (slot %d)", p.entries[t.entry].Param, t.slot)
		}
		cell := got.at(t)
		if cell.set {
			return nil, nil, fmt.Errorf("line %d: SYMB_ITEM %s sets %s again (also line %d)", it.line, it.id, what(), cell.line)
		}
		v, err := p.decodeValue(&p.entries[t.entry], p.specs[t.entry].kind, it.value)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: SYMB_ITEM %s, %s: %w", it.line, it.id, what(), err)
		}
		*cell = decoded{v: v, line: it.line, set: true}
	}
	return got, extras, nil
}

// apply creates the groups that are present, checks that each is complete, sets
// the values, and checks derived parameters against what the rest implies.
func (ps *parser) apply(d *Document, got cells) error {
	p := ps.p
	for i, spec := range p.specs {
		if spec.perSlot() || !got.at(itemTarget{i, -1}).set {
			continue
		}
		switch {
		case spec.group == groupProvider && d.Provider == nil:
			d.Provider = &Provider{}
		case spec.group == groupTime && d.Time == nil:
			d.Time = &Time{}
		}
	}
	missing, first := 0, ""
	for i, spec := range p.specs {
		e := &p.entries[i]
		if e.Secret {
			continue // the public part alone has no secrets
		}
		switch {
		case spec.perSlot():
			for s := range NumSlots {
				if !got.at(itemTarget{i, s}).set {
					if missing++; missing == 1 {
						first = fmt.Sprintf("slot %d %s (%s)", s, e.Param, p.itemID(i, s))
					}
				}
			}
		case spec.group == groupProvider || spec.group == groupTime || spec.group == groupRegistration:
			if spec.group.present(d) && !got.at(itemTarget{i, -1}).set {
				if missing++; missing == 1 {
					first = fmt.Sprintf("%s (%s)", e.Param, e.ID)
				}
			}
		}
	}
	if missing > 0 {
		return fmt.Errorf("%d modelled items are missing, first %s: a document lists every slot, "+
			"the registration items, and provider and time items all together or not at all", missing, first)
	}
	for i, spec := range p.specs {
		if spec.set != nil {
			p.eachCell(i, got, func(slot int, c *decoded) { spec.set(d, slot, c.v) })
		}
	}
	var err error
	for i, spec := range p.specs {
		if spec.set != nil {
			continue
		}
		p.eachCell(i, got, func(slot int, c *decoded) {
			if want := spec.get(d, slot); want != c.v && err == nil {
				err = fmt.Errorf("line %d: %s is %d, which disagrees with the rest of the document (expected %d): %s",
					c.line, p.entries[i].Param, c.v.n, want.n, p.entries[i].Note)
			}
		})
	}
	return err
}

// eachCell calls f for every decoded item of entry i, with its slot (-1 for a base
// entry).
func (p *Profile) eachCell(i int, got cells, f func(slot int, c *decoded)) {
	if !p.specs[i].perSlot() {
		if c := &got[i*NumSlots]; c.set {
			f(-1, c)
		}
		return
	}
	for s := range NumSlots {
		if c := &got[i*NumSlots+s]; c.set {
			f(s, c)
		}
	}
}

func (ps *parser) owners(d *Document) error {
	seen := make(map[int]int)
	for _, c := range ps.comments {
		if c.slot < 0 {
			continue
		}
		if prev, dup := seen[c.slot]; dup {
			return fmt.Errorf("line %d: second comment for slot %d (the first is on line %d)", c.line, c.slot, prev)
		}
		seen[c.slot] = c.line
		d.Slots[c.slot].Owner = c.owner
	}
	return nil
}

// extras restores Document.Extra: items in document order, except that an item
// named by a secret-item comment takes the comment's place and is marked Secret.
// A secret-item comment without its item (the public part parsed alone) is dropped.
func (ps *parser) extras(d *Document, items []rawItem) error {
	type placed struct {
		seq  int
		item Item
	}
	holders := make(map[string]*rawComment)
	for i := range ps.comments {
		c := &ps.comments[i]
		if c.secretID == "" {
			continue
		}
		if prev, dup := holders[c.secretID]; dup {
			return fmt.Errorf("line %d: second secret item comment for %s (the first is on line %d)", c.line, c.secretID, prev.line)
		}
		path, _ := parseItemID(c.secretID, false)
		if _, modelled, err := ps.p.classify(path, c.secretID); err != nil || modelled {
			return fmt.Errorf("line %d: secret item comment names %s, a modelled parameter; only extra items are marked this way", c.line, c.secretID)
		}
		holders[c.secretID] = c
	}
	out := make([]placed, 0, len(items))
	for _, it := range items {
		if c, ok := holders[it.id]; ok {
			out = append(out, placed{c.seq, Item{ID: it.id, Value: it.value, Secret: true}})
			continue
		}
		out = append(out, placed{it.seq, Item{ID: it.id, Value: it.value}})
	}
	slices.SortStableFunc(out, func(a, b placed) int { return a.seq - b.seq })
	for _, x := range out {
		d.Extra = append(d.Extra, x.item)
	}
	return nil
}

// charsetReader lets encoding/xml read the ISO-8859-1 the device's files declare.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso_8859-1", "iso8859-1", "latin1", "latin-1", "l1":
	default:
		return nil, fmt.Errorf("encoding %s is not supported; expected ISO-8859-1 or UTF-8", quoteInput(label))
	}
	raw, err := io.ReadAll(io.LimitReader(input, MaxDocumentSize))
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(raw)+len(raw)/8)
	for _, b := range raw {
		if b < 0x80 {
			out = append(out, b)
		} else {
			out = append(out, 0xC0|b>>6, 0x80|b&0x3F)
		}
	}
	return bytes.NewReader(out), nil
}
