package gigaset

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// propertyProfiles are the profiles TestRoundTripProperty checks: the default, and
// the alternatives of the window entries, whose encodings differ the most.
var propertyProfiles = []struct {
	name      string
	overrides []Override
	models    int // random models to generate; a tenth with -short
}{
	{"default", nil, 800},
	{"ddmmyyhhmm", []Override{{Param: ParamRegistrationWindowStart, Encoding: EncodingDDMMYYHHMM}}, 200},
	{"first release", oldWindowOverrides(EncodingInteger), 100},
	{"first release, little-endian", oldWindowOverrides(EncodingUint32LE), 100},
}

// TestRoundTripProperty renders random valid models with each profile and checks that
//
//	Parse(Join(doc, creds)) == model,
//	Parse(doc) == model without secrets,
//	Render(Parse(Join(doc, creds))) reproduces doc and creds byte for byte.
//
// with one allowance: ddmmyyhhmm holds whole minutes, so the window start reads back
// rounded up to the minute. A model whose window start that encoding cannot write
// must be refused by Render with an error on registration.windowStart, and is then
// not counted; the test fails unless at least three quarters of each profile's models
// made the whole round trip, so that a generator drifting into models a profile
// refuses cannot make the property hold vacuously.
//
// Each model has its own seed, printed on failure, so a failure replays alone.
func TestRoundTripProperty(t *testing.T) {
	for _, pp := range propertyProfiles {
		t.Run(pp.name, func(t *testing.T) {
			p, err := N720().WithOverrides(pp.overrides)
			if err != nil {
				t.Fatal(err)
			}
			models := pp.models
			if testing.Short() {
				models /= 10
			}
			start, _ := p.Entry(ParamRegistrationWindowStart)
			lossy := start.Encoding == EncodingDDMMYYHHMM
			ran, refused := 0, 0
			for seed := uint64(1); seed <= uint64(models); seed++ {
				g := &modelGen{r: rand.New(rand.NewPCG(seed, 0x5eed_d3c7))}
				d := g.document()
				r, err := Render(d, p)
				if err != nil && lossy && ceilMinute(d.Registration.WindowStart) > maxDDMMYYHHMM &&
					strings.HasPrefix(err.Error(), string(ParamRegistrationWindowStart)+": time ") && !strings.Contains(err.Error(), "\n") {
					refused++
					continue
				}
				if err != nil {
					t.Fatalf("seed %d: Render of a generated valid model: %v", seed, err)
				}
				want := cloneDocument(d)
				if lossy {
					want.Registration.WindowStart = ceilMinute(d.Registration.WindowStart)
				}
				got, err := Parse(Join(r.Document, r.Credentials), p)
				if err != nil {
					t.Fatalf("seed %d: Parse(Join): %v", seed, err)
				}
				if diff := diffDocuments(want, got); diff != "" {
					t.Fatalf("seed %d: Parse(Join(Render(d))) != d:\n%s", seed, diff)
				}
				again, err := Render(got, p)
				if err != nil || !bytes.Equal(again.Document, r.Document) || !bytes.Equal(again.Credentials, r.Credentials) {
					t.Fatalf("seed %d: rendering the parsed model does not reproduce the bytes (err %v)", seed, err)
				}
				public, err := Parse(r.Document, p)
				if err != nil {
					t.Fatalf("seed %d: Parse(public part): %v", seed, err)
				}
				if diff := diffDocuments(withoutSecrets(want), public); diff != "" {
					t.Fatalf("seed %d: Parse(public part) != model without secrets:\n%s", seed, diff)
				}
				ran++
			}
			t.Logf("round trip held for %d of %d random models (%d refused as unwritable)", ran, models, refused)
			if ran*4 < models*3 {
				t.Fatalf("only %d of %d models made the round trip; at least three quarters are required", ran, models)
			}
		})
	}
}

// modelGen generates valid Documents with the awkward cases on purpose: umlauts and
// XML specials, owners with "--" or named "free", empty strings, extreme numbers,
// free slots between used ones, secret and public extra items.
type modelGen struct{ r *rand.Rand }

func (g *modelGen) chance(p float64) bool { return g.r.Float64() < p }

func (g *modelGen) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[g.r.IntN(16)]
	}
	return string(b)
}

