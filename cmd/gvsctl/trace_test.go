package main

import (
	"testing"

	"github.com/gvs-project/gvs/datapath/packet"
)

// TestTraceArgs: trace's arguments in gvs's and OVS's orders, and
// --ct-next's flag lists.
func TestTraceArgs(t *testing.T) {
	cases := []struct {
		args         []string
		packet       string
		flow, inPort string
		frameLen     int
		bad          bool
	}{
		{args: []string{"br0", "in_port=1,tcp"}, flow: "in_port=1,tcp"},
		{args: []string{"br0", "in_port=1,tcp", "-generate"}, flow: "in_port=1,tcp"},
		{args: []string{"br0", "in_port=3", "ffffffffffff"}, inPort: "3", frameLen: 6},
		{args: []string{"br0", "in_port=vm1"}, packet: "ff:ff", inPort: "vm1", frameLen: 2},
		{args: []string{"br0", "in_port=1,ip", "ffff"}, bad: true}, // fields a packet carries itself
		{args: []string{"br0", "in_port=1", "ffff"}, packet: "ff", bad: true},
		{args: []string{"br0", "in_port=1", "xyz"}, bad: true},
	}
	for _, c := range cases {
		r, err := traceRequest(c.args, c.packet)
		if c.bad {
			if err == nil {
				t.Errorf("%v --packet %q accepted", c.args, c.packet)
			}
			continue
		}
		if err != nil || r.Flow != c.flow || r.InPort != c.inPort || len(r.Frame) != c.frameLen {
			t.Errorf("%v --packet %q: %v %v", c.args, c.packet, r, err)
		}
	}
	for s, want := range map[string]uint32{
		"trk,est":   packet.CTTrk | packet.CTEst,
		"+trk+new":  packet.CTTrk | packet.CTNew,
		"trk|rpl":   packet.CTTrk | packet.CTRpl,
		"TRK,inv":   packet.CTTrk | packet.CTInv,
		"snat,dnat": packet.CTSNAT | packet.CTDNAT,
	} {
		if got, err := parseCTNext(s); err != nil || got != want {
			t.Errorf("--ct-next %s = %#x %v, want %#x", s, got, err, want)
		}
	}
	for _, s := range []string{"", ",", "trk,bogus", "0x22"} {
		if _, err := parseCTNext(s); err == nil {
			t.Errorf("--ct-next %q accepted", s)
		}
	}
}
