package datapath

import "github.com/gvs-project/gvs/conntrack"

// NewConntrack returns a connection tracker with Open vSwitch's defaults,
// for the tests that need one (the configured one is built by package
// vswitch, which imports datapath).
func NewConntrack() *conntrack.Tracker { return conntrack.New(conntrack.Config{}) }