// text returns a Latin-1 string without quotes or control characters, of up to max
// characters, favouring the characters that need escaping or conversion.
func (g *modelGen) text(max int) string {
	const specials = "&<>äöüÄÖÜßéñ ø\u00A0ÿ*#%;=/:"
	n := g.r.IntN(max + 1)
	if g.chance(0.1) {
		n = max
	}
	var b strings.Builder
	for range n {
		switch x := g.r.IntN(10); {
		case x < 3:
			s := []rune(specials)
			b.WriteRune(s[g.r.IntN(len(s))])
		case x < 5:
			b.WriteRune(rune(0xA0 + g.r.IntN(0x60)))
		default:
			c := rune(0x20 + g.r.IntN(0x5F))
			if c == '"' || c == '\'' {
				c = '_'
			}
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (g *modelGen) port() int {
	switch g.r.IntN(4) {
	case 0:
		return 5060
	case 1:
		return 1
	case 2:
		return 65535
	default:
		return 1 + g.r.IntN(65535)
	}
}

// unixTime favours the times a window really starts at, with the edges of 32 bits.
func (g *modelGen) unixTime() int64 {
	switch x := g.r.IntN(20); {
	case x < 5:
		return 0
	case x < 15:
		return 1577836800 + g.r.Int64N(20*365*86400) // 2020..2040
	case x < 17:
		return 0xFFFFFFFF
	default:
		return g.r.Int64N(1 << 32)
	}
}

func (g *modelGen) uint32() int64 {
	switch g.r.IntN(3) {
	case 0:
		return 0
	case 1:
		return 0xFFFFFFFF
	default:
		return g.r.Int64N(1 << 32)
	}
}

func (g *modelGen) owner(taken map[string]bool) string {
	for {
		var o string
		if g.chance(0.02) {
			o = "free"
		} else {
			const alphabet = "abz09.--"
			b := make([]byte, 1+g.r.IntN(24))
			for i := range b {
				b[i] = alphabet[g.r.IntN(len(alphabet))]
			}
			o = string(b)
			if g.chance(0.01) {
				o = strings.Repeat("a-", 126) + "z" // 253 characters
			}
		}
		if !taken[o] {
			taken[o] = true
			return o
		}
	}
}

func (g *modelGen) document() *Document {
	d := &Document{MAC: g.hex(12), ProfileName: g.text(40)}
	if g.chance(0.5) {
		d.Provider = &Provider{
			Name: g.text(lenName), Domain: g.text(lenHost), Server: g.text(lenHost), ServerPort: g.port(),
			Registrar: g.text(lenHost), RegistrarPort: g.port(), OutboundProxy: g.text(lenHost), OutboundProxyPort: g.port(),
			ReRegistrationSeconds: g.port(), Transport: []string{"UDP", "TCP"}[g.r.IntN(2)],
		}
	}
	if g.chance(0.5) {
		d.Time = &Time{TimezoneCode: g.r.IntN(0x10000), AutomaticDST: g.chance(0.5)}
		if g.chance(0.7) {
			d.Time.NTPServer = g.text(lenHost)
		}
	}
	if g.chance(0.5) {
		d.DataServer = g.text(lenHost)
	}
	if g.chance(0.5) {
		d.WebPassword = g.text(lenName)
	}
	d.Registration = Registration{
		PIN: fmt.Sprintf("%04d", g.r.IntN(10000)), RandomPIN: g.chance(0.5),
		WindowStart: g.unixTime(), WindowSeconds: g.uint32(),
	}
	density := []float64{0, 0.05, 0.3, 0.8, 1}[g.r.IntN(5)]
	owners := make(map[string]bool)
	ipuis := make(map[string]bool)
	for i := range d.Slots {
		if !g.chance(density) {
			continue
		}
		s := Slot{
			Owner: g.owner(owners), Active: g.chance(0.8),
			UserID: g.text(lenName), LoginID: g.text(lenName), Password: g.text(lenName),
			DisplayName: g.text(lenName), AccountName: g.text(lenName),
			MailboxEnabled: g.chance(0.5), MailboxNumber: g.text(lenName),
		}
		if g.chance(0.7) {
			for {
				ipui := g.hex(10)
				if ipui != noReservation && !ipuis[ipui] {
					ipuis[ipui] = true
					s.IPUI = ipui
					break
				}
			}
		}
		d.Slots[i] = s
	}
	for i := range g.r.IntN(9) {
		it := Item{ID: fmt.Sprintf("BS_PROP%d.x%s", i, []string{"", "[%]", "[0]", "[7]"}[g.r.IntN(4)]), Secret: g.chance(0.3)}
		switch g.r.IntN(4) {
		case 0:
			it.Value = `"` + g.text(60) + `"`
		case 1:
			it.Value = fmt.Sprint(g.r.Uint32())
		case 2:
			it.Value = fmt.Sprintf("0x%X", g.r.Uint32())
		default:
			bs := make([]byte, 1+g.r.IntN(8))
			for j := range bs {
				bs[j] = byte(g.r.IntN(256))
			}
			it.Value = string(appendByteList(nil, bs...))
		}
		d.Extra = append(d.Extra, it)
	}
	return d
}
