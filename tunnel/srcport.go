package tunnel

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
)

// The outer UDP source port range, Open vSwitch's defaults
// (tnl_udp_port_min and tnl_udp_port_max in lib/netdev-native-tnl.c).
const (
	SrcPortMin = 32768
	SrcPortMax = 61000
)

// SourcePort returns the outer UDP source port for the inner Ethernet
// frame: a hash of its addresses, IP protocol and transport ports, scaled
// into [SrcPortMin, SrcPortMax) as OVS scales its packet hash, so one inner
// flow always takes one underlay path. Frames it cannot parse hash on
// what it read. It never panics and allocates nothing.
func SourcePort(inner []byte) uint16 {
	h := flowHash(inner)
	return uint16(uint64(h)*(SrcPortMax-SrcPortMin)>>32) + SrcPortMin
}

// flowHash hashes the inner frame's 5-tuple (or its Ethernet header when
// it is not IP), 32 bits at a time, with a murmur3-style mix.
func flowHash(f []byte) uint32 {
	if len(f) < header.EthernetMinimumSize {
		return hashTail(0x9747b28c, f)
	}
	typ := binary.BigEndian.Uint16(f[12:])
	l3 := header.EthernetMinimumSize
	for (typ == header.EtherTypeVLAN || typ == header.EtherTypeQinQ) && len(f) >= l3+4 {
		typ = binary.BigEndian.Uint16(f[l3+2:])
		l3 += 4
	}
	h := uint32(0x9747b28c)
	var proto uint8
	var l4 int
	switch {
	case typ == header.EtherTypeIPv4 && len(f) >= l3+header.IPv4MinimumSize:
		ip := header.IPv4(f[l3:])
		h = hashWords(h, f[l3+12:l3+20])
		proto = ip.Protocol()
		if ip.FragmentOffset() == 0 {
			l4 = l3 + int(ip.HeaderLength())
		}
	case typ == header.EtherTypeIPv6 && len(f) >= l3+header.IPv6MinimumSize:
		h = hashWords(h, f[l3+8:l3+40])
		proto = f[l3+6]
		l4 = l3 + header.IPv6MinimumSize
	default:
		return hashTail(h, f[:header.EthernetMinimumSize])
	}
	h = step(h, uint32(proto))
	switch proto {
	case header.ProtocolTCP, header.ProtocolUDP, header.ProtocolSCTP:
		if l4 > 0 && len(f) >= l4+4 {
			h = step(h, binary.BigEndian.Uint32(f[l4:]))
		}
	}
	return final(h)
}

// hashWords mixes b, whose length is a multiple of 4, into h.
func hashWords(h uint32, b []byte) uint32 {
	for ; len(b) >= 4; b = b[4:] {
		h = step(h, binary.BigEndian.Uint32(b))
	}
	return h
}

// hashTail hashes b of any length and finalizes.
func hashTail(h uint32, b []byte) uint32 {
	h = hashWords(h, b[:len(b)&^3])
	var w uint32
	for _, c := range b[len(b)&^3:] {
		w = w<<8 | uint32(c)
	}
	return final(step(h, w^uint32(len(b))))
}

func step(h, k uint32) uint32 {
	k *= 0xcc9e2d51
	k = k<<15 | k>>17
	k *= 0x1b873593
	h ^= k
	h = h<<13 | h>>19
	return h*5 + 0xe6546b64
}

// final is the murmur3 finalizer: the scaling uses the high bits.
func final(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
