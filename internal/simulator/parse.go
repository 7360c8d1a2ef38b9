package simulator

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultMaxFileSize bounds the files the simulator reads. The N720's own limit is
// unknown; a complete document for 100 slots is about 120 KB, so this leaves room for
// provider, base and extra items while a runaway server cannot fill memory.
const DefaultMaxFileSize = 512 << 10

// File is a provisioning file as the simulator read it.
type File struct {
	MAC         string // the MAC_ADDRESS value as written
	ProfileName string
	Items       []Item // in file order
	Warnings    []Problem

	// FirmwareURL and SATFirmwareURL are the images the top-level elements
	// S_SPECIAL_DATA_SRV_IWU (the DECT Manager) and S_SPECIAL_DATA_SRV_SAT (the base
	// stations) name, without their quotes; "" when an element is empty.
	FirmwareURL, SATFirmwareURL string

	hasProfileName bool // a file without PROFILE_NAME leaves the device's unchanged
	hasFirmware    bool // S_SPECIAL_DATA_SRV_IWU present
	hasSATFirmware bool
}

// Item is one SYMB_ITEM. Its value is syntactically valid (a quoted string, an integer
// or a byte list); whether it suits the field it addresses is checked when it is
// applied.
type Item struct {
	ID    string
	Value string // the value attribute: XML-unescaped, converted to UTF-8, quotes kept
	Line  int
}

// ParseFile reads a provisioning file as the device with the given MAC would, bounded
// by DefaultMaxFileSize. The File is never nil: when the error (a *FileError) is not
// nil, it holds what could be read and its warnings, and must not be applied.
func ParseFile(data []byte, mac string) (*File, error) {
	f, ferr := parseFile(data, mac, DefaultMaxFileSize)
	if ferr != nil {
		return f, ferr
	}
	return f, nil
}

func parseFile(data []byte, mac string, limit int) (*File, *FileError) {
	p := &parser{file: &File{}, deviceMAC: mac}
	ferr := p.parse(data, limit)
	p.file.Warnings = p.warnings.list()
	return p.file, ferr
}

type parser struct {
	dec       *xml.Decoder
	deviceMAC string
	file      *File
	macLine   int // line of MAC_ADDRESS; 0 = not seen
	itemErrs  problemList
	warnings  problemList
}

func (p *parser) parse(data []byte, limit int) *FileError {
	if len(data) > limit {
		return fileError(ReasonTooLarge, Problem{Message: fmt.Sprintf(
			"the file is larger than the %d bytes the simulator reads", limit)})
	}
	if ferr := checkDeclaration(data); ferr != nil {
		return ferr
	}
	p.warnings.addAll(encodingWarnings(data))

	// The declaration was checked above, so the decoder is given the text already
	// converted from ISO-8859-1 and told to take it as it is.
	p.dec = xml.NewDecoder(bytes.NewReader(latin1ToUTF8(data)))
	p.dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if ferr := p.document(); ferr != nil {
		return ferr
	}

	if p.macLine == 0 {
		return fileError(ReasonStructure, Problem{Message: "no MAC_ADDRESS element: the device cannot tell that the file is meant for it"})
	}
	if !strings.EqualFold(p.file.MAC, p.deviceMAC) {
		problems := []Problem{{Line: p.macLine, Message: fmt.Sprintf(
			"the file is for MAC %q, this device is %s", p.file.MAC, p.deviceMAC)}}
		return fileError(ReasonMACMismatch, append(problems, p.itemErrs.list()...)...)
	}
	if !p.itemErrs.empty() {
		return fileError(ReasonMalformedItems, p.itemErrs.list()...)
	}
	return nil
}

func fileError(reason IgnoreReason, problems ...Problem) *FileError {
	return &FileError{Reason: reason, Problems: problems}
}

