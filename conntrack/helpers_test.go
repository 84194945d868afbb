package conntrack

import (
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gvs-project/gvs/datapath/packet"
)

var (
	macA = net.HardwareAddr{2, 0, 0, 0, 0, 0xa}
	macB = net.HardwareAddr{2, 0, 0, 0, 0, 0xb}
)

func ser(tb testing.TB, ls ...gopacket.SerializableLayer) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		tb.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func netIP(s string) net.IP {
	ip := net.ParseIP(s)
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

// ipLayers returns Ethernet + IPv4/IPv6 layers for src -> dst.
func ipLayers(src, dst string, proto layers.IPProtocol) (*layers.Ethernet, gopacket.NetworkLayer, gopacket.SerializableLayer) {
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB}
	if netIP(src).To4() != nil {
		eth.EthernetType = layers.EthernetTypeIPv4
		h := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: netIP(src), DstIP: netIP(dst)}
		return eth, h, h
	}
	eth.EthernetType = layers.EthernetTypeIPv6
	h := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: netIP(src), DstIP: netIP(dst)}
	return eth, h, h
}

// tcpFrame builds a TCP segment; flags is a subset of "SAFRPU".
func tcpFrame(tb testing.TB, src string, sport uint16, dst string, dport uint16, flags string, seq, ack uint32, win uint16, payload string) []byte {
	eth, nl, l3 := ipLayers(src, dst, layers.IPProtocolTCP)
	t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: win}
	for _, f := range flags {
		switch f {
		case 'S':
			t.SYN = true
		case 'A':
			t.ACK = true
		case 'F':
			t.FIN = true
		case 'R':
			t.RST = true
		case 'P':
			t.PSH = true
		case 'U':
			t.URG = true
		}
	}
	t.SetNetworkLayerForChecksum(nl)
	return ser(tb, eth, l3, t, gopacket.Payload(payload))
}

func udpFrame(tb testing.TB, src string, sport uint16, dst string, dport uint16) []byte {
	eth, nl, l3 := ipLayers(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(nl)
	return ser(tb, eth, l3, u, gopacket.Payload("data"))
}

// echoFrame builds an ICMP (IPv4) or ICMPv6 echo request/reply.
func echoFrame(tb testing.TB, src, dst string, typ uint8, id uint16) []byte {
	if netIP(src).To4() != nil {
		eth, _, l3 := ipLayers(src, dst, layers.IPProtocolICMPv4)
		return ser(tb, eth, l3, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: id, Seq: 1}, gopacket.Payload("ping"))
	}
	eth, nl, l3 := ipLayers(src, dst, layers.IPProtocolICMPv6)
	ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
	ic.SetNetworkLayerForChecksum(nl)
	return ser(tb, eth, l3, ic, &layers.ICMPv6Echo{Identifier: id, SeqNumber: 1}, gopacket.Payload("ping"))
}

// errFrame builds an ICMP error from src to dst quoting frame orig.
func errFrame(tb testing.TB, src, dst string, typ, code uint8, orig []byte) []byte {
	quoted := orig[14:]
	if netIP(src).To4() != nil {
		if len(quoted) > 28 {
			quoted = quoted[:28]
		}
		eth, _, l3 := ipLayers(src, dst, layers.IPProtocolICMPv4)
		return ser(tb, eth, l3, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code)}, gopacket.Payload(quoted))
	}
	if len(quoted) > 48 {
		quoted = quoted[:48]
	}
	eth, nl, l3 := ipLayers(src, dst, layers.IPProtocolICMPv6)
	ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	ic.SetNetworkLayerForChecksum(nl)
	return ser(tb, eth, l3, ic, gopacket.Payload(append([]byte{0, 0, 0, 0}, quoted...)))
}

const sec = int64(time.Second)

// execute runs req on frame as the datapath does for a packet whose
// previous ct() (if any) left *st, and stores the new state in *st.
func execute(tr *Tracker, req *Request, frame []byte, st *Result, now int64) {
	r := *req
	r.Prev = *st
	var p packet.Packet
	p.Reset(frame, 0, len(frame))
	*st = tr.Execute(&p, &r, now)
}

// run executes ct on frame and returns the ct_state and the whole result.
func run(tr *Tracker, a *Request, frame []byte, now int64) (uint32, *Result) {
	var k Result
	execute(tr, a, frame, &k, now)
	return uint32(k.State), &k
}

func lookup(zone uint16) *Request { return &Request{Zone: zone} }

func commit(zone uint16) *Request { return &Request{Commit: true, Zone: zone} }

func stateString(s uint32) string {
	names := []string{"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"}
	out := ""
	for i, n := range names {
		if s&(1<<i) != 0 {
			out += "+" + n
		}
	}
	if out == "" {
		return "0"
	}
	return out
}
