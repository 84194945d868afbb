package datapath

import "testing"

// TestLearnLimitResult: learn(limit=1,result_dst=...) as Open vSwitch 3.1
// does it, checked in its dummy datapath with this flow table and the
// frame sequence A B A A B (a from 02:..:01, b from 02:..:02): A learns
// (result 1, port 2), B is over the limit (result 0, port 3), A again
// refreshes its flow, which counts as success.
func TestLearnLimitResult(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br0", FailSecure)
	for _, p := range []string{"p1:1", "p2:2", "p3:3"} {
		s.port("br0", p)
	}
	s.flows("br0", `table=0,actions=learn(table=1,limit=1,result_dst=reg0[0],cookie=0x5,NXM_OF_ETH_SRC[]),resubmit(,2)
table=2,reg0=1,actions=output:2
table=2,reg0=0,actions=output:3`)
	frame := func(src byte) []byte {
		f := make([]byte, 60)
		copy(f, []byte{2, 0, 0, 0, 0, 0xff, 2, 0, 0, 0, 0, src, 0x88, 0xb5})
		return f
	}
	for i, c := range []struct {
		src  byte
		want string
	}{{1, "p2"}, {2, "p3"}, {1, "p2"}, {1, "p2"}, {2, "p3"}} {
		s.send("p1", frame(c.src))
		got := s.got()
		if len(got) != 1 || len(got[c.want]) != 1 {
			t.Fatalf("frame %d from :%02x went to %v, want %s", i+1, c.src, got, c.want)
		}
	}
	if n := b.Flows.Table(1).Len(); n != 1 {
		t.Fatalf("table 1 holds %d learned flows, want 1 (the limit)", n)
	}
}
