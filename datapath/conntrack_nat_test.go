package datapath

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
)

// TestCTNATFlows: SNAT with a port range on the way out and un-SNAT of
// the reply through ct(nat,table=1), whose resumed traversal matches the
// translated destination. The frames on the wire carry the translated
// addresses and ports with checksums that recompute right.
func TestCTNATFlows(t *testing.T) {
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			s := newSwitch(t)
			s.dp.Conntrack = conntrack.New(conntrack.Config{})
			s.bridge("br0", FailSecure)
			s.port("br0", "vm:1")
			s.port("br0", "wire:2")
			s.flows("br0", `table=0,in_port=1,ip,actions=ct(commit,nat(src=10.100.0.1:5000-5010)),output:2
table=0,in_port=2,ip,actions=ct(nat,table=1)
table=1,ct_state=+trk+est+rpl,ip,nw_dst=192.168.1.9,actions=output:1
table=1,ct_state=+trk+rel+dnat,icmp,nw_dst=192.168.1.9,actions=output:1`)
			ext := net.IP{8, 8, 8, 8}
			out := natFrame(t, proto, ipVM, 40000, ext, 53, "S")
			s.send("vm", out)
			g := s.got()["wire"]
			if len(g) != 1 {
				t.Fatalf("wire got %d frames", len(g))
			}
			g0 := g[0]
			src, sport, dst, dport := natEnds(t, g0)
			if src != netip.MustParseAddr("10.100.0.1") || sport < 5000 || sport > 5010 || dst != netip.MustParseAddr("8.8.8.8") || dport != 53 {
				t.Fatalf("sent as %s:%d -> %s:%d", src, sport, dst, dport)
			}
			s.send("wire", natFrame(t, proto, ext, 53, net.IP{10, 100, 0, 1}, sport, "SA"))
			g = s.got()["vm"]
			if len(g) != 1 {
				t.Fatalf("vm got %d frames", len(g))
			}
			src, sp, dst, dp := natEnds(t, g[0])
			if src != netip.MustParseAddr("8.8.8.8") || sp != 53 || dst != netip.MustParseAddr("192.168.1.9") || dp != 40000 {
				t.Fatalf("reply delivered as %s:%d -> %s:%d", src, sp, dst, dp)
			}
			// An ICMP error quoting the translated packet comes back
			// +rel+dnat to the VM with the quoted packet as the VM sent it.
			quoted := append([]byte(nil), g0[14:14+28]...)
			icmp := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: ext, DstIP: net.IP{10, 100, 0, 1}}
			s.send("wire", frame(t, macGW, macVM, -1, icmp, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(quoted)))
			g = s.got()["vm"]
			if len(g) != 1 {
				t.Fatalf("vm got %d frames for the ICMP error", len(g))
			}
			e := g[0][14:]
			if header.Checksum(e[:20], 0) != 0 || header.Checksum(e[20:], 0) != 0 || header.Checksum(e[28:48], 0) != 0 {
				t.Errorf("ICMP error checksums wrong: % x", e)
			}
			if !net.IP(e[16:20]).Equal(ipVM) || !net.IP(e[28+12:28+16]).Equal(ipVM) || binary.BigEndian.Uint16(e[48:]) != 40000 {
				t.Errorf("ICMP error not translated back: % x", e)
			}
		})
	}
}

func natFrame(t *testing.T, proto string, src net.IP, sport uint16, dst net.IP, dport uint16, flags string) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src, DstIP: dst}
	if proto == "udp" {
		ip.Protocol = layers.IPProtocolUDP
		return frame(t, macVM, macGW, -1, ip, &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, gopacket.Payload("hello"))
	}
	ip.Protocol = layers.IPProtocolTCP
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: 100, Window: 1000, SYN: true}
	if flags == "SA" {
		tcp.ACK, tcp.Seq, tcp.Ack = true, 900, 101
	}
	return frame(t, macVM, macGW, -1, ip, tcp)
}

// natEnds reads an IPv4 TCP/UDP frame's addresses and ports and fails
// unless its IPv4 and transport checksums recompute to zero.
func natEnds(t *testing.T, f []byte) (netip.Addr, uint16, netip.Addr, uint16) {
	t.Helper()
	var p packet.Packet
	p.Reset(f, 0, len(f))
	l := p.Layout()
	if l.L3 == 0 || l.L4 == 0 {
		t.Fatalf("not IP with L4: % x", f)
	}
	ip := f[l.L3:l.End]
	if header.Checksum(ip[:header.IPv4(ip).HeaderLength()], 0) != 0 {
		t.Errorf("bad IPv4 checksum")
	}
	b := f[l.L4:l.End]
	if header.Checksum(b, header.IPPseudoHeaderSum(ip, false, l.Proto, uint32(len(b)))) != 0 {
		t.Errorf("bad L4 checksum")
	}
	src, _ := netip.AddrFromSlice(ip[12:16])
	dst, _ := netip.AddrFromSlice(ip[16:20])
	return src, binary.BigEndian.Uint16(b), dst, binary.BigEndian.Uint16(b[2:])
}
