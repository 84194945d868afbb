package datapath

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestFragModes: the fragment handling modes as Open vSwitch 3.1 applies
// them (checked with ofproto/trace): normal hides a first fragment's ports
// from the tables without rewriting the frame, nx-match shows them, drop
// drops every fragment and counts it.
func TestFragModes(t *testing.T) {
	first := ipv4(ipVM, ipGW, layers.IPProtocolUDP)
	first.Flags = layers.IPv4MoreFragments
	later := ipv4(ipVM, ipGW, layers.IPProtocolUDP)
	later.FragOffset = 2
	whole := ipv4(ipVM, ipGW, layers.IPProtocolUDP)
	frames := map[string][]byte{
		"first": frame(t, macVM, macBC, -1, append([]gopacket.SerializableLayer{first}, udp(1000, 53)...)...),
		"later": frame(t, macVM, macBC, -1, later, udp(1000, 53)[1]),
		"whole": frame(t, macVM, macBC, -1, append([]gopacket.SerializableLayer{whole}, udp(1000, 53)...)...),
	}
	for _, c := range []struct {
		mode string
		want map[string]string // frame -> output port ("" = dropped)
	}{
		{"normal", map[string]string{"first": "p4", "later": "p4", "whole": "p2"}},
		{"nx-match", map[string]string{"first": "p2", "later": "p4", "whole": "p2"}},
		{"drop", map[string]string{"first": "", "later": "", "whole": "p2"}},
	} {
		s := newSwitch(t)
		b := s.bridge("br0", FailSecure)
		for _, p := range []string{"p1:1", "p2:2", "p3:3", "p4:4"} {
			s.port("br0", p)
		}
		s.flows("br0", "priority=10,udp,tp_dst=53,actions=output:2\npriority=5,udp,tp_dst=0,actions=output:4\npriority=0,actions=output:3")
		m, err := ParseFragMode(c.mode)
		if err != nil {
			t.Fatal(err)
		}
		b.SetFragMode(m)
		for name, f := range frames {
			s.send("p1", f)
			got := s.got()
			out := ""
			for port, fs := range got {
				out = port
				if len(fs) != 1 || !bytes.Equal(fs[0], f) {
					t.Errorf("%s/%s: %s got %d frames, or a rewritten one", c.mode, name, port, len(fs))
				}
			}
			if len(got) > 1 || out != c.want[name] {
				t.Errorf("%s/%s: went to %v, want %q", c.mode, name, got, c.want[name])
			}
		}
		if n, want := b.Drops(DropFragment), uint64(2*btoi(c.mode == "drop")); n != want {
			t.Errorf("%s: %d fragment drops, want %d", c.mode, n, want)
		}
	}
	if _, err := ParseFragMode("reassemble"); err == nil {
		t.Error("reassemble accepted; Open vSwitch does not support it")
	}
}

// TestFragNormalRewritesOnlyWhatChanged: in the normal mode a first
// fragment's ports read as 0; mod_tp_src must still leave its destination
// port as the frame has it, as OVS's masked set does (found by
// internal/difffuzz).
func TestFragNormalRewritesOnlyWhatChanged(t *testing.T) {
	first := ipv4(ipVM, ipGW, layers.IPProtocolUDP)
	first.Flags = layers.IPv4MoreFragments
	f := frame(t, macVM, macBC, -1, append([]gopacket.SerializableLayer{first}, udp(1000, 53)...)...)
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", "udp,actions=mod_tp_src:4000,output:2")
	s.send("p1", f)
	out := s.got()["p2"]
	if len(out) != 1 {
		t.Fatalf("p2 got %d frames", len(out))
	}
	// gopacket decodes no UDP in a fragment: the header is at 14+20.
	if sp, dp := be16(out[0][34:]), be16(out[0][36:]); sp != 4000 || dp != 53 {
		t.Fatalf("ports %d -> %d, want 4000 -> 53", sp, dp)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRecircOverflowIsNoLoop: more ct(table=N) recirculations of one
// packet than a worker holds are counted as such, not as a loop.
func TestRecircOverflowIsNoLoop(t *testing.T) {
	s := newSwitch(t)
	s.dp.Conntrack = NewConntrack()
	b := s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	// Each pass forks another recirculation into the same table.
	s.flows("br0", "table=0,ip,actions=ct(table=1)\ntable=1,ip,actions=ct(table=1),ct(table=1),output:2")
	s.send("p1", udpFrame(t, -1))
	s.got()
	if b.Drops(DropRecircOverflow) == 0 || b.Drops(DropLoop) != 0 {
		t.Fatalf("recirc_overflow %d, loop %d; want the overflow counted as such", b.Drops(DropRecircOverflow), b.Drops(DropLoop))
	}
}
