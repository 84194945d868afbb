package difffuzz

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Case is one generated input: the flows of bridge br0 and the frames that
// arrive on its ports, in order.
type Case struct {
	Seed       uint64
	Standalone bool
	Flows      []string
	Frames     []Frame
}

// Frame is one input frame and the port it arrives on.
type Frame struct {
	Port string
	Data []byte
}

// Ports are br0's ports: name, OpenFlow number, access VLAN (0: trunk).
var Ports = []struct {
	Name   string
	OFPort int
	Tag    int
}{{"p1", 1, 0}, {"p2", 2, 10}, {"p3", 3, 20}, {"p4", 4, 0}}

var (
	macs = []string{"02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:04", "ff:ff:ff:ff:ff:ff", "01:80:c2:00:00:00"}
	ip4s = []string{"10.0.0.1", "10.0.0.2", "10.0.1.3", "192.168.1.9"}
	ip6s = []string{"fd00::1", "fd00::2", "fd00:1::3"}
	l4s  = []int{53, 80, 1000, 4789}
)

// gen draws a case from a seed.
type gen struct{ r *rand.Rand }

func (g *gen) n(k int) int             { return g.r.IntN(k) }
func (g *gen) pick(s ...string) string { return s[g.n(len(s))] }
func (g *gen) chance(percent int) bool { return g.n(100) < percent }
func pickInt[T any](g *gen, s []T) T   { return s[g.n(len(s))] }

// Generate returns the case of seed: nFlows flows over tables 0..3 and
// nFrames frames.
func Generate(seed uint64, nFlows, nFrames int) *Case {
	g := &gen{rand.New(rand.NewPCG(seed, seed^0x5eed))}
	c := &Case{Seed: seed, Standalone: g.chance(30)}
	for i := 0; i < nFlows; i++ {
		c.Flows = append(c.Flows, g.flow(i))
	}
	for i := 0; i < nFrames; i++ {
		p := Ports[g.n(len(Ports))]
		c.Frames = append(c.Frames, Frame{Port: p.Name, Data: g.frame(p.Tag != 0)})
	}
	return c
}

// flow writes one flow in ovs-ofctl syntax whose actions only use what its
// match makes available (prerequisites).
//
// Priorities are distinct (1000 minus the flow's index, then a random
// tens digit): OpenFlow leaves the choice between overlapping flows of one
// priority to the switch, and the two switches may choose differently.
func (g *gen) flow(i int) string {
	table := g.n(4)
	var m []string
	m = append(m, fmt.Sprintf("table=%d", table), fmt.Sprintf("priority=%d", g.n(5)*1000+999-i))
	if g.chance(40) {
		m = append(m, fmt.Sprintf("in_port=%d", 1+g.n(len(Ports))))
	}
	if g.chance(20) {
		m = append(m, "dl_src="+pickInt(g, macs[:4]))
	}
	if g.chance(25) {
		m = append(m, "dl_dst="+pickInt(g, macs))
	}
	tagged := false
	switch g.n(4) {
	case 0:
		m = append(m, fmt.Sprintf("dl_vlan=%d", []int{10, 20}[g.n(2)]))
		tagged = true
	case 1:
		m = append(m, "vlan_tci=0x0000/0x1000")
	}
	if table > 0 && g.chance(30) {
		m = append(m, fmt.Sprintf("reg0=%d", g.n(3)))
	}
	proto := g.pick("", "", "ip", "arp", "ipv6", "tcp", "udp", "icmp", "tcp6", "udp6")
	if proto != "" {
		m = append(m, proto)
	}
	ip := proto == "ip" || proto == "tcp" || proto == "udp" || proto == "icmp"
	ip6 := proto == "ipv6" || proto == "tcp6" || proto == "udp6"
	l4 := proto == "tcp" || proto == "udp" || proto == "tcp6" || proto == "udp6"
	if ip && g.chance(40) {
		m = append(m, g.pick("nw_src", "nw_dst")+"="+pickInt(g, ip4s)+g.pick("", "/24"))
	}
	if ip6 && g.chance(30) {
		m = append(m, g.pick("ipv6_src", "ipv6_dst")+"="+pickInt(g, ip6s))
	}
	if (ip || ip6) && g.chance(20) {
		frag := g.pick("no", "first", "later", "not_later", "yes")
		m = append(m, "nw_frag="+frag)
		l4 = l4 && frag != "later" // later fragments have no ports to match or set
	}
	if l4 && g.chance(50) {
		m = append(m, fmt.Sprintf("%s=%d", g.pick("tp_src", "tp_dst"), pickInt(g, l4s)))
	}
	if proto == "arp" && g.chance(40) {
		m = append(m, "arp_op="+g.pick("1", "2"))
	}
	return strings.Join(m, ",") + ",actions=" + g.actions(table, tagged, ip, ip6, l4)
}

