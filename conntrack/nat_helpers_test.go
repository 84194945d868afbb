package conntrack

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// natRun runs req with the nat clause nat on frame (rewritten in place)
// and returns the ct_state.
func natRun(tr *Tracker, req *Request, nat *flowtable.NAT, frame []byte, now int64) uint32 {
	var p packet.Packet
	p.Reset(frame, 0, len(frame))
	return uint32(tr.ExecuteNAT(&p, req, nat, now).State)
}

// snat and dnat build nat(src=...) and nat(dst=...) from "A[-B]" and a
// port range (0, 0: none).
func snat(addrs string, pmin, pmax uint16) *flowtable.NAT {
	n := natRange(addrs, pmin, pmax)
	n.Src = true
	return n
}

func dnat(addrs string, pmin, pmax uint16) *flowtable.NAT {
	n := natRange(addrs, pmin, pmax)
	n.Dst = true
	return n
}

type (
	natT    = flowtable.NAT
	packetT = packet.Packet
)

func natRange(addrs string, pmin, pmax uint16) *flowtable.NAT {
	n := &flowtable.NAT{PortMin: pmin, PortMax: pmax}
	for i := 0; i < len(addrs); i++ {
		if addrs[i] == '-' {
			n.AddrMin, n.AddrMax = netip.MustParseAddr(addrs[:i]), netip.MustParseAddr(addrs[i+1:])
			return n
		}
	}
	n.AddrMin = netip.MustParseAddr(addrs)
	n.AddrMax = n.AddrMin
	return n
}

// ends is what a test reads back from a frame: addresses and ports (echo
// id in SPort for ICMP).
type ends struct {
	Src, Dst     netip.Addr
	SPort, DPort uint16
}

// endsOf reads the outer tuple of frame and fails the test unless every
// checksum in it (IPv4 header, TCP, UDP, ICMP, and an ICMP error's quoted
// IPv4 header) is right, recomputed from scratch.
func endsOf(t *testing.T, frame []byte) ends {
	t.Helper()
	var p packet.Packet
	p.Reset(frame, 0, len(frame))
	l := p.Layout()
	if l.L3 == 0 || l.L4 == 0 {
		t.Fatalf("frame has no L3/L4: % x", frame)
	}
	ip := frame[l.L3:l.End]
	v6 := l.EthType == header.EtherTypeIPv6
	var e ends
	if v6 {
		e.Src, _ = netip.AddrFromSlice(ip[8:24])
		e.Dst, _ = netip.AddrFromSlice(ip[24:40])
	} else {
		if header.Checksum(ip[:header.IPv4(ip).HeaderLength()], 0) != 0 {
			t.Errorf("bad IPv4 header checksum")
		}
		e.Src, _ = netip.AddrFromSlice(ip[12:16])
		e.Dst, _ = netip.AddrFromSlice(ip[16:20])
	}
	b := frame[l.L4:l.End]
	sum := header.IPPseudoHeaderSum(ip, v6, l.Proto, uint32(len(b)))
	switch l.Proto {
	case protoTCP, protoUDP:
		e.SPort, e.DPort = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		if header.Checksum(b, sum) != 0 {
			t.Errorf("bad L4 checksum")
		}
	case protoICMP, protoICMPv6:
		e.SPort = binary.BigEndian.Uint16(b[4:])
		if l.Proto == protoICMP {
			sum = 0
		}
		if header.Checksum(b, sum) != 0 {
			t.Errorf("bad ICMP checksum")
		}
		if !v6 && icmpIsError(protoICMP, b[0]) {
			in := b[8:]
			if header.Checksum(in[:header.IPv4(in).HeaderLength()], 0) != 0 {
				t.Errorf("bad quoted IPv4 header checksum")
			}
		}
	}
	return e
}

// quotedEnds reads the tuple of the packet an ICMP error quotes.
func quotedEnds(t *testing.T, frame []byte) ends {
	t.Helper()
	var p packet.Packet
	p.Reset(frame, 0, len(frame))
	l := p.Layout()
	v6 := l.EthType == header.EtherTypeIPv6
	var q packet.Layout
	q.ParseQuoted(frame[:l.End], l.L4+8, v6)
	if q.L3 == 0 || q.L4 == 0 {
		t.Fatalf("no quoted packet")
	}
	ip := frame[q.L3:]
	var e ends
	if v6 {
		e.Src, _ = netip.AddrFromSlice(ip[8:24])
		e.Dst, _ = netip.AddrFromSlice(ip[24:40])
	} else {
		e.Src, _ = netip.AddrFromSlice(ip[12:16])
		e.Dst, _ = netip.AddrFromSlice(ip[16:20])
	}
	e.SPort, e.DPort = binary.BigEndian.Uint16(frame[q.L4:]), binary.BigEndian.Uint16(frame[q.L4+2:])
	return e
}

// is reports whether e goes from src:sport to dst:dport.
func (e ends) is(src string, sport uint16, dst string, dport uint16) bool {
	return e == ends{netip.MustParseAddr(src), netip.MustParseAddr(dst), sport, dport}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
