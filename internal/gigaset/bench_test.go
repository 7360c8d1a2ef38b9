package gigaset

import "testing"

// BenchmarkRender100 renders a document with all 100 slots in use.
func BenchmarkRender100(b *testing.B) {
	d, p := fullDocument(), N720()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(d, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse100 parses the joined file of a document with all 100 slots in use.
func BenchmarkParse100(b *testing.B) {
	p := N720()
	r, err := Render(fullDocument(), p)
	if err != nil {
		b.Fatal(err)
	}
	full := Join(r.Document, r.Credentials)
	b.SetBytes(int64(len(full)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(full, p); err != nil {
			b.Fatal(err)
		}
	}
}
