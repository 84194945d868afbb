package tunnel

import (
	"encoding/binary"
	"net/netip"

	"github.com/gvs-project/gvs/datapath/header"
)

// ARP and ND constants.
const (
	arpSize        = 28
	arpOpRequest   = 1
	arpOpReply     = 2
	icmp6NS        = 135
	icmp6NA        = 136
	ndOptSourceLL  = 1
	ndOptTargetLL  = 2
	ndSize         = 24 // ICMPv6 header, flags/reserved, target
	ARPRequestSize = header.EthernetMinimumSize + arpSize
	NSRequestSize  = header.EthernetMinimumSize + header.IPv6MinimumSize + ndSize + 8
)

// ParseNeighbor extracts the address-to-MAC binding a frame announces: an
// Ethernet/IPv4 ARP request or reply gives its sender protocol and
// hardware addresses; an ICMPv6 neighbour advertisement with a valid
// checksum, hop limit 255 and a target link-layer address option gives
// the target and that address. One VLAN tag is skipped. A zero, multicast
// or unspecified binding is not one. It never panics and allocates nothing.
func ParseNeighbor(f []byte) (netip.Addr, header.MAC, bool) {
	if len(f) < header.EthernetMinimumSize {
		return netip.Addr{}, header.MAC{}, false
	}
	typ := binary.BigEndian.Uint16(f[12:])
	p := f[header.EthernetMinimumSize:]
	if typ == header.EtherTypeVLAN && len(p) >= 4 {
		typ = binary.BigEndian.Uint16(p[2:])
		p = p[4:]
	}
	var ip netip.Addr
	var mac header.MAC
	switch typ {
	case header.EtherTypeARP:
		if len(p) < arpSize || binary.BigEndian.Uint16(p[0:]) != 1 ||
			binary.BigEndian.Uint16(p[2:]) != header.EtherTypeIPv4 || p[4] != 6 || p[5] != 4 {
			return netip.Addr{}, header.MAC{}, false
		}
		if op := binary.BigEndian.Uint16(p[6:]); op != arpOpRequest && op != arpOpReply {
			return netip.Addr{}, header.MAC{}, false
		}
		mac = header.MAC(p[8:14])
		ip = netip.AddrFrom4([4]byte(p[14:18]))
	case header.EtherTypeIPv6:
		v6 := header.IPv6(p)
		if !v6.Valid() || v6.NextHeader() != header.ProtocolICMPv6 || v6.HopLimit() != 255 {
			return netip.Addr{}, header.MAC{}, false
		}
		pl := int(v6.PayloadLength())
		if len(p) < header.IPv6MinimumSize+pl || pl < ndSize {
			return netip.Addr{}, header.MAC{}, false
		}
		icmp := p[header.IPv6MinimumSize : header.IPv6MinimumSize+pl]
		if icmp[0] != icmp6NA || icmp[1] != 0 ||
			header.Checksum(icmp, header.IPPseudoHeaderSum(p, true, header.ProtocolICMPv6, uint32(pl))) != 0 {
			return netip.Addr{}, header.MAC{}, false
		}
		ip = netip.AddrFrom16([16]byte(icmp[8:24]))
		found := false
		for o := icmp[ndSize:]; len(o) >= 8; {
			n := int(o[1]) * 8
			if n == 0 || n > len(o) {
				break
			}
			if o[0] == ndOptTargetLL && n >= 8 {
				mac, found = header.MAC(o[2:8]), true
				break
			}
			o = o[n:]
		}
		if !found {
			return netip.Addr{}, header.MAC{}, false
		}
	default:
		return netip.Addr{}, header.MAC{}, false
	}
	if mac == (header.MAC{}) || mac.IsMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
		return netip.Addr{}, header.MAC{}, false
	}
	return ip, mac, true
}

// BuildARPRequest writes into buf (at least ARPRequestSize bytes) the
// broadcast ARP request OVS sends for an unknown IPv4 next hop target,
// from srcMAC and srcIP, and returns its length.
func BuildARPRequest(buf []byte, srcMAC header.MAC, srcIP, target netip.Addr) (int, error) {
	srcIP, target = srcIP.Unmap(), target.Unmap()
	if !srcIP.Is4() || !target.Is4() {
		return 0, ErrConfig
	}
	if len(buf) < ARPRequestSize {
		return 0, ErrHeadroom
	}
	eth := header.Ethernet(buf)
	eth.SetDst(header.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	eth.SetSrc(srcMAC)
	eth.SetType(header.EtherTypeARP)
	a := buf[header.EthernetMinimumSize:ARPRequestSize]
	binary.BigEndian.PutUint16(a[0:], 1)
	binary.BigEndian.PutUint16(a[2:], header.EtherTypeIPv4)
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], arpOpRequest)
	copy(a[8:14], srcMAC[:])
	s4, t4 := srcIP.As4(), target.As4()
	copy(a[14:18], s4[:])
	clear(a[18:24])
	copy(a[24:28], t4[:])
	return ARPRequestSize, nil
}

// BuildNS writes into buf (at least NSRequestSize bytes) the neighbour
// solicitation OVS sends for an unknown IPv6 next hop target: to the
// solicited-node multicast group, from srcMAC and srcIP, hop limit 255,
// with a source link-layer address option; it returns its length.
func BuildNS(buf []byte, srcMAC header.MAC, srcIP, target netip.Addr) (int, error) {
	if !srcIP.Is6() || srcIP.Is4In6() || !target.Is6() || target.Is4In6() {
		return 0, ErrConfig
	}
	if len(buf) < NSRequestSize {
		return 0, ErrHeadroom
	}
	t := target.As16()
	group := [16]byte{0: 0xff, 1: 0x02, 11: 0x01, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]}
	eth := header.Ethernet(buf)
	eth.SetDst(header.MAC{0x33, 0x33, 0xff, t[13], t[14], t[15]})
	eth.SetSrc(srcMAC)
	eth.SetType(header.EtherTypeIPv6)
	ip := header.IPv6(buf[header.EthernetMinimumSize:])
	const pl = ndSize + 8
	binary.BigEndian.PutUint32(ip[0:], 6<<28)
	ip.SetPayloadLength(pl)
	ip.SetNextHeader(header.ProtocolICMPv6)
	ip.SetHopLimit(255)
	ip.SetSrc(srcIP.As16())
	ip.SetDst(group)
	icmp := buf[header.EthernetMinimumSize+header.IPv6MinimumSize : NSRequestSize]
	icmp[0], icmp[1] = icmp6NS, 0
	clear(icmp[2:8])
	copy(icmp[8:24], t[:])
	icmp[24], icmp[25] = ndOptSourceLL, 1
	copy(icmp[26:32], srcMAC[:])
	s := header.IPPseudoHeaderSum(ip, true, header.ProtocolICMPv6, pl)
	binary.BigEndian.PutUint16(icmp[2:], header.Checksum(icmp, s))
	return NSRequestSize, nil
}