// actions draws a flow's actions. pop_vlan and mod_vlan_vid get a match
// that guarantees a tag: OpenFlow 1.4, which the flows are loaded into
// Open vSwitch with, has no other way to say them.
func (g *gen) actions(table int, tagged, ip, ip6, l4 bool) string {
	if g.chance(10) {
		return "drop"
	}
	var a []string
	for k := 1 + g.n(3); k > 0; k-- {
		switch g.n(14) {
		case 0, 1:
			a = append(a, fmt.Sprintf("output:%d", 1+g.n(len(Ports))))
		case 2:
			a = append(a, g.pick("NORMAL", "FLOOD", "ALL", "IN_PORT"))
		case 3:
			if table < 3 {
				a = append(a, fmt.Sprintf("resubmit(,%d)", table+1+g.n(3-table)))
			}
		case 4:
			// Without a tag in the match ovs-ofctl loads mod_vlan_vid in
			// OpenFlow 1.4 as push_vlan plus set_field, a different
			// action from the OpenFlow 1.0 one gvs implements.
			if tagged {
				a = append(a, fmt.Sprintf("mod_vlan_vid:%d", []int{10, 20, 30}[g.n(3)]))
			}
		case 5:
			if tagged {
				a = append(a, "pop_vlan")
				tagged = false // a second pop has no tag it is sure of
			}
		case 6:
			a = append(a, g.pick("mod_dl_src", "mod_dl_dst")+":"+pickInt(g, macs[:4]))
		case 7:
			if ip {
				a = append(a, g.pick("mod_nw_src", "mod_nw_dst")+":"+pickInt(g, ip4s))
			}
		case 8:
			if l4 {
				a = append(a, fmt.Sprintf("%s:%d", g.pick("mod_tp_src", "mod_tp_dst"), pickInt(g, l4s)))
			}
		case 9:
			if ip || ip6 {
				a = append(a, "dec_ttl")
			}
		case 10:
			a = append(a, fmt.Sprintf("load:%d->NXM_NX_REG0[]", g.n(3)))
		case 11:
			a = append(a, "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]")
		case 12:
			a = append(a, "learn(table=3,priority=60,hard_timeout=60,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])")
		case 13:
			if ip || ip6 {
				a = append(a, "mod_nw_tos:"+g.pick("0", "8", "32"))
			}
		}
	}
	if len(a) == 0 {
		a = append(a, fmt.Sprintf("output:%d", 1+g.n(len(Ports))))
	}
	return strings.Join(a, ",")
}

// frame builds one frame; tagged ports get untagged frames (access ports
// drop tagged ones at NORMAL, which is tested too, now and then).
func (g *gen) frame(access bool) []byte {
	src, _ := net.ParseMAC(pickInt(g, macs[:4]))
	dst, _ := net.ParseMAC(pickInt(g, macs))
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst}
	ls := []gopacket.SerializableLayer{eth}
	vlan := !access && g.chance(50) || access && g.chance(10)
	var next layers.EthernetType
	var payload []gopacket.SerializableLayer
	switch g.n(6) {
	case 0:
		next = layers.EthernetTypeARP
		payload = []gopacket.SerializableLayer{&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: uint16(1 + g.n(2)), SourceHwAddress: src,
			SourceProtAddress: net.ParseIP(pickInt(g, ip4s)).To4(), DstHwAddress: make(net.HardwareAddr, 6),
			DstProtAddress: net.ParseIP(pickInt(g, ip4s)).To4()}}
	case 1, 2, 3:
		next = layers.EthernetTypeIPv4
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: uint8(1 + g.n(64)), TOS: uint8(g.n(4) * 4),
			SrcIP: net.ParseIP(pickInt(g, ip4s)).To4(), DstIP: net.ParseIP(pickInt(g, ip4s)).To4()}
		switch g.n(5) {
		case 0:
			ip.Flags = layers.IPv4MoreFragments
		case 1:
			ip.FragOffset = 8
		}
		payload = append(payload, ip)
		payload = append(payload, g.transport(ip, false)...)
	default:
		next = layers.EthernetTypeIPv6
		ip := &layers.IPv6{Version: 6, HopLimit: uint8(1 + g.n(64)), SrcIP: net.ParseIP(pickInt(g, ip6s)), DstIP: net.ParseIP(pickInt(g, ip6s))}
		payload = append(payload, ip)
		payload = append(payload, g.transport(ip, true)...)
	}
	if vlan {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: uint16([]int{10, 20, 30}[g.n(3)]), Type: next})
	} else {
		eth.EthernetType = next
	}
	ls = append(ls, payload...)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err) // the generator's own frames always serialise
	}
	f := buf.Bytes()
	if len(f) < 60 {
		f = append(f, make([]byte, 60-len(f))...)
	}
	return f
}

func (g *gen) transport(ip gopacket.NetworkLayer, v6 bool) []gopacket.SerializableLayer {
	pl := gopacket.Payload("difffuzz")
	sport, dport := layers.TCPPort(pickInt(g, l4s)), layers.TCPPort(pickInt(g, l4s))
	switch g.n(3) {
	case 0:
		t := &layers.TCP{SrcPort: sport, DstPort: dport, Seq: 1, Window: 100, SYN: g.chance(50), ACK: g.chance(50)}
		t.SetNetworkLayerForChecksum(ip)
		setProto(ip, layers.IPProtocolTCP)
		return []gopacket.SerializableLayer{t, pl}
	case 1:
		u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
		u.SetNetworkLayerForChecksum(ip)
		setProto(ip, layers.IPProtocolUDP)
		return []gopacket.SerializableLayer{u, pl}
	}
	if v6 {
		setProto(ip, layers.IPProtocolICMPv6)
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}
		ic.SetNetworkLayerForChecksum(ip)
		return []gopacket.SerializableLayer{ic, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1}, pl}
	}
	setProto(ip, layers.IPProtocolICMPv4)
	return []gopacket.SerializableLayer{&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 1}, pl}
}

func setProto(ip gopacket.NetworkLayer, p layers.IPProtocol) {
	switch ip := ip.(type) {
	case *layers.IPv4:
		ip.Protocol = p
	case *layers.IPv6:
		ip.NextHeader = p
	}
}
