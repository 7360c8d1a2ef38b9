package main

import (
	"strings"
	"testing"
)

// A shard's flags are checked before the manager reaches for the cluster: a selector
// kubectl would refuse, or no handover delay, stops it at start-up with the flag named.
func TestManagerRefusesBadShardFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--shard-selector==a"}, `--shard-selector "=a" is not a label selector`},
		{[]string{"--shard-selector=provisioning.dect-operator.dev/shard in (a"}, "--shard-selector"},
		{[]string{"--shard-selector=shard=a", "--shard-handover-delay=0s"}, "--shard-handover-delay must be positive"},
		{[]string{"--shard-handover-delay=-1s"}, "--shard-handover-delay must be positive"},
	} {
		// KUBECONFIG leads nowhere: a manager that got past its flags would fail otherwise.
		args := append([]string{"manager", "--kubeconfig=/nonexistent", "--metrics-bind-address=0", "--health-probe-bind-address=0"}, tc.args...)
		exit, _, stderr := dectOperator(t, "", args...)
		if exit != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tc.args, exit, stderr, tc.want)
		}
	}
}
