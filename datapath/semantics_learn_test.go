package datapath

// More Open vSwitch semantics (learn, mod-flows cookies, NORMAL) a second
// review found gvs getting wrong; each expectation was checked on OVS 3.1.

import (
	"encoding/hex"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gvs-project/gvs/flowtable"
)

func r2hex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// r2ipFrame: ff:ff:ff:ff:ff:ff <- src, IPv4 192.168.0.1 -> 192.168.0.2.
func r2ipFrame(t *testing.T, src string) []byte {
	return r2hex(t, "ffffffffffff"+src+"0800450000140000000040000000c0a80001c0a80002")
}

func r2mods(t *testing.T, b *Bridge, cmd flowtable.Command, text string) {
	t.Helper()
	mods, err := flowtable.ParseFlowsWith(strings.NewReader(text), cmd, flowtable.ParseOptions{Ports: b.ResolvePort})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Flows.Apply(mods, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func r2table(b *Bridge, table uint8) []*flowtable.Flow {
	return b.Flows.Flows(func(f *flowtable.Flow) bool { return f.Table == table })
}

const r2learnFlows = `table=0,priority=1,in_port=1,actions=set_field:0x65->tun_id,mod_vlan_vid:1,goto_table:10
table=0,priority=1,in_port=3,ip,actions=learn(table=30,cookie=0x77,idle_timeout=10,fin_idle_timeout=5,fin_hard_timeout=7,send_flow_rem,delete_learned,priority=9,dl_type=0x800,NXM_OF_IP_SRC[],NXM_OF_IP_DST[]=NXM_OF_IP_SRC[],output:NXM_NX_REG0[0..15]),output:2
table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]),output:2`

func r2learnSwitch(t *testing.T) (*testSwitch, *Bridge) {
	s := newSwitch(t)
	b := s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.port("br0", "p3:3")
	s.flows("br0", r2learnFlows)
	return s, b
}

// Finding 1a: the learned flow loses send_flow_rem and fin_timeout.
// OVS 3.1 dump-flows --no-stats after the same frame:
//
//	cookie=0x77, table=30, idle_timeout=10, send_flow_rem priority=9,ip,nw_src=192.168.0.1,nw_dst=192.168.0.1 actions=fin_timeout(idle_timeout=5,hard_timeout=7),output:0
func TestLearnFlags(t *testing.T) {
	s, b := r2learnSwitch(t)
	s.send("p3", r2ipFrame(t, "aa163e111111"))
	fs := r2table(b, 30)
	if len(fs) != 1 {
		t.Fatalf("table 30 has %d flows, want 1", len(fs))
	}
	if fs[0].Flags&flowtable.FlagSendFlowRem == 0 {
		t.Errorf("learned flow lacks send_flow_rem (OVS sets OFPFF_SEND_FLOW_REM from learn's send_flow_rem)")
	}
	// OVS also puts fin_timeout(idle_timeout=5,hard_timeout=7) first in the
	// learned flow.
	if len(fs[0].Actions) == 0 || fs[0].Actions[0] != (flowtable.FinTimeout{Idle: 5, Hard: 7}) {
		t.Errorf("learned flow's actions %v do not start with fin_timeout(idle_timeout=5,hard_timeout=7)", fs[0].Actions)
	}
}

// Finding 1b: learn(...output:SRC) with a value that is not a physical port
// or IN_PORT/FLOOD/ALL/LOCAL installs no output in OVS (learn_execute);
// gvs installs output:NORMAL (0xfffa, and 0x1fffa truncated to uint16).
// OVS 3.1: "table=40, dl_src=aa:16:3e:11:11:13 actions=drop" (same for 41).
func TestLearnOutputReservedPort(t *testing.T) {
	s, b := r2learnSwitch(t)
	s.flows("br0", `table=0,priority=1,in_port=2,actions=load:0xfffa->NXM_NX_REG0[0..15],learn(table=40,NXM_OF_ETH_SRC[],output:NXM_NX_REG0[0..15]),load:0x1fffa->NXM_NX_REG1[],learn(table=41,NXM_OF_ETH_SRC[],output:NXM_NX_REG1[])`)
	s.send("p2", r2ipFrame(t, "aa163e111113"))
	for _, tb := range []uint8{40, 41} {
		fs := r2table(b, tb)
		if len(fs) != 1 {
			t.Fatalf("table %d has %d flows, want 1", tb, len(fs))
		}
		if len(fs[0].Actions) != 0 {
			t.Errorf("table %d learned %s, want actions=drop", tb, fs[0].Format(flowtable.FormatOptions{NoStats: true}))
		}
	}
}

// Finding 2: learn over an existing flow with other attributes is an OVS
// MODIFY_STRICT: actions and cookie change, but timeouts (and importance,
// flags, creation) stay. OVS 3.1 after the frame:
//
//	table=20, idle_timeout=1000, priority=1,vlan_tci=0x0001/0x0fff,dl_dst=aa:16:3e:11:11:12 actions=load:0->NXM_OF_VLAN_TCI[],load:0x65->NXM_NX_TUN_ID[],output:1
func TestLearnModifyKeepsTimeouts(t *testing.T) {
	s, b := r2learnSwitch(t)
	s.flows("br0", `table=20,priority=1,cookie=0x5,idle_timeout=1000,vlan_tci=0x0001/0x0fff,dl_dst=aa:16:3e:11:11:12,actions=drop`)
	s.send("p1", r2ipFrame(t, "aa163e111112"))
	fs := r2table(b, 20)
	if len(fs) != 1 {
		t.Fatalf("table 20 has %d flows, want 1", len(fs))
	}
	f := fs[0]
	if len(f.Actions) != 3 {
		t.Fatalf("actions not replaced: %s", f.Format(flowtable.FormatOptions{NoStats: true}))
	}
	if f.Cookie != 0 {
		t.Errorf("cookie %#x, want 0 (learn sets its cookie)", f.Cookie)
	}
	if f.IdleTimeout != 1000 || f.HardTimeout != 0 {
		t.Errorf("idle_timeout=%d hard_timeout=%d, want 1000 and 0 (modify keeps the old flow's timeouts)", f.IdleTimeout, f.HardTimeout)
	}
}

// Finding 3: delete_learned is parsed and printed but never acted on. OVS
// deletes every flow of the learn's table with the learn's cookie when the
// last flow with that learn is removed (ofproto learned_cookies_flush).
func TestDeleteLearned(t *testing.T) {
	s, b := r2learnSwitch(t)
	s.send("p3", r2ipFrame(t, "aa163e111111"))
	if n := len(r2table(b, 30)); n != 1 {
		t.Fatalf("table 30 has %d flows before the delete, want 1", n)
	}
	r2mods(t, b, flowtable.CmdDelete, "table=0,in_port=3")
	if fs := r2table(b, 30); len(fs) != 0 {
		t.Errorf("deleting the delete_learned flow left %d learned flows in table 30 (OVS: none)", len(fs))
	}
}

// Finding 4: mod-flows with cookie=V (no mask) sets the cookie in OVS
// (ovs-ofctl default OpenFlow10/NXM: new_cookie=V). OVS 3.1:
//
//	add-flow table=1,cookie=0x5,priority=5,ip,actions=drop
//	mod-flows table=1,cookie=0x9,ip,actions=output:1
//	-> cookie=0x9, table=1, priority=5,ip actions=output:1
//	mod-flows table=1,ip,actions=output:2
//	-> table=1, priority=5,ip actions=output:2
//
// (the OpenFlow 1.0 flow mod's one cookie field is the new cookie, 0
// when the line has no cookie=).
func TestModFlowsSetsCookie(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br1", FailSecure)
	s.flows("br1", "table=1,cookie=0x5,priority=5,ip,actions=drop")
	r2mods(t, b, flowtable.CmdModify, "table=1,cookie=0x9,ip,actions=output:1")
	fs := r2table(b, 1)
	if len(fs) != 1 || len(fs[0].Actions) != 1 {
		t.Fatalf("unexpected table 1: %v", fs)
	}
	if fs[0].Cookie != 0x9 {
		t.Errorf("cookie %#x after mod-flows cookie=0x9, want 0x9", fs[0].Cookie)
	}
	// Without cookie= the cookie becomes 0.
	r2mods(t, b, flowtable.CmdModify, "table=1,ip,actions=output:2")
	if c := r2table(b, 1)[0].Cookie; c != 0 {
		t.Errorf("cookie %#x after mod-flows without cookie, want 0", c)
	}
}

// Finding 5: a native-tagged/native-untagged port without trunks trunks
// every VLAN but 0 (ofproto-dpif bundle_set forces the native VLAN in and
// VLAN 0 out), so untagged frames of a trunk port's VLAN 0 are not flooded
// to it. OVS 3.1 trace (q1 trunk, q2 native-untagged tag=10, q3
// native-tagged tag=20): untagged broadcast on q1 -> Datapath actions: LOCAL only.
func TestNormalNativeNoVLAN0(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailStandalone)
	s.port("br0", "q1:1")
	s.port("br0", "q2:2,tag=10,mode=native-untagged")
	s.port("br0", "q3:3,tag=20,mode=native-tagged")
	src := net.HardwareAddr{0, 0, 0, 0, 0, 1}
	s.send("q1", frame(t, src, macBC, -1, ipv4(ipVM, ipB, layers.IPProtocolUDP), udp(1, 2)[0]))
	if got := vids(s.got()); len(got) != 0 {
		t.Errorf("VLAN 0 broadcast reached %v; OVS floods it to LOCAL only", got)
	}
}

// Finding 6: NORMAL drops only 01:80:c2:00:00:0x, but OVS's
// eth_addr_is_reserved also covers Cisco (01:00:0c:cc:cc:cc CDP/VTP/DTP,
// 01:00:0c:cc:cc:cd PVST+, 01:00:0c:cd:cd:cd, 01:00:0c:00:00:00,
// 01:00:0c:cc:cc:c0..c7) and Extreme (00:e0:2b:00:00:00/04/06).
// OVS 3.1 trace: dl_dst=01:00:0c:cc:cc:cc -> Datapath actions: drop.
func TestNormalReservedCisco(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailStandalone)
	s.port("br0", "q1:1")
	s.port("br0", "q2:2")
	src := net.HardwareAddr{0, 0, 0, 0, 0, 1}
	for _, d := range []net.HardwareAddr{
		{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc},
		{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd},
		{0x00, 0xe0, 0x2b, 0x00, 0x00, 0x00},
	} {
		s.send("q1", frame(t, src, d, -1, ipv4(ipVM, ipB, layers.IPProtocolUDP), udp(1, 2)[0]))
		if got := vids(s.got()); len(got) != 0 {
			t.Errorf("frame to reserved %s forwarded to %v; OVS drops it", d, got)
		}
	}
}