// checkDeclaration requires an XML declaration at the very start that declares
// ISO-8859-1. Without one, an XML reader assumes UTF-8, which is not what the N720
// reads; a strict check shows the mismatch before names turn into mojibake.
func checkDeclaration(data []byte) *FileError {
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		return fileError(ReasonEncoding, Problem{Line: 1, Message: "the file begins with a UTF-8 byte order mark, not with the XML declaration"})
	}
	if !bytes.HasPrefix(data, []byte("<?xml")) || len(data) < 6 || !isXMLSpace(data[5]) {
		return fileError(ReasonEncoding, Problem{Line: 1, Message: "the file does not begin with an XML declaration <?xml ... encoding=\"ISO-8859-1\"?>"})
	}
	end := bytes.Index(data, []byte("?>"))
	if end < 0 {
		return fileError(ReasonSyntax, Problem{Line: 1, Message: "unterminated XML declaration"})
	}
	enc, ok := pseudoAttr(string(data[len("<?xml"):end]), "encoding")
	switch {
	case !ok:
		return fileError(ReasonEncoding, Problem{Line: 1, Message: "the XML declaration names no encoding, so it means UTF-8; the N720 reads ISO-8859-1"})
	case !strings.EqualFold(enc, "ISO-8859-1"):
		return fileError(ReasonEncoding, Problem{Line: 1, Message: fmt.Sprintf("the XML declaration names encoding %q; the N720 reads ISO-8859-1", enc)})
	}
	return nil
}

// pseudoAttr returns the value of name="..." (or '...') in the body of a declaration.
func pseudoAttr(decl, name string) (string, bool) {
	for s := decl; ; {
		s = strings.TrimLeft(s, " \t\r\n")
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return "", false
		}
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
			return "", false
		}
		val, after, ok := strings.Cut(rest[1:], rest[:1])
		if !ok {
			return "", false
		}
		if strings.TrimSpace(key) == name {
			return val, true
		}
		s = after
	}
}

func isXMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// line is the current line of the decoder: for a start tag just read, the line where
// the tag ends, which for the one-line elements of these files is the element's line.
func (p *parser) line() int {
	l, _ := p.dec.InputPos()
	return l
}

// token reads the next token inside the root element, where the end of the input is
// an error.
func (p *parser) token() (xml.Token, *FileError) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntaxError(err)
	}
	return tok, nil
}

// syntaxError converts an error from the decoder to a FileError.
func (p *parser) syntaxError(err error) *FileError {
	if errors.Is(err, io.EOF) {
		return fileError(ReasonSyntax, Problem{Line: p.line(), Message: "unexpected end of file"})
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fileError(ReasonSyntax, Problem{Line: se.Line, Message: se.Msg})
	}
	return fileError(ReasonSyntax, Problem{Line: p.line(), Message: err.Error()})
}

// document reads the prolog, the root element and what follows it.
func (p *parser) document() *FileError {
	for {
		tok, err := p.dec.Token()
		if errors.Is(err, io.EOF) {
			return fileError(ReasonStructure, Problem{Line: p.line(), Message: "no root element"})
		}
		if err != nil {
			return p.syntaxError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !isPlain(t.Name, "ProviderFrame") {
				return fileError(ReasonStructure, Problem{Line: p.line(), Message: fmt.Sprintf("root element is <%s>, want <ProviderFrame>", qname(t.Name))})
			}
			if ferr := p.providerFrame(); ferr != nil {
				return ferr
			}
			return p.epilog()
		case xml.CharData:
			if !isBlank(t) {
				return fileError(ReasonStructure, Problem{Line: p.line(), Message: "text before the root element"})
			}
		case xml.Directive:
			p.warn(Problem{Line: p.line(), Message: "<!...> declaration ignored"})
		}
	}
}

