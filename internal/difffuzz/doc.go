// Package difffuzz checks gvs against Open vSwitch on inputs nobody wrote
// by hand: it generates random but valid flow tables and frame sequences
// (gen.go), runs each case through OVS 3.1's dummy datapath and through
// gvs's offline replay (run.go), and compares every port's output frame
// by frame. A divergence is shrunk to a minimal case (shrink.go), written
// out as a replay case directory, and reported with its seed, which
// reproduces it.
//
// The test runs a fixed set of seeds; make difffuzz DURATION=10m runs new
// seeds for as long as one likes.
package difffuzz
