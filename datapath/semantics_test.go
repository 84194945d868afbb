package datapath

// Open vSwitch semantics the translation must keep, each a case a review
// found gvs getting wrong.

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gvs-project/gvs/flowtable"
)

// OVS: resubmit(2,1) looks up table 1 with in_port=2, then restores in_port
// before running the flow's actions, so output:2 is not "output to in_port".
func TestResubmitInPortRestoredBeforeActions(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", `table=0,in_port=1,actions=resubmit(2,1)
table=1,in_port=2,actions=output:2`)
	s.send("p1", udpFrame(t, -1))
	if got := s.got(); len(got["p2"]) != 1 {
		t.Fatalf("OVS sends to p2; gvs got %v", got)
	}
}

// OVS: dec_ttl on a non-IP packet is a no-op.
func TestDecTTLOnARP(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", `table=0,in_port=1,actions=dec_ttl,output:2`)
	s.send("p1", frame(t, macVM, macBC, -1, arpRequest(macVM, ipVM, ipGW)))
	if got := s.got(); len(got["p2"]) != 1 {
		t.Fatalf("OVS forwards ARP through dec_ttl; gvs got %v", got)
	}
}

// OVS: a dec_ttl exception stops only the current action list.
func TestDecTTLStopsOnlyCurrentTable(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.port("br0", "p3:3")
	s.flows("br0", `table=0,in_port=1,actions=resubmit(,1),output:2
table=1,actions=dec_ttl,output:3`)
	ip := ipv4(ipVM, ipB, layers.IPProtocolUDP)
	ip.TTL = 1
	s.send("p1", frame(t, macVM, macB, -1, append(append([]interface{}{}, ip), nil)[0].(*layers.IPv4), udp(1, 2)[0], udp(1, 2)[1]))
	if got := s.got(); len(got["p2"]) != 1 {
		t.Fatalf("OVS still outputs to p2; gvs got %v", got)
	}
}

// mod_nw_ecn:0 on a CE-marked packet must clear the ECN bits.
func TestSetECN(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", `table=0,in_port=1,ip,actions=mod_nw_ecn:0,output:2`)
	ip := ipv4(ipVM, ipB, layers.IPProtocolUDP)
	ip.TOS = 0x03
	s.send("p1", frame(t, macVM, macB, -1, ip, udp(1, 2)[0], udp(1, 2)[1]))
	got := s.got()
	if len(got["p2"]) != 1 {
		t.Fatalf("got %v", got)
	}
	o := decode(got["p2"][0]).Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if o.TOS != 0 {
		t.Fatalf("tos byte = %#x, want 0", o.TOS)
	}
}

// mod_nw_tos keeps ECN.
func TestSetTOSKeepsECN(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", `table=0,in_port=1,ip,actions=mod_nw_tos:0x20,output:2`)
	ip := ipv4(ipVM, ipB, layers.IPProtocolUDP)
	ip.TOS = 0x03
	s.send("p1", frame(t, macVM, macB, -1, ip, udp(1, 2)[0], udp(1, 2)[1]))
	got := s.got()
	o := decode(got["p2"][0]).Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if o.TOS != 0x23 {
		t.Fatalf("tos byte = %#x, want 0x23", o.TOS)
	}
	checksumsValid(t, got["p2"][0])
}

// A packet that goes through ct(table=1) and is then forwarded is not a drop.
func TestCTRecircNotCountedAsDrop(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br0", FailSecure)
	s.dp.Conntrack = NewConntrack()
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", `table=0,in_port=1,ip,actions=ct(table=1,zone=1)
table=1,ct_state=+trk,actions=output:2`)
	s.send("p1", udpFrame(t, -1))
	if got := s.got(); len(got["p2"]) != 1 {
		t.Fatalf("got %v", got)
	}
	for _, r := range DropReasons() {
		if n := b.Drops(r); n != 0 {
			t.Errorf("forwarded packet counted as drop %s (%d)", r, n)
		}
	}
}

// Trace promises no counters change, but patch port counters do.
func TestTraceTouchesPatchCounters(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.bridge("br1", FailSecure)
	s.port("br0", "p1:1")
	pa := s.port("br0", "pa:2,patch=pb")
	s.port("br1", "pb:1,patch=pa")
	s.flows("br0", `table=0,in_port=1,actions=output:2`)
	s.w.TraceFrame(s.dp.PortByName("p1"), udpFrame(t, -1))
	if n := pa.Stats.TxPackets.Load(); n != 0 {
		t.Fatalf("trace counted %d tx packets on patch port", n)
	}
}

// OVS recomputes the SCTP CRC32c when it rewrites SCTP ports.
func TestSCTPPortRewriteCRC(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", `table=0,in_port=1,sctp,actions=mod_tp_dst:99,output:2`)
	sctp := make([]byte, 12+16)
	sctp[0], sctp[1], sctp[2], sctp[3] = 0, 10, 0, 20
	crc := func(b []byte) uint32 {
		c := append([]byte(nil), b...)
		c[8], c[9], c[10], c[11] = 0, 0, 0, 0
		return crc32.Checksum(c, crc32.MakeTable(crc32.Castagnoli))
	}
	v := crc(sctp)
	binary.LittleEndian.PutUint32(sctp[8:], v)
	ip := ipv4(ipVM, ipB, layers.IPProtocolSCTP)
	s.send("p1", frame(t, macVM, macB, -1, ip, gopacket.Payload(sctp)))
	got := s.got()
	if len(got["p2"]) != 1 {
		t.Fatalf("got %v", got)
	}
	out := got["p2"][0][14+20:]
	if binary.BigEndian.Uint16(out[2:]) != 99 {
		t.Fatalf("port not rewritten")
	}
	if binary.LittleEndian.Uint32(out[8:]) != crc(out) {
		t.Fatalf("SCTP CRC32c stale after port rewrite")
	}
}

// Frames of one batch to one port must leave in the order they arrived,
// whatever their size (jumbo MTU: some are staged, some sent directly).
func TestBatchOutputOrder(t *testing.T) {
	dp := New()
	if _, err := dp.AddBridge("br", FailSecure); err != nil {
		t.Fatal(err)
	}
	in := &batchDev{accept: 100, mtu: 9000}
	out := &batchDev{accept: 100, mtu: 9000}
	pin := &Port{Name: "in", OFPort: 1, Dev: in}
	pout := &Port{Name: "out", OFPort: 2, Dev: out}
	for _, p := range []*Port{pin, pout} {
		if err := dp.AddPort("br", p, ""); err != nil {
			t.Fatal(err)
		}
	}
	b := dp.Bridge("br")
	f := &flowtable.Flow{Priority: 1, Actions: []flowtable.Action{flowtable.Output{Port: 2}}}
	if err := b.Flows.Apply([]*flowtable.FlowMod{{Command: flowtable.CmdAdd, Flow: f}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	w := dp.NewWorker()
	w.ReceiveBatch(pin, []Frame{frameOf(9000, 1, 2), frameOf(500, 1, 2), frameOf(9000, 1, 2)})
	var lens []int
	for _, f := range out.take() {
		lens = append(lens, len(f))
	}
	if len(lens) != 3 || lens[1] != 500 {
		t.Fatalf("output order %v, want [9000 500 9000]", lens)
	}
}

// 70 tables chained by forward resubmits (each nested in the previous).
func TestForwardResubmitChainDepth(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	var fl string
	for i := 0; i < 70; i++ {
		fl += fmt.Sprintf("table=%d,actions=resubmit(,%d)\n", i, i+1)
	}
	fl += "table=70,actions=output:2\n"
	s.flows("br0", fl)
	s.send("p1", udpFrame(t, -1))
	if got := s.got(); len(got["p2"]) != 1 {
		t.Fatalf("forward chain of 70 tables dropped: %v", got)
	}
}
