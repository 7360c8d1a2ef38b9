package controller

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestEchoes(t *testing.T) {
	key := types.NamespacedName{Namespace: "office", Name: "dm-file"}
	cm := func(rv, content string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, ResourceVersion: rv},
			BinaryData: map[string][]byte{"f": []byte(content)}}
	}
	sameContent := func(want string) func(client.Object) bool {
		return func(o client.Object) bool { return string(o.(*corev1.ConfigMap).BinaryData["f"]) == want }
	}
	for _, tc := range []struct {
		name string
		// run writes (and may see events meanwhile) and returns what echo said of the
		// event checked after it.
		run  func(e *echoes) bool
		want bool
	}{
		{"the event of the version a write returned is its echo", func(e *echoes) bool {
			e.expect("ConfigMap", key, sameContent("new"))
			e.written("ConfigMap", cm("7", "new"), nil)
			return e.echo("ConfigMap", cm("7", "new"))
		}, true},
		{"an echo is told once", func(e *echoes) bool {
			e.expect("ConfigMap", key, sameContent("new"))
			e.written("ConfigMap", cm("7", "new"), nil)
			e.echo("ConfigMap", cm("7", "new"))
			return e.echo("ConfigMap", cm("7", "new"))
		}, false},
		{"a later version is somebody else's change", func(e *echoes) bool {
			e.expect("ConfigMap", key, sameContent("new"))
			e.written("ConfigMap", cm("7", "new"), nil)
			return e.echo("ConfigMap", cm("8", "new"))
		}, false},
		{"while the write is under way, its content is its echo", func(e *echoes) bool {
			e.expect("ConfigMap", key, sameContent("new"))
			return e.echo("ConfigMap", cm("7", "new"))
		}, true},
		{"while the write is under way, other content is not", func(e *echoes) bool {
			e.expect("ConfigMap", key, sameContent("new"))
			return e.echo("ConfigMap", cm("7", "edited"))
		}, false},
		{"once a write failed, its content is not an echo", func(e *echoes) bool {
			e.expect("ConfigMap", key, sameContent("new"))
			e.written("ConfigMap", cm("", "new"), errors.New("conflict"))
			return e.echo("ConfigMap", cm("7", "new"))
		}, false},
		{"kinds are apart", func(e *echoes) bool {
			e.expect("Secret", key, func(client.Object) bool { return true })
			return e.echo("ConfigMap", cm("7", "new"))
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.run(&echoes{}); got != tc.want {
				t.Errorf("echo = %v, want %v", got, tc.want)
			}
		})
	}
}