// epilog accepts only comments, processing instructions and white space after the root.
func (p *parser) epilog() *FileError {
	for {
		tok, err := p.dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return p.syntaxError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return fileError(ReasonStructure, Problem{Line: p.line(), Message: fmt.Sprintf("element <%s> after the root element", qname(t.Name))})
		case xml.CharData:
			if !isBlank(t) {
				return fileError(ReasonStructure, Problem{Line: p.line(), Message: "text after the root element"})
			}
		}
	}
}

// providerFrame reads the root's content: exactly one Provider.
func (p *parser) providerFrame() *FileError {
	providers := 0
	for {
		tok, ferr := p.token()
		if ferr != nil {
			return ferr
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !isPlain(t.Name, "Provider") {
				p.warn(Problem{Line: p.line(), Message: fmt.Sprintf("unknown element <%s> in <ProviderFrame> ignored", qname(t.Name))})
				if ferr := p.skip(); ferr != nil {
					return ferr
				}
				continue
			}
			if providers++; providers > 1 {
				return fileError(ReasonStructure, Problem{Line: p.line(), Message: "more than one <Provider>"})
			}
			if ferr := p.provider(); ferr != nil {
				return ferr
			}
		case xml.CharData:
			if !isBlank(t) {
				p.warn(Problem{Line: p.line(), Message: "text in <ProviderFrame> ignored"})
			}
		case xml.EndElement:
			if providers == 0 {
				return fileError(ReasonStructure, Problem{Line: p.line(), Message: "no <Provider> in <ProviderFrame>"})
			}
			return nil
		}
	}
}

// provider reads the settings.
func (p *parser) provider() *FileError {
	for {
		tok, ferr := p.token()
		if ferr != nil {
			return ferr
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if ferr := p.setting(t); ferr != nil {
				return ferr
			}
		case xml.CharData:
			if !isBlank(t) {
				p.warn(Problem{Line: p.line(), Message: "text in <Provider> ignored"})
			}
		case xml.EndElement:
			return nil
		}
	}
}

// setting reads one child of Provider, including its end tag.
func (p *parser) setting(t xml.StartElement) *FileError {
	line := p.line()
	name := ""
	if t.Name.Space == "" {
		name = t.Name.Local
	}
	switch name {
	case "MAC_ADDRESS":
		if p.macLine != 0 {
			return fileError(ReasonStructure, Problem{Line: line, Message: fmt.Sprintf("second MAC_ADDRESS (the first is on line %d)", p.macLine)})
		}
		v, ok := attr(t, "value")
		if !ok {
			return fileError(ReasonStructure, Problem{Line: line, Message: "MAC_ADDRESS without a value"})
		}
		p.file.MAC, p.macLine = v, line
	case "PROFILE_NAME":
		if v, ok := attr(t, "value"); ok {
			p.file.ProfileName, p.file.hasProfileName = v, true
		} else {
			p.warn(Problem{Line: line, Message: "PROFILE_NAME without a value ignored"})
		}
	case "SYMB_ITEM":
		return p.symbItem(t, line)
	case "VERSION":
		p.warn(Problem{Line: line, Message: "VERSION element ignored: its effect on the device is unconfirmed"})
	case "S_SPECIAL_DATA_SRV_IWU":
		p.file.FirmwareURL, p.file.hasFirmware = p.firmwareURL(t, line)
	case "S_SPECIAL_DATA_SRV_SAT":
		p.file.SATFirmwareURL, p.file.hasSATFirmware = p.firmwareURL(t, line)
	default:
		p.warn(Problem{Line: line, Message: fmt.Sprintf("unknown element <%s> ignored", qname(t.Name))})
	}
	return p.skip()
}

