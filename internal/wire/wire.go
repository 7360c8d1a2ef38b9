// Package wire tells what a value reads back as once the API server has stored it.
package wire

import "encoding/json"

// Stored returns v as a watch brings it back after a write: encoded as JSON and decoded
// again, so that times keep whole seconds and empty lists read as absent. A watch event
// can then be compared with what was written (equality.Semantic.DeepEqual), which v
// itself, with its nanoseconds, would not match. A v that does not encode is returned
// as it is.
func Stored[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}
