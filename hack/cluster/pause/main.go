// Command pause is the test cluster's sandbox ("pause") image: containerd starts it
// first in every Pod to hold the Pod's namespaces. It does nothing but wait for
// SIGTERM or SIGINT. Built locally because no registry can be reached to pull
// registry.k8s.io/pause (hack/cluster/up.sh).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
