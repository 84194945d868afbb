package tunnel

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
)

// HeaderLen returns the bytes Encap writes in front of the inner frame
// for c: outer Ethernet, IPv4 or IPv6, and UDP+VXLAN, UDP+Geneve with
// options, or GRE with its optional words. It returns 0 for an unknown type.
func (c *Config) HeaderLen() int {
	n := header.EthernetMinimumSize + header.IPv4MinimumSize
	if c.Dst.Is6() && !c.Dst.Is4In6() {
		n = header.EthernetMinimumSize + header.IPv6MinimumSize
	}
	switch c.Type {
	case TypeVXLAN:
		return n + header.UDPMinimumSize + VXLANSize
	case TypeGeneve:
		return n + header.UDPMinimumSize + GeneveBaseSize + len(c.Options)
	case TypeGRE:
		return n + GRELength(c.greFlags())
	}
	return 0
}

func (c *Config) greFlags() uint16 {
	var f uint16
	if c.Flags&FlagCsum != 0 {
		f |= GREFlagC
	}
	if c.Flags&FlagKey != 0 {
		f |= GREFlagK
	}
	return f
}

func (c *Config) valid() bool {
	if !c.Src.IsValid() || !c.Dst.IsValid() || c.Src.Is4() != c.Dst.Is4() ||
		c.Dst.Is4In6() || c.Src.Is4In6() {
		return false
	}
	switch c.Type {
	case TypeVXLAN, TypeGRE:
		return true
	case TypeGeneve:
		return len(c.Options)%4 == 0 && len(c.Options) <= GeneveMaxOpts
	}
	return false
}

// Encap writes the outer headers described by c in front of the inner
// Ethernet frame buf[off:], in place, and returns the offset where the
// encapsulated frame starts (buf[start:] is the frame to send). buf[:off]
// is headroom and must hold at least c.HeaderLen() bytes.
//
// The outer headers follow Open vSwitch's native tunnelling: IPv4 id 0,
// DF as FlagDF, TTL c.TTL or DefaultTTL, the IPv4 header checksum; the UDP
// source port is SourcePort of the inner frame; the UDP checksum is zero
// over IPv4 unless FlagCsum and always computed over IPv6; VXLAN flags
// 0x08 with the VNI; GRE and Geneve carry EtherTypeTEB; the GRE key is
// present only with FlagKey and the GRE checksum only with FlagCsum.
//
// Errors: ErrConfig (unknown type, mixed or missing address families, bad
// Geneve options), ErrHeadroom, ErrTooBig (outer IP length over c.MTU or 65535).
// Encap allocates nothing.
func Encap(buf []byte, off int, c *Config) (int, error) {
	if !c.valid() {
		return 0, ErrConfig
	}
	hl := c.HeaderLen()
	if off < hl || off > len(buf) {
		return 0, ErrHeadroom
	}
	v6 := c.Dst.Is6()
	start := off - hl
	f := buf[start:]
	inner := buf[off:]

	eth := header.Ethernet(f)
	eth.SetDst(c.DstMAC)
	eth.SetSrc(c.SrcMAC)
	l3 := f[header.EthernetMinimumSize:]
	ipLen := header.IPv4MinimumSize
	if v6 {
		ipLen = header.IPv6MinimumSize
	}
	l4 := l3[ipLen:]
	proto := uint8(header.ProtocolUDP)
	if c.Type == TypeGRE {
		proto = IPProtocolGRE
	}
	l4Len := len(l4)
	if l4Len+ipLen > 0xffff || (c.MTU > 0 && l4Len+ipLen > c.MTU) {
		return 0, ErrTooBig
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if v6 {
		eth.SetType(header.EtherTypeIPv6)
		ip := header.IPv6(l3)
		binary.BigEndian.PutUint32(ip[0:], 6<<28|uint32(c.TOS)<<20)
		ip.SetPayloadLength(uint16(l4Len))
		ip.SetNextHeader(proto)
		ip.SetHopLimit(ttl)
		ip.SetSrc(c.Src.As16())
		ip.SetDst(c.Dst.As16())
	} else {
		eth.SetType(header.EtherTypeIPv4)
		ip := header.IPv4(l3)
		ip[0] = 0x45
		ip.SetTOS(c.TOS)
		ip.SetTotalLength(uint16(ipLen + l4Len))
		binary.BigEndian.PutUint16(ip[4:], 0) // id: OVS leaves it 0
		var frag uint16
		if c.Flags&FlagDF != 0 {
			frag = 0x4000
		}
		binary.BigEndian.PutUint16(ip[6:], frag)
		ip.SetTTL(ttl)
		ip[9] = proto
		ip.SetSrc(c.Src.As4())
		ip.SetDst(c.Dst.As4())
		ip.SetChecksum(0)
		ip.SetChecksum(ip.CalculateChecksum())
	}

	if c.Type == TypeGRE {
		g := GRE(l4)
		flags := c.greFlags()
		g.Set(flags, EtherTypeTEB, uint32(c.Key), 0)
		if flags&GREFlagC != 0 {
			g.SetChecksum(header.Checksum(l4, 0))
		}
		return start, nil
	}

	udp := header.UDP(l4)
	udp.SetSrcPort(SourcePort(inner))
	dport := c.DstPort
	if dport == 0 {
		dport = VXLANPort
		if c.Type == TypeGeneve {
			dport = GenevePort
		}
	}
	udp.SetDstPort(dport)
	udp.SetLength(uint16(l4Len))
	udp.SetChecksum(0)
	tnl := l4[header.UDPMinimumSize:]
	if c.Type == TypeVXLAN {
		VXLAN(tnl).Set(uint32(c.Key))
	} else {
		var gf uint8
		if c.Flags&FlagOAM != 0 {
			gf = GeneveFlagOAM
		}
		Geneve(tnl).Set(gf, EtherTypeTEB, uint32(c.Key), c.Options)
	}
	if v6 || c.Flags&FlagCsum != 0 {
		s := header.IPPseudoHeaderSum(l3, v6, header.ProtocolUDP, uint32(l4Len))
		cs := header.Checksum(l4, s)
		if cs == 0 {
			cs = 0xffff
		}
		udp.SetChecksum(cs)
	}
	return start, nil
}
