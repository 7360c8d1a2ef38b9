package main

import (
	"strings"
	"testing"
)

// The sidecar mode refuses what it cannot honour, before it starts anything: flags that
// only a Kubernetes client would use, and a feed that is not on loopback.
func TestServeFilesFromRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kubeconfig=/etc/kubeconfig"}, "--kubeconfig: not with --files-from"},
		{[]string{"--namespace=telephony", "--delivery-record-interval=5s"}, "--delivery-record-interval, --namespace: not with --files-from"},
		{[]string{"--mac-policy=allow-list"}, "--mac-policy: not with --files-from"},
		{[]string{"--files-from=http://192.0.2.1:8090"}, "loopback address only"},
		{[]string{"--files-from=http://localhost:8090"}, "loopback address only"},
	} {
		args := append([]string{"serve", "--files-from=http://127.0.0.1:8090", "--addr=127.0.0.1:0", "--metrics-addr=0", "--probe-addr=0"}, tc.args...)
		exit, _, stderr := dectOperator(t, "", args...)
		if exit != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tc.args, exit, stderr, tc.want)
		}
	}
}

// --nonce-key-secret names a Secret in the Pod's namespace, else the lease's, and is
// refused where it could not be honoured: no namespace, or no sidecar to send the key to.
func TestNonceKeySecret(t *testing.T) {
	for _, tc := range []struct {
		name, podNS, leaseNS string
		want                 string // namespace/name, or the error
	}{
		{"", "", "", "/"},
		{"k", "dect-system", "default", "dect-system/k"},
		{"k", "", "default", "default/k"},
		{"k", "", "", "needs the manager's namespace"},
	} {
		got, err := nonceKeySecret(tc.name, tc.podNS, tc.leaseNS)
		s := got.String()
		if err != nil {
			s = err.Error()
		}
		if !strings.Contains(s, tc.want) {
			t.Errorf("%+v: %q, want %q", tc, s, tc.want)
		}
	}
}
