package macpolicy

import (
	"testing"

	"github.com/dect-operator/dect-operator/internal/fuzzing"
)

func TestMain(m *testing.M) { fuzzing.Main(m) }
