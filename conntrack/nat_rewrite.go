package conntrack

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// translate rewrites the packet of connection h.c (under its shard's
// lock) when the ct() asked for nat and the connection has a translation:
// a packet in the original direction gets the reply tuple reversed, a
// reply the original tuple reversed, and an ICMP error both its outer
// addresses and its quoted packet. It returns the +snat/+dnat bits the
// packet gets (a reply of an SNATed connection is un-SNATed, which
// Open vSwitch reports as +dnat, and the other way round).
func (t *Tracker) translate(pk *packet.Packet, p *pkt, h *hit, nat *flowtable.NAT) uint32 {
	c := h.c
	if nat == nil || c == nil || c.nat == 0 {
		return 0
	}
	d := h.d
	o := &c.t[1-d] // the tuple the packet must look like the reverse of
	l := pk.Layout()
	f := pk.Frame()
	if h.rel {
		natICMPError(f, l, &c.t[d], o)
	} else {
		setTuple(f, l.L3, l.L4, l.End, &p.t, o)
	}
	switch {
	case d == 0 && c.nat == natSrc, d == 1 && c.nat == natDst:
		return StateSNAT
	default:
		return StateDNAT
	}
}

// setTuple rewrites the IP packet at f[l3:end] (transport header at l4,
// 0 = none) whose tuple is cur into the reverse of o: source o.dst,
// destination o.src, ports (echo id) swapped likewise, updating the IPv4
// header checksum and the transport checksum incrementally (in a quoted
// packet too, as Open vSwitch does, when the quote reaches the field).
func setTuple(f []byte, l3, l4, end int, cur, o *tuple) {
	if l3 == 0 || l3+40 > len(f) && cur.v6 || l3+20 > len(f) {
		return
	}
	ck := l4Checksum(f, l4, end, cur)
	pseudo := cur.proto != protoICMP
	if cur.v6 {
		setAddr6(f[l3+8:], cur.src, o.dst, ck, pseudo)
		setAddr6(f[l3+24:], cur.dst, o.src, ck, pseudo)
	} else {
		ip := f[l3:]
		setAddr4(ip[12:], ip[10:12], uint32(cur.src[1]), uint32(o.dst[1]), ck, pseudo)
		setAddr4(ip[16:], ip[10:12], uint32(cur.dst[1]), uint32(o.src[1]), ck, pseudo)
	}
	if l4 == 0 || l4+8 > end {
		return
	}
	switch cur.proto {
	case protoTCP, protoUDP:
		set16(f[l4:], cur.sport, o.dport, ck)
		set16(f[l4+2:], cur.dport, o.sport, ck)
	case protoICMP, protoICMPv6:
		set16(f[l4+4:], cur.sport, o.sport, ck)
	}
	if ck != nil && cur.proto == protoUDP && binary.BigEndian.Uint16(ck) == 0 {
		binary.BigEndian.PutUint16(ck, 0xffff)
	}
}

// l4Checksum is the transport checksum field of the packet, or nil: none
// (a UDP checksum of 0 over IPv4), or cut off in a quoted header.
func l4Checksum(f []byte, l4, end int, cur *tuple) []byte {
	if l4 == 0 {
		return nil
	}
	var off int
	switch cur.proto {
	case protoTCP:
		off = 16
	case protoUDP:
		off = 6
	case protoICMP, protoICMPv6:
		off = 2
	default:
		return nil
	}
	if l4+off+2 > end || end > len(f) {
		return nil
	}
	ck := f[l4+off : l4+off+2]
	if cur.proto == protoUDP && !cur.v6 && binary.BigEndian.Uint16(ck) == 0 {
		return nil
	}
	return ck
}

func setAddr4(b, ipck []byte, old, new uint32, ck []byte, pseudo bool) {
	if old == new {
		return
	}
	binary.BigEndian.PutUint32(b, new)
	binary.BigEndian.PutUint16(ipck, header.UpdateChecksum32(binary.BigEndian.Uint16(ipck), old, new))
	if ck != nil && pseudo {
		binary.BigEndian.PutUint16(ck, header.UpdateChecksum32(binary.BigEndian.Uint16(ck), old, new))
	}
}

