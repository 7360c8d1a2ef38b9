package gigaset

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type goldenCase struct {
	name    string
	doc     func() *Document
	profile func(testing.TB) *Profile // nil: N720()
}

// firstReleaseWindow is the default profile with the window entries switched back to
// the IDs and encodings of the first release, through their documented alternatives.
func firstReleaseWindow(t testing.TB) *Profile {
	var o []Override
	for _, param := range []Param{ParamRegistrationWindowStart, ParamRegistrationWindowSeconds} {
		e, _ := N720().Entry(param)
		for _, alt := range e.Alternatives {
			if strings.HasPrefix(alt.ID, "BS_CUSTOM.") {
				o = append(o, alt.Override(param))
			}
		}
	}
	if len(o) != 2 {
		t.Fatalf("found %d first-release window alternatives, want 2", len(o))
	}
	p, err := N720().WithOverrides(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var goldenCases = []goldenCase{
	{"empty-base", baseDocument, nil},
	{"gigaset-example", exampleDocument, nil},
	{"full-100", fullDocument, nil},
	{"umlauts", func() *Document {
		d := baseDocument()
		d.ProfileName = "Büro & <Lager>"
		d.Slots[0] = Slot{Owner: "juergen", Active: true, UserID: "1013", LoginID: "1013", Password: "Pässwörd",
			DisplayName: "Jürgen Müller", AccountName: "Müller & Söhne", MailboxNumber: "*2"}
		d.Slots[1] = Slot{Owner: "zoe", Active: true, UserID: "1014", LoginID: "1014", Password: "x",
			DisplayName: "Zoë <Empfang>", AccountName: "ÄÖÜäöüß éñ"}
		return d
	}, nil},
	{"freed-slot", func() *Document {
		d := exampleDocument()
		d.Free(1)
		return d
	}, nil},
	// Byte for byte the gigaset-example of the first release: the documented
	// alternatives restore the old window IDs and encodings exactly.
	{"gigaset-example.first-release-window", exampleDocument, firstReleaseWindow},
}

// TestGolden renders each case and compares public document and credentials
// byte for byte with testdata/NAME.xml and testdata/NAME.credentials.xml.
// Run with -update to rewrite them after an intended change.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.doc()
			p := N720()
			if tc.profile != nil {
				p = tc.profile(t)
			}
			r := mustRender(t, d, p)
			compareGolden(t, filepath.Join("testdata", tc.name+".xml"), r.Document)
			compareGolden(t, filepath.Join("testdata", tc.name+".credentials.xml"), r.Credentials)

			got, err := Parse(Join(r.Document, r.Credentials), p)
			if err != nil {
				t.Fatalf("Parse(Join): %v", err)
			}
			if diff := diffDocuments(d, got); diff != "" {
				t.Errorf("Parse(Join(Render(d))) differs from d:\n%s", diff)
			}
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendered output (run with -update after an intended change)\n%s",
			path, firstDifference(want, got))
	}
}

func firstDifference(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + string(w) + "\n  got  " + string(g)
		}
	}
	return "(no line differs)"
}

// TestGoldenIsLatin1 checks the bytes on disk, not the rendering code: "ü" must be
// the single ISO-8859-1 byte 0xFC, never the UTF-8 pair 0xC3 0xBC, and the XML
// specials must be escaped.
func TestGoldenIsLatin1(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("testdata", "umlauts.xml"))
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(`aucS_SIP_DISPLAYNAME[0]" class="symb_item" value='"J`)
	at := bytes.Index(doc, line)
	if at < 0 {
		t.Fatalf("display name item of slot 0 not found")
	}
	if u := at + len(line); doc[u] != 0xFC || string(doc[u+1:u+5]) != "rgen" {
		t.Errorf("byte after \"J\" in Jürgen is %#x (followed by %q); want 0xFC then \"rgen\"", doc[u], doc[u+1:u+5])
	}
	if bytes.Contains(doc, []byte{0xC3, 0xBC}) {
		t.Errorf("golden file contains the UTF-8 sequence C3 BC for ü; the device reads ISO-8859-1")
	}
	for _, want := range []string{"M\xFCller &amp; S\xF6hne", "Zo\xEB &lt;Empfang&gt;", `value="B` + "\xFC" + `ro &amp; &lt;Lager&gt;"`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("golden file lacks %q", want)
		}
	}
	if bytes.Contains(doc, []byte("P\xE4ssw\xF6rd")) {
		t.Errorf("public document contains slot 0's password")
	}
}
