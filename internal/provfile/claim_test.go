package provfile

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type claim struct{ metav1.ObjectMeta }

func claimOf(ns, name string, created int64, deleting bool) claim {
	c := claim{metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(time.Unix(created, 0))}}
	if deleting {
		now := metav1.Now()
		c.DeletionTimestamp = &now
	}
	return c
}

func TestMACHolderIsTheOldestClaimNotBeingDeleted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims []claim
		want   string // namespace/name, "" for none
	}{
		{"oldest wins", []claim{claimOf("b", "x", 200, false), claimOf("a", "y", 100, false)}, "a/y"},
		{"ties by namespace then name", []claim{claimOf("b", "a", 100, false), claimOf("a", "z", 100, false), claimOf("a", "b", 100, false)}, "a/b"},
		{"deleting claims never hold", []claim{claimOf("a", "old", 1, true), claimOf("b", "new", 200, false)}, "b/new"},
		{"all deleting", []claim{claimOf("a", "old", 1, true)}, ""},
		{"none", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if h := MACHolder(tc.claims); h != nil {
				got = h.Namespace + "/" + h.Name
			}
			if got != tc.want {
				t.Errorf("MACHolder = %q, want %q", got, tc.want)
			}
		})
	}
}
