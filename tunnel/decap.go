package tunnel

import (
	"encoding/binary"
	"net/netip"

	"github.com/gvs-project/gvs/datapath/header"
)

// Decap validates the outer headers of frame (Ethernet, IPv4 or IPv6,
// then UDP to one of ports carrying VXLAN or Geneve, or GRE), fills md
// with the tunnel metadata and returns the offset of the inner Ethernet
// frame. Ethernet padding after the outer IP length is not part of the
// inner frame: it is frame[inner:end] with end = Ethernet header + IP
// length, returned too.
//
// Checks, as Open vSwitch's native tunnel pop: the outer IPv4 header
// checksum; no fragments; a UDP checksum when it is not zero (FlagCsum);
// VXLAN flags exactly 0x08 with zero reserved bits; Geneve version 0 and
// protocol EtherTypeTEB (O bit as FlagOAM); GRE with no flag but C, K and
// S, version 0, protocol EtherTypeTEB, a valid checksum with C (FlagCsum),
// the key as tun_id with K (FlagKey). VXLAN and Geneve always set FlagKey;
// IPv4 DF sets FlagDF.
//
// It returns one of the named errors (ErrShort, ErrNotTunnel,
// ErrNotTunnelPort, ErrBadChecksum, ErrBadFlags, ErrBadVersion,
// ErrBadProtocol, ErrBadIP, ErrFragment) for anything else; it never
// reads out of bounds and allocates nothing.
func Decap(frame []byte, ports []UDPPort, md *Metadata) (inner, end int, err error) {
	*md = Metadata{}
	if len(frame) < header.EthernetMinimumSize {
		return 0, 0, ErrShort
	}
	l3 := header.EthernetMinimumSize
	var proto uint8
	var l4, l4End int
	switch header.Ethernet(frame).Type() {
	case header.EtherTypeIPv4:
		ip := header.IPv4(frame[l3:])
		if len(ip) < header.IPv4MinimumSize {
			return 0, 0, ErrShort
		}
		if ip.Version() != 4 || ip.HeaderLength() < header.IPv4MinimumSize {
			return 0, 0, ErrBadIP
		}
		hl, tl := int(ip.HeaderLength()), int(ip.TotalLength())
		if tl < hl {
			return 0, 0, ErrBadIP
		}
		if len(ip) < tl {
			return 0, 0, ErrShort
		}
		if !ip.IsChecksumValid() {
			return 0, 0, ErrBadChecksum
		}
		fo := binary.BigEndian.Uint16(ip[6:])
		if fo&0x3fff != 0 {
			return 0, 0, ErrFragment
		}
		if fo&0x4000 != 0 {
			md.Flags |= FlagDF
		}
		md.Src = netip.AddrFrom4(ip.Src())
		md.Dst = netip.AddrFrom4(ip.Dst())
		md.TOS, md.TTL = ip.TOS(), ip.TTL()
		proto = ip.Protocol()
		l4, l4End = l3+hl, l3+tl
	case header.EtherTypeIPv6:
		ip := header.IPv6(frame[l3:])
		if len(ip) < header.IPv6MinimumSize {
			return 0, 0, ErrShort
		}
		if ip.Version() != 6 {
			return 0, 0, ErrBadIP
		}
		pl := int(ip.PayloadLength())
		if len(ip) < header.IPv6MinimumSize+pl {
			return 0, 0, ErrShort
		}
		md.Src = netip.AddrFrom16(ip.Src())
		md.Dst = netip.AddrFrom16(ip.Dst())
		md.TOS, md.TTL = ip.TrafficClass(), ip.HopLimit()
		proto = ip.NextHeader()
		l4 = l3 + header.IPv6MinimumSize
		l4End = l4 + pl
	default:
		return 0, 0, ErrNotTunnel
	}
	seg := frame[l4:l4End]
	switch proto {
	case header.ProtocolUDP:
		inner, err = decapUDP(frame[l3:l4], seg, ports, md)
	case IPProtocolGRE:
		inner, err = decapGRE(seg, md)
	default:
		err = ErrNotTunnel
	}
	if err != nil {
		*md = Metadata{}
		return 0, 0, err
	}
	if len(seg)-inner < header.EthernetMinimumSize {
		*md = Metadata{}
		return 0, 0, ErrShort
	}
	return l4 + inner, l4End, nil
}

// decapUDP handles the UDP segment seg (bounded by the IP length) under the
// IP header ip; it returns the inner offset within seg.
func decapUDP(ip, seg []byte, ports []UDPPort, md *Metadata) (int, error) {
	if len(seg) < header.UDPMinimumSize {
		return 0, ErrShort
	}
	udp := header.UDP(seg)
	typ := TypeNone
	for _, p := range ports {
		if p.Port == udp.DstPort() {
			typ = p.Type
			break
		}
	}
	if typ != TypeVXLAN && typ != TypeGeneve {
		return 0, ErrNotTunnelPort
	}
	ul := int(udp.Length())
	if ul < header.UDPMinimumSize || ul > len(seg) {
		return 0, ErrShort
	}
	seg = seg[:ul]
	if udp.Checksum() != 0 {
		v6 := len(ip) == header.IPv6MinimumSize && ip[0]>>4 == 6
		s := header.IPPseudoHeaderSum(ip, v6, header.ProtocolUDP, uint32(ul))
		if header.Checksum(seg, s) != 0 {
			return 0, ErrBadChecksum
		}
		md.Flags |= FlagCsum
	}
	md.Type = typ
	md.TpSrc, md.TpDst = udp.SrcPort(), udp.DstPort()
	t := seg[header.UDPMinimumSize:]
	if typ == TypeVXLAN {
		if len(t) < VXLANSize {
			return 0, ErrShort
		}
		v := VXLAN(t)
		if v.Flags() != VXLANFlagVNI || v.Reserved() {
			return 0, ErrBadFlags
		}
		md.ID = uint64(v.VNI())
		md.Flags |= FlagKey
		return header.UDPMinimumSize + VXLANSize, nil
	}
	if len(t) < GeneveBaseSize {
		return 0, ErrShort
	}
	g := Geneve(t)
	if g.Version() != 0 {
		return 0, ErrBadVersion
	}
	if len(t) < g.Length() {
		return 0, ErrShort
	}
	if g.Protocol() != EtherTypeTEB {
		return 0, ErrBadProtocol
	}
	md.ID = uint64(g.VNI())
	md.Flags |= FlagKey
	if g.Flags()&GeneveFlagOAM != 0 {
		md.Flags |= FlagOAM
	}
	md.Options = g.Options()
	return header.UDPMinimumSize + g.Length(), nil
}

// decapGRE handles the GRE packet seg; it returns the inner offset within seg.
func decapGRE(seg []byte, md *Metadata) (int, error) {
	if len(seg) < GRESize {
		return 0, ErrShort
	}
	g := GRE(seg)
	f := g.Flags()
	if f&^(GREFlagC|GREFlagK|GREFlagS) != 0 {
		if f&GREVersionMask != 0 {
			return 0, ErrBadVersion
		}
		return 0, ErrBadFlags
	}
	n := g.Length()
	if len(seg) < n {
		return 0, ErrShort
	}
	if g.Protocol() != EtherTypeTEB {
		return 0, ErrBadProtocol
	}
	if f&GREFlagC != 0 {
		if header.Checksum(seg, 0) != 0 {
			return 0, ErrBadChecksum
		}
		md.Flags |= FlagCsum
	}
	if f&GREFlagK != 0 {
		md.ID = uint64(g.Key())
		md.Flags |= FlagKey
	}
	md.Type = TypeGRE
	return n, nil
}