// firmwareURL reads a firmware element: class="string" and a value that is a URL in
// double quotes, or empty (written "" or not at all, as the production template
// writes "no firmware"). Anything else is a malformed item.
func (p *parser) firmwareURL(t xml.StartElement, line int) (string, bool) {
	name := qname(t.Name)
	if c, _ := attr(t, "class"); c != "string" {
		p.itemErrs.add(Problem{Line: line, ID: name, Message: fmt.Sprintf("class %q; want \"string\"", c)})
		return "", false
	}
	v, _ := attr(t, "value")
	if v == "" || v == `""` {
		return "", true
	}
	inner, ok := strings.CutPrefix(v, `"`)
	if inner, ok = strings.CutSuffix(inner, `"`); !ok || inner == "" || strings.ContainsAny(inner, "\"' \t\r\n") || !isLatin1(inner) {
		p.itemErrs.add(Problem{Line: line, ID: name, Message: "want a URL in double quotes, or an empty value"})
		return "", false
	}
	return inner, true
}

// symbItem reads one SYMB_ITEM. A malformed item is recorded, and reading goes on so
// that one report lists every malformed item of the file.
func (p *parser) symbItem(t xml.StartElement, line int) *FileError {
	var problems, unknown []string
	attrs := map[string]string{}
	for _, a := range t.Attr {
		key := a.Name.Local
		if a.Name.Space != "" {
			key = a.Name.Space + ":" + key
		}
		if _, dup := attrs[key]; dup {
			problems = append(problems, fmt.Sprintf("attribute %s given twice", key))
		}
		attrs[key] = a.Value
		switch key {
		case "ID", "class", "value":
		default:
			unknown = append(unknown, key)
		}
	}

	id, hasID := attrs["ID"]
	for _, key := range unknown {
		p.warn(Problem{Line: line, ID: id, Message: fmt.Sprintf("unknown attribute %s ignored", key)})
	}
	switch {
	case !hasID:
		problems = append(problems, "SYMB_ITEM without an ID")
	default:
		if err := checkID(id); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if class, ok := attrs["class"]; !ok {
		problems = append(problems, `no class (want class="symb_item")`)
	} else if class != "symb_item" {
		problems = append(problems, fmt.Sprintf(`class %q, want "symb_item"`, class))
	}
	val, hasValue := attrs["value"]
	switch {
	case !hasValue:
		problems = append(problems, "no value")
	case !isLatin1(val):
		problems = append(problems, "value holds a character outside ISO-8859-1 (from a character reference), which the device cannot store")
	default:
		if _, err := parseValue(val); err != nil {
			problems = append(problems, err.Error())
		}
	}

	empty, ferr := p.emptyContent()
	if ferr != nil {
		return ferr
	}
	if !empty {
		problems = append(problems, "SYMB_ITEM has content; it must be an empty element")
	}

	for _, msg := range problems {
		p.itemErrs.add(Problem{Line: line, ID: id, Message: msg})
	}
	if len(problems) == 0 {
		p.file.Items = append(p.file.Items, Item{ID: id, Value: val, Line: line})
	}
	return nil
}

// emptyContent consumes an element's content up to its end tag and reports whether it
// held nothing but white space and comments.
func (p *parser) emptyContent() (bool, *FileError) {
	empty := true
	for {
		tok, ferr := p.token()
		if ferr != nil {
			return false, ferr
		}
		switch t := tok.(type) {
		case xml.StartElement:
			empty = false
			if ferr := p.skip(); ferr != nil {
				return false, ferr
			}
		case xml.CharData:
			if !isBlank(t) {
				empty = false
			}
		case xml.EndElement:
			return empty, nil
		}
	}
}

// skip consumes the rest of the element whose start tag was just read.
func (p *parser) skip() *FileError {
	if err := p.dec.Skip(); err != nil {
		return p.syntaxError(err)
	}
	return nil
}

func (p *parser) warn(pr Problem) { p.warnings.add(pr) }

func attr(t xml.StartElement, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func isPlain(n xml.Name, local string) bool { return n.Space == "" && n.Local == local }

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func isBlank(b []byte) bool { return len(bytes.TrimLeft(b, " \t\r\n")) == 0 }

func isLatin1(s string) bool {
	for _, r := range s {
		if r > 0xFF {
			return false
		}
	}
	return true
}
