package shard

import (
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/dect-operator/dect-operator/internal/fuzzing"
)

func TestMain(m *testing.M) { fuzzing.Main(m) }

// FuzzParseSelector: the selector comes from a flag a person types, and a shard that
// reads it differently from kubectl owns other namespaces than the admin thinks.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"", " ", key + "=a", key + "==a", key + "!=a", key + " in (a, b)", key + " notin (a)",
		"!" + key, key, "a=b,c=d", "a=", "a in ()", "=a", "a b", "\xff=a", "a=b,,c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			if sel != nil {
				t.Fatalf("%q: a selector along with the error %v", s, err)
			}
			return
		}
		// What kubectl would read is what the shard reads.
		want, err := labels.Parse(s)
		if err != nil {
			t.Fatalf("%q: ParseSelector accepts what labels.Parse refuses: %v", s, err)
		}
		if sel.String() != want.String() {
			t.Fatalf("%q reads as %q, labels.Parse as %q", s, sel.String(), want.String())
		}
		// Its canonical notation reads back to the same selector.
		again, err := ParseSelector(sel.String())
		if err != nil || again.String() != sel.String() {
			t.Fatalf("%q: canonical %q reads back as %v, %v", s, sel.String(), again, err)
		}
		// An empty selector (sharding off) selects a namespace without labels too.
		if sel.Empty() && !sel.Matches(labels.Set(nil)) {
			t.Fatalf("%q is empty but does not select a namespace without labels", s)
		}
	})
}
