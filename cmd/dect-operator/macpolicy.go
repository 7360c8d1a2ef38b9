package main

import (
	"flag"

	"github.com/dect-operator/dect-operator/internal/macpolicy"
)

// macPolicyFlag registers --mac-policy, which manager and serve must be given alike: the
// server serves a MAC's file only for the base the manager renders it for.
func macPolicyFlag(fs *flag.FlagSet, mode *macpolicy.Mode) {
	*mode = macpolicy.FirstCome
	fs.Func("mac-policy", "which namespace may declare a MAC that no Namespace annotation "+macpolicy.Annotation+
		" lists: first-come (any; the oldest DectBase holds it) or allow-list (none: only listed MACs are served); "+
		"give manager and serve the same (default first-come)", func(s string) error {
		m, err := macpolicy.ParseMode(s)
		*mode = m
		return err
	})
}