func setAddr6(b []byte, old, new [2]uint64, ck []byte, pseudo bool) {
	if old == new {
		return
	}
	for i, w := range new {
		o := old[i]
		binary.BigEndian.PutUint64(b[8*i:], w)
		if ck != nil && pseudo {
			s := binary.BigEndian.Uint16(ck)
			s = header.UpdateChecksum32(s, uint32(o>>32), uint32(w>>32))
			s = header.UpdateChecksum32(s, uint32(o), uint32(w))
			binary.BigEndian.PutUint16(ck, s)
		}
	}
}

func set16(b []byte, old, new uint16, ck []byte) {
	if old == new {
		return
	}
	binary.BigEndian.PutUint16(b, new)
	if ck != nil {
		binary.BigEndian.PutUint16(ck, header.UpdateChecksum16(binary.BigEndian.Uint16(ck), old, new))
	}
}

// natICMPError translates an ICMP error about connection tuple q (the
// quoted packet's tuple reversed, the direction the error travels) whose
// other tuple is o: the outer source or destination where the connection
// translates that side, and the quoted packet into o (it was seen
// translated, so it becomes what its sender sent). The inner IPv4 header
// checksum and the ICMP checksum are recomputed.
func natICMPError(f []byte, l *packet.Layout, q, o *tuple) {
	if l.L3 == 0 || l.L4 == 0 || l.L4+8 > l.End || l.End > len(f) {
		return
	}
	v6 := q.v6
	// Outer addresses: change a side only where the connection's tuples
	// differ on it.
	want := *q
	if q.src != o.dst {
		want.src = o.dst
	}
	if q.dst != o.src {
		want.dst = o.src
	}
	ip := f[l.L3:]
	if v6 {
		if q.src != o.dst {
			writeAddr6(ip[8:], want.src)
		}
		if q.dst != o.src {
			writeAddr6(ip[24:], want.dst)
		}
	} else {
		os, od := binary.BigEndian.Uint32(ip[12:]), binary.BigEndian.Uint32(ip[16:])
		ck := ip[10:12]
		if q.src != o.dst {
			setAddr4(ip[12:], ck, os, uint32(want.src[1]), nil, false)
		}
		if q.dst != o.src {
			setAddr4(ip[16:], ck, od, uint32(want.dst[1]), nil, false)
		}
	}
	// The quoted packet: its tuple is q reversed; make it o.
	var il packet.Layout
	il.ParseQuoted(f[:l.End], l.L4+8, v6)
	if il.L3 == 0 {
		return
	}
	inner, ro := q.reverse(), o.reverse()
	setTuple(f, il.L3, il.L4, il.End, &inner, &ro)
	if !v6 {
		ih := header.IPv4(f[il.L3:])
		if hl := int(ih.HeaderLength()); hl >= 20 && il.L3+hl <= l.End {
			binary.BigEndian.PutUint16(f[il.L3+10:], 0)
			binary.BigEndian.PutUint16(f[il.L3+10:], header.Checksum(f[il.L3:il.L3+hl], 0))
		}
	}
	// The ICMP checksum covers the quoted packet (and for ICMPv6 the
	// pseudo-header): recompute it.
	icmp := f[l.L4:l.End]
	binary.BigEndian.PutUint16(icmp[2:], 0)
	var s uint32
	if v6 {
		s = header.IPPseudoHeaderSum(f[l.L3:l.End], true, protoICMPv6, uint32(len(icmp)))
	}
	binary.BigEndian.PutUint16(icmp[2:], header.Checksum(icmp, s))
}

func writeAddr6(b []byte, a [2]uint64) {
	binary.BigEndian.PutUint64(b, a[0])
	binary.BigEndian.PutUint64(b[8:], a[1])
}