// TestFinTimeoutLowersLearnedFlow: a TCP FIN through a flow learned with
// fin_idle_timeout and fin_hard_timeout lowers that flow's timeouts (its
// dump then shows them) and it expires by them, as in Open vSwitch.
func TestFinTimeoutLowersLearnedFlow(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", `table=0,tcp,actions=learn(table=1,idle_timeout=60,fin_idle_timeout=5,fin_hard_timeout=7,eth_type=0x800,nw_proto=6,NXM_OF_IP_SRC[],NXM_OF_IP_DST[],output:NXM_OF_IN_PORT[]),resubmit(,1)`)
	syn := frame(t, macVM, macB, -1, tcpSegment(ipVM, ipB, true, false)...)
	fin := frame(t, macVM, macB, -1, tcpSegment(ipVM, ipB, false, true)...)
	learned := func() *flowtable.Flow {
		fs := r2table(b, 1)
		if len(fs) != 1 {
			t.Fatalf("table 1 has %d flows, want the learned one", len(fs))
		}
		return fs[0]
	}
	s.send("p1", syn)
	if idle, hard := learned().Timeouts(); idle != 60 || hard != 0 {
		t.Fatalf("after the SYN: idle %d hard %d, want 60 and none", idle, hard)
	}
	s.send("p1", fin)
	f := learned()
	if idle, hard := f.Timeouts(); idle != 5 || hard != 7 {
		t.Fatalf("after the FIN: idle %d hard %d, want 5 and 7", idle, hard)
	}
	if out := f.Format(flowtable.FormatOptions{NoStats: true}); !strings.Contains(out, "idle_timeout=5, hard_timeout=7") {
		t.Errorf("dump shows %q, want the lowered timeouts", out)
	}
	if gone := b.Flows.Expire(f.Modified().Add(8 * time.Second)); len(gone) != 1 {
		t.Errorf("%d flows expired 8 s after learning, want the learned one (hard_timeout=7)", len(gone))
	}
}

func tcpSegment(src, dst net.IP, syn, fin bool) []gopacket.SerializableLayer {
	return []gopacket.SerializableLayer{ipv4(src, dst, layers.IPProtocolTCP),
		&layers.TCP{SrcPort: 1000, DstPort: 22, SYN: syn, FIN: fin, ACK: fin, Seq: 1, Window: 100}, gopacket.Payload("x")}
}
