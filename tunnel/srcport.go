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

// flowHash hashes the inner frame's 5-tuple (or MACs and EtherType when it
// is not IP) with FNV-1a and a final avalanche.
func flowHash(f []byte) uint32 {
	if len(f) < header.EthernetMinimumSize {
		return mix(hashBytes(2166136261, f))
	}
	typ := binary.BigEndian.Uint16(f[12:])
	l3 := header.EthernetMinimumSize
	for (typ == header.EtherTypeVLAN || typ == header.EtherTypeQinQ) && len(f) >= l3+4 {
		typ = binary.BigEndian.Uint16(f[l3+2:])
		l3 += 4
	}
	h := uint32(2166136261)
	var proto uint8
	var l4 int
	switch {
	case typ == header.EtherTypeIPv4 && len(f) >= l3+header.IPv4MinimumSize:
		ip := header.IPv4(f[l3:])
		h = hashBytes(h, f[l3+12:l3+20])
		proto = ip.Protocol()
		if ip.FragmentOffset() == 0 {
			l4 = l3 + int(ip.HeaderLength())
		}
	case typ == header.EtherTypeIPv6 && len(f) >= l3+header.IPv6MinimumSize:
		h = hashBytes(h, f[l3+8:l3+40])
		proto = f[l3+6]
		l4 = l3 + header.IPv6MinimumSize
	default:
		return mix(hashBytes(h, f[:14]))
	}
	h = hashBytes(h, []byte{proto})
	switch proto {
	case header.ProtocolTCP, header.ProtocolUDP, header.ProtocolSCTP:
		if l4 > 0 && len(f) >= l4+4 {
			h = hashBytes(h, f[l4:l4+4])
		}
	}
	return mix(h)
}

func hashBytes(h uint32, b []byte) uint32 {
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// mix is the murmur3 finalizer: FNV's low bits are weak, the scaling uses the high ones.
func mix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
