//go:build !linux

package provserver

import "io"

// bodyFile serves large bodies from files on Linux only (bodyfile_linux.go);
// elsewhere the handler writes Body.
type bodyFile struct{}

type bodyReader struct{ io.LimitedReader }

func (*bodyFile) open([]byte, int) *bodyReader { return nil }
func (*bodyFile) release(*bodyReader)          {}
func (*bodyFile) hasFile() bool                { return false }
