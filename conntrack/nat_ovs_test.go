package conntrack

import (
	"encoding/hex"
	"testing"
)

// TestNATMatchesOVS replays frames through ct(commit,nat(src=...)) out and
// ct(nat) back and compares the bytes with what Open vSwitch 3.1's
// userspace datapath sent for the same frames (captured live from the
// sandbox's dummy datapath with the flows of datapath's TestCTNATFlows;
// Open vSwitch chose port 5007 from 5000-5010 with its random hash basis,
// so the test pins the range to 5007). Open vSwitch pads frames to 60
// bytes on the dummy port: only the IP datagram is compared. The ICMP
// error shows the quoted packet translated back, inner UDP checksum
// included.
func TestNATMatchesOVS(t *testing.T) {
	const (
		out   = "02000000000b02000000000a080045000020000000004011a90cc0a80109080808089c400035000cb8dc646174610000000000000000000000000000"
		reply = "02000000000b02000000000a0800450000200000000040116059080808080a6400010035138f000cf8da646174610000000000000000000000000000"
		icmp  = "02000000000b02000000000a0800450000380000000040016051080808080a6400010303f051000000004500002000000000401160590a64000108080808138f0035000cf8da"
		// What Open vSwitch sent.
		ovsOut   = "02000000000b02000000000a08004500002000000000401160590a64000108080808138f0035000cf8da646174610000000000000000000000000000"
		ovsReply = "02000000000b02000000000a080045000020000000004011a90c08080808c0a8010900359c40000cb8dc646174610000000000000000000000000000"
		ovsICMP  = "02000000000b02000000000a080045000038000000004001a90408080808c0a801090303a79e0000000045000020000000004011a90cc0a80109080808089c400035000cb8dc"
	)
	tr := New(Config{})
	nat := snat("10.100.0.1", 5007, 5007)
	steps := []struct {
		name, in, want string
		req            *Request
		nat            *natT
		state          uint32
	}{
		{"out", out, ovsOut, commit(0), nat, StateTrk | StateNew | StateSNAT},
		{"reply", reply, ovsReply, lookup(0), &natT{}, StateTrk | StateEst | StateRpl | StateDNAT},
		{"icmp error", icmp, ovsICMP, lookup(0), &natT{}, StateTrk | StateRel | StateRpl | StateDNAT},
	}
	for _, s := range steps {
		f, _ := hex.DecodeString(s.in)
		want, _ := hex.DecodeString(s.want)
		if st := natRun(tr, s.req, s.nat, f, sec); st != s.state {
			t.Errorf("%s: %s, want %s", s.name, stateString(st), stateString(s.state))
		}
		if len(f) > len(want) || hex.EncodeToString(f) != hex.EncodeToString(want[:len(f)]) {
			t.Errorf("%s:\n got %x\nwant %x", s.name, f, want[:min(len(f), len(want))])
		}
	}
	const ovsDump = "udp,orig=(src=192.168.1.9,dst=8.8.8.8,sport=40000,dport=53),reply=(src=8.8.8.8,dst=10.100.0.1,sport=53,dport=5007)\n"
	if d := Format(tr.Dump(nil)); d != ovsDump {
		t.Errorf("dump:\n%s\nwant (ovs-appctl dpctl/dump-conntrack):\n%s", d, ovsDump)
	}
}
